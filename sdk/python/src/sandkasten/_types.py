"""The values the SDK returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ExecChunk", "ExecResult", "SessionInfo", "SessionStats"]


@dataclass(slots=True)
class ExecResult:
    r"""The result of a blocking :meth:`Session.exec`.

    Example:
        >>> result = await session.exec("echo hi; echo oops >&2; exit 3")
        >>> result.exit_code, result.stdout, result.stderr
        (3, 'hi\n', 'oops\n')
    """

    exit_code: int
    """The command's exit status (0 = success)."""
    cwd: str
    """The shell's working directory after the command."""
    output: str
    """stdout and stderr interleaved in the order the daemon read them."""
    truncated: bool
    """Whether the daemon cut the middle of a large output (head and tail are kept)."""
    duration_ms: int
    """How long the command ran, in milliseconds."""
    stdout: str = ""
    """The command's standard output alone."""
    stderr: str = ""
    """The command's standard error alone."""
    exec_id: str | None = None
    """The daemon's id for this command."""
    state_lost: bool = False
    """True when the command ended the shell itself and a fresh one replaced it
    (files survive; ``cd``, variables and functions do not)."""
    omitted_bytes: int = 0
    """How many bytes of ``output`` the daemon left out when ``truncated``."""


@dataclass(slots=True)
class ExecChunk:
    r"""One piece of a streaming command: output, or (``done=True``) its completion.

    Output chunks carry ``output``, ``stream`` and ``timestamp``; the last chunk has
    ``done=True``, an empty ``output`` and the command's ``exit_code``, ``cwd`` and
    ``duration_ms``, which are ``None`` on the chunks before it.

    Example:
        >>> async for chunk in session.exec_stream("echo hi"):
        ...     if chunk.done:
        ...         print("exit", chunk.exit_code)
        ...     else:
        ...         print(chunk.stream, repr(chunk.output))
        stdout 'hi\n'
        exit 0
    """

    output: str
    """The text of this chunk ("" on the done chunk)."""
    timestamp: int
    """When the daemon read it, Unix epoch milliseconds."""
    done: bool = False
    """True on the last chunk, which reports how the command ended."""
    exit_code: int | None = None
    """The exit status; set on the done chunk only."""
    cwd: str | None = None
    """The shell's working directory after the command; set on the done chunk only."""
    duration_ms: int | None = None
    """How long the command ran; set on the done chunk only."""
    stream: Literal["stdout", "stderr"] | None = None
    """``"stdout"`` or ``"stderr"`` for output chunks (a chunk never mixes them)."""
    exec_id: str | None = None
    """The daemon's id for this command."""
    state_lost: bool = False
    """On the done chunk: the command ended the shell itself and a fresh one replaced it."""


SessionStatus = Literal["running", "expired", "destroyed", "lost"]
"""A session's state, as :attr:`SessionInfo.status` reports it."""

Encoding = Literal["utf8", "base64"]
"""How command output travels: ``"utf8"`` text (the default) or byte-exact ``"base64"``."""


@dataclass(slots=True)
class SessionInfo:
    """What the daemon knows about a session.

    Example:
        >>> for info in await client.list_sessions():
        ...     print(info.id, info.status, info.expires_at)
    """

    id: str
    """The session id (``sb_...``)."""
    image: str
    """The image the session runs (``base`` or ``python``)."""
    status: SessionStatus
    """``running``, ``expired``, ``destroyed`` or ``lost`` (its sandbox died)."""
    cwd: str
    """The shell's current working directory."""
    created_at: str
    """RFC 3339 UTC timestamp of creation."""
    expires_at: str
    """RFC 3339 UTC timestamp when the lease ends (each exec extends it)."""
    workspace_id: str | None = None
    """The persistent workspace mounted at ``/workspace``, if any."""
    container_id: str | None = None
    """Kept for ``sandkasten`` 0.3 code; this daemon has no containers and leaves it ``None``."""
    last_activity: str | None = None
    """RFC 3339 UTC timestamp of the last request that touched the session."""
    labels: dict[str, str] = field(default_factory=dict)
    """The labels given at creation."""


@dataclass(slots=True)
class SessionStats:
    """Resource usage of a session's sandbox (its cgroup).

    Example:
        >>> stats = await session.stats()
        >>> print(f"{stats.memory_bytes / 2**20:.1f} MiB of {stats.memory_limit / 2**20:.0f}")
    """

    memory_bytes: int
    """Memory in use, in bytes."""
    memory_limit: int
    """The session's memory limit, in bytes (0 if none)."""
    cpu_usage_usec: int
    """CPU time used so far, in microseconds."""
    pids: int | None = None
    """Processes and threads alive in the sandbox."""
