"""Unit tests of error mapping, configuration and argument checks (no I/O)."""

from __future__ import annotations

import json

import pytest

import sandkasten
from sandkasten import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CommandCancelledError,
    CommandTimeoutError,
    ConflictError,
    NotFoundError,
    SandboxClient,
    SandkastenError,
    SessionGoneError,
    StreamError,
    SyncSandboxClient,
)
from sandkasten import _protocol as p


def error(status: int, body: object) -> SandkastenError:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return p.error_from_response(status, content)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "INVALID_REQUEST", BadRequestError),
        (401, "UNAUTHORIZED", AuthenticationError),
        (404, "SESSION_NOT_FOUND", NotFoundError),
        (410, "SESSION_GONE", SessionGoneError),
        (413, "PAYLOAD_TOO_LARGE", sandkasten.PayloadTooLargeError),
        (415, "UNSUPPORTED_MEDIA_TYPE", APIError),
        (429, "QUOTA_EXCEEDED", sandkasten.QuotaExceededError),
        (500, "INTERNAL", sandkasten.InternalServerError),
        (503, "UNAVAILABLE", sandkasten.ServiceUnavailableError),
    ],
)
def test_status_maps_to_a_class_with_status_code_and_message(status: int, code: str, cls: type[APIError]) -> None:
    e = error(status, {"error": "what happened", "code": code})
    assert type(e) is cls
    assert isinstance(e, APIError) and isinstance(e, SandkastenError)
    assert (e.status, e.code, e.message) == (status, code, "what happened")
    assert (e.status_code, e.response_body) == (status, {"error": "what happened", "code": code})
    assert str(e).startswith(f"what happened (HTTP {status} {code})")


def test_messages_say_what_to_do() -> None:
    assert "SANDKASTEN_API_KEY" in str(error(401, {"error": "wrong API key", "code": "UNAUTHORIZED"}))
    assert "create_session" in str(error(404, {"error": "session sb_x not found", "code": "SESSION_NOT_FOUND"}))
    assert "base_url" in str(error(404, {"error": "no route", "code": "NOT_FOUND"}))
    assert "base_url" in str(error(502, b"<html>Bad Gateway</html>"))


def test_non_json_error_body() -> None:
    e = error(502, b"<html>Bad Gateway</html>")
    assert type(e) is APIError
    assert (e.status, e.code, e.body) == (502, None, None)
    assert "Bad Gateway" in e.message


def test_blocking_timeout_is_a_command_timeout_with_the_partial_result() -> None:
    body = {
        "error": "command timed out after 1000 ms; its processes were killed",
        "code": "COMMAND_TIMEOUT",
        "output": "x\n",
        "stdout": "x\n",
        "stderr": "",
        "truncated": False,
        "duration_ms": 1003,
        "exec_id": "ex_1",
        "exit_code": 137,
        "cwd": "/workspace",
        "state_lost": True,
    }
    e = error(504, body)
    assert isinstance(e, CommandTimeoutError) and isinstance(e, StreamError)
    assert e.state_lost
    assert (e.output, e.duration_ms, e.exec_id, e.code) == ("x\n", 1003, "ex_1", "COMMAND_TIMEOUT")
    assert e.result is not None and e.result.stdout == "x\n"
    assert "timeout_ms" in str(e)


def test_blocking_cancel_is_a_command_cancelled() -> None:
    e = error(409, {"error": "the command was cancelled", "code": "CANCELLED", "exec_id": "ex_3"})
    assert isinstance(e, CommandCancelledError) and e.exec_id == "ex_3"


def test_names_of_the_0_3_package_are_kept() -> None:
    assert sandkasten.SandkastenAPIError is APIError
    assert sandkasten.SandkastenStreamError is StreamError
    for name in ("SandboxClient", "Session", "ExecResult", "ExecChunk", "SessionInfo", "SessionStats"):
        assert hasattr(sandkasten, name)
    assert set(sandkasten.__all__) <= set(dir(sandkasten))


@pytest.mark.parametrize("cls", [SandboxClient, SyncSandboxClient])
def test_config_comes_from_the_environment(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDKASTEN_URL", "http://sandbox.example:9000/")
    monkeypatch.setenv("SANDKASTEN_API_KEY", "k" * 20)
    assert cls().base_url == "http://sandbox.example:9000"
    assert cls(base_url="http://other:1").base_url == "http://other:1"
    monkeypatch.delenv("SANDKASTEN_URL")
    assert cls().base_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize("cls", [SandboxClient, SyncSandboxClient])
def test_missing_key_or_bad_url_is_a_clear_error(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SANDKASTEN_API_KEY", raising=False)
    with pytest.raises(ValueError, match="SANDKASTEN_API_KEY"):
        cls(base_url="http://127.0.0.1:8080")
    with pytest.raises(ValueError, match="SANDKASTEN_URL"):
        cls(base_url="localhost:8080", api_key="k" * 20)


def test_exec_arguments_are_checked_before_sending() -> None:
    with pytest.raises(TypeError, match="cmd must be a str"):
        p.exec_body(b"ls", timeout_ms=None, raw_output=False, env=None, cwd=None)  # type: ignore[arg-type]
    for bad in (0, -5, 1.5, True, "100"):
        with pytest.raises(ValueError, match="timeout_ms must be a positive int"):
            p.exec_body("ls", timeout_ms=bad, raw_output=False, env=None, cwd=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size"):
        p.exec_body("ls", timeout_ms=None, raw_output=False, env=None, cwd=None, chunk_size=0)
    assert p.exec_body("ls", timeout_ms=5, raw_output=True, env={"A": "1"}, cwd="/tmp", chunk_size=9) == {
        "cmd": "ls",
        "timeout_ms": 5,
        "raw_output": True,
        "env": {"A": "1"},
        "cwd": "/tmp",
        "chunk_size": 9,
    }


def test_session_ids_are_escaped_into_one_path_segment() -> None:
    assert p.session_path("sb_a/../../x", "/exec") == "/v1/sessions/sb_a%2F..%2F..%2Fx/exec"
    with pytest.raises(ValueError, match="session_id"):
        p.session_path("")


@pytest.mark.parametrize(
    ("parse", "data"),
    [
        (p.parse_session_id, []),
        (p.parse_session_id, {"id": 3}),
        (p.parse_exec_result, {"output": "no exit code"}),
        (p.parse_exec_result, "text"),
        (p.parse_session_info, {"image": "python"}),
        (p.parse_session_list, {"sessions": "nope"}),
        (p.parse_stats, {"memory_bytes": "lots"}),
        (p.parse_exec_info, {"cmd": "no id"}),
        (p.parse_exec_info, {"exec_id": "ex_1", "state": "exited", "exit_code": "zero"}),
        (p.parse_exec_list, {"execs": []}),
        (p.parse_entry, {"name": "x"}),
        (p.parse_listing, {"entries": "none"}),
        (p.parse_write_result, {"ok": True}),
        (p.parse_read_result, {"path": "/workspace/x", "content_base64": "not base64!"}),
        (p.parse_workspaces, [{"id": "w"}]),
        (lambda d: p.parse_count(d, "bytes", "a stdin write"), {"ok": True}),
    ],
)
def test_a_2xx_answer_of_the_wrong_shape_is_a_sandkasten_error(parse: object, data: object) -> None:
    with pytest.raises(SandkastenError, match=r"expected .* from the daemon but got .*base_url"):
        parse(data)  # type: ignore[operator]


def test_encoding_and_network_go_into_the_bodies() -> None:
    body = p.exec_body("true", timeout_ms=None, raw_output=False, env=None, cwd=None, encoding="base64")
    assert body == {"cmd": "true", "encoding": "base64"}
    with pytest.raises(ValueError, match="encoding"):
        p.exec_body("true", timeout_ms=None, raw_output=False, env=None, cwd=None, encoding="latin1")  # type: ignore[arg-type]
    assert p.create_session_body(None, None, None, None, None, "none") == {"network": "none"}


def test_defaults_match_the_other_sdks() -> None:
    assert p.DEFAULT_BASE_URL == "http://127.0.0.1:8080"
    assert (p.DEFAULT_TIMEOUT_S, p.CANCEL_TIMEOUT_S) == (120.0, 5.0)


def test_codes_of_the_command_routes_get_their_own_hints() -> None:
    e = p.error_from_response(404, b'{"error":"exec ex_1 not found","code":"EXEC_NOT_FOUND"}')
    assert isinstance(e, NotFoundError) and "list_execs()" in str(e) and "base_url" not in str(e)
    e = p.error_from_response(409, b'{"error":"exec ex_1 was not started with stdin","code":"NO_STDIN"}')
    assert isinstance(e, ConflictError) and e.code == "NO_STDIN" and "stdin=True" in str(e)
    e = p.error_from_response(404, b'{"error":"no such file or directory: /workspace/x","code":"NOT_FOUND"}')
    assert "Check the path" in str(e)
