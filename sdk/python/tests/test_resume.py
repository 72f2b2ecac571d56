"""A streaming command survives dropped connections: the SDK reconnects and goes on where it was.

The SDK talks to the daemon through a proxy (tests/proxy.py) that breaks the connection in the
middle of the output several times; the consumer must still get every byte once, in order.
"""

from __future__ import annotations

import json
import time

import anyio
import httpx
import pytest

from sandkasten import ExecInfo, SandboxClient, Session, StreamError, SyncSandboxClient

from .conftest import Daemon
from .proxy import CuttingProxy

pytestmark = pytest.mark.anyio

# About 3.4 MB of numbered lines, below the daemon's retention in the tests (4 MiB): the daemon
# protects a departed client's output from its send position, not from what the client received,
# so output in flight at a cut could be dropped (a gap) if the command wrote past the retention.
LINES = 500_000
EXPECTED = "".join(f"{i}\n" for i in range(1, LINES + 1))


def assert_same_text(got: str, want: str) -> None:
    # Without a diff of megabytes when it fails: where the texts part, and what is there.
    if got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
        raise AssertionError(
            f"got {len(got)} characters, want {len(want)}; first difference at {at}: "
            f"got {got[max(0, at - 20) : at + 20]!r}, want {want[max(0, at - 20) : at + 20]!r}"
        )


async def wait_for_state(session: Session, exec_id: str, want: str, limit_s: float = 20) -> ExecInfo:
    deadline = time.monotonic() + limit_s
    while True:
        info = await session.get_exec(exec_id)
        if info.state == want or time.monotonic() > deadline:
            return info
        await anyio.sleep(0.1)


async def test_every_byte_arrives_once_and_in_order_across_cuts(daemon: Daemon, proxy: CuttingProxy) -> None:
    bodies: list[bytes] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/exec/stream"):
            bodies.append(request.content)

    async with SandboxClient(base_url=proxy.url, api_key=daemon.api_key) as client:
        client._http.event_hooks["request"].append(record)
        async with await client.create_session() as session:
            proxy.cut_every(500_000, max_cuts=6)
            parts: list[str] = []
            ids: list[int] = []
            done = None
            async for chunk in session.exec_stream(f"seq 1 {LINES}", timeout_ms=120_000):
                assert chunk.kind != "gap"
                if chunk.done:
                    done = chunk
                else:
                    parts.append(chunk.output)
                    assert chunk.event_id is not None
                    ids.append(chunk.event_id)
            proxy.stop_cutting()
            assert done is not None and done.exit_code == 0
            info = await session.get_exec(done.exec_id or "")
    assert proxy.cuts == 6, "the proxy did not cut the stream as often as planned"
    assert_same_text("".join(parts), EXPECTED)
    assert ids == sorted(set(ids)), "an event was delivered twice or out of order"
    assert ids[-1] == len(EXPECTED)  # event ids are offsets in the output
    assert info.state == "exited" and info.stdout_bytes == len(EXPECTED)
    # The command was kept alive across the cuts because the SDK asked for a grace period.
    assert [json.loads(b)["detach_grace_ms"] for b in bodies] == [30_000]


async def test_without_a_grace_a_cut_ends_the_stream(daemon: Daemon, proxy: CuttingProxy) -> None:
    async with (
        SandboxClient(base_url=proxy.url, api_key=daemon.api_key) as client,
        await client.create_session() as session,
    ):
        proxy.cut_every(200_000, max_cuts=1)
        with pytest.raises(StreamError) as info:
            async for _chunk in session.exec_stream(f"seq 1 {LINES}", detach_grace_ms=0):
                pass
        e = info.value
        assert e.code is None and e.exec_id is not None
        assert "broke mid-stream" in str(e)
        assert (await wait_for_state(session, e.exec_id, "cancelled")).state == "cancelled"


async def test_gives_up_after_a_few_failed_reconnects(daemon: Daemon, proxy: CuttingProxy, session: Session) -> None:
    # The SDK's cancel cannot get through either, so the daemon ends the command after its grace.
    async with SandboxClient(base_url=proxy.url, api_key=daemon.api_key, detach_grace_ms=2000) as via_proxy:
        proxy.cut_every(100_000, max_cuts=1, then_refuse=True)
        start = time.monotonic()
        with pytest.raises(StreamError) as info:
            async for _chunk in Session(via_proxy, session.id).exec_stream("seq 1 1000000000"):
                pass
        elapsed = time.monotonic() - start
    e = info.value
    assert "attempts to resume it failed" in str(e), str(e)
    assert elapsed < 20
    assert e.exec_id is not None
    assert (await wait_for_state(session, e.exec_id, "cancelled")).state == "cancelled"
    assert (await session.exec("echo still here")).output == "still here\n"


async def test_leaving_early_cancels_at_once_despite_the_grace(session: Session) -> None:
    # With resume on, the daemon would keep the command for 30 s; the SDK's cancel must not wait for that.
    async with session.exec_stream("seq 1 100000000") as stream:
        async for _chunk in stream:
            break
    assert stream.exec_id is not None
    # The cancel has been sent when aclose() returns; the daemon records the end a moment later.
    assert (await wait_for_state(session, stream.exec_id, "cancelled", limit_s=10)).state == "cancelled"

    # A bare break: the stream is closed by the event loop's finalizer, shortly after.
    exec_id = None
    async for chunk in session.exec_stream("seq 1 100000000"):
        exec_id = chunk.exec_id
        break
    assert exec_id is not None
    assert (await wait_for_state(session, exec_id, "cancelled", limit_s=10)).state == "cancelled"


async def test_an_attached_stream_resumes_too(daemon: Daemon, proxy: CuttingProxy, session: Session) -> None:
    job = await session.exec_background(f"seq 1 {LINES}")
    async with SandboxClient(base_url=proxy.url, api_key=daemon.api_key) as via_proxy:
        proxy.cut_every(800_000, max_cuts=3)
        parts = [c.output async for c in Session(via_proxy, session.id).attach(job.id) if not c.done]
    assert proxy.cuts == 3
    assert_same_text("".join(parts), EXPECTED)


def test_the_sync_client_resumes_across_cuts(daemon: Daemon, proxy: CuttingProxy) -> None:
    lines = 300_000
    want = "".join(f"{i}\n" for i in range(1, lines + 1))
    with SyncSandboxClient(base_url=proxy.url, api_key=daemon.api_key) as client, client.create_session() as session:
        proxy.cut_every(500_000, max_cuts=3)
        parts = [c.output for c in session.exec_stream(f"seq 1 {lines}") if not c.done]
        proxy.stop_cutting()
    assert proxy.cuts == 3
    assert_same_text("".join(parts), want)
