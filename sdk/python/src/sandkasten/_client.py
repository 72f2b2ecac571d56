"""The asyncio client: :class:`SandboxClient`, :class:`Session` and :class:`ExecStream`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Mapping
from types import TracebackType
from typing import Any

import anyio
import httpx

from . import _protocol as p
from ._errors import NotFoundError, SessionGoneError
from ._types import Encoding, ExecChunk, ExecResult, SessionInfo, SessionStats
from ._version import __version__

__all__ = ["ExecStream", "SandboxClient", "Session"]

# Destroying waits for the session's command to wind down (the daemon allows it about 10 s).
_DESTROY_TIMEOUT_S = 30.0


class SandboxClient:
    """Async client of a Sandkasten daemon.

    Args:
        base_url: the daemon's URL; defaults to ``$SANDKASTEN_URL``, then ``http://127.0.0.1:8080``.
        api_key: the daemon's API key; defaults to ``$SANDKASTEN_API_KEY``.
        timeout: seconds to wait for the daemon on ordinary requests, and the longest
            silence tolerated inside a stream (the daemon sends a keep-alive every second).
            A blocking ``exec`` waits as long as its command may run.

    Raises:
        ValueError: no API key was given or found, or ``base_url`` is not an HTTP URL.

    Example:
        >>> async with SandboxClient(base_url="http://127.0.0.1:8080", api_key="...") as client:
        ...     async with await client.create_session() as session:
        ...         result = await session.exec("echo hello")
        ...         print(result.output)
        hello
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = p.DEFAULT_TIMEOUT_S,
    ) -> None:
        self._base_url, key = p.resolve_config(base_url, api_key)
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            headers={"Authorization": f"Bearer {key}", "User-Agent": f"sandkasten-python/{__version__}"},
            timeout=timeout,
        )
        # A blocking exec may run (and queue behind the session's other commands) for as long as
        # the daemon allows; the daemon enforces the command's timeout, so the read has none.
        self._exec_timeout = httpx.Timeout(timeout, read=None)

    @property
    def base_url(self) -> str:
        """The daemon's URL."""
        return self._base_url

    async def create_session(
        self,
        *,
        image: str | None = None,
        ttl_seconds: int | None = None,
        workspace_id: str | None = None,
        env: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        network: str | None = None,
    ) -> Session:
        """Create a session: a fresh sandbox with its own persistent shell.

        Args:
            image: ``"python"`` or ``"base"``; ``None`` means the daemon's default (``python``).
            ttl_seconds: the session's lease; each command extends it. ``None``: the daemon's default.
            workspace_id: a persistent workspace to mount at ``/workspace`` (when the daemon supports it).
            env: environment variables for every command of the session.
            labels: free-form labels, returned in :class:`SessionInfo`.
            network: the network mode; the daemon supports ``"none"`` (loopback only), its default.

        Example:
            >>> session = await client.create_session(image="python", env={"LANG": "C.UTF-8"})
            >>> print(session.id)
            sb_...
        """
        body = p.create_session_body(
            image,
            ttl_seconds,
            workspace_id,
            dict(env) if env is not None else None,
            dict(labels) if labels is not None else None,
            network,
        )
        data = await self._request("POST", "/v1/sessions", json=body)
        return Session(self, p.parse_session_id(data))

    async def get_session(self, session_id: str) -> Session:
        """Attach to an existing session by id (checking that it exists).

        Raises:
            NotFoundError: no session has that id.

        Example:
            >>> session = await client.get_session("sb_...")
        """
        await self._request("GET", p.session_path(session_id))
        return Session(self, session_id)

    async def list_sessions(self) -> list[SessionInfo]:
        """The live sessions, oldest first.

        Example:
            >>> for info in await client.list_sessions():
            ...     print(info.id, info.status)
        """
        return p.parse_session_list(await self._request("GET", "/v1/sessions"))

    async def close(self) -> None:
        """Close the connections. Sessions stay alive on the daemon until destroyed or expired."""
        await self._http.aclose()

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"SandboxClient(base_url={self._base_url!r})"

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> Any:
        try:
            resp = await self._http.request(
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

    async def _cancel_quietly(self, session_id: str, exec_id: str) -> None:
        """Cancel a command while leaving its stream; never raises, even when the caller is cancelled."""
        # The daemon also kills a command whose stream disconnected (after a grace period), so a
        # failed cancel only delays the kill. RuntimeError: the client was closed meanwhile.
        with anyio.CancelScope(shield=True), contextlib.suppress(httpx.HTTPError, RuntimeError):
            await self._http.delete(p.exec_cancel_path(session_id, exec_id), timeout=p.CANCEL_TIMEOUT_S)


class Session:
    """A sandbox with a persistent shell: ``cd``, variables, functions and background jobs persist.

    Get one from :meth:`SandboxClient.create_session` or :meth:`SandboxClient.get_session`.
    Commands of one session run one at a time, in the order they were sent.

    Example:
        >>> async with await client.create_session() as session:
        ...     await session.exec("cd /tmp && export GREETING=hi")
        ...     result = await session.exec("echo $GREETING from $PWD")
        ...     print(result.output)
        hi from /tmp
    """

    def __init__(self, client: SandboxClient, session_id: str) -> None:
        p.session_path(session_id)  # validates the id
        self._client = client
        self._id = session_id

    @property
    def id(self) -> str:
        """The session id."""
        return self._id

    async def exec(
        self,
        cmd: str,
        *,
        timeout_ms: int | None = None,
        raw_output: bool = False,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        encoding: Encoding | None = None,
    ) -> ExecResult:
        """Run ``cmd`` in the session's shell and wait for it to finish.

        A non-zero exit status is not an error: look at ``result.exit_code``.

        Args:
            cmd: bash source, run as typed (pipes, quotes, heredocs, several lines).
            timeout_ms: kill the command after this long; ``None``: the daemon's default (120 s).
            raw_output: keep ANSI escapes and CRLF as the program wrote them.
            env: variables for this command only (it then runs in a subshell).
            cwd: working directory for this command only (it then runs in a subshell).
            encoding: ``"base64"`` for byte-exact output (``output``, ``stdout`` and ``stderr``
                are then base64); ``None``: the daemon's default, ``"utf8"``.

        Raises:
            CommandTimeoutError: the command ran past ``timeout_ms``; ``e.output`` has what it printed.
            NotFoundError, SessionGoneError: the session does not exist (any more).

        Example:
            >>> result = await session.exec("ls /workspace && python3 --version")
            >>> print(result.exit_code, result.output)
        """
        body = p.exec_body(cmd, timeout_ms=timeout_ms, raw_output=raw_output, env=env, cwd=cwd, encoding=encoding)
        data = await self._client._request(
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
    ) -> ExecStream:
        r"""Run ``cmd`` and iterate over its output as the program writes it.

        Yields :class:`ExecChunk` values: output chunks, then one with ``done=True`` carrying
        ``exit_code``, ``cwd`` and ``duration_ms``. Leaving the loop early (``break``, an
        exception, task cancellation) closes the stream and cancels the command on the daemon.

        Args:
            cmd: bash source, as for :meth:`exec`.
            timeout_ms: kill the command after this long; ``None``: the daemon's default.
            chunk_size: largest chunk in bytes (daemon default 16 KiB, capped at its ``max_chunk_size``);
                larger chunks mean fewer events for bulk output.
            raw_output: keep ANSI escapes and CRLF as the program wrote them.
            env: variables for this command only.
            cwd: working directory for this command only.
            encoding: ``"base64"`` for byte-exact output (each chunk's ``output`` is then base64).

        Raises (while iterating):
            CommandTimeoutError: the command ran past ``timeout_ms``; ``e.output`` has what it printed.
            StreamError: the command was cancelled, its sandbox died, or the connection broke.
            NotFoundError, SessionGoneError, BadRequestError: before any chunk.

        Example:
            >>> async for chunk in session.exec_stream("pip install requests"):
            ...     print(chunk.output, end="", flush=True)
            ...     if chunk.done:
            ...         print(f"\nExit code: {chunk.exit_code}")
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
        return ExecStream(self._client, self._id, body)

    async def cancel(self, exec_id: str) -> bool:
        """Cancel a running or queued command by its exec id (its whole process tree is killed).

        Returns ``True`` if the command was cancelled, ``False`` if no such command is queued or
        running (it finished, or the id is unknown). The shell and its state survive.

        Example:
            >>> stream = session.exec_stream("sleep 600")
            >>> first = await anext(stream)  # the stream has started; stream.exec_id is known
            >>> await session.cancel(stream.exec_id)
            True
        """
        try:
            await self._client._request("DELETE", p.exec_cancel_path(self._id, exec_id))
        except NotFoundError:
            return False
        return True

    async def stats(self) -> SessionStats:
        """Memory, CPU and process counts of the session's sandbox.

        Example:
            >>> stats = await session.stats()
            >>> print(stats.memory_bytes, stats.cpu_usage_usec, stats.pids)
        """
        return p.parse_stats(await self._client._request("GET", p.session_path(self._id, "/stats")))

    async def info(self) -> SessionInfo:
        """The session's current :class:`SessionInfo` (status, cwd, expiry).

        Example:
            >>> info = await session.info()
            >>> print(info.status, info.cwd, info.expires_at)
        """
        return p.parse_session_info(await self._client._request("GET", p.session_path(self._id)))

    async def destroy(self) -> None:
        """Destroy the session: every process, and its files, are gone when this returns.

        Example:
            >>> await session.destroy()
        """
        await self._client._request("DELETE", p.session_path(self._id))

    # File routes (write, read, upload) join here once the daemon serves /fs/*: each is one
    # self._client._request(...) call plus a parser in _protocol, like stats() above.

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Shielded: a block left because its task was cancelled (a timeout, say) must still
        # destroy the session; the deadline bounds how long that may hold up the cancellation.
        # Already gone is fine: the goal of leaving the block is met.
        with (
            anyio.CancelScope(shield=True, deadline=anyio.current_time() + _DESTROY_TIMEOUT_S),
            contextlib.suppress(NotFoundError, SessionGoneError),
        ):
            await self.destroy()

    def __repr__(self) -> str:
        return f"Session(id={self._id!r})"


class ExecStream:
    """The async iterator :meth:`Session.exec_stream` returns.

    Iterate it with ``async for``. To stop early and deterministically, use it as an async
    context manager or call :meth:`aclose`; dropping it mid-way (``break``) does the same as
    soon as the event loop runs again.

    Example:
        >>> async with session.exec_stream("tail -f app.log") as stream:
        ...     async for chunk in stream:
        ...         if "ready" in chunk.output:
        ...             break
        >>> # here the stream is closed and tail is killed
    """

    __slots__ = ("_client", "_gen", "_session_id", "_state")

    def __init__(self, client: SandboxClient, session_id: str, body: dict[str, Any]) -> None:
        self._client = client
        self._session_id = session_id
        self._state = p.ExecStreamState()
        # The generator must not refer back to this object: with no cycle, dropping the
        # stream (a `break` out of `async for`) frees the generator at once, and the event
        # loop's async-generator finalizer then closes it, which cancels the command.
        self._gen = _stream_chunks(client, session_id, body, self._state)

    @property
    def exec_id(self) -> str | None:
        """The daemon's id for the command, known once the stream has started."""
        return self._state.exec_id

    def __aiter__(self) -> ExecStream:
        return self

    def __anext__(self) -> Awaitable[ExecChunk]:
        # Hands out the generator's own awaitable: no extra coroutine per chunk.
        return self._gen.__anext__()

    async def aclose(self) -> None:
        """Close the stream; if the command is still running, cancel it on the daemon."""
        await self._gen.aclose()

    async def cancel(self) -> bool:
        """Cancel the command on the daemon; the iteration then raises :class:`CommandCancelledError`.

        Unlike :meth:`aclose` this may be called from another task while one iterates.
        Returns ``False`` if the command has not started or has already finished.
        """
        if self._state.exec_id is None or self._state.finished:
            return False
        return await Session(self._client, self._session_id).cancel(self._state.exec_id)

    async def __aenter__(self) -> ExecStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def _stream_chunks(
    client: SandboxClient, session_id: str, body: dict[str, Any], state: p.ExecStreamState
) -> AsyncGenerator[ExecChunk, None]:
    path = p.session_path(session_id, "/exec/stream")
    try:
        async with client._http.stream("POST", path, json=body) as resp:
            if resp.status_code != 200:
                await resp.aread()
                raise p.error_from_response(resp.status_code, resp.content)
            state.opened(resp.headers.get("x-exec-id"))
            feed = state.feed
            async for raw in resp.aiter_bytes():
                for chunk in feed(raw):
                    yield chunk
            state.ended()
    except httpx.TransportError as e:
        raise state.transport_error(e, client._base_url, path) from e
    finally:
        exec_id = state.to_cancel()
        if exec_id is not None:
            await client._cancel_quietly(session_id, exec_id)
