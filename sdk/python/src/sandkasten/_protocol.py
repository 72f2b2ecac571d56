"""The wire protocol without I/O, shared by the async and the sync client.

Requests are described here, answers are turned into values or exceptions here, and the
Server-Sent Events of a streaming exec are decoded here; the clients only move bytes.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal as _signal
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import quote

import httpx

from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CommandCancelledError,
    CommandTimeoutError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    QuotaExceededError,
    SandkastenConnectionError,
    SandkastenError,
    ServiceUnavailableError,
    SessionGoneError,
    StreamError,
)
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

# 127.0.0.1 rather than localhost: localhost may resolve to ::1 first, where the daemon does not listen.
DEFAULT_BASE_URL = "http://127.0.0.1:8080"

# Seconds for the whole of an ordinary request (the daemon answers them at once).
DEFAULT_TIMEOUT_S = 120.0

# A cancel is a small request to a local daemon; it must not hold up the code that leaves a stream.
CANCEL_TIMEOUT_S = 5.0

# The longest SSE line or event accepted: the daemon's largest event is a few MiB, so more means
# the peer is not a Sandkasten daemon (the Java and TypeScript SDKs use the same limit).
MAX_EVENT_BYTES = 64 << 20

# How much output a stream keeps for CommandTimeoutError.output. The daemon keeps 1 MiB of a
# blocking command's output by default; the stream keeps the same amount (its most recent part).
TIMEOUT_OUTPUT_KEEP = 1 << 20

# How long a streaming command outlives a dropped connection, waiting for the SDK to resume it
# (sent as detach_grace_ms). Long enough for a few reconnects over a bad network; a consumer that
# stops early still cancels at once, so the grace never keeps an abandoned command alive.
DEFAULT_DETACH_GRACE_MS = 30_000

# The longest silence a resumable stream tolerates before it takes its connection for dead and
# resumes on a new one. The daemon writes at least an SSE comment every second, so only a broken
# connection (a network path that lost it without a reset) is this quiet; it must be noticed well
# within the command's detach grace.
STREAM_SILENCE_S = 15.0

# Pauses before the reconnects of a dropped stream, in seconds. Once they are used up without the
# stream making progress, it ends with StreamError; a reconnect that delivers events starts over.
RESUME_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)

# The largest stdin write the daemon takes in one request; larger data is sent in pieces.
STDIN_PIECE_BYTES = 1 << 20

# Reads and writes of file transfers.
TRANSFER_CHUNK_BYTES = 1 << 20

# ExecHandle.wait polls the command's state: first after this many seconds, then twice as long
# each time up to the cap, so short commands return quickly and long ones cost a request a second.
WAIT_POLL_FIRST_S = 0.02
WAIT_POLL_MAX_S = 1.0

_loads = json.loads
_raw_decode = json.JSONDecoder().raw_decode


def resolve_config(base_url: str | None, api_key: str | None) -> tuple[str, str]:
    """Fill in ``base_url`` and ``api_key`` from the environment and check them."""
    url = base_url if base_url is not None else os.environ.get("SANDKASTEN_URL") or DEFAULT_BASE_URL
    key = api_key if api_key is not None else os.environ.get("SANDKASTEN_API_KEY")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(
            f"base_url must be an http:// or https:// URL of the Sandkasten daemon, got {url!r}; "
            "pass base_url=... or set SANDKASTEN_URL"
        )
    if not key or not isinstance(key, str):
        raise ValueError(
            "no API key: pass api_key=... or set SANDKASTEN_API_KEY to the daemon's key "
            "(the daemon prints a generated key on its first start and stores it in <data dir>/api-key)"
        )
    return url.rstrip("/"), key


def session_path(session_id: str, suffix: str = "") -> str:
    """``/v1/sessions/{id}{suffix}`` with the id escaped, so no id can address another route."""
    if not isinstance(session_id, str) or not session_id:
        raise ValueError(f"session_id must be a non-empty string, got {session_id!r}")
    return f"/v1/sessions/{quote(session_id, safe='')}{suffix}"


def exec_path(session_id: str, exec_id: str, suffix: str = "") -> str:
    """``/v1/sessions/{id}/execs/{exec_id}{suffix}``: one command's resource (GET, DELETE cancels)."""
    if not isinstance(exec_id, str) or not exec_id:
        raise ValueError(f"exec_id must be a non-empty string, got {exec_id!r}")
    return session_path(session_id, f"/execs/{quote(exec_id, safe='')}{suffix}")


def workspace_path(workspace_id: str, suffix: str = "") -> str:
    """``/v1/workspaces/{id}{suffix}`` with the id escaped."""
    if not isinstance(workspace_id, str) or not workspace_id:
        raise ValueError(f"workspace_id must be a non-empty string, got {workspace_id!r}")
    return f"/v1/workspaces/{quote(workspace_id, safe='')}{suffix}"


def _positive_int(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int or None, got {value!r}")


def _non_negative_int(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0 or None, got {value!r}")


def check_detach_grace(value: object) -> int | None:
    """A client's or a call's ``detach_grace_ms``, checked."""
    _non_negative_int("detach_grace_ms", value)
    return value  # type: ignore[return-value]


def exec_body(
    cmd: str,
    *,
    timeout_ms: int | None,
    raw_output: bool,
    env: Mapping[str, str] | None,
    cwd: str | None,
    chunk_size: int | None = None,
    encoding: Encoding | None = None,
    stdin: bool = False,
    pty: bool = False,
    cols: int | None = None,
    rows: int | None = None,
    background: bool = False,
    detach_grace_ms: int | None = None,
) -> dict[str, Any]:
    """The JSON body of a blocking, streaming or background exec, checked before it is sent."""
    check_encoding(encoding)
    if not isinstance(cmd, str):
        raise TypeError(f"cmd must be a str of bash source, got {type(cmd).__name__}")
    _positive_int("timeout_ms", timeout_ms)
    _positive_int("chunk_size", chunk_size)
    _positive_int("cols", cols)
    _positive_int("rows", rows)
    _non_negative_int("detach_grace_ms", detach_grace_ms)
    if (cols is not None or rows is not None) and not pty:
        raise ValueError("cols and rows set the size of a terminal: pass pty=True as well")
    body: dict[str, Any] = {"cmd": cmd}
    if timeout_ms is not None:
        body["timeout_ms"] = timeout_ms
    if raw_output:
        body["raw_output"] = True
    if env is not None:
        body["env"] = dict(env)
    if cwd is not None:
        body["cwd"] = cwd
    if chunk_size is not None:
        body["chunk_size"] = chunk_size
    if encoding is not None:
        body["encoding"] = encoding
    if stdin:
        body["stdin"] = True
    if pty:
        body["pty"] = True
        if cols is not None:
            body["cols"] = cols
        if rows is not None:
            body["rows"] = rows
    if background:
        body["background"] = True
    if detach_grace_ms is not None:
        body["detach_grace_ms"] = detach_grace_ms
    return body


def check_encoding(encoding: object) -> None:
    """``encoding`` must be one the daemon knows."""
    if encoding not in (None, "utf8", "base64"):
        raise ValueError(f"encoding must be 'utf8', 'base64' or None, got {encoding!r}")


def attach_params(
    from_: int | None, encoding: Encoding | None, raw_output: bool | None, chunk_size: int | None
) -> dict[str, str]:
    """The query of ``GET .../execs/{id}/stream``; what is left out stays as the command was started."""
    check_encoding(encoding)
    _non_negative_int("from_", from_)
    _positive_int("chunk_size", chunk_size)
    params: dict[str, str] = {}
    if from_ is not None:
        params["from"] = str(from_)
    if encoding is not None:
        params["encoding"] = encoding
    if raw_output is not None:
        params["raw_output"] = "true" if raw_output else "false"
    if chunk_size is not None:
        params["chunk_size"] = str(chunk_size)
    return params


def stdin_bodies(data: str | bytes, close: bool) -> list[dict[str, Any]]:
    """The bodies of ``POST .../stdin`` that write ``data`` (in pieces the daemon takes) and maybe close.

    Text goes as text when it fits one request. Anything else goes as base64 pieces of at most
    :data:`STDIN_PIECE_BYTES`: raw bytes, so a piece may end inside a character without harm.
    """
    if isinstance(data, str):
        raw = data.encode()
        if len(raw) <= STDIN_PIECE_BYTES:
            return [{"data": data, "close": close}] if data or close else []
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise TypeError(f"data must be str or bytes, got {type(data).__name__}")
    pieces = [raw[i : i + STDIN_PIECE_BYTES] for i in range(0, len(raw), STDIN_PIECE_BYTES)]
    bodies: list[dict[str, Any]] = [
        {"data": base64.b64encode(piece).decode("ascii"), "encoding": "base64", "close": False} for piece in pieces
    ]
    if close:
        if bodies:
            bodies[-1]["close"] = True
        else:
            bodies.append({"close": True})
    return bodies


def signal_name(sig: str | _signal.Signals) -> str:
    """A signal for ``POST .../signal``: a name (``"SIGINT"``, ``"int"``) or a :class:`signal.Signals`."""
    if isinstance(sig, _signal.Signals):
        return sig.name
    if isinstance(sig, str) and sig.strip():
        return sig.strip()
    raise ValueError(f"signal must be a name such as 'SIGINT' or a signal.Signals member, got {sig!r}")


def resize_body(cols: int, rows: int) -> dict[str, int]:
    """The body of ``POST .../resize``."""
    for name, value in (("cols", cols), ("rows", rows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    return {"cols": cols, "rows": rows}


def file_path(path: object) -> str:
    """A path inside ``/workspace`` for the file routes; the daemon checks the rest."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise ValueError(
            f"path must be a non-empty string (relative to /workspace, or absolute below it), got {path!r}"
        )
    return path


def read_params(path: object, max_bytes: object) -> dict[str, str]:
    """The query of a whole-file read: the path and, if given, how many bytes at most."""
    _non_negative_int("max_bytes", max_bytes)
    params = {"path": file_path(path)}
    if max_bytes is not None:
        params["max_bytes"] = str(max_bytes)
    return params


def file_bytes(content: object) -> bytes:
    """A whole file's content: text as UTF-8, bytes as they are."""
    if isinstance(content, str):
        return content.encode()
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    raise TypeError(f"content must be str or bytes, got {type(content).__name__}; use upload() for files")


def upload_target(dest_path: str, name: str) -> str:
    """Where :meth:`upload` writes a file: ``dest_path/name``, as the contract's multipart upload does."""
    base = file_path(dest_path)
    leaf = PurePosixPath(name.replace("\\", "/")).name
    if not leaf or leaf in (".", ".."):
        raise ValueError(f"cannot tell the file name from {name!r}: pass filename=...")
    return base.rstrip("/") + "/" + leaf


def remaining_size(f: IO[bytes]) -> int | None:
    """Bytes left in a seekable file object (sent as Content-Length), or ``None`` if it cannot tell."""
    try:
        if not f.seekable():
            return None
        pos = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(pos)
        return max(0, end - pos)
    except (OSError, AttributeError, ValueError):
        return None


def create_session_body(
    image: str | None,
    ttl_seconds: int | None,
    workspace_id: str | None,
    env: dict[str, str] | None,
    labels: dict[str, str] | None,
    network: str | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/sessions``."""
    _positive_int("ttl_seconds", ttl_seconds)
    body: dict[str, Any] = {}
    if image is not None:
        body["image"] = image
    if ttl_seconds is not None:
        body["ttl_seconds"] = ttl_seconds
    if workspace_id is not None:
        body["workspace_id"] = workspace_id
    if env is not None:
        body["env"] = dict(env)
    if labels is not None:
        body["labels"] = dict(labels)
    if network is not None:
        body["network"] = network
    return body


def decode_json(content: bytes, what: str) -> Any:
    """Decode a 2xx JSON answer, or explain that the peer is not the daemon."""
    try:
        return _loads(content)
    except ValueError:
        raise SandkastenError(
            f"{what}: the answer was not JSON ({content[:120]!r}); check that base_url points at the Sandkasten daemon"
        ) from None


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    410: SessionGoneError,
    413: PayloadTooLargeError,
    429: QuotaExceededError,
    500: InternalServerError,
    503: ServiceUnavailableError,
}


# What to do about the codes whose class's hint does not fit.
_CODE_HINTS = {
    "EXEC_NOT_FOUND": "Check the exec id; a session keeps only its last 100 finished commands (list_execs())",
    "EXEC_NOT_RUNNING": "The command is still queued or has ended; check it with get_exec()",
    "NO_STDIN": "Start the command with stdin=True to write to its input",
    "NO_PTY": "Start the command with pty=True to give it a terminal",
}


def error_from_response(status: int, content: bytes) -> SandkastenError:
    """The exception for an HTTP error answer of the daemon."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = _loads(content)
    if isinstance(body, dict):
        message = str(body.get("error") or f"HTTP {status}")
        code = body.get("code") if isinstance(body.get("code"), str) else None
    else:
        text = content[:200].decode("utf-8", "replace").strip()
        message = f"unexpected answer: {text}" if text else f"HTTP {status} with an empty body"
        code = None
        body = None

    if code == "COMMAND_TIMEOUT" or (status == 504 and isinstance(body, dict) and "exit_code" in body):
        result = _exec_result(body) if isinstance(body, dict) and "output" in body else None
        return CommandTimeoutError(
            message,
            output=result.output if result else "",
            truncated=result.truncated if result else False,
            duration_ms=result.duration_ms if result else None,
            exec_id=result.exec_id if result else None,
            result=result,
            state_lost=result.state_lost if result else False,
        )
    if code == "CANCELLED":
        exec_id = body.get("exec_id") if isinstance(body, dict) else None
        return CommandCancelledError(message, exec_id=exec_id)

    cls = _STATUS_ERRORS.get(status, APIError)
    hint: str | None = _CODE_HINTS.get(code or "")
    if hint is None and cls is NotFoundError and code != "SESSION_NOT_FOUND":
        hint = (
            "Check the path or id, and that base_url points at the Sandkasten daemon "
            "(for example http://127.0.0.1:8080)"
        )
    elif cls is APIError and code is None:
        hint = "Check that base_url points at the Sandkasten daemon and not at another server"
    return cls(status, code, message, body=body, hint=hint)


def _malformed(what: str, data: object, e: Exception) -> SandkastenError:
    shown = repr(data)
    if len(shown) > 200:
        shown = shown[:200] + "..."
    return SandkastenError(
        f"expected {what} from the daemon but got {shown} ({type(e).__name__}: {e}). "
        "Check that base_url points at the Sandkasten daemon and not at another server"
    )


def parse_session_id(data: Any) -> str:
    """The id of a created session."""
    try:
        session_id = data["id"]
        if not isinstance(session_id, str):
            raise TypeError("id is not a string")
    except (KeyError, TypeError, IndexError) as e:
        raise _malformed("a session with an id", data, e) from None
    return session_id


def parse_exec_result(data: Any) -> ExecResult:
    """An :class:`ExecResult` from the daemon's JSON."""
    try:
        if "exit_code" not in data:
            raise KeyError("exit_code")
        return _exec_result(data)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _malformed("an exec result", data, e) from None


def _exec_result(data: dict[str, Any]) -> ExecResult:
    """Lenient: a timeout's partial result lacks fields a finished command has."""
    return ExecResult(
        exit_code=int(data.get("exit_code", -1)),
        cwd=data.get("cwd") or "",
        output=data.get("output") or "",
        truncated=bool(data.get("truncated", False)),
        duration_ms=int(data.get("duration_ms") or 0),
        stdout=data.get("stdout") or "",
        stderr=data.get("stderr") or "",
        exec_id=data.get("exec_id"),
        state_lost=bool(data.get("state_lost", False)),
        omitted_bytes=int(data.get("omitted_bytes") or 0),
    )


def parse_session_info(data: Any) -> SessionInfo:
    """A :class:`SessionInfo` from the daemon's JSON."""
    try:
        return _session_info(data)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _malformed("a session", data, e) from None


def _session_info(data: dict[str, Any]) -> SessionInfo:
    return SessionInfo(
        id=data["id"],
        image=data.get("image") or "",
        status=data["status"],
        cwd=data.get("cwd") or "",
        created_at=data.get("created_at") or "",
        expires_at=data.get("expires_at") or "",
        workspace_id=data.get("workspace_id") or None,
        container_id=data.get("container_id"),
        last_activity=data.get("last_activity"),
        labels=dict(data.get("labels") or {}),
    )


def parse_session_list(data: Any) -> list[SessionInfo]:
    """The daemon answers a JSON array; servers for 0.3 wrapped it in ``{"sessions": [...]}``."""
    items = data.get("sessions", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise _malformed("a JSON array of sessions", data, TypeError("not a list"))
    return [parse_session_info(item) for item in items]


def parse_stats(data: Any) -> SessionStats:
    """A :class:`SessionStats` from the daemon's JSON."""
    try:
        pids = data.get("pids")
        return SessionStats(
            memory_bytes=int(data.get("memory_bytes") or 0),
            memory_limit=int(data.get("memory_limit") or 0),
            cpu_usage_usec=int(data.get("cpu_usage_usec") or 0),
            pids=int(pids) if pids is not None else None,
        )
    except (TypeError, ValueError, AttributeError) as e:
        raise _malformed("session stats", data, e) from None


def parse_exec_info(data: Any) -> ExecInfo:
    """An :class:`ExecInfo` from the daemon's JSON."""
    try:
        return ExecInfo(
            exec_id=data["exec_id"],
            cmd=data.get("cmd") or "",
            state=data["state"],
            created_at=data.get("created_at") or "",
            timeout_ms=int(data.get("timeout_ms") or 0),
            exit_code=_opt_int(data.get("exit_code")),
            cwd=data.get("cwd"),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            duration_ms=_opt_int(data.get("duration_ms")),
            stdout_bytes=int(data.get("stdout_bytes") or 0),
            stderr_bytes=int(data.get("stderr_bytes") or 0),
            background=bool(data.get("background", False)),
            pty=bool(data.get("pty", False)),
            state_lost=bool(data.get("state_lost", False)),
            cmd_truncated=bool(data.get("cmd_truncated", False)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _malformed("an exec", data, e) from None


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def parse_exec_list(data: Any) -> list[ExecInfo]:
    """The JSON array of ``GET .../execs``."""
    if not isinstance(data, list):
        raise _malformed("a JSON array of execs", data, TypeError("not a list"))
    return [parse_exec_info(item) for item in data]


def parse_count(data: Any, key: str, what: str) -> int:
    """An integer field of a small answer such as ``{"ok": true, "bytes": 5}``."""
    try:
        return int(data[key])
    except (KeyError, TypeError, ValueError) as e:
        raise _malformed(what, data, e) from None


def parse_entry(data: Any) -> FileEntry:
    """A :class:`FileEntry` from the daemon's JSON."""
    try:
        return FileEntry(
            name=data["name"],
            path=data["path"],
            type=data["type"],
            size=int(data.get("size") or 0),
            modified_at=data.get("modified_at") or "",
            mode=data.get("mode") or "",
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _malformed("a file entry", data, e) from None


def parse_listing(data: Any) -> list[FileEntry]:
    """The entries of ``GET .../fs/list``."""
    try:
        entries = data["entries"]
        if not isinstance(entries, list):
            raise TypeError("entries is not a list")
    except (KeyError, TypeError) as e:
        raise _malformed("a directory listing", data, e) from None
    return [parse_entry(item) for item in entries]


def parse_write_result(data: Any) -> WriteResult:
    """What ``PUT .../fs/raw`` and ``POST .../fs/write`` answer."""
    try:
        return WriteResult(path=data["path"], size=int(data["size"]))
    except (KeyError, TypeError, ValueError) as e:
        raise _malformed("a write result", data, e) from None


def parse_read_result(data: Any) -> ReadResult:
    """What ``GET .../fs/read`` answers, the content decoded."""
    try:
        return ReadResult(
            content=base64.b64decode(data["content_base64"], validate=True),
            path=data["path"],
            truncated=bool(data.get("truncated", False)),
            size=int(data.get("size") or 0),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise _malformed("a file read", data, e) from None


def parse_workspaces(data: Any) -> list[WorkspaceInfo]:
    """``GET /v1/workspaces``: ``{"workspaces": [...]}``."""
    try:
        items = data["workspaces"]
        if not isinstance(items, list):
            raise TypeError("workspaces is not a list")
        return [
            WorkspaceInfo(id=w["id"], created_at=w.get("created_at") or "", sessions=int(w.get("sessions") or 0))
            for w in items
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _malformed("a list of workspaces", data, e) from None


class SSEDecoder:
    """Incremental decoder of a ``text/event-stream`` body, per the WHATWG HTML standard.

    ``feed`` takes bytes as they arrive and returns the complete events as
    ``(event type, data, last event id)`` triples, all ``bytes`` (the id is ``b""`` until a stream
    sends one); ``retry`` fields and comments are consumed. It handles LF, CRLF and CR line ends,
    and lines split across reads.

    Written by hand rather than using httpx-sse: that one decodes every read to text, splits
    lines in Python and builds an object per field; this one finds lines in the raw bytes with
    ``bytes.find`` and hands each data line on as bytes. Measured on 16 KiB chunk events in
    64 KiB reads, decoding plus turning the event into an :class:`ExecChunk` takes about 11 us
    per chunk here against about 26 us with httpx-sse's decoder and ``json.loads``, so the
    client's throughput is bounded by httpx's transport, not by parsing.
    """

    __slots__ = ("_cr", "_data", "_event", "_id", "_parts", "_parts_len")

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._parts_len = 0
        self._cr = False
        self._event = b""
        self._data: list[bytes] = []
        self._id = b""

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes, bytes]]:
        """Decode ``chunk`` and return the events it completed.

        Raises:
            StreamError: a line or an event is longer than :data:`MAX_EVENT_BYTES`.
        """
        if not chunk:
            return []  # and keep a pending CR: an LF in the next read still belongs to it
        if self._cr:
            # The previous read ended in CR: an LF starting this one belongs to the same line end.
            self._cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._cr = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            # Part of a line longer than a read: keep the pieces and join them once, when the
            # line ends (joining on every read would copy a long line over and over).
            self._parts.append(chunk)
            self._parts_len += len(chunk)
            if self._parts_len > MAX_EVENT_BYTES:
                raise _too_long("line")
            return []
        if self._parts:
            self._parts.append(chunk)
            chunk = b"".join(self._parts)
            self._parts.clear()
            self._parts_len = 0
        # Lines are found with bytes.find (memchr) rather than bytes.split, which scans byte by
        # byte and copies every line once more: this loop is the hot path of bulk output.
        events: list[tuple[bytes, bytes, bytes]] = []
        data = self._data
        find = chunk.find
        startswith = chunk.startswith
        pos = 0
        while (end := find(b"\n", pos)) >= 0:
            if startswith(b"data: ", pos):
                data.append(chunk[pos + 6 : end])
            elif end == pos:
                if data:
                    events.append(
                        (self._event or b"message", data[0] if len(data) == 1 else b"\n".join(data), self._id)
                    )
                    data.clear()
                self._event = b""
            elif startswith(b"event: ", pos):
                self._event = chunk[pos + 7 : end]
            elif startswith(b"id: ", pos):
                self._set_id(chunk[pos + 4 : end])
            else:
                self._field(chunk[pos:end])
            pos = end + 1
        if pos < len(chunk):
            self._parts.append(chunk[pos:])
            self._parts_len = len(chunk) - pos
        # An event spread over reads keeps its data lines here; only then can it grow unbounded.
        if data and sum(map(len, data)) > MAX_EVENT_BYTES:
            raise _too_long("event")
        return events

    def _field(self, line: bytes) -> None:
        colon = line.find(b":")
        if colon == 0:
            return  # a comment, e.g. the daemon's keep-alive
        if colon < 0:
            name, value = line, b""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value
        elif name == b"id":
            self._set_id(value)
        # "retry" and unknown fields are ignored: the SDK picks its own reconnect delays.

    def _set_id(self, value: bytes) -> None:
        if b"\0" not in value:  # the standard ignores an id with NUL
            self._id = value


def _too_long(what: str) -> StreamError:
    return StreamError(
        f"an SSE {what} is longer than {MAX_EVENT_BYTES} bytes, so the peer is not a Sandkasten daemon",
        hint="Check that base_url points at the Sandkasten daemon and not at another server",
    )


def _chunk_fields(data: bytes) -> tuple[str, dict[str, Any]]:
    """The text and the other fields of a ``chunk`` event's JSON.

    The daemon writes ``{"chunk":"<text>","timestamp":...}``. When the text has no backslash it
    has no JSON escapes, so its bytes are its UTF-8 encoding and need no JSON scanning: that
    saves over a third of the decoding time per chunk on bulk output. Anything else takes ``json.loads``.
    """
    if data.startswith(b'{"chunk":"'):
        end = data.find(b'"', 10)
        if end > 0 and data.find(b"\\", 10, end) < 0 and data[end + 1 : end + 2] == b",":
            try:
                text = data[10:end].decode()
            except UnicodeDecodeError:
                pass
            else:
                # raw_decode skips json.loads' checks around the object: about 1 us less per chunk.
                return text, _raw_decode("{" + data[end + 2 :].decode())[0]
    d = _loads(data)
    return d["chunk"], d


# What ExecStream.open() gets from the stream's generator instead of a chunk: the daemon has
# answered and the exec id is known. Compared by identity; never reaches a consumer.
OPENED = ExecChunk("", 0)


@dataclass(slots=True)
class StreamRequest:
    """One HTTP request that opens (or reopens) a stream."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class ExecStreamState:
    """Turns the events of one command's stream into :class:`ExecChunk` values or exceptions.

    It remembers the exec id (from the ``X-Exec-Id`` header or the ``start`` event), the id of the
    last event delivered (where a dropped connection resumes), whether the command finished, and
    the last :data:`TIMEOUT_OUTPUT_KEEP` characters of output for :class:`CommandTimeoutError`.

    Args:
        session_id: the command's session.
        first: the request that opens the stream: ``POST .../exec/stream``, or an attach.
        resume: reconnect when the connection drops before the command's end.
        cancel_on_exit: cancel the command when the stream is left before its end (streams the
            SDK started do; attachments leave the command alone).
        exec_id: known up front for attachments.
        after: for an attachment from an event id: the id, so a reconnect goes on from there.
    """

    __slots__ = (
        "_decoder",
        "_dropped",
        "_failures",
        "_first",
        "_tail",
        "_tail_len",
        "announce",
        "cancel_on_exit",
        "exec_id",
        "finished",
        "last_id",
        "resume",
        "session_id",
        "started",
    )

    def __init__(
        self,
        session_id: str,
        first: StreamRequest,
        *,
        resume: bool,
        cancel_on_exit: bool,
        exec_id: str | None = None,
        after: int | None = None,
    ) -> None:
        self.session_id = session_id
        self._first = first
        self.resume = resume
        self.cancel_on_exit = cancel_on_exit
        self.exec_id = exec_id
        self.last_id: bytes = b"" if after is None else str(after).encode()
        self.finished = False
        self.started = False
        self.announce = False
        self._decoder = SSEDecoder()
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self._dropped = False
        self._failures = 0

    # The async and the sync client's stream loops differ only in their awaits: everything they
    # decide is here, so both behave the same.

    def request(self) -> StreamRequest:
        """The request to send now: the first one, or an attachment that resumes after the last event."""
        if not self.started or self.exec_id is None:
            return self._first
        params = {k: v for k, v in self._first.params.items() if k != "from"} if self._first.method == "GET" else {}
        headers = {"Last-Event-ID": self.last_id.decode("ascii", "replace")} if self.last_id else {}
        return StreamRequest("GET", exec_path(self.session_id, self.exec_id, "/stream"), params=params, headers=headers)

    def opened(self, exec_id: str | None) -> None:
        """The stream answered 200; ``exec_id`` is its ``X-Exec-Id`` header.

        Known before the first event, so a cancel works even if the caller leaves before ``start``.
        """
        self.started = True
        if exec_id:
            self.exec_id = exec_id

    def reopen_error(self, cause: SandkastenError) -> StreamError:
        """The error that ends a stream whose reconnect the daemon refused (the command or session is gone)."""
        code = getattr(cause, "code", None)
        error = StreamError(
            f"the connection to the daemon broke mid-stream and the stream could not be resumed: {cause}",
            code=code if isinstance(code, str) else None,
            exec_id=self.exec_id,
        )
        error.__cause__ = cause
        return error

    def refused(self, api_error: SandkastenError, status: int) -> SandkastenError:
        """The daemon answered a (re)open with an error: raises what ends the stream, or returns it.

        Before the start the error itself ends it; on a reconnect a 4xx does (the command or
        session is gone); a 5xx is returned, to retry after a pause.
        """
        if not self.started:
            raise api_error
        if status < 500:
            raise self.reopen_error(api_error)
        return api_error

    def retry_delay(self, error: Exception | None, base_url: str, path: str, before: bytes) -> float:
        """The pause before resuming a connection that failed or ended early; raises if it may not.

        ``before`` is :attr:`last_id` when the connection opened: a connection that delivered
        events resets the count of failures.
        """
        if not self.may_resume():
            raise self.broken(error, base_url, path) from error
        self._failures = 1 if self.last_id != before else self._failures + 1
        if self._failures > len(RESUME_DELAYS_S):
            raise self.broken(error, base_url, path, attempts=self._failures - 1) from error
        return RESUME_DELAYS_S[self._failures - 1]

    def may_resume(self) -> bool:
        """Whether a dropped connection is to be reopened: resume is on and the command is known."""
        return self.resume and self.started and self.exec_id is not None and not self.finished

    def resuming(self) -> None:
        """Before a reconnect: a partial event of the broken connection is dropped."""
        self._decoder = SSEDecoder()

    def feed(self, raw: bytes) -> list[ExecChunk]:
        """The chunks completed by one read of the body; raises for an ``error`` event."""
        on_event = self.on_event
        chunks = []
        for event, data, eid in self._decoder.feed(raw):
            chunk = on_event(event, data, eid)
            if chunk is not None:
                chunks.append(chunk)
        return chunks

    def broken(self, e: Exception | None, base_url: str, path: str, attempts: int = 0) -> SandkastenError:
        """The error for a connection that failed or ended before the command's end, not resumed."""
        if not self.started and e is not None:
            return connection_error(base_url, self._first.method, path, e)
        if e is not None:
            what = f"the connection to the daemon broke mid-stream ({e!r})"
        else:
            what = "the stream ended before the command finished (the connection to the daemon closed)"
        if attempts:
            what += f"; {attempts} attempts to resume it failed"
        if self.cancel_on_exit:
            hint = (
                "Check that the daemon is still running and reachable; the command was cancelled "
                "(or the daemon ends it after its detach grace)"
            )
        else:
            hint = "Check that the daemon is still running and reachable; attach again to go on"
        return StreamError(what, exec_id=self.exec_id, hint=hint)

    def to_cancel(self) -> str | None:
        """The exec id to cancel when the stream is left now: set while a command this stream owns may run."""
        return self.exec_id if self.cancel_on_exit and not self.finished else None

    def on_event(self, event: bytes, data: bytes, eid: bytes = b"") -> ExecChunk | None:
        """The chunk for one event, ``None`` for events that carry none; raises for ``error``."""
        try:
            if eid:
                self.last_id = eid
            if event == b"chunk":
                text, d = _chunk_fields(data)
                tail = self._tail
                tail.append(text)
                self._tail_len += len(text)
                if self._tail_len > TIMEOUT_OUTPUT_KEEP:
                    self._trim()
                return ExecChunk(
                    text,
                    d["timestamp"],
                    False,
                    None,
                    None,
                    None,
                    d.get("stream"),
                    self.exec_id,
                    False,
                    int(eid) if eid else None,
                )
            if event == b"start":
                self.exec_id = _loads(data).get("exec_id") or self.exec_id
                return None
            if event == b"done":
                d = _loads(data)
                self.finished = True
                self.exec_id = d.get("exec_id") or self.exec_id
                return ExecChunk(
                    "",
                    d.get("timestamp") or int(time.time() * 1000),
                    True,
                    d["exit_code"],
                    d.get("cwd"),
                    d.get("duration_ms"),
                    None,
                    self.exec_id,
                    bool(d.get("state_lost", False)),
                    int(eid) if eid else None,
                )
            if event == b"gap":
                d = _loads(data)
                self._dropped = True
                return ExecChunk(
                    "",
                    d.get("timestamp") or int(time.time() * 1000),
                    exec_id=self.exec_id,
                    event_id=int(eid) if eid else None,
                    gap_bytes=int(d["bytes"]),
                )
            if event == b"error":
                d = _loads(data)
                self.finished = True
                raise self._error(d)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise StreamError(
                f"the daemon sent a malformed {event.decode('utf-8', 'replace')!r} event ({e!r})",
                exec_id=self.exec_id,
                hint="Check that the SDK and the daemon versions match",
            ) from None
        return None  # an event type this SDK does not know: newer daemons may add some

    def output_so_far(self) -> tuple[str, bool]:
        """The output kept for a timeout, and whether older output was dropped."""
        return "".join(self._tail), self._dropped

    def _trim(self) -> None:
        tail = self._tail
        while self._tail_len > TIMEOUT_OUTPUT_KEEP and len(tail) > 1:
            self._tail_len -= len(tail.popleft())
            self._dropped = True

    def _error(self, d: dict[str, Any]) -> StreamError:
        message = str(d.get("error") or "the command failed")
        code = d.get("code")
        exec_id = d.get("exec_id") or self.exec_id
        if code == "COMMAND_TIMEOUT":
            output, dropped = self.output_so_far()
            return CommandTimeoutError(
                message,
                output=output,
                truncated=dropped,
                duration_ms=d.get("duration_ms"),
                exec_id=exec_id,
                state_lost=bool(d.get("state_lost", False)),
            )
        if code == "CANCELLED":
            return CommandCancelledError(message, exec_id=exec_id)
        hint = "Create a new session with client.create_session()" if code == "SESSION_GONE" else None
        return StreamError(message, code=code, exec_id=exec_id, hint=hint)


def connection_error(base_url: str, method: str, path: str, e: Exception) -> SandkastenConnectionError:
    """The error for a request that got no answer: unreachable, or too slow."""
    if isinstance(e, httpx.TimeoutException):
        return SandkastenConnectionError(
            f"{method} {path}: the daemon at {base_url} did not answer in time ({type(e).__name__}). "
            "Check that it is running and not overloaded, or raise SandboxClient(timeout=...)"
        )
    return SandkastenConnectionError(
        f"could not reach the Sandkasten daemon at {base_url} ({type(e).__name__}: {e}). "
        "Check that it is running (./sandkasten serve) and that base_url / SANDKASTEN_URL is right"
    )
