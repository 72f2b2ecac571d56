"""The asyncio client: SandboxClient, Session, ExecStream, ExecHandle and Workspace."""

from __future__ import annotations

import contextlib
import os
import signal as _signal
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import IO, Any, TypeAlias

import anyio
import anyio.to_thread
import httpx

from . import _protocol as p
from ._errors import NotFoundError, SandkastenError, SessionGoneError
from ._types import (
    Encoding,
    ExecChunk,
    ExecInfo,
    ExecResult,
    FileEntry,
    ReadResult,
    SessionInfo,
    SessionStats,
    WorkspaceInfo,
    WriteResult,
)
from ._version import __version__

__all__ = ["ExecHandle", "ExecRef", "ExecStream", "SandboxClient", "Session", "Workspace"]

# Destroying waits for the session's command to wind down (the daemon allows it about 10 s).
_DESTROY_TIMEOUT_S = 30.0


class SandboxClient:
    """Async client of a Sandkasten daemon.

    Args:
        base_url: the daemon's URL; defaults to ``$SANDKASTEN_URL``, then ``http://127.0.0.1:8080``.
        api_key: the daemon's API key; defaults to ``$SANDKASTEN_API_KEY``.
        timeout: seconds to wait for the daemon on ordinary requests, and the longest
            silence tolerated inside a stream (the daemon sends a keep-alive every second);
            a stream that resumes gives up on a silent connection after at most 15 s and
            reconnects. A blocking ``exec`` waits as long as its command may run.
        detach_grace_ms: how long a streaming command outlives a dropped connection, so that
            :meth:`Session.exec_stream` can reconnect and resume it without losing output
            (default 30 s). ``None`` or ``0`` turns resuming off: a drop then ends the stream
            with :class:`StreamError`. Each ``exec_stream`` call may set its own.

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
        detach_grace_ms: int | None = p.DEFAULT_DETACH_GRACE_MS,
    ) -> None:
        self._base_url, key = p.resolve_config(base_url, api_key)
        self._detach_grace_ms = p.check_detach_grace(detach_grace_ms)
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            headers={"Authorization": f"Bearer {key}", "User-Agent": f"sandkasten-python/{__version__}"},
            timeout=timeout,
        )
        # A blocking exec may run (and queue behind the session's other commands) for as long as
        # the daemon allows; the daemon enforces the command's timeout, so the read has none.
        self._exec_timeout = httpx.Timeout(timeout, read=None)
        # A resumable stream gives up on a silent connection sooner, to resume it within its grace.
        self._resume_timeout = httpx.Timeout(timeout, read=min(timeout, p.STREAM_SILENCE_S))

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
            workspace_id: a persistent workspace to mount at ``/workspace``, created if it does
                not exist yet; its files outlive the session (see :meth:`workspace`).
            env: environment variables for every command of the session.
            labels: free-form labels, returned in :class:`SessionInfo`.
            network: the network mode: ``"none"`` (loopback only, the default) or ``"egress"``
                where the daemon allows it.

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

    def workspace(self, workspace_id: str) -> Workspace:
        r"""A persistent workspace by id, for its file methods without a session (no request is sent).

        Writes create the workspace if it does not exist; reads of a missing one raise
        :class:`NotFoundError`.

        Example:
            >>> ws = client.workspace("project-42")
            >>> await ws.write("data/input.csv", "a,b\n1,2\n")
            >>> async with await client.create_session(workspace_id="project-42") as session:
            ...     print((await session.exec("cat data/input.csv")).output)
        """
        return Workspace(self, workspace_id)

    async def list_workspaces(self) -> list[WorkspaceInfo]:
        """The persistent workspaces, oldest first, with how many live sessions use each.

        Example:
            >>> for ws in await client.list_workspaces():
            ...     print(ws.id, ws.sessions)
        """
        return p.parse_workspaces(await self._request("GET", "/v1/workspaces"))

    async def delete_workspace(self, workspace_id: str) -> None:
        """Delete a workspace and all its files.

        Raises:
            NotFoundError: there is no such workspace.
            ConflictError: a live session uses it.

        Example:
            >>> await client.delete_workspace("project-42")
        """
        await self._request("DELETE", p.workspace_path(workspace_id))

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
        params: Mapping[str, str] | None = None,
        content: bytes | AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> Any:
        try:
            resp = await self._http.request(
                method,
                path,
                json=json,
                params=params,
                content=content,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as e:
            raise p.connection_error(self._base_url, method, path, e) from e
        if not 200 <= resp.status_code < 300:
            raise p.error_from_response(resp.status_code, resp.content)
        return p.decode_json(resp.content, f"{method} {path}")

    async def _cancel_quietly(self, session_id: str, exec_id: str) -> None:
        """Cancel a command while leaving its stream; never raises, even when the caller is cancelled."""
        # The daemon also kills a command whose stream disconnected (after its detach grace), so a
        # failed cancel only delays the kill. RuntimeError: the client was closed meanwhile.
        with anyio.CancelScope(shield=True), contextlib.suppress(httpx.HTTPError, RuntimeError):
            await self._http.delete(p.exec_path(session_id, exec_id), timeout=p.CANCEL_TIMEOUT_S)


class _Files:
    """The file methods a :class:`Session` and a :class:`Workspace` share.

    Paths are relative to ``/workspace``, or absolute below it.
    """

    _client: SandboxClient
    _prefix: str

    async def write(self, path: str, content: str | bytes) -> WriteResult:
        """Write a whole file (text as UTF-8), creating parent directories; replaces an existing file.

        Example:
            >>> await session.write("hello.py", "print('Hello, World!')")
            >>> print((await session.exec("python3 hello.py")).output)
            Hello, World!
        """
        data = p.file_bytes(content)
        return p.parse_write_result(
            await self._client._request(
                "PUT", self._prefix + "/fs/raw", params={"path": p.file_path(path)}, content=data
            )
        )

    async def read(self, path: str, *, max_bytes: int | None = None) -> ReadResult:
        """Read a file whole (or its first ``max_bytes``) with its size and whether it was cut.

        Files over the daemon's ``max_read_bytes`` (16 MiB) raise :class:`PayloadTooLargeError`
        unless ``max_bytes`` is given; use :meth:`read_bytes` or :meth:`download` for them.

        Example:
            >>> result = await session.read("output.txt")
            >>> print(result.content.decode())
        """
        params = p.read_params(path, max_bytes)
        return p.parse_read_result(await self._client._request("GET", self._prefix + "/fs/read", params=params))

    async def read_bytes(self, path: str) -> bytes:
        """A file's bytes, of any size the memory holds (streamed from the daemon's raw route).

        Example:
            >>> png = await session.read_bytes("plot.png")
        """
        chunks: list[bytes] = []

        async def keep(data: bytes) -> None:
            chunks.append(data)

        await self._download(path, keep)
        return b"".join(chunks)

    async def read_text(self, path: str, *, encoding: str = "utf-8", errors: str = "strict") -> str:
        """A file's text, decoded with ``encoding``.

        Example:
            >>> print(await session.read_text("results.csv"))
        """
        return (await self.read_bytes(path)).decode(encoding, errors)

    async def upload(
        self,
        file: str | os.PathLike[str] | IO[bytes],
        *,
        dest_path: str = "/workspace",
        filename: str | None = None,
    ) -> list[str]:
        """Upload a local file, streamed (never held in memory whole), to ``dest_path/<its name>``.

        Args:
            file: a local path, or a binary file object open for reading (read from where it is).
            dest_path: the directory to put it in, created if missing.
            filename: the name to give it; the local file's name by default (needed for a file
                object without a ``name``).

        Returns:
            The absolute path written, as a one-element list (as the multipart upload route answers).

        Raises:
            PayloadTooLargeError: the file is over the daemon's ``max_file_bytes``; nothing is left.

        Example:
            >>> await session.upload("data.csv", dest_path="/workspace/input")
            ['/workspace/input/data.csv']
        """
        if isinstance(file, (str, os.PathLike)):
            local = os.fspath(file)
            target = p.upload_target(dest_path, filename or os.path.basename(local))
            f = await anyio.to_thread.run_sync(open, local, "rb")
            try:
                written = await self._upload_stream(target, f)
            finally:
                f.close()
        elif hasattr(file, "read"):
            name = filename or getattr(file, "name", None)
            if not isinstance(name, str) or not name:
                raise ValueError("pass filename=... to upload a file object that has no name")
            written = await self._upload_stream(p.upload_target(dest_path, name), file)
        else:
            raise TypeError(f"file must be a path or a binary file object, got {type(file).__name__}")
        return [written.path]

    async def download(self, path: str, dest: str | os.PathLike[str] | IO[bytes]) -> int:
        """Download a file, streamed, to a local path (created or replaced) or a binary file object.

        Returns the number of bytes written. A download that fails midway removes the local file
        it created.

        Example:
            >>> await session.download("results/model.bin", "model.bin")
            52428800
        """
        if not isinstance(dest, (str, os.PathLike)):
            if not hasattr(dest, "write"):
                raise TypeError(f"dest must be a path or a binary file object, got {type(dest).__name__}")
            return await self._download(path, _writer(dest))
        local = os.fspath(dest)
        f = await anyio.to_thread.run_sync(open, local, "wb")
        ok = False
        try:
            n = await self._download(path, _writer(f))
            ok = True
            return n
        finally:
            f.close()
            if not ok:
                with contextlib.suppress(OSError):
                    os.unlink(local)

    async def list_dir(self, path: str = "/workspace") -> list[FileEntry]:
        """The entries of a directory, sorted by name (symlinks among them are not followed).

        Example:
            >>> for entry in await session.list_dir("src"):
            ...     print(entry.type, entry.name)
        """
        return p.parse_listing(
            await self._client._request("GET", self._prefix + "/fs/list", params={"path": p.file_path(path)})
        )

    async def stat(self, path: str) -> FileEntry:
        """One file's or directory's entry (a symlink given as ``path`` is followed).

        Raises:
            NotFoundError: there is nothing at ``path``.

        Example:
            >>> (await session.stat("data.csv")).size
        """
        return p.parse_entry(
            await self._client._request("GET", self._prefix + "/fs/stat", params={"path": p.file_path(path)})
        )

    async def exists(self, path: str) -> bool:
        """Whether anything is at ``path`` (a symlink counts when its target exists).

        In a workspace that does not exist, nothing does.

        Raises:
            NotFoundError: the session does not exist (``SESSION_NOT_FOUND``).

        Example:
            >>> if not await session.exists("venv"):
            ...     await session.exec("python3 -m venv venv")
        """
        try:
            await self.stat(path)
        except NotFoundError as e:
            if e.code == "SESSION_NOT_FOUND":
                raise
            return False
        return True

    async def mkdir(self, path: str) -> str:
        """Create a directory and its parents (like ``mkdir -p``); returns its absolute path.

        Example:
            >>> await session.mkdir("out/plots")
            '/workspace/out/plots'
        """
        data = await self._client._request("POST", self._prefix + "/fs/mkdir", json={"path": p.file_path(path)})
        return str(data.get("path", path)) if isinstance(data, dict) else path

    async def remove(self, path: str) -> None:
        """Delete a file, or a directory with everything in it.

        Raises:
            NotFoundError: there is nothing at ``path``.
            BadRequestError: ``path`` is ``/workspace`` itself.

        Example:
            >>> await session.remove("build")
        """
        await self._client._request("DELETE", self._prefix + "/fs", params={"path": p.file_path(path)})

    async def _upload_stream(self, target: str, f: IO[bytes]) -> WriteResult:
        size = await anyio.to_thread.run_sync(p.remaining_size, f)
        headers = {"Content-Length": str(size)} if size is not None else None

        async def chunks() -> AsyncIterator[bytes]:
            while data := await anyio.to_thread.run_sync(f.read, p.TRANSFER_CHUNK_BYTES):
                yield data

        return p.parse_write_result(
            await self._client._request(
                "PUT", self._prefix + "/fs/raw", params={"path": target}, content=chunks(), headers=headers
            )
        )

    async def _download(self, path: str, sink: Callable[[bytes], Awaitable[object]]) -> int:
        """Streams ``GET .../fs/raw`` into ``sink``, piece by piece; returns the bytes received."""
        route = self._prefix + "/fs/raw"
        client = self._client
        n = 0
        try:
            async with client._http.stream("GET", route, params={"path": p.file_path(path)}) as resp:
                if resp.status_code != 200:
                    await resp.aread()
                    raise p.error_from_response(resp.status_code, resp.content)
                async for data in resp.aiter_bytes(p.TRANSFER_CHUNK_BYTES):
                    await sink(data)
                    n += len(data)
        except httpx.TransportError as e:
            raise p.connection_error(client._base_url, "GET", route, e) from e
        return n


def _writer(f: IO[bytes]) -> Callable[[bytes], Awaitable[object]]:
    """Writes to a local file from a worker thread, so a slow disk does not stall the event loop."""

    async def write(data: bytes) -> None:
        await anyio.to_thread.run_sync(f.write, data)

    return write


class Session(_Files):
    """A sandbox with a persistent shell: ``cd``, variables, functions and background jobs persist.

    Get one from :meth:`SandboxClient.create_session` or :meth:`SandboxClient.get_session`.
    Commands of one session run one at a time, in the order they were sent (background
    commands run beside them). Its files are reached through the methods it shares with
    :class:`Workspace`: :meth:`write`, :meth:`read`, :meth:`upload`, :meth:`download`, ...

    Example:
        >>> async with await client.create_session() as session:
        ...     await session.exec("cd /tmp && export GREETING=hi")
        ...     result = await session.exec("echo $GREETING from $PWD")
        ...     print(result.output)
        hi from /tmp
    """

    def __init__(self, client: SandboxClient, session_id: str) -> None:
        self._prefix = p.session_path(session_id)  # validates the id
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
        pty: bool = False,
        cols: int | None = None,
        rows: int | None = None,
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
            pty: run it on a pseudo-terminal (``cols`` x ``rows``, default 80 x 24), so programs
                see a TTY; stdout and stderr then arrive merged, as ``stdout``.
            cols: the terminal's width, with ``pty``.
            rows: the terminal's height, with ``pty``.

        Raises:
            CommandTimeoutError: the command ran past ``timeout_ms``; ``e.output`` has what it printed.
            NotFoundError, SessionGoneError: the session does not exist (any more).

        Example:
            >>> result = await session.exec("ls /workspace && python3 --version")
            >>> print(result.exit_code, result.output)
        """
        body = p.exec_body(
            cmd,
            timeout_ms=timeout_ms,
            raw_output=raw_output,
            env=env,
            cwd=cwd,
            encoding=encoding,
            pty=pty,
            cols=cols,
            rows=rows,
        )
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
        stdin: bool = False,
        pty: bool = False,
        cols: int | None = None,
        rows: int | None = None,
        detach_grace_ms: int | None = None,
    ) -> ExecStream:
        r"""Run ``cmd`` and iterate over its output as the program writes it.

        Yields :class:`ExecChunk` values: output chunks, then one with ``done=True`` carrying
        ``exit_code``, ``cwd`` and ``duration_ms``. Leaving the loop early (``break``, an
        exception, task cancellation) closes the stream and cancels the command on the daemon.

        If the connection drops before the command ends, the stream reconnects and goes on
        after the last chunk it delivered: every byte arrives once, in order. The command waits
        for it for ``detach_grace_ms``; after a few failed reconnects the stream raises
        :class:`StreamError`.

        Args:
            cmd: bash source, as for :meth:`exec`.
            timeout_ms: kill the command after this long; ``None``: the daemon's default.
            chunk_size: largest chunk in bytes (daemon default 16 KiB, capped at its ``max_chunk_size``);
                larger chunks mean fewer events for bulk output.
            raw_output: keep ANSI escapes and CRLF as the program wrote them.
            env: variables for this command only.
            cwd: working directory for this command only.
            encoding: ``"base64"`` for byte-exact output (each chunk's ``output`` is then base64).
            stdin: give the command an input to write with :meth:`write_stdin` (get the exec id
                first with ``await stream.open()``); otherwise its input is ``/dev/null``.
            pty: run it on a pseudo-terminal; see :meth:`exec`.
            cols: the terminal's width, with ``pty``.
            rows: the terminal's height, with ``pty``.
            detach_grace_ms: how long the command outlives a dropped connection, waiting to be
                resumed; ``None``: the client's (30 s by default); ``0``: no resuming, a drop
                ends the stream with :class:`StreamError`.

        Raises (while iterating):
            CommandTimeoutError: the command ran past ``timeout_ms``; ``e.output`` has what it printed.
            StreamError: the command was cancelled, its sandbox died, or the connection broke for good.
            NotFoundError, SessionGoneError, BadRequestError: before any chunk.

        Example:
            >>> async for chunk in session.exec_stream("pip install requests"):
            ...     print(chunk.output, end="", flush=True)
            ...     if chunk.done:
            ...         print(f"\nExit code: {chunk.exit_code}")
        """
        grace = self._client._detach_grace_ms if detach_grace_ms is None else detach_grace_ms
        body = p.exec_body(
            cmd,
            timeout_ms=timeout_ms,
            raw_output=raw_output,
            env=env,
            cwd=cwd,
            chunk_size=chunk_size,
            encoding=encoding,
            stdin=stdin,
            pty=pty,
            cols=cols,
            rows=rows,
            detach_grace_ms=grace,
        )
        state = p.ExecStreamState(
            self._id,
            p.StreamRequest("POST", p.session_path(self._id, "/exec/stream"), json=body),
            resume=bool(grace),
            cancel_on_exit=True,
        )
        return ExecStream(self._client, state)

    async def exec_background(
        self,
        cmd: str,
        *,
        timeout_ms: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdin: bool = False,
        pty: bool = False,
        cols: int | None = None,
        rows: int | None = None,
    ) -> ExecHandle:
        """Start ``cmd`` in the background and return at once with a handle to it.

        It starts once the commands queued before it have finished, in a subshell of the session's
        shell (it sees their ``cd`` and variables; its own do not change the session's state), and
        then runs beside the session's next commands. Nothing but its timeout or a cancel stops
        it: leaving its stream does not.

        Args:
            cmd: bash source.
            timeout_ms: kill it after this long; ``None``: the daemon's default.
            env: variables for this command only.
            cwd: working directory for this command only.
            stdin: give it an input to write with :meth:`ExecHandle.write_stdin`.
            pty: run it on a pseudo-terminal; see :meth:`exec`.
            cols: the terminal's width, with ``pty``.
            rows: the terminal's height, with ``pty``.

        Example:
            >>> server = await session.exec_background("python3 -m http.server 8000")
            >>> await session.exec("sleep 1; curl -s localhost:8000 | head -3")
            >>> await server.cancel()
        """
        body = p.exec_body(
            cmd,
            timeout_ms=timeout_ms,
            raw_output=False,
            env=env,
            cwd=cwd,
            stdin=stdin,
            pty=pty,
            cols=cols,
            rows=rows,
            background=True,
        )
        info = p.parse_exec_info(await self._client._request("POST", p.session_path(self._id, "/exec"), json=body))
        return ExecHandle(self, info.exec_id)

    def attach(
        self,
        exec: ExecRef,
        *,
        from_: int | None = None,
        encoding: Encoding | None = None,
        raw_output: bool | None = None,
        chunk_size: int | None = None,
    ) -> ExecStream:
        """Stream the output of a queued, running or finished command, from its start or after an event.

        Several streams may watch one command; they see the same chunks. The stream resumes by
        itself when its connection drops. Leaving it does not cancel the command (a foreground
        command whose last client left is killed by the daemon after its ``detach_grace_ms``).

        Args:
            exec: the command: its id, an :class:`ExecHandle` or an :class:`ExecStream`.
            from_: the last event id you have (an :attr:`ExecChunk.event_id`): exactly what
                follows it is sent. ``None``: the whole output.
            encoding: ``"utf8"`` or ``"base64"``; ``None``: as the command was started.
            raw_output: keep escapes and CRLF; ``None``: as the command was started.
            chunk_size: largest chunk; ``None``: as the command was started.

        Raises (while iterating):
            NotFoundError: no such command (or no longer listed).
            BadRequestError: ``from_`` is past the output so far.

        Example:
            >>> job = await session.exec_background("make all > /dev/null; echo built")
            >>> async for chunk in session.attach(job):
            ...     print(chunk.output, end="")
        """
        exec_id = _exec_id(exec)
        request = p.StreamRequest(
            "GET",
            p.exec_path(self._id, exec_id, "/stream"),
            params=p.attach_params(from_, encoding, raw_output, chunk_size),
        )
        state = p.ExecStreamState(self._id, request, resume=True, cancel_on_exit=False, exec_id=exec_id, after=from_)
        return ExecStream(self._client, state)

    async def list_execs(self) -> list[ExecInfo]:
        """The session's commands: queued and running ones, and the last finished ones (oldest first).

        Example:
            >>> for info in await session.list_execs():
            ...     print(info.exec_id, info.state, info.cmd)
        """
        return p.parse_exec_list(await self._client._request("GET", p.session_path(self._id, "/execs")))

    async def get_exec(self, exec: ExecRef) -> ExecInfo:
        """One command's :class:`ExecInfo`.

        Raises:
            NotFoundError: no such command (``EXEC_NOT_FOUND``), or it is no longer listed.

        Example:
            >>> info = await session.get_exec("ex_...")
            >>> print(info.state, info.exit_code)
        """
        return p.parse_exec_info(await self._client._request("GET", p.exec_path(self._id, _exec_id(exec))))

    async def cancel(self, exec: ExecRef) -> bool:
        """Cancel a running or queued command (its whole process tree is killed).

        Returns ``True`` if the command was cancelled, ``False`` if no such command is queued or
        running (it finished, or the id is unknown). The shell and its state survive.

        Example:
            >>> stream = session.exec_stream("sleep 600")
            >>> await stream.open()  # the command is accepted; stream.exec_id is known
            >>> await session.cancel(stream)
            True
        """
        try:
            await self._client._request("DELETE", p.exec_path(self._id, _exec_id(exec)))
        except NotFoundError:
            return False
        return True

    async def write_stdin(self, exec: ExecRef, data: str | bytes, *, close: bool = False) -> int:
        r"""Write to the input of a command started with ``stdin=True``; returns the bytes queued.

        Text is sent as UTF-8, bytes as they are; data over 1 MiB goes in several writes.
        ``close=True`` ends the input afterwards (the command reads end of file).

        Raises:
            ConflictError: ``NO_STDIN`` (not started with ``stdin=True``), ``STDIN_CLOSED``, or
                ``STDIN_FULL`` (the command has not read the 1 MiB already waiting for 5 s).

        Example:
            >>> job = await session.exec_background("read name; echo hi $name", stdin=True)
            >>> await session.write_stdin(job, "Ada\n")
            4
        """
        path = p.exec_path(self._id, _exec_id(exec), "/stdin")
        n = 0
        for body in p.stdin_bodies(data, close):
            n += p.parse_count(await self._client._request("POST", path, json=body), "bytes", "a stdin write")
        return n

    async def close_stdin(self, exec: ExecRef) -> None:
        """End a command's input: it reads end of file once it has read what was written.

        Example:
            >>> await session.close_stdin(job)
        """
        await self._client._request("POST", p.exec_path(self._id, _exec_id(exec), "/stdin"), json={"close": True})

    async def signal(self, exec: ExecRef, signal: str | _signal.Signals = "SIGINT") -> int:
        """Send a signal to a running command's processes (never the shell); returns how many got it.

        ``SIGINT`` acts like Ctrl-C: the program stops, the shell and its state stay. Names:
        ``SIGINT``, ``SIGTERM``, ``SIGKILL``, ``SIGHUP``, ``SIGQUIT``, ``SIGUSR1``, ``SIGUSR2``,
        ``SIGSTOP``, ``SIGCONT`` (with or without ``SIG``), or a :class:`signal.Signals` member.

        Raises:
            ConflictError: ``EXEC_NOT_RUNNING``: the command is queued or has ended.
            BadRequestError: an unknown signal name.

        Example:
            >>> await session.signal(job, "SIGINT")
            1
        """
        data = await self._client._request(
            "POST", p.exec_path(self._id, _exec_id(exec), "/signal"), json={"signal": p.signal_name(signal)}
        )
        return p.parse_count(data, "processes", "a signal result")

    async def resize(self, exec: ExecRef, cols: int, rows: int) -> None:
        """Change the terminal size of a running ``pty`` command; its programs get ``SIGWINCH``.

        Raises:
            ConflictError: ``NO_PTY`` (no terminal), or ``EXEC_NOT_RUNNING`` (not running, or its
                terminal is not open yet).

        Example:
            >>> await session.resize(job, 120, 40)
        """
        await self._client._request(
            "POST", p.exec_path(self._id, _exec_id(exec), "/resize"), json=p.resize_body(cols, rows)
        )

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

        A workspace it had mounted (``workspace_id``) keeps its files.

        Example:
            >>> await session.destroy()
        """
        await self._client._request("DELETE", p.session_path(self._id))

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


class Workspace(_Files):
    """A persistent workspace's files, without a session: get one from :meth:`SandboxClient.workspace`.

    It has the file methods of :class:`Session` (:meth:`write`, :meth:`read`, :meth:`upload`,
    :meth:`download`, :meth:`list_dir`, :meth:`stat`, :meth:`mkdir`, :meth:`remove`, ...), with
    the same paths: a session created with this ``workspace_id`` sees these files at ``/workspace``.

    Example:
        >>> ws = client.workspace("project-42")
        >>> await ws.upload("dataset.parquet")
        ['/workspace/dataset.parquet']
        >>> [e.name for e in await ws.list_dir()]
        ['dataset.parquet']
    """

    def __init__(self, client: SandboxClient, workspace_id: str) -> None:
        self._prefix = p.workspace_path(workspace_id)  # validates the id
        self._client = client
        self._id = workspace_id

    @property
    def id(self) -> str:
        """The workspace id."""
        return self._id

    async def delete(self) -> None:
        """Delete the workspace and its files; see :meth:`SandboxClient.delete_workspace`."""
        await self._client.delete_workspace(self._id)

    def __repr__(self) -> str:
        return f"Workspace(id={self._id!r})"


class ExecHandle:
    """A command of a session, by id: what :meth:`Session.exec_background` returns.

    Example:
        >>> job = await session.exec_background("sleep 2; echo finished")
        >>> info = await job.wait()
        >>> info.state, info.exit_code
        ('exited', 0)
    """

    __slots__ = ("_id", "_session")

    def __init__(self, session: Session, exec_id: str) -> None:
        p.exec_path(session.id, exec_id)  # validates the id
        self._session = session
        self._id = exec_id

    @property
    def id(self) -> str:
        """The command's exec id."""
        return self._id

    @property
    def session(self) -> Session:
        """The session the command runs in."""
        return self._session

    async def info(self) -> ExecInfo:
        """The command's current :class:`ExecInfo`."""
        return await self._session.get_exec(self._id)

    async def wait(self, *, timeout: float | None = None) -> ExecInfo:
        """Wait until the command has ended, whichever way, and return its final :class:`ExecInfo`.

        Look at ``state`` (``exited``, ``timed_out``, ``cancelled``, ``lost``) and ``exit_code``
        (``None`` unless it exited). It polls, at most once a second.

        Raises:
            TimeoutError: ``timeout`` seconds passed first (the command goes on).

        Example:
            >>> info = await job.wait(timeout=60)
            >>> print(info.exit_code)
        """
        delay = p.WAIT_POLL_FIRST_S
        with anyio.fail_after(timeout):
            while True:
                info = await self.info()
                if info.finished:
                    return info
                await anyio.sleep(delay)
                delay = min(delay * 2, p.WAIT_POLL_MAX_S)

    async def cancel(self) -> bool:
        """Kill the command's process tree; ``False`` if it is no longer queued or running."""
        return await self._session.cancel(self._id)

    async def write_stdin(self, data: str | bytes, *, close: bool = False) -> int:
        """Write to the command's input; see :meth:`Session.write_stdin`."""
        return await self._session.write_stdin(self._id, data, close=close)

    async def close_stdin(self) -> None:
        """End the command's input; see :meth:`Session.close_stdin`."""
        await self._session.close_stdin(self._id)

    async def signal(self, signal: str | _signal.Signals = "SIGINT") -> int:
        """Signal the command's processes; see :meth:`Session.signal`."""
        return await self._session.signal(self._id, signal)

    async def resize(self, cols: int, rows: int) -> None:
        """Resize the command's terminal; see :meth:`Session.resize`."""
        await self._session.resize(self._id, cols, rows)

    def stream(
        self,
        *,
        from_: int | None = None,
        encoding: Encoding | None = None,
        raw_output: bool | None = None,
        chunk_size: int | None = None,
    ) -> ExecStream:
        """Stream the command's output; see :meth:`Session.attach`."""
        return self._session.attach(
            self._id, from_=from_, encoding=encoding, raw_output=raw_output, chunk_size=chunk_size
        )

    def __repr__(self) -> str:
        return f"ExecHandle(session={self._session.id!r}, id={self._id!r})"


class ExecStream:
    """The async iterator :meth:`Session.exec_stream` and :meth:`Session.attach` return.

    Iterate it with ``async for``. To stop early and deterministically, use it as an async
    context manager or call :meth:`aclose`; dropping it mid-way (``break``) does the same as
    soon as the event loop runs again. Leaving a stream of ``exec_stream`` early cancels its
    command; leaving an attached stream does not.

    Example:
        >>> async with session.exec_stream("tail -f app.log") as stream:
        ...     async for chunk in stream:
        ...         if "ready" in chunk.output:
        ...             break
        >>> # here the stream is closed and tail is killed
    """

    __slots__ = ("_client", "_gen", "_state")

    def __init__(self, client: SandboxClient, state: p.ExecStreamState) -> None:
        self._client = client
        self._state = state
        # The generator must not refer back to this object: with no cycle, dropping the
        # stream (a `break` out of `async for`) frees the generator at once, and the event
        # loop's async-generator finalizer then closes it, which cancels the command.
        self._gen = _stream_chunks(client, state)

    @property
    def exec_id(self) -> str | None:
        """The daemon's id for the command, known once the stream has started."""
        return self._state.exec_id

    def __aiter__(self) -> ExecStream:
        return self

    def __anext__(self) -> Awaitable[ExecChunk]:
        # Hands out the generator's own awaitable: no extra coroutine per chunk.
        return self._gen.__anext__()

    async def open(self) -> str:
        r"""Send the request and wait for the daemon to accept the command; returns its exec id.

        Iterating does this by itself. Call it first when you need the id before any output,
        e.g. to :meth:`Session.write_stdin` to a command that prints nothing until it has input.

        Raises:
            NotFoundError, SessionGoneError, BadRequestError: as iterating would.

        Example:
            >>> stream = session.exec_stream("cat", stdin=True)
            >>> await session.write_stdin(await stream.open(), "hello\n", close=True)
            >>> [chunk.output async for chunk in stream]
            ['hello\n', '']
        """
        state = self._state
        if not state.started:
            state.announce = True
            try:
                first = await self._gen.__anext__()
            except StopAsyncIteration:
                raise RuntimeError("the stream is closed") from None
            finally:
                state.announce = False
            assert first is p.OPENED
        if state.exec_id is None:
            raise SandkastenError(
                "the daemon did not name the command (no X-Exec-Id header); check that base_url is a Sandkasten daemon"
            )
        return state.exec_id

    async def aclose(self) -> None:
        """Close the stream; for ``exec_stream``, cancel the command if it still runs."""
        await self._gen.aclose()

    async def cancel(self) -> bool:
        """Cancel the command on the daemon; the iteration then raises :class:`CommandCancelledError`.

        Unlike :meth:`aclose` this may be called from another task while one iterates.
        Returns ``False`` if the command has not started or has already finished.
        """
        if self._state.exec_id is None or self._state.finished:
            return False
        return await Session(self._client, self._state.session_id).cancel(self._state.exec_id)

    async def __aenter__(self) -> ExecStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


ExecRef: TypeAlias = str | ExecHandle | ExecStream
"""A command: its exec id, or an :class:`ExecHandle` or :class:`ExecStream` of it."""


def _exec_id(exec: ExecRef) -> str:
    if isinstance(exec, str):
        return exec
    if isinstance(exec, ExecHandle):
        return exec.id
    if isinstance(exec, ExecStream):
        if exec.exec_id is None:
            raise ValueError("the stream has not started yet: await stream.open() first to learn its exec id")
        return exec.exec_id
    raise TypeError(f"expected an exec id, an ExecHandle or an ExecStream, got {type(exec).__name__}")


async def _stream_chunks(client: SandboxClient, state: p.ExecStreamState) -> AsyncGenerator[ExecChunk, None]:
    try:
        while True:
            request = state.request()
            before = state.last_id
            error: Exception | None = None
            try:
                async with client._http.stream(
                    request.method,
                    request.path,
                    json=request.json,
                    params=request.params or None,
                    headers=request.headers or None,
                    timeout=client._resume_timeout if state.resume else httpx.USE_CLIENT_DEFAULT,
                ) as resp:
                    if resp.status_code != 200:
                        await resp.aread()
                        error = state.refused(p.error_from_response(resp.status_code, resp.content), resp.status_code)
                    else:
                        state.opened(resp.headers.get("x-exec-id"))
                        if state.announce:
                            state.announce = False
                            yield p.OPENED
                        feed = state.feed
                        async for raw in resp.aiter_bytes():
                            for chunk in feed(raw):
                                yield chunk
                        if state.finished:
                            return
            except httpx.TransportError as e:
                error = e
            # The connection broke, or the body ended, before the command's end.
            await anyio.sleep(state.retry_delay(error, client._base_url, request.path, before))
            state.resuming()
    finally:
        exec_id = state.to_cancel()
        if exec_id is not None:
            await client._cancel_quietly(state.session_id, exec_id)
