"""The synchronous client, for scripts and notebooks: the async surface without ``await``."""

from __future__ import annotations

import contextlib
import os
import signal as _signal
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from types import TracebackType
from typing import IO, Any, TypeAlias

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

__all__ = [
    "SyncExecHandle",
    "SyncExecRef",
    "SyncExecStream",
    "SyncSandboxClient",
    "SyncSession",
    "SyncWorkspace",
]


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
        detach_grace_ms: int | None = p.DEFAULT_DETACH_GRACE_MS,
    ) -> None:
        self._base_url, key = p.resolve_config(base_url, api_key)
        self._detach_grace_ms = p.check_detach_grace(detach_grace_ms)
        self._http = httpx.Client(
            base_url=self._base_url,
            headers={"Authorization": f"Bearer {key}", "User-Agent": f"sandkasten-python/{__version__}"},
            timeout=timeout,
        )
        self._exec_timeout = httpx.Timeout(timeout, read=None)
        # A resumable stream gives up on a silent connection sooner, to resume it within its grace.
        self._resume_timeout = httpx.Timeout(timeout, read=min(timeout, p.STREAM_SILENCE_S))

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

    def workspace(self, workspace_id: str) -> SyncWorkspace:
        """A persistent workspace's files without a session; see :meth:`SandboxClient.workspace`.

        Example:
            >>> client.workspace("project-42").write("notes.md", "# Notes")
        """
        return SyncWorkspace(self, workspace_id)

    def list_workspaces(self) -> list[WorkspaceInfo]:
        """The persistent workspaces, oldest first.

        Example:
            >>> [ws.id for ws in client.list_workspaces()]
        """
        return p.parse_workspaces(self._request("GET", "/v1/workspaces"))

    def delete_workspace(self, workspace_id: str) -> None:
        """Delete a workspace and its files; see :meth:`SandboxClient.delete_workspace`.

        Example:
            >>> client.delete_workspace("project-42")
        """
        self._request("DELETE", p.workspace_path(workspace_id))

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
        params: Mapping[str, str] | None = None,
        content: bytes | Iterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> Any:
        try:
            resp = self._http.request(
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

    def _cancel_quietly(self, session_id: str, exec_id: str) -> None:
        # The daemon kills a disconnected stream's command by itself, after its detach grace.
        with contextlib.suppress(httpx.HTTPError, RuntimeError):
            self._http.delete(p.exec_path(session_id, exec_id), timeout=p.CANCEL_TIMEOUT_S)


class _SyncFiles:
    """The file methods a :class:`SyncSession` and a :class:`SyncWorkspace` share (see :class:`Session`)."""

    _client: SyncSandboxClient
    _prefix: str

    def write(self, path: str, content: str | bytes) -> WriteResult:
        """Write a whole file (text as UTF-8), creating parent directories; see :meth:`Session.write`.

        Example:
            >>> session.write("hello.py", "print('hi')").size
            11
        """
        data = p.file_bytes(content)
        return p.parse_write_result(
            self._client._request("PUT", self._prefix + "/fs/raw", params={"path": p.file_path(path)}, content=data)
        )

    def read(self, path: str, *, max_bytes: int | None = None) -> ReadResult:
        """Read a file (at most 16 MiB, or its first ``max_bytes``); see :meth:`Session.read`.

        Example:
            >>> session.read("output.txt").content
        """
        params = p.read_params(path, max_bytes)
        return p.parse_read_result(self._client._request("GET", self._prefix + "/fs/read", params=params))

    def read_bytes(self, path: str) -> bytes:
        r"""A file's bytes, of any size (streamed from the raw route).

        Example:
            >>> session.read_bytes("plot.png")[:4]
            b'\x89PNG'
        """
        chunks: list[bytes] = []
        self._download(path, chunks.append)
        return b"".join(chunks)

    def read_text(self, path: str, *, encoding: str = "utf-8", errors: str = "strict") -> str:
        """A file's text, decoded with ``encoding``.

        Example:
            >>> print(session.read_text("results.csv"))
        """
        return self.read_bytes(path).decode(encoding, errors)

    def upload(
        self,
        file: str | os.PathLike[str] | IO[bytes],
        *,
        dest_path: str = "/workspace",
        filename: str | None = None,
    ) -> list[str]:
        """Upload a local file, streamed, to ``dest_path/<its name>``; see :meth:`Session.upload`.

        Example:
            >>> session.upload("data.csv", dest_path="/workspace/input")
            ['/workspace/input/data.csv']
        """
        if isinstance(file, (str, os.PathLike)):
            local = os.fspath(file)
            target = p.upload_target(dest_path, filename or os.path.basename(local))
            with open(local, "rb") as f:
                written = self._upload_stream(target, f)
        elif hasattr(file, "read"):
            name = filename or getattr(file, "name", None)
            if not isinstance(name, str) or not name:
                raise ValueError("pass filename=... to upload a file object that has no name")
            written = self._upload_stream(p.upload_target(dest_path, name), file)
        else:
            raise TypeError(f"file must be a path or a binary file object, got {type(file).__name__}")
        return [written.path]

    def download(self, path: str, dest: str | os.PathLike[str] | IO[bytes]) -> int:
        """Download a file, streamed, to a local path or a binary file object; see :meth:`Session.download`.

        Example:
            >>> session.download("results/model.bin", "model.bin")
            52428800
        """
        if not isinstance(dest, (str, os.PathLike)):
            if not hasattr(dest, "write"):
                raise TypeError(f"dest must be a path or a binary file object, got {type(dest).__name__}")
            return self._download(path, dest.write)
        local = os.fspath(dest)
        ok = False
        try:
            with open(local, "wb") as f:
                n = self._download(path, f.write)
            ok = True
            return n
        finally:
            if not ok:
                with contextlib.suppress(OSError):
                    os.unlink(local)

    def list_dir(self, path: str = "/workspace") -> list[FileEntry]:
        """The entries of a directory, sorted by name.

        Example:
            >>> [e.name for e in session.list_dir()]
        """
        return p.parse_listing(
            self._client._request("GET", self._prefix + "/fs/list", params={"path": p.file_path(path)})
        )

    def stat(self, path: str) -> FileEntry:
        """One file's or directory's entry.

        Example:
            >>> session.stat("data.csv").size
        """
        return p.parse_entry(
            self._client._request("GET", self._prefix + "/fs/stat", params={"path": p.file_path(path)})
        )

    def exists(self, path: str) -> bool:
        """Whether anything is at ``path``; see :meth:`Session.exists`.

        Example:
            >>> session.exists("venv")
            False
        """
        try:
            self.stat(path)
        except NotFoundError as e:
            if e.code == "SESSION_NOT_FOUND":
                raise
            return False
        return True

    def mkdir(self, path: str) -> str:
        """Create a directory and its parents; returns its absolute path.

        Example:
            >>> session.mkdir("out/plots")
            '/workspace/out/plots'
        """
        data = self._client._request("POST", self._prefix + "/fs/mkdir", json={"path": p.file_path(path)})
        return str(data.get("path", path)) if isinstance(data, dict) else path

    def remove(self, path: str) -> None:
        """Delete a file, or a directory with everything in it.

        Example:
            >>> session.remove("build")
        """
        self._client._request("DELETE", self._prefix + "/fs", params={"path": p.file_path(path)})

    def _upload_stream(self, target: str, f: IO[bytes]) -> WriteResult:
        size = p.remaining_size(f)
        headers = {"Content-Length": str(size)} if size is not None else None

        def chunks() -> Iterator[bytes]:
            while data := f.read(p.TRANSFER_CHUNK_BYTES):
                yield data

        return p.parse_write_result(
            self._client._request(
                "PUT", self._prefix + "/fs/raw", params={"path": target}, content=chunks(), headers=headers
            )
        )

    def _download(self, path: str, sink: Callable[[bytes], object]) -> int:
        route = self._prefix + "/fs/raw"
        client = self._client
        n = 0
        try:
            with client._http.stream("GET", route, params={"path": p.file_path(path)}) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise p.error_from_response(resp.status_code, resp.content)
                for data in resp.iter_bytes(p.TRANSFER_CHUNK_BYTES):
                    sink(data)
                    n += len(data)
        except httpx.TransportError as e:
            raise p.connection_error(client._base_url, "GET", route, e) from e
        return n


class SyncSession(_SyncFiles):
    """A session of :class:`SyncSandboxClient`; same methods as :class:`Session`, without ``await``.

    Example:
        >>> with client.create_session() as session:
        ...     print(session.exec("uname -a").output)
    """

    def __init__(self, client: SyncSandboxClient, session_id: str) -> None:
        self._prefix = p.session_path(session_id)
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
        pty: bool = False,
        cols: int | None = None,
        rows: int | None = None,
    ) -> ExecResult:
        """Run ``cmd`` and wait for it; see :meth:`Session.exec`.

        Example:
            >>> result = session.exec("cd /tmp && pwd")
            >>> result.cwd
            '/tmp'
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
        stdin: bool = False,
        pty: bool = False,
        cols: int | None = None,
        rows: int | None = None,
        detach_grace_ms: int | None = None,
    ) -> SyncExecStream:
        """Run ``cmd`` and iterate over its output as it is written; see :meth:`Session.exec_stream`.

        Leaving the ``for`` loop early (``break`` or an exception) closes the stream and
        cancels the command before the next statement runs. A dropped connection is resumed.

        Example:
            >>> for chunk in session.exec_stream("pip list"):
            ...     print(chunk.output, end="")
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
        return SyncExecStream(self._client, state)

    def exec_background(
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
    ) -> SyncExecHandle:
        """Start ``cmd`` in the background and return at once; see :meth:`Session.exec_background`.

        Example:
            >>> job = session.exec_background("sleep 5; echo done")
            >>> job.wait().exit_code
            0
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
        info = p.parse_exec_info(self._client._request("POST", p.session_path(self._id, "/exec"), json=body))
        return SyncExecHandle(self, info.exec_id)

    def attach(
        self,
        exec: SyncExecRef,
        *,
        from_: int | None = None,
        encoding: Encoding | None = None,
        raw_output: bool | None = None,
        chunk_size: int | None = None,
    ) -> SyncExecStream:
        """Stream a command's output, from its start or after an event id; see :meth:`Session.attach`.

        Example:
            >>> for chunk in session.attach(job):
            ...     print(chunk.output, end="")
        """
        exec_id = _exec_id(exec)
        request = p.StreamRequest(
            "GET",
            p.exec_path(self._id, exec_id, "/stream"),
            params=p.attach_params(from_, encoding, raw_output, chunk_size),
        )
        state = p.ExecStreamState(self._id, request, resume=True, cancel_on_exit=False, exec_id=exec_id, after=from_)
        return SyncExecStream(self._client, state)

    def list_execs(self) -> list[ExecInfo]:
        """The session's queued, running and recent commands, oldest first.

        Example:
            >>> [(e.exec_id, e.state) for e in session.list_execs()]
        """
        return p.parse_exec_list(self._client._request("GET", p.session_path(self._id, "/execs")))

    def get_exec(self, exec: SyncExecRef) -> ExecInfo:
        """One command's :class:`ExecInfo`.

        Example:
            >>> session.get_exec("ex_...").state
            'running'
        """
        return p.parse_exec_info(self._client._request("GET", p.exec_path(self._id, _exec_id(exec))))

    def cancel(self, exec: SyncExecRef) -> bool:
        """Cancel a queued or running command; ``False`` if no such command is queued or running.

        Example:
            >>> session.cancel("ex_...")
        """
        try:
            self._client._request("DELETE", p.exec_path(self._id, _exec_id(exec)))
        except NotFoundError:
            return False
        return True

    def write_stdin(self, exec: SyncExecRef, data: str | bytes, *, close: bool = False) -> int:
        r"""Write to a command's input; see :meth:`Session.write_stdin`.

        Example:
            >>> session.write_stdin(job, "yes\n")
            4
        """
        path = p.exec_path(self._id, _exec_id(exec), "/stdin")
        n = 0
        for body in p.stdin_bodies(data, close):
            n += p.parse_count(self._client._request("POST", path, json=body), "bytes", "a stdin write")
        return n

    def close_stdin(self, exec: SyncExecRef) -> None:
        """End a command's input.

        Example:
            >>> session.close_stdin(job)
        """
        self._client._request("POST", p.exec_path(self._id, _exec_id(exec), "/stdin"), json={"close": True})

    def signal(self, exec: SyncExecRef, signal: str | _signal.Signals = "SIGINT") -> int:
        """Signal a running command's processes; see :meth:`Session.signal`.

        Example:
            >>> session.signal(job, "SIGTERM")
            1
        """
        data = self._client._request(
            "POST", p.exec_path(self._id, _exec_id(exec), "/signal"), json={"signal": p.signal_name(signal)}
        )
        return p.parse_count(data, "processes", "a signal result")

    def resize(self, exec: SyncExecRef, cols: int, rows: int) -> None:
        """Change a ``pty`` command's terminal size.

        Example:
            >>> session.resize(job, 120, 40)
        """
        self._client._request("POST", p.exec_path(self._id, _exec_id(exec), "/resize"), json=p.resize_body(cols, rows))

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
        """Destroy the session and everything in it (a mounted workspace keeps its files).

        Example:
            >>> session.destroy()
        """
        self._client._request("DELETE", p.session_path(self._id))

    def __enter__(self) -> SyncSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(NotFoundError, SessionGoneError):
            self.destroy()

    def __repr__(self) -> str:
        return f"SyncSession(id={self._id!r})"


class SyncWorkspace(_SyncFiles):
    """A workspace's files without a session; same methods as :class:`Workspace`, without ``await``.

    Example:
        >>> ws = client.workspace("project-42")
        >>> ws.write("README.md", "# Project")
        >>> [e.name for e in ws.list_dir()]
        ['README.md']
    """

    def __init__(self, client: SyncSandboxClient, workspace_id: str) -> None:
        self._prefix = p.workspace_path(workspace_id)
        self._client = client
        self._id = workspace_id

    @property
    def id(self) -> str:
        """The workspace id."""
        return self._id

    def delete(self) -> None:
        """Delete the workspace and its files."""
        self._client.delete_workspace(self._id)

    def __repr__(self) -> str:
        return f"SyncWorkspace(id={self._id!r})"


class SyncExecHandle:
    """A command of a session, by id; same methods as :class:`ExecHandle`, without ``await``.

    Example:
        >>> job = session.exec_background("sleep 2; echo finished")
        >>> job.wait().exit_code
        0
    """

    __slots__ = ("_id", "_session")

    def __init__(self, session: SyncSession, exec_id: str) -> None:
        p.exec_path(session.id, exec_id)
        self._session = session
        self._id = exec_id

    @property
    def id(self) -> str:
        """The command's exec id."""
        return self._id

    @property
    def session(self) -> SyncSession:
        """The session the command runs in."""
        return self._session

    def info(self) -> ExecInfo:
        """The command's current :class:`ExecInfo`."""
        return self._session.get_exec(self._id)

    def wait(self, *, timeout: float | None = None) -> ExecInfo:
        """Wait until the command has ended and return its final :class:`ExecInfo`; see :meth:`ExecHandle.wait`.

        Raises:
            TimeoutError: ``timeout`` seconds passed first (the command goes on).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = p.WAIT_POLL_FIRST_S
        while True:
            info = self.info()
            if info.finished:
                return info
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"exec {self._id} is still {info.state} after {timeout} s")
                delay = min(delay, left)
            time.sleep(delay)
            delay = min(delay * 2, p.WAIT_POLL_MAX_S)

    def cancel(self) -> bool:
        """Kill the command's process tree; ``False`` if it is no longer queued or running."""
        return self._session.cancel(self._id)

    def write_stdin(self, data: str | bytes, *, close: bool = False) -> int:
        """Write to the command's input; see :meth:`Session.write_stdin`."""
        return self._session.write_stdin(self._id, data, close=close)

    def close_stdin(self) -> None:
        """End the command's input."""
        self._session.close_stdin(self._id)

    def signal(self, signal: str | _signal.Signals = "SIGINT") -> int:
        """Signal the command's processes; see :meth:`Session.signal`."""
        return self._session.signal(self._id, signal)

    def resize(self, cols: int, rows: int) -> None:
        """Resize the command's terminal."""
        self._session.resize(self._id, cols, rows)

    def stream(
        self,
        *,
        from_: int | None = None,
        encoding: Encoding | None = None,
        raw_output: bool | None = None,
        chunk_size: int | None = None,
    ) -> SyncExecStream:
        """Stream the command's output; see :meth:`Session.attach`."""
        return self._session.attach(
            self._id, from_=from_, encoding=encoding, raw_output=raw_output, chunk_size=chunk_size
        )

    def __repr__(self) -> str:
        return f"SyncExecHandle(session={self._session.id!r}, id={self._id!r})"


class SyncExecStream:
    """The iterator :meth:`SyncSession.exec_stream` and :meth:`SyncSession.attach` return.

    ``close()`` or ``with`` stop it early; for ``exec_stream`` that cancels the command.

    Example:
        >>> with session.exec_stream("tail -f app.log") as stream:
        ...     for chunk in stream:
        ...         if "ready" in chunk.output:
        ...             break
    """

    __slots__ = ("_client", "_gen", "_state")

    def __init__(self, client: SyncSandboxClient, state: p.ExecStreamState) -> None:
        self._client = client
        self._state = state
        # No reference back to self, so dropping the stream finalizes the generator at once.
        self._gen = _stream_chunks(client, state)

    @property
    def exec_id(self) -> str | None:
        """The daemon's id for the command, known once the stream has started."""
        return self._state.exec_id

    def __iter__(self) -> SyncExecStream:
        return self

    def __next__(self) -> ExecChunk:
        return next(self._gen)

    def open(self) -> str:
        r"""Send the request and wait for the daemon to accept the command; returns its exec id.

        See :meth:`ExecStream.open`.

        Example:
            >>> stream = session.exec_stream("cat", stdin=True)
            >>> session.write_stdin(stream.open(), "hello\n", close=True)
            >>> "".join(chunk.output for chunk in stream)
            'hello\n'
        """
        state = self._state
        if not state.started:
            state.announce = True
            try:
                first = next(self._gen)
            except StopIteration:
                raise RuntimeError("the stream is closed") from None
            finally:
                state.announce = False
            assert first is p.OPENED
        if state.exec_id is None:
            raise SandkastenError(
                "the daemon did not name the command (no X-Exec-Id header); check that base_url is a Sandkasten daemon"
            )
        return state.exec_id

    def close(self) -> None:
        """Close the stream; for ``exec_stream``, cancel the command if it still runs."""
        self._gen.close()

    def cancel(self) -> bool:
        """Cancel the command on the daemon, e.g. from another thread.

        The iteration then raises :class:`CommandCancelledError`. Returns ``False`` if the
        command has not started or has already finished.
        """
        if self._state.exec_id is None or self._state.finished:
            return False
        return SyncSession(self._client, self._state.session_id).cancel(self._state.exec_id)

    def __enter__(self) -> SyncExecStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


SyncExecRef: TypeAlias = str | SyncExecHandle | SyncExecStream
"""A command: its exec id, or a :class:`SyncExecHandle` or :class:`SyncExecStream` of it."""


def _exec_id(exec: SyncExecRef) -> str:
    if isinstance(exec, str):
        return exec
    if isinstance(exec, SyncExecHandle):
        return exec.id
    if isinstance(exec, SyncExecStream):
        if exec.exec_id is None:
            raise ValueError("the stream has not started yet: call stream.open() first to learn its exec id")
        return exec.exec_id
    raise TypeError(f"expected an exec id, a SyncExecHandle or a SyncExecStream, got {type(exec).__name__}")


def _stream_chunks(client: SyncSandboxClient, state: p.ExecStreamState) -> Generator[ExecChunk, None, None]:
    # The same loop as the async client's _stream_chunks; see there.
    try:
        while True:
            request = state.request()
            before = state.last_id
            error: Exception | None = None
            try:
                with client._http.stream(
                    request.method,
                    request.path,
                    json=request.json,
                    params=request.params or None,
                    headers=request.headers or None,
                    timeout=client._resume_timeout if state.resume else httpx.USE_CLIENT_DEFAULT,
                ) as resp:
                    if resp.status_code != 200:
                        resp.read()
                        error = state.refused(p.error_from_response(resp.status_code, resp.content), resp.status_code)
                    else:
                        state.opened(resp.headers.get("x-exec-id"))
                        if state.announce:
                            state.announce = False
                            yield p.OPENED
                        feed = state.feed
                        for raw in resp.iter_bytes():
                            yield from feed(raw)
                        if state.finished:
                            return
            except httpx.TransportError as e:
                error = e
            time.sleep(state.retry_delay(error, client._base_url, request.path, before))
            state.resuming()
    finally:
        exec_id = state.to_cancel()
        if exec_id is not None:
            client._cancel_quietly(state.session_id, exec_id)
