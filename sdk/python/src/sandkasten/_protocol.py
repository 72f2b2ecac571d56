"""The wire protocol without I/O, shared by the async and the sync client.

Requests are described here, answers are turned into values or exceptions here, and the
Server-Sent Events of a streaming exec are decoded here; the clients only move bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import deque
from collections.abc import Mapping
from typing import Any
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
    SandkastenConnectionError,
    SandkastenError,
    ServiceUnavailableError,
    SessionGoneError,
    StreamError,
)
from ._types import Encoding, ExecChunk, ExecResult, SessionInfo, SessionStats

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


def exec_cancel_path(session_id: str, exec_id: str) -> str:
    """The route that cancels one command."""
    return session_path(session_id, f"/execs/{quote(exec_id, safe='')}")


def _positive_int(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int or None, got {value!r}")


def exec_body(
    cmd: str,
    *,
    timeout_ms: int | None,
    raw_output: bool,
    env: Mapping[str, str] | None,
    cwd: str | None,
    chunk_size: int | None = None,
    encoding: Encoding | None = None,
) -> dict[str, Any]:
    """The JSON body of a blocking or streaming exec, checked before it is sent."""
    if encoding not in (None, "utf8", "base64"):
        raise ValueError(f"encoding must be 'utf8', 'base64' or None, got {encoding!r}")
    if not isinstance(cmd, str):
        raise TypeError(f"cmd must be a str of bash source, got {type(cmd).__name__}")
    _positive_int("timeout_ms", timeout_ms)
    _positive_int("chunk_size", chunk_size)
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
    return body


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
    500: InternalServerError,
    503: ServiceUnavailableError,
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
    hint: str | None = None
    if cls is NotFoundError and code != "SESSION_NOT_FOUND":
        hint = (
            "Check that base_url points at the Sandkasten daemon (for example http://127.0.0.1:8080) "
            "and that the id is right"
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


class SSEDecoder:
    """Incremental decoder of a ``text/event-stream`` body, per the WHATWG HTML standard.

    ``feed`` takes bytes as they arrive and returns the complete events as
    ``(event type, data)`` pairs, both ``bytes``; ``id`` and ``retry`` fields and comments
    are consumed. It handles LF, CRLF and CR line ends, and lines split across reads.

    Written by hand rather than using httpx-sse: that one decodes every read to text, splits
    lines in Python and builds an object per field; this one finds lines in the raw bytes with
    ``bytes.find`` and hands each data line on as bytes. Measured on 16 KiB chunk events in
    64 KiB reads, decoding plus turning the event into an :class:`ExecChunk` takes about 11 us
    per chunk here against about 26 us with httpx-sse's decoder and ``json.loads``, so the
    client's throughput is bounded by httpx's transport, not by parsing.
    """

    __slots__ = ("_cr", "_data", "_event", "_parts", "_parts_len")

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._parts_len = 0
        self._cr = False
        self._event = b""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
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
        events: list[tuple[bytes, bytes]] = []
        data = self._data
        find = chunk.find
        startswith = chunk.startswith
        pos = 0
        while (end := find(b"\n", pos)) >= 0:
            if startswith(b"data: ", pos):
                data.append(chunk[pos + 6 : end])
            elif end == pos:
                if data:
                    events.append((self._event or b"message", data[0] if len(data) == 1 else b"\n".join(data)))
                    data.clear()
                self._event = b""
            elif startswith(b"event: ", pos):
                self._event = chunk[pos + 7 : end]
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
        # "id", "retry" and unknown fields are ignored: this client never reconnects a stream.


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


class ExecStreamState:
    """Turns the events of one streaming exec into :class:`ExecChunk` values or exceptions.

    It remembers the exec id (from the ``start`` event), whether the command finished, and
    the last :data:`TIMEOUT_OUTPUT_KEEP` characters of output for :class:`CommandTimeoutError`.
    """

    __slots__ = ("_decoder", "_dropped", "_tail", "_tail_len", "exec_id", "finished", "started")

    def __init__(self) -> None:
        self.exec_id: str | None = None
        self.finished = False
        self.started = False
        self._decoder = SSEDecoder()
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self._dropped = False

    # The async and the sync client's stream loops differ only in their awaits: everything they
    # decide is here, so both behave the same.

    def opened(self, exec_id: str | None) -> None:
        """The stream answered 200; ``exec_id`` is its ``X-Exec-Id`` header.

        Known before the first event, so a cancel works even if the caller leaves before ``start``.
        """
        self.started = True
        self.exec_id = exec_id

    def feed(self, raw: bytes) -> list[ExecChunk]:
        """The chunks completed by one read of the body; raises for an ``error`` event."""
        on_event = self.on_event
        chunks = []
        for event, data in self._decoder.feed(raw):
            chunk = on_event(event, data)
            if chunk is not None:
                chunks.append(chunk)
        return chunks

    def ended(self) -> None:
        """The body ended: raises unless the command finished."""
        if not self.finished:
            raise self.ended_early()

    def transport_error(self, e: httpx.TransportError, base_url: str, path: str) -> SandkastenError:
        """The error for a connection that failed before or during the stream."""
        if not self.started:
            return connection_error(base_url, "POST", path, e)
        return StreamError(
            f"the connection to the daemon broke mid-stream ({e!r})",
            exec_id=self.exec_id,
            hint="Check that the daemon is still running; the command was cancelled",
        )

    def to_cancel(self) -> str | None:
        """The exec id to cancel when the stream is left now: set while the command may run."""
        return None if self.finished else self.exec_id

    def on_event(self, event: bytes, data: bytes) -> ExecChunk | None:
        """The chunk for one event, ``None`` for events that carry none; raises for ``error``."""
        try:
            if event == b"chunk":
                text, d = _chunk_fields(data)
                tail = self._tail
                tail.append(text)
                self._tail_len += len(text)
                if self._tail_len > TIMEOUT_OUTPUT_KEEP:
                    self._trim()
                return ExecChunk(text, d["timestamp"], False, None, None, None, d.get("stream"), self.exec_id)
            if event == b"start":
                self.exec_id = _loads(data).get("exec_id")
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

    def ended_early(self) -> StreamError:
        """The error for a stream that closed without ``done`` or ``error``."""
        return StreamError(
            "the stream ended before the command finished (the connection to the daemon closed)",
            exec_id=self.exec_id,
            hint="Check that the daemon is still running; the command was cancelled",
        )


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
