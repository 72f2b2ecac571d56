"""Leaving a stream early cancels its command on the daemon at once.

A stream asks the daemon to keep its command alive for 30 s after the client vanished (the SDK's
detach grace, so it can resume), and the test daemon's own default is 60 s (DISCONNECT_GRACE_MS),
so a command that is gone within the 20 s these tests allow was cancelled by the SDK, not by the
daemon's clean-up. Commands of a session run one at a time, so the next exec also shows it:
it could not start while the old command still ran.
"""

from __future__ import annotations

import asyncio
import time

import anyio
import httpx
import pytest

from sandkasten import SandboxClient, Session
from sandkasten._protocol import DEFAULT_DETACH_GRACE_MS

from .conftest import DISCONNECT_GRACE_MS

pytestmark = pytest.mark.anyio

LIMIT_S = 20
assert min(DISCONNECT_GRACE_MS, DEFAULT_DETACH_GRACE_MS) > LIMIT_S * 1000


async def assert_no_process(session: Session, name: str) -> None:
    start = time.monotonic()
    result = await asyncio.wait_for(session.exec(f"pgrep -x {name}"), LIMIT_S)
    assert result.exit_code == 1, f"{name} still runs: {result.output}"
    assert time.monotonic() - start < LIMIT_S


@pytest.fixture
async def log_session(session: Session) -> Session:
    await session.exec("seq 1 5 > /tmp/app.log")
    return session


async def test_break(log_session: Session) -> None:
    async for chunk in log_session.exec_stream("tail -f /tmp/app.log", timeout_ms=60000):
        assert "1\n" in chunk.output
        break
    await assert_no_process(log_session, "tail")


async def test_exception_inside_the_loop(log_session: Session) -> None:
    with pytest.raises(KeyError):
        async for _chunk in log_session.exec_stream("tail -f /tmp/app.log"):
            raise KeyError("boom")
    await assert_no_process(log_session, "tail")


async def test_task_cancellation(log_session: Session) -> None:
    got_output = asyncio.Event()

    async def follow() -> None:
        async for _chunk in log_session.exec_stream("tail -f /tmp/app.log"):
            got_output.set()

    task = asyncio.create_task(follow())
    await asyncio.wait_for(got_output.wait(), LIMIT_S)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await assert_no_process(log_session, "tail")


async def test_timeout_around_the_loop(log_session: Session) -> None:
    async def follow() -> None:
        async for _chunk in log_session.exec_stream("tail -f /tmp/app.log"):
            pass

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(follow(), 1.0)
    await assert_no_process(log_session, "tail")


async def test_cancelled_before_any_output(session: Session) -> None:
    async def first_chunk() -> None:
        async for _chunk in session.exec_stream("sleep 120"):
            pass

    task = asyncio.create_task(first_chunk())
    await asyncio.sleep(1.0)  # the request is sent and the command runs, silent
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await assert_no_process(session, "sleep")


async def test_async_with_and_aclose(log_session: Session) -> None:
    async with log_session.exec_stream("tail -f /tmp/app.log") as stream:
        async for _chunk in stream:
            break
    await assert_no_process(log_session, "tail")

    stream = log_session.exec_stream("tail -f /tmp/app.log")
    await stream.__anext__()
    await stream.aclose()
    await assert_no_process(log_session, "tail")
    await stream.aclose()  # closing twice is harmless


async def test_break_on_done_sends_no_cancel(client: SandboxClient, session: Session) -> None:
    # A finished command must not be cancelled afterwards, e.g. hitting the next command.
    deletes: list[str] = []

    async def record(request: httpx.Request) -> None:
        if request.method == "DELETE":
            deletes.append(request.url.path)

    hooks = client._http.event_hooks
    hooks["request"].append(record)
    try:
        async for chunk in session.exec_stream("echo one"):
            if chunk.done:
                break
        assert (await session.exec("sleep 1; echo two")).output == "two\n"
        # Leaving before the done chunk does cancel: the hook sees the cancels it should.
        async for _chunk in session.exec_stream("echo three; sleep 30"):
            break
        assert (await session.exec("echo four")).output == "four\n"
    finally:
        hooks["request"].remove(record)
    assert len(deletes) == 1 and "/execs/" in deletes[0]


async def test_a_cancelled_async_with_block_still_destroys_its_session(client: SandboxClient) -> None:
    session_id = ""
    with anyio.move_on_after(0.5):
        async with await client.create_session() as s:
            session_id = s.id
            await anyio.sleep(30)
    assert session_id
    info = await Session(client, session_id).info()
    assert info.status == "destroyed"


async def test_shell_state_survives_the_cancel(log_session: Session) -> None:
    await log_session.exec("cd /tmp && export KEPT=yes")
    async for _chunk in log_session.exec_stream("tail -f /tmp/app.log"):
        break
    result = await asyncio.wait_for(log_session.exec("echo $KEPT $PWD"), LIMIT_S)
    assert result.output == "yes /tmp\n"
