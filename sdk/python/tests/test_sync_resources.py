"""The synchronous client's commands-as-resources, files and workspaces, against the real daemon."""

from __future__ import annotations

import hashlib
import io
import os
import time
import uuid
from pathlib import Path

import pytest

from sandkasten import (
    ConflictError,
    NotFoundError,
    SyncExecHandle,
    SyncSandboxClient,
    SyncWorkspace,
)

LIMIT_S = 20


def test_background_handle_stdin_attach_and_wait(sync_client: SyncSandboxClient) -> None:
    with sync_client.create_session() as session:
        job = session.exec_background("read a; echo got $a; cat; exit 3", stdin=True)
        assert isinstance(job, SyncExecHandle) and job.info().background
        assert job.write_stdin("one\n") == 4
        session.write_stdin(job, b"two\n", close=True)
        info = job.wait(timeout=LIMIT_S)
        assert (info.state, info.exit_code) == ("exited", 3)
        chunks = list(job.stream())
        assert "".join(c.output for c in chunks) == "got one\ntwo\n"
        # From an event id: what follows it.
        after_first = list(session.attach(job, from_=chunks[0].event_id))
        assert [c.output for c in after_first] == [c.output for c in chunks[1:]]
        assert job.id in [e.exec_id for e in session.list_execs()]
        with pytest.raises(TimeoutError):
            session.exec_background("sleep 30").wait(timeout=0.3)


def test_stream_open_signal_cancel_and_resize(sync_client: SyncSandboxClient) -> None:
    with sync_client.create_session() as session:
        stream = session.exec_stream("cat", stdin=True)
        session.write_stdin(stream.open(), "echoed\n", close=True)
        assert "".join(c.output for c in stream) == "echoed\n"

        job = session.exec_background("python3 -c 'import time; time.sleep(100)'")
        deadline = time.monotonic() + LIMIT_S
        while session.exec("pgrep -f time.sleep").exit_code != 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert job.signal("SIGINT") >= 1
        assert job.wait(timeout=LIMIT_S).exit_code not in (None, 0)
        assert session.exec("echo ok").output == "ok\n"

        tty = session.exec_background("read x; stty size", pty=True, stdin=True)
        while True:
            try:
                tty.resize(90, 33)
                break
            except ConflictError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        tty.write_stdin("\n", close=True)
        tty.wait(timeout=LIMIT_S)
        assert "".join(c.output for c in tty.stream()).splitlines()[-1] == "33 90"

        sleeper = session.exec_background("sleep 100")
        assert sleeper.cancel() is True
        assert sleeper.wait(timeout=LIMIT_S).state == "cancelled"


def test_files_round_trip(sync_client: SyncSandboxClient, tmp_path: Path) -> None:
    with sync_client.create_session() as session:
        assert session.write("t/a.txt", "ä\n").size == 3
        assert session.read_text("t/a.txt") == "ä\n"
        data = bytes(range(256)) * 3
        session.write("t/b.bin", data)
        assert session.read_bytes("t/b.bin") == data and session.read("t/b.bin").content == data
        local = tmp_path / "up.bin"
        local.write_bytes(os.urandom(5 << 20))
        assert session.upload(local, dest_path="t") == ["/workspace/t/up.bin"]
        back = tmp_path / "back.bin"
        assert session.download("t/up.bin", back) == 5 << 20
        assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(local.read_bytes()).digest()
        assert session.mkdir("t/sub") == "/workspace/t/sub"
        assert [e.name for e in session.list_dir("t")] == ["a.txt", "b.bin", "sub", "up.bin"]
        assert session.stat("t/b.bin").size == len(data)
        assert session.exists("t/sub")
        session.remove("t")
        assert not session.exists("t")
        with pytest.raises(NotFoundError):
            session.stat("t")
        # A failed download leaves no partial file behind.
        missing = tmp_path / "missing.bin"
        with pytest.raises(NotFoundError):
            session.download("nope.bin", missing)
        assert not missing.exists()


def test_workspaces(sync_client: SyncSandboxClient) -> None:
    wid = f"ws-sync-{uuid.uuid4().hex[:8]}"
    ws = sync_client.workspace(wid)
    assert isinstance(ws, SyncWorkspace)
    ws.write("seed.txt", "seeded\n")
    ws.upload(io.BytesIO(b"x" * 10), filename="ten.bin")
    with sync_client.create_session(workspace_id=wid) as session:
        assert session.exec("cat seed.txt; wc -c < ten.bin").output == "seeded\n10\n"
        session.write("from-session.txt", "hi")
        with pytest.raises(ConflictError):
            ws.delete()
    assert ws.read_text("from-session.txt") == "hi"
    assert wid in [w.id for w in sync_client.list_workspaces()]
    sync_client.delete_workspace(wid)
    assert wid not in [w.id for w in sync_client.list_workspaces()]
