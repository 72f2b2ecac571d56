"""The synchronous client, for scripts and notebooks: the async surface without ``await``."""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Any

import httpx

from . import _protocol as p
from ._errors import NotFoundError, SessionGoneError
from ._types import Encoding, ExecChunk, ExecResult, SessionInfo, SessionStats
from ._version import __version__

__all__ = ["SyncExecStream", "SyncSandboxClient", "SyncSession"]


class SyncSandboxClient:
    """Blocking client of a Sandkasten daemon; same arguments and methods as :class:`SandboxClient`.

    Example:
        >>> from sandkasten import SyncSandboxClient
        >>> with SyncSandboxClient() as client:  # SANDKASTEN_URL / SANDKASTEN_API_KEY
        ...     with client.create_session() as session:
        ...         for chunk in session.exec_stream("for i in 1 2 3; do echo $i; sleep 1; done"):
        ...             print(chunk.output, end="", flush=True)
        1
        2
        3
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = p.DEFAULT_TIMEOUT_S,
    ) -> None:
        self._base_url, key = p.resolve_config(base_url, api_key)
        self._http = httpx.Client(
            base_url=self._base_url,
            headers={"Authorization": f"Bearer {key}", "User-Agent": f"sandkasten-python/{__version__}"},
            timeout=timeout,
        )
        self._exec_timeout = httpx.Timeout(timeout, read=None)

    @property
    def base_url(self) -> str:
        """The daemon's URL."""
        return self._base_url

    def create_session(
        self,
        *,
        image: str | None = None,
        ttl_seconds: int | None = None,
        workspace_id: str | None = None,
        env: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        network: str | None = None,
    ) -> SyncSession:
        """Create a session; see :meth:`SandboxClient.create_session`.

        Example:
            >>> session = client.create_session(image="base", ttl_seconds=600)
        """
        body = p.create_session_body(
            image,
            ttl_seconds,
            workspace_id,
            dict(env) if env is not None else None,
            dict(labels) if labels is not None else None,
            network,
        )
        data = self._request("POST", "/v1/sessions", json=body)
        return SyncSession(self, p.parse_session_id(data))

    def get_session(self, session_id: str) -> SyncSession:
        """Attach to an existing session by id (checking that it exists).

        Example:
            >>> session = client.get_session("sb_...")
        """
        self._request("GET", p.session_path(session_id))
        return SyncSession(self, session_id)

    def list_sessions(self) -> list[SessionInfo]:
        """The live sessions, oldest first.

        Example:
            >>> [s.id for s in client.list_sessions()]
        """
        return p.parse_session_list(self._request("GET", "/v1/sessions"))

    def close(self) -> None:
        """Close the connections. Sessions stay alive on the daemon until destroyed or expired."""
        self._http.close()

    def __enter__(self) -> SyncSandboxClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncSandboxClient(base_url={self._base_url!r})"

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> Any:
        try:
            resp = self._http.request(
                method,
                path,
                json=json,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as e:
            raise p.connection_error(self._base_url, method, path, e) from e
        if not 200 <= resp.status_code < 300:
            raise p.error_from_response(resp.status_code, resp.content)
        return p.decode_json(resp.content, f"{method} {path}")

    def _cancel_quietly(self, session_id: str, exec_id: str) -> None:
        # The daemon kills a disconnected stream's command by itself, a little later.
        with contextlib.suppress(httpx.HTTPError, RuntimeError):
            self._http.delete(p.exec_cancel_path(session_id, exec_id), timeout=p.CANCEL_TIMEOUT_S)


class SyncSession:
    """A session of :class:`SyncSandboxClient`; same methods as :class:`Session`, without ``await``.

    Example:
        >>> with client.create_session() as session:
        ...     print(session.exec("uname -a").output)
    """

    def __init__(self, client: SyncSandboxClient, session_id: str) -> None:
        p.session_path(session_id)
        self._client = client
        self._id = session_id

    @property
    def id(self) -> str:
        """The session id."""
        return self._id

    def exec(
        self,
        cmd: str,
        *,
        timeout_ms: int | None = None,
        raw_output: bool = False,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        encoding: Encoding | None = None,
    ) -> ExecResult:
        """Run ``cmd`` and wait for it; see :meth:`Session.exec`.

        Example:
            >>> result = session.exec("cd /tmp && pwd")
            >>> result.cwd
            '/tmp'
        """
        body = p.exec_body(cmd, timeout_ms=timeout_ms, raw_output=raw_output, env=env, cwd=cwd, encoding=encoding)
        data = self._client._request(
            "POST", p.session_path(self._id, "/exec"), json=body, timeout=self._client._exec_timeout
        )
        return p.parse_exec_result(data)

    def exec_stream(
        self,
        cmd: str,
        *,
        timeout_ms: int | None = None,
        chunk_size: int | None = None,
        raw_output: bool = False,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        encoding: Encoding | None = None,
    ) -> SyncExecStream:
        """Run ``cmd`` and iterate over its output as it is written; see :meth:`Session.exec_stream`.

        Leaving the ``for`` loop early (``break`` or an exception) closes the stream and
        cancels the command before the next statement runs.

        Example:
            >>> for chunk in session.exec_stream("pip list"):
            ...     print(chunk.output, end="")
        """
        body = p.exec_body(
            cmd,
            timeout_ms=timeout_ms,
            raw_output=raw_output,
            env=env,
            cwd=cwd,
            chunk_size=chunk_size,
            encoding=encoding,
        )
        return SyncExecStream(self._client, self._id, body)

    def cancel(self, exec_id: str) -> bool:
        """Cancel a queued or running command; ``False`` if no such command is queued or running.

        Example:
            >>> session.cancel("ex_...")
        """
        try:
            self._client._request("DELETE", p.exec_cancel_path(self._id, exec_id))
        except NotFoundError:
            return False
        return True

    def stats(self) -> SessionStats:
        """Memory, CPU and process counts of the sandbox.

        Example:
            >>> session.stats().memory_bytes
        """
        return p.parse_stats(self._client._request("GET", p.session_path(self._id, "/stats")))

    def info(self) -> SessionInfo:
        """The session's current :class:`SessionInfo`.

        Example:
            >>> session.info().status
            'running'
        """
        return p.parse_session_info(self._client._request("GET", p.session_path(self._id)))

    def destroy(self) -> None:
        """Destroy the session and everything in it.

        Example:
            >>> session.destroy()
        """
        self._client._request("DELETE", p.session_path(self._id))

    # File routes (write, read, upload) join here once the daemon serves /fs/*.

    def __enter__(self) -> SyncSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(NotFoundError, SessionGoneError):
            self.destroy()

    def __repr__(self) -> str:
        return f"SyncSession(id={self._id!r})"


class SyncExecStream:
    """The iterator :meth:`SyncSession.exec_stream` returns; ``close()`` or ``with`` stop it early.

    Example:
        >>> with session.exec_stream("tail -f app.log") as stream:
        ...     for chunk in stream:
        ...         if "ready" in chunk.output:
        ...             break
    """

    __slots__ = ("_client", "_gen", "_session_id", "_state")

    def __init__(self, client: SyncSandboxClient, session_id: str, body: dict[str, Any]) -> None:
        self._client = client
        self._session_id = session_id
        self._state = p.ExecStreamState()
        # No reference back to self, so dropping the stream finalizes the generator at once.
        self._gen = _stream_chunks(client, session_id, body, self._state)

    @property
    def exec_id(self) -> str | None:
        """The daemon's id for the command, known once the stream has started."""
        return self._state.exec_id

    def __iter__(self) -> SyncExecStream:
        return self

    def __next__(self) -> ExecChunk:
        return next(self._gen)

    def close(self) -> None:
        """Close the stream; if the command is still running, cancel it on the daemon."""
        self._gen.close()

    def cancel(self) -> bool:
        """Cancel the command on the daemon, e.g. from another thread.

        The iteration then raises :class:`CommandCancelledError`. Returns ``False`` if the
        command has not started or has already finished.
        """
        if self._state.exec_id is None or self._state.finished:
            return False
        return SyncSession(self._client, self._session_id).cancel(self._state.exec_id)

    def __enter__(self) -> SyncExecStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _stream_chunks(
    client: SyncSandboxClient, session_id: str, body: dict[str, Any], state: p.ExecStreamState
) -> Generator[ExecChunk, None, None]:
    path = p.session_path(session_id, "/exec/stream")
    try:
        with client._http.stream("POST", path, json=body) as resp:
            if resp.status_code != 200:
                resp.read()
                raise p.error_from_response(resp.status_code, resp.content)
            state.opened(resp.headers.get("x-exec-id"))
            feed = state.feed
            for raw in resp.iter_bytes():
                yield from feed(raw)
            state.ended()
    except httpx.TransportError as e:
        raise state.transport_error(e, client._base_url, path) from e
    finally:
        exec_id = state.to_cancel()
        if exec_id is not None:
            client._cancel_quietly(session_id, exec_id)
