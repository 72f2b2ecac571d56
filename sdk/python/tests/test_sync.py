"""The synchronous client against the real daemon: the same surface without await."""

from __future__ import annotations

import threading
import time

import pytest

from sandkasten import (
    AuthenticationError,
    CommandCancelledError,
    CommandTimeoutError,
    NotFoundError,
    SandkastenConnectionError,
    SyncSandboxClient,
)
from sandkasten._protocol import DEFAULT_DETACH_GRACE_MS

from .conftest import DISCONNECT_GRACE_MS, Daemon

LIMIT_S = 20
assert min(DISCONNECT_GRACE_MS, DEFAULT_DETACH_GRACE_MS) > LIMIT_S * 1000


def test_session_lifecycle_and_blocking_exec(sync_client: SyncSandboxClient) -> None:
    with sync_client.create_session(image="base", labels={"via": "sync"}) as session:
        result = session.exec("cd /tmp && echo hi && echo oops >&2")
        assert (result.exit_code, result.cwd, result.stdout, result.stderr) == (0, "/tmp", "hi\n", "oops\n")
        assert session.info().labels == {"via": "sync"}
        assert session.stats().memory_bytes > 0
        assert sync_client.get_session(session.id).exec("pwd").output == "/tmp\n"
        assert session.id in [s.id for s in sync_client.list_sessions()]
        sid = session.id
    assert sid not in [s.id for s in sync_client.list_sessions()]
    with pytest.raises(NotFoundError):
        sync_client.get_session("sb_nosuchsession")


def test_stream(sync_client: SyncSandboxClient) -> None:
    with sync_client.create_session() as session:
        chunks = list(session.exec_stream("for i in 1 2 3; do echo $i; done; exit 2", chunk_size=1024))
        *output, done = chunks
        assert "".join(c.output for c in output) == "1\n2\n3\n"
        assert all(c.stream == "stdout" for c in output)
        assert (done.done, done.exit_code, done.cwd) == (True, 2, "/workspace")


def test_stream_timeout(sync_client: SyncSandboxClient) -> None:
    with sync_client.create_session() as session:
        with pytest.raises(CommandTimeoutError) as info:
            for _chunk in session.exec_stream("echo begun; sleep 30", timeout_ms=1000):
                pass
        assert info.value.output.startswith("begun\n")
        with pytest.raises(CommandTimeoutError) as blocking:
            session.exec("echo begun; sleep 30", timeout_ms=1000)
        assert blocking.value.output.startswith("begun\n")


def assert_gone(session: object, name: str) -> None:
    start = time.monotonic()
    result = session.exec(f"pgrep -x {name}")  # type: ignore[attr-defined]
    assert result.exit_code == 1, f"{name} still runs"
    assert time.monotonic() - start < LIMIT_S


def test_break_and_exception_cancel_at_once(sync_client: SyncSandboxClient) -> None:
    with sync_client.create_session() as session:
        session.exec("seq 1 5 > /tmp/app.log")
        for _chunk in session.exec_stream("tail -f /tmp/app.log"):
            break
        assert_gone(session, "tail")

        with pytest.raises(RuntimeError):
            for _chunk in session.exec_stream("tail -f /tmp/app.log"):
                raise RuntimeError("stop")
        assert_gone(session, "tail")

        with session.exec_stream("tail -f /tmp/app.log") as stream:
            next(stream)
        assert_gone(session, "tail")


def test_cancel_from_another_thread(sync_client: SyncSandboxClient) -> None:
    with sync_client.create_session() as session:
        stream = session.exec_stream("echo ready; sleep 60")
        first = next(stream)
        assert first.output == "ready\n"
        results: list[bool] = []
        canceller = threading.Thread(target=lambda: results.append(stream.cancel()))
        canceller.start()
        with pytest.raises(CommandCancelledError):
            for _chunk in stream:
                pass
        canceller.join()
        assert results == [True]
        assert session.exec("echo after").output == "after\n"


def test_errors(daemon: Daemon, free_tcp_port: int) -> None:
    with (
        SyncSandboxClient(base_url=daemon.url, api_key="wrong-key-wrong-key") as bad,
        pytest.raises(AuthenticationError),
    ):
        bad.list_sessions()
    with (
        SyncSandboxClient(base_url=f"http://127.0.0.1:{free_tcp_port}", api_key="k" * 20) as down,
        pytest.raises(SandkastenConnectionError),
    ):
        down.create_session()
