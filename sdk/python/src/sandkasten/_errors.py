"""The exceptions the SDK raises.

Everything derives from :class:`SandkastenError`, so one ``except SandkastenError``
catches all of them::

    SandkastenError
    ├── SandkastenConnectionError        the daemon could not be reached
    ├── APIError(status, code, message)  the daemon answered with an HTTP error
    │   ├── BadRequestError              400
    │   ├── AuthenticationError          401
    │   ├── NotFoundError                404
    │   ├── ConflictError                409 (a command's, file's or workspace's state)
    │   ├── SessionGoneError             410
    │   ├── PayloadTooLargeError         413
    │   ├── QuotaExceededError           429 (the tenant is at a quota)
    │   ├── InternalServerError          500
    │   └── ServiceUnavailableError      503
    └── StreamError                      a command ended without a result
        ├── CommandTimeoutError          it ran past its timeout (stream, or a blocking 504)
        └── CommandCancelledError        it was cancelled while it ran
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._types import ExecResult

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CommandCancelledError",
    "CommandTimeoutError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "QuotaExceededError",
    "SandkastenAPIError",
    "SandkastenConnectionError",
    "SandkastenError",
    "SandkastenStreamError",
    "ServiceUnavailableError",
    "SessionGoneError",
    "StreamError",
]


class SandkastenError(Exception):
    """Base class of every exception this SDK raises.

    Example:
        >>> try:
        ...     result = await session.exec("make test")
        ... except SandkastenError as e:
        ...     print(f"sandbox problem: {e}")
    """


class SandkastenConnectionError(SandkastenError):
    """The daemon could not be reached, or the connection broke mid-request."""


class APIError(SandkastenError):
    """The daemon answered a request with an HTTP error status.

    Attributes:
        status: the HTTP status, e.g. ``404``.
        code: the daemon's machine-readable code, e.g. ``"SESSION_NOT_FOUND"``
            (``None`` when the answer carried none, e.g. from a proxy).
        message: the daemon's own message, without the SDK's hint.
        body: the decoded JSON body of the answer, or ``None``.

    ``str(error)`` is the message followed by what to do about it.

    Example:
        >>> try:
        ...     await client.get_session("sb_gone")
        ... except APIError as e:
        ...     print(e.status, e.code)
        404 SESSION_NOT_FOUND
    """

    hint = ""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        body: object = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        if hint is not None:
            self.hint = hint
        label = f"HTTP {status}" + (f" {code}" if code else "")
        text = f"{message} ({label})"
        if self.hint:
            text += f". {self.hint}"
        super().__init__(text)

    @property
    def status_code(self) -> int:
        """The HTTP status (the name ``sandkasten`` 0.3 used)."""
        return self.status

    @property
    def response_body(self) -> object:
        """The decoded JSON body (the name ``sandkasten`` 0.3 used)."""
        return self.body


class BadRequestError(APIError):
    """400: the daemon rejected the request's arguments (the message names the field)."""

    hint = "Fix the argument the message names and try again"


class AuthenticationError(APIError):
    """401: the API key is missing or wrong."""

    hint = (
        "Pass the daemon's key as SandboxClient(api_key=...) or set SANDKASTEN_API_KEY; "
        "the daemon prints a generated key on its first start and stores it in "
        "<data dir>/api-key"
    )


class NotFoundError(APIError):
    """404: no such session, command, file, workspace or route (``code`` says which)."""

    hint = (
        "Check the id; a session that was destroyed or expired is gone for good, "
        "so create a new one with client.create_session()"
    )


class ConflictError(APIError):
    """409: the request conflicts with the state of a command, file or workspace.

    ``code`` says which: ``EXEC_NOT_RUNNING``, ``NO_STDIN``, ``STDIN_CLOSED``, ``STDIN_FULL``,
    ``NO_PTY``, or ``CONFLICT`` (a read-only file, a workspace still in use, ...).
    """


class SessionGoneError(APIError):
    """410: the session was destroyed, expired or lost its sandbox."""

    hint = "Create a new session with client.create_session()"


class PayloadTooLargeError(APIError):
    """413: too large: a request body (``cmd`` is at most 1 MiB), a file, or a ``read`` of one."""

    hint = (
        "Send less in one request; read_bytes() and download() fetch files of any size, "
        "uploads are bounded by the daemon's max_file_bytes"
    )


class QuotaExceededError(APIError):
    """429: the API key's tenant is at one of its quotas (sessions, or commands running at once)."""

    hint = "Destroy sessions or wait for commands to end; the message says which quota the key is at"


class InternalServerError(APIError):
    """500: a bug in the daemon; its log has the details."""

    hint = "This is a daemon bug: look for the details in the daemon's log and report it"


class ServiceUnavailableError(APIError):
    """503: the daemon cannot take the request now (session limit, sandbox start failure)."""

    hint = "Destroy sessions you no longer need, or retry later"


class StreamError(SandkastenError):
    """A command ended without a result: the daemon sent an ``error`` event, or the stream broke.

    A broken connection is resumed first; this is raised when that failed, or was turned off.

    Attributes:
        code: the daemon's code (``"COMMAND_TIMEOUT"``, ``"CANCELLED"``, ``"SESSION_GONE"``),
            or ``None`` when the connection broke.
        message: the daemon's message, or a description of what broke.
        exec_id: the command's id, when it was known.

    Example:
        >>> try:
        ...     async for chunk in session.exec_stream("make"):
        ...         print(chunk.output, end="")
        ... except StreamError as e:
        ...     print("stream ended early:", e.code)
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        exec_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.exec_id = exec_id
        super().__init__(f"{message}. {hint}" if hint else message)


class CommandTimeoutError(StreamError):
    """The command ran past its ``timeout_ms``; the daemon killed its processes.

    Raised by ``exec_stream`` when the stream ends with a timeout, and by ``exec``
    when the daemon answers ``504``. The session stays usable.

    Attributes:
        output: the output received before the timeout. From ``exec_stream`` it is at most
            the last 1 MiB of text (``truncated`` tells whether earlier text was dropped); from
            ``exec`` it is the daemon's (head and tail kept past its output limit).
        truncated: whether ``output`` lacks part of what the command wrote.
        duration_ms: how long the command ran, if the daemon said.
        result: for ``exec`` only, the whole partial :class:`ExecResult`
            (with ``stdout`` and ``stderr`` apart); ``None`` for streams.
        state_lost: the daemon had to restart the session's shell to stop the command, so
            its working directory, variables and functions are back to the session's start.

    Example:
        >>> try:
        ...     await session.exec("sleep 100", timeout_ms=1000)
        ... except CommandTimeoutError as e:
        ...     print("partial output:", e.output)
    """

    def __init__(
        self,
        message: str,
        *,
        output: str = "",
        truncated: bool = False,
        duration_ms: int | None = None,
        exec_id: str | None = None,
        result: ExecResult | None = None,
        state_lost: bool = False,
    ) -> None:
        super().__init__(
            message,
            code="COMMAND_TIMEOUT",
            exec_id=exec_id,
            hint=(
                "Pass a larger timeout_ms (the daemon caps it at its exec_max_timeout_ms), "
                "or run the work in the background and poll it"
            ),
        )
        self.output = output
        self.truncated = truncated
        self.duration_ms = duration_ms
        self.result = result
        self.state_lost = state_lost


class CommandCancelledError(StreamError):
    """The command was cancelled (``DELETE .../execs/{id}``) while it ran or waited."""

    def __init__(self, message: str, *, exec_id: str | None = None) -> None:
        super().__init__(message, code="CANCELLED", exec_id=exec_id)


# The names the `sandkasten` 0.3 package exported.
SandkastenAPIError = APIError
SandkastenStreamError = StreamError
