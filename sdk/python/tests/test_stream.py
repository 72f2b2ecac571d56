"""Streaming exec against the real daemon."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from sandkasten import (
    BadRequestError,
    CommandCancelledError,
    CommandTimeoutError,
    ExecChunk,
    NotFoundError,
    SandboxClient,
    Session,
    StreamError,
)

pytestmark = pytest.mark.anyio


async def collect(session: Session, cmd: str, **kwargs: object) -> list[ExecChunk]:
    return [chunk async for chunk in session.exec_stream(cmd, **kwargs)]  # type: ignore[arg-type]


async def test_chunks_then_done(session: Session) -> None:
    chunks = await collect(session, "echo out; echo err >&2; cd /tmp; exit 3")
    *output, done = chunks
    assert done.done and done.output == ""
    assert (done.exit_code, done.cwd) == (3, "/tmp")
    assert done.duration_ms is not None and done.duration_ms >= 0
    assert done.exec_id is not None and done.exec_id.startswith("ex_")
    assert not any(c.done for c in output)
    by_stream = {s: "".join(c.output for c in output if c.stream == s) for s in ("stdout", "stderr")}
    assert by_stream == {"stdout": "out\n", "stderr": "err\n"}
    now_ms = time.time() * 1000
    assert all(abs(c.timestamp - now_ms) < 600_000 for c in chunks)
    assert all(c.exec_id == done.exec_id and c.exit_code is None for c in output)


async def test_output_arrives_while_the_command_runs(session: Session) -> None:
    arrivals: list[tuple[float, ExecChunk]] = []
    async for chunk in session.exec_stream("echo first; sleep 3; echo second"):
        arrivals.append((time.monotonic(), chunk))
    first_at = next(t for t, c in arrivals if c.output == "first\n")
    done_at = next(t for t, c in arrivals if c.done)
    # Loose on purpose: the point is that "first" did not wait for the command's end.
    assert done_at - first_at > 1.5


async def test_progress_without_newline_is_streamed(session: Session) -> None:
    arrivals = []
    async for chunk in session.exec_stream("printf 'step 1 '; sleep 2; printf 'step 2'"):
        arrivals.append((time.monotonic(), chunk.output))
    assert "".join(o for _, o in arrivals) == "step 1 step 2"
    assert arrivals[-1][0] - arrivals[0][0] > 1.0


async def test_large_output_arrives_whole_and_in_order(session: Session) -> None:
    # ~39 MB: every byte must arrive, in order, split into chunks no larger than asked.
    cmd = "seq 1 5000000"
    expected = hashlib.sha256("".join(f"{i}\n" for i in range(1, 5_000_001)).encode()).hexdigest()
    digest = hashlib.sha256()
    sizes = []
    async for chunk in session.exec_stream(cmd, chunk_size=65536):
        if chunk.done:
            assert chunk.exit_code == 0
        else:
            digest.update(chunk.output.encode())
            sizes.append(len(chunk.output.encode()))
    assert digest.hexdigest() == expected
    assert max(sizes) <= 65536


async def test_multibyte_text_across_chunk_boundaries(session: Session) -> None:
    # chunk_size 7 cuts through the 2-, 3- and 4-byte characters; none may be broken.
    text = "héllo wörld ✓ 😀 " * 50
    chunks = await collect(session, f"printf '%s' '{text}'", chunk_size=7)
    assert "".join(c.output for c in chunks) == text
    assert "\ufffd" not in "".join(c.output for c in chunks)


async def test_raw_output(session: Session) -> None:
    cmd = "printf '\\033[1mbold\\033[0m\\r\\n'"
    assert "".join(c.output for c in await collect(session, cmd)) == "bold\n"
    assert "".join(c.output for c in await collect(session, cmd, raw_output=True)) == "\x1b[1mbold\x1b[0m\r\n"


async def test_per_command_env_and_cwd(session: Session) -> None:
    chunks = await collect(session, "echo $WHO in $PWD", env={"WHO": "me"}, cwd="/tmp")
    assert "".join(c.output for c in chunks) == "me in /tmp\n"


async def test_timeout_raises_command_timeout_with_output_so_far(session: Session) -> None:
    seen = []
    with pytest.raises(CommandTimeoutError) as info:
        async for chunk in session.exec_stream("echo begun; sleep 30", timeout_ms=1000):
            seen.append(chunk.output)
    e = info.value
    assert isinstance(e, StreamError)
    assert e.output.startswith("begun\n")
    assert e.output == "".join(seen)
    assert e.exec_id is not None and e.code == "COMMAND_TIMEOUT"
    assert "timed out" in str(e) and "timeout_ms" in str(e)
    assert (await session.exec("echo ok")).output == "ok\n"


async def test_errors_before_the_stream_starts(client: SandboxClient, session: Session) -> None:
    with pytest.raises(NotFoundError):
        await collect(Session(client, "sb_nosuchsession"), "true")
    with pytest.raises(BadRequestError, match="chunk_size"):
        await collect(session, "true", chunk_size=2**31)
    with pytest.raises(ValueError, match="chunk_size"):
        session.exec_stream("true", chunk_size=-1)


async def test_cancel_from_another_task_ends_the_stream(session: Session) -> None:
    stream = session.exec_stream("echo ready; sleep 60")
    outputs = []

    async def cancel_when_ready() -> bool:
        while "ready\n" not in outputs:
            await asyncio.sleep(0.05)
        return await stream.cancel()

    canceller = asyncio.create_task(cancel_when_ready())
    with pytest.raises(CommandCancelledError):
        async for chunk in stream:
            outputs.append(chunk.output)
    assert await canceller is True
    assert stream.exec_id is not None
    assert await session.cancel(stream.exec_id) is False  # already over
    assert (await session.exec("echo after")).output == "after\n"


async def test_exec_id_is_known_once_started(session: Session) -> None:
    stream = session.exec_stream("echo x")
    assert stream.exec_id is None
    first = await stream.__anext__()
    assert stream.exec_id is not None and first.exec_id == stream.exec_id
    await stream.aclose()
