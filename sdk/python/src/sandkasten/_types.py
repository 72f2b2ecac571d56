"""The values the SDK returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ExecChunk",
    "ExecInfo",
    "ExecResult",
    "ExecState",
    "FileEntry",
    "FileType",
    "ReadResult",
    "SessionInfo",
    "SessionStats",
    "WorkspaceInfo",
    "WriteResult",
]


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
    r"""One piece of a streaming command: output, a gap, or (``done=True``) its completion.

    Output chunks carry ``output``, ``stream`` and ``timestamp``; the last chunk has
    ``done=True``, an empty ``output`` and the command's ``exit_code``, ``cwd`` and
    ``duration_ms``, which are ``None`` on the chunks before it. A chunk with ``gap_bytes > 0``
    (and empty ``output``) says the daemon dropped that much output here (see :attr:`gap_bytes`).
    :attr:`kind` tells the three apart.

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
    event_id: int | None = None
    """The stream's event id: the offset in the command's output log where this chunk ends.
    Pass it to :meth:`Session.attach` as ``from_`` to get exactly what follows it."""
    gap_bytes: int = 0
    """On a gap chunk: how many bytes of output the daemon dropped here, because nobody was
    reading them when its retention cap (``exec_log_max_bytes``) was reached. ``0`` otherwise."""

    @property
    def kind(self) -> Literal["output", "gap", "done"]:
        """``"output"``, ``"gap"`` (output was dropped here) or ``"done"`` (the last chunk)."""
        if self.done:
            return "done"
        return "gap" if self.gap_bytes else "output"


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


ExecState = Literal["queued", "running", "exited", "timed_out", "cancelled", "lost"]
"""A command's state, as :attr:`ExecInfo.state` reports it."""


@dataclass(slots=True)
class ExecInfo:
    """What the daemon knows about one command of a session (queued, running or finished).

    Example:
        >>> for info in await session.list_execs():
        ...     print(info.exec_id, info.state, info.exit_code, info.cmd)
    """

    exec_id: str
    """The command's id (``ex_...``)."""
    cmd: str
    """The command's first 1024 characters (``cmd_truncated`` says whether it was cut)."""
    state: ExecState
    """``queued``, ``running``, ``exited`` (ran to its end), ``timed_out``, ``cancelled``
    (by a cancel, or because its streaming client went away) or ``lost`` (the sandbox died)."""
    created_at: str
    """RFC 3339 UTC timestamp of submission."""
    timeout_ms: int
    """The command's timeout."""
    exit_code: int | None = None
    """The exit status; ``None`` unless ``state`` is ``exited``."""
    cwd: str | None = None
    """The working directory after the command (where it started, for a background one);
    ``None`` unless ``state`` is ``exited``."""
    started_at: str | None = None
    """When it started; ``None`` while queued."""
    finished_at: str | None = None
    """When it ended; ``None`` until then."""
    duration_ms: int | None = None
    """How long it ran (so far, while running); ``None`` while queued."""
    stdout_bytes: int = 0
    """Bytes it wrote to stdout so far."""
    stderr_bytes: int = 0
    """Bytes it wrote to stderr so far."""
    background: bool = False
    """Whether it was started with ``background``."""
    pty: bool = False
    """Whether it runs on a pseudo-terminal."""
    state_lost: bool = False
    """It ended the shell itself, and a fresh shell replaced it."""
    cmd_truncated: bool = False
    """Whether ``cmd`` is only the start of the command."""

    @property
    def finished(self) -> bool:
        """True once the command has ended, whichever way."""
        return self.state not in ("queued", "running")


FileType = Literal["file", "directory", "symlink", "other"]
"""The kind of a file system entry, as :attr:`FileEntry.type` reports it."""


@dataclass(slots=True)
class FileEntry:
    """A file or directory in a session's or a workspace's ``/workspace``.

    Example:
        >>> for entry in await session.list_dir("/workspace"):
        ...     print(entry.type, entry.size, entry.name)
    """

    name: str
    """The last component of the path."""
    path: str
    """The normalised absolute path (``/workspace/...``)."""
    type: FileType
    """``file``, ``directory``, ``symlink`` or ``other``."""
    size: int
    """Size in bytes."""
    modified_at: str
    """RFC 3339 UTC timestamp of the last modification."""
    mode: str
    """Permission bits in octal, e.g. ``"0644"``."""


@dataclass(slots=True)
class WriteResult:
    r"""What a write or upload created.

    Example:
        >>> written = await session.write("notes.txt", "hello\n")
        >>> written.path, written.size
        ('/workspace/notes.txt', 6)
    """

    path: str
    """The normalised absolute path of the file written."""
    size: int
    """Bytes written."""


@dataclass(slots=True)
class ReadResult:
    """A file read with :meth:`Session.read` (at most the daemon's ``max_read_bytes``, 16 MiB).

    Example:
        >>> result = await session.read("big.log", max_bytes=1000)
        >>> result.content[:10], result.truncated, result.size
    """

    content: bytes
    """The file's bytes (its first ``max_bytes`` when that was given)."""
    path: str
    """The normalised absolute path."""
    truncated: bool
    """Whether ``content`` is only the start of the file."""
    size: int = 0
    """The file's whole size in bytes."""


@dataclass(slots=True)
class WorkspaceInfo:
    """A persistent workspace, as :meth:`SandboxClient.list_workspaces` reports it.

    Example:
        >>> for ws in await client.list_workspaces():
        ...     print(ws.id, ws.created_at, ws.sessions)
    """

    id: str
    """The workspace id."""
    created_at: str
    """RFC 3339 UTC timestamp of creation."""
    sessions: int = 0
    """Live sessions that have it mounted now."""
