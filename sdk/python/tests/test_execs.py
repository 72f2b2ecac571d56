"""Commands as resources: attach, list and get, background handles, stdin, signals and terminals."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import signal
import time

import pytest

from sandkasten import (
    BadRequestError,
    ConflictError,
    ExecChunk,
    ExecHandle,
    NotFoundError,
    Session,
)

from .conftest import EXEC_LOG_MAX_BYTES

pytestmark = pytest.mark.anyio

LIMIT_S = 20


async def collect(stream: object) -> list[ExecChunk]:
    return [chunk async for chunk in stream]  # type: ignore[attr-defined]


def text(chunks: list[ExecChunk]) -> str:
    return "".join(c.output for c in chunks)


async def until(check: object, what: str) -> None:
    """Polls an async predicate for up to LIMIT_S."""
    deadline = time.monotonic() + LIMIT_S
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


# --- attach ---------------------------------------------------------------------------------------


async def test_attach_from_the_start_and_from_an_event_id(session: Session) -> None:
    original = await collect(session.exec_stream("for i in 1 2 3 4 5; do echo line $i; done; echo err >&2"))
    exec_id = original[-1].exec_id
    assert exec_id is not None

    again = await collect(session.attach(exec_id))
    assert [(c.event_id, c.output, c.stream) for c in again] == [(c.event_id, c.output, c.stream) for c in original]
    assert again[-1].done and again[-1].exit_code == 0

    # After any chunk's id: exactly the chunks after it.
    for k, chunk in enumerate(original[:-1]):
        rest = await collect(session.attach(exec_id, from_=chunk.event_id))
        assert [(c.event_id, c.output) for c in rest] == [(c.event_id, c.output) for c in original[k + 1 :]]

    # from_ may be any byte offset: with base64 the stream starts at exactly that byte. The log
    # holds both streams in the order the daemon read them, which the first stream showed.
    log = text(original).encode()
    tail = await collect(session.attach(exec_id, from_=3, encoding="base64"))
    assert b"".join(base64.b64decode(c.output) for c in tail if not c.done) == log[3:]


async def test_two_attached_consumers_see_the_same_sequence(session: Session) -> None:
    job = await session.exec_background("for i in $(seq 1 40); do echo line $i; sleep 0.02; done; echo bye >&2")
    first, second = await asyncio.gather(collect(job.stream(chunk_size=64)), collect(job.stream(chunk_size=64)))
    assert [(c.event_id, c.output, c.stream, c.done) for c in first] == [
        (c.event_id, c.output, c.stream, c.done) for c in second
    ]
    # (The two streams' relative order in the log is the daemon's reading order: compare each alone.)
    assert text([c for c in first if c.stream == "stdout"]) == "".join(f"line {i}\n" for i in range(1, 41))
    assert text([c for c in first if c.stream == "stderr"]) == "bye\n"
    assert first[-1].exit_code == 0


async def test_attach_errors(session: Session) -> None:
    with pytest.raises(NotFoundError) as info:
        await collect(session.attach("ex_nosuchexec"))
    assert info.value.code == "EXEC_NOT_FOUND"
    done = (await collect(session.exec_stream("echo hi")))[-1]
    assert done.exec_id is not None
    with pytest.raises(BadRequestError):
        await collect(session.attach(done.exec_id, from_=10_000))
    with pytest.raises(ValueError, match="from_"):
        session.attach(done.exec_id, from_=-1)


async def test_leaving_an_attached_stream_does_not_cancel_the_command(session: Session) -> None:
    job = await session.exec_background("echo started; sleep 3; echo finished")
    async with job.stream() as stream:
        async for _chunk in stream:
            break
    assert (await job.info()).state == "running"
    info = await job.wait(timeout=LIMIT_S)
    assert (info.state, info.exit_code) == ("exited", 0)
    assert text(await collect(job.stream())) == "started\nfinished\n"


async def test_a_gap_in_the_retained_output_is_surfaced(session: Session) -> None:
    # Nobody is attached while the command writes over twice the retention, so the daemon keeps the
    # head and the most recent output and drops the middle; a stream from the start must say so.
    lines = 1_200_000
    job = await session.exec_background(f"seq 1 {lines}")
    info = await job.wait(timeout=LIMIT_S)
    total = sum(len(f"{i}\n") for i in range(1, lines + 1))
    assert info.stdout_bytes == total > 2 * EXEC_LOG_MAX_BYTES

    chunks = await collect(job.stream())
    gaps = [c for c in chunks if c.kind == "gap"]
    assert len(gaps) == 1 and gaps[0].output == "" and gaps[0].gap_bytes > 0
    received = sum(len(c.output.encode()) for c in chunks)
    assert received + gaps[0].gap_bytes == total
    assert gaps[0].event_id is not None
    head = text(chunks[: chunks.index(gaps[0])])
    assert head.startswith("1\n2\n3\n") and len(head.encode()) == gaps[0].event_id - gaps[0].gap_bytes
    assert text(chunks).endswith(f"{lines - 1}\n{lines}\n")
    assert chunks[-1].done and chunks[-1].exit_code == 0


# --- list and get ---------------------------------------------------------------------------------


async def test_list_and_get_execs(session: Session) -> None:
    blocking = await session.exec("echo one; exit 4")
    streamed = (await collect(session.exec_stream("echo two >&2")))[-1]
    execs = await session.list_execs()
    ids = [e.exec_id for e in execs]
    assert blocking.exec_id in ids and streamed.exec_id in ids
    assert ids.index(blocking.exec_id or "") < ids.index(streamed.exec_id or "")  # oldest first

    info = await session.get_exec(blocking.exec_id or "")
    assert (info.state, info.exit_code, info.cmd, info.cwd) == ("exited", 4, "echo one; exit 4", "/workspace")
    assert info.finished and not info.background and not info.pty and not info.cmd_truncated
    assert info.stdout_bytes == 4 and info.stderr_bytes == 0
    assert info.created_at and info.started_at and info.finished_at
    assert info.duration_ms is not None and info.timeout_ms > 0
    assert (await session.get_exec(streamed.exec_id or "")).stderr_bytes == 4

    with pytest.raises(NotFoundError) as e:
        await session.get_exec("ex_nosuchexec")
    assert e.value.code == "EXEC_NOT_FOUND"


async def test_a_long_command_is_listed_truncated(session: Session) -> None:
    cmd = "true # " + "x" * 2000
    result = await session.exec(cmd)
    info = await session.get_exec(result.exec_id or "")
    assert info.cmd_truncated and info.cmd == cmd[:1024]


# --- background commands --------------------------------------------------------------------------


async def test_background_returns_a_handle_at_once_and_wait_gives_the_exit_code(session: Session) -> None:
    start = time.monotonic()
    job = await session.exec_background("sleep 2; echo done; exit 7")
    assert time.monotonic() - start < 1.5, "exec_background waited for the command"
    assert isinstance(job, ExecHandle) and job.id.startswith("ex_") and job.session is session
    first = await job.info()
    assert first.background and first.state in ("queued", "running")
    # The session's next commands run beside it.
    assert (await session.exec("echo beside")).output == "beside\n"
    info = await job.wait(timeout=LIMIT_S)
    assert (info.state, info.exit_code) == ("exited", 7)
    assert text(await collect(job.stream())) == "done\n"


async def test_wait_times_out_and_cancel_ends_the_command(session: Session) -> None:
    job = await session.exec_background("sleep 100")
    with pytest.raises(TimeoutError):
        await job.wait(timeout=0.5)
    assert await job.cancel() is True
    info = await job.wait(timeout=LIMIT_S)
    assert (info.state, info.exit_code) == ("cancelled", None)
    assert await job.cancel() is False  # already over
    assert (await session.exec("pgrep -x sleep")).exit_code == 1


async def test_stdin_drives_read_and_cat(session: Session) -> None:
    job = await session.exec_background("read name; echo hello $name; cat | tr a-z A-Z", stdin=True)
    assert await job.write_stdin("Ada\n") == 4
    assert await session.write_stdin(job, b"more \xc3\xa9 input\n") == 14
    await job.close_stdin()
    info = await job.wait(timeout=LIMIT_S)
    assert (info.state, info.exit_code) == ("exited", 0)
    assert text(await collect(job.stream())) == "hello Ada\nMORE é INPUT\n"
    with pytest.raises(ConflictError) as e:
        await job.write_stdin("late\n")
    assert e.value.code == "STDIN_CLOSED"


async def test_stdin_larger_than_one_write(session: Session) -> None:
    data = bytes(range(256)) * 12_289  # 3 MiB and a bit: sent in several pieces
    job = await session.exec_background("sha256sum | cut -d' ' -f1", stdin=True)
    assert await job.write_stdin(data, close=True) == len(data)
    await job.wait(timeout=LIMIT_S)
    assert text(await collect(job.stream())) == hashlib.sha256(data).hexdigest() + "\n"


async def test_stdin_of_a_streaming_command(session: Session) -> None:
    stream = session.exec_stream("cat; echo end", stdin=True)
    exec_id = await stream.open()
    assert exec_id == stream.exec_id and exec_id.startswith("ex_")
    assert await stream.open() == exec_id  # once open, open() just answers
    await session.write_stdin(stream, "first\n")
    await session.write_stdin(exec_id, "second\n", close=True)
    chunks = await collect(stream)
    assert text(chunks) == "first\nsecond\nend\n" and chunks[-1].exit_code == 0


async def test_stdin_errors(session: Session) -> None:
    job = await session.exec_background("sleep 5")
    with pytest.raises(ConflictError) as e:
        await job.write_stdin("x")
    assert e.value.code == "NO_STDIN"
    await job.cancel()
    with pytest.raises(TypeError):
        await session.write_stdin(job, 42)  # type: ignore[arg-type]
    not_started = session.exec_stream("true")
    with pytest.raises(ValueError, match="open"):
        await session.write_stdin(not_started, "x")
    await not_started.aclose()


# --- signals --------------------------------------------------------------------------------------


async def test_sigint_ends_python_and_the_shell_goes_on(session: Session) -> None:
    await session.exec("export KEPT=yes; cd /tmp")
    job = await session.exec_background("python3 -c 'import time; print(\"ready\", flush=True); time.sleep(100)'")

    # Python's own start-up must be over: a SIGINT that lands while it initialises can end it
    # with status 1 instead of a KeyboardInterrupt.
    async def sleeping() -> bool:
        return (await job.info()).stdout_bytes > 0

    await until(sleeping, "python to start")
    assert await session.signal(job, "SIGINT") >= 1
    info = await job.wait(timeout=LIMIT_S)
    # 128 + SIGINT: Python re-raises SIGINT on itself after an uncaught KeyboardInterrupt.
    assert (info.state, info.exit_code) == ("exited", 130)
    result = await session.exec("echo ok $KEPT $PWD")
    assert result.output == "ok yes /tmp\n"


async def test_signal_a_foreground_stream_and_errors(session: Session) -> None:
    stream = session.exec_stream("echo ready; sleep 100; echo after")
    seen = []
    async for chunk in stream:
        seen.append(chunk)
        if chunk.output == "ready\n":
            assert await session.signal(stream, signal.SIGTERM) >= 1
    # The sleep died of the signal (bash reports it on stderr); the command went on to its next line.
    assert text([c for c in seen if c.stream == "stdout"]) == "ready\nafter\n" and seen[-1].exit_code == 0
    assert "Terminated" in text([c for c in seen if c.stream == "stderr"])

    with pytest.raises(ConflictError) as e:
        await session.signal(seen[-1].exec_id or "", "SIGINT")
    assert e.value.code == "EXEC_NOT_RUNNING"
    job = await session.exec_background("sleep 30")
    with pytest.raises(BadRequestError):
        await job.signal("SIGBOGUS")
    with pytest.raises(ValueError):
        await job.signal("")
    await job.cancel()


# --- terminals ------------------------------------------------------------------------------------


async def test_pty_commands_see_a_terminal(session: Session) -> None:
    assert (await session.exec("test -t 1 && echo tty || echo pipe")).output == "pipe\n"
    assert (await session.exec("test -t 1 && echo tty || echo pipe", pty=True)).output == "tty\n"
    chunks = await collect(session.exec_stream("test -t 1 && echo tty; stty size", pty=True, cols=100, rows=30))
    assert text(chunks) == "tty\n30 100\n"
    with pytest.raises(ValueError, match="pty"):
        session.exec_stream("true", cols=100)


async def test_resize_changes_the_terminal_size(session: Session) -> None:
    job = await session.exec_background("stty size; read line; stty size", pty=True, stdin=True, cols=80, rows=24)

    async def resized() -> bool:
        try:
            await job.resize(120, 40)
        except ConflictError as e:
            assert e.code == "EXEC_NOT_RUNNING"  # its terminal is not open yet
            return False
        return True

    await until(resized, "the terminal to open")
    await job.write_stdin("go\n", close=True)
    info = await job.wait(timeout=LIMIT_S)
    assert (info.state, info.exit_code, info.pty) == ("exited", 0, True)
    lines = text(await collect(job.stream())).splitlines()
    # The first stty may run before or after the resize; the last one runs after it. The input is echoed.
    assert lines[0] in ("24 80", "40 120") and lines[1:] == ["go", "40 120"]

    plain = await session.exec_background("sleep 30")
    with pytest.raises(ConflictError) as e:
        await plain.resize(100, 30)
    assert e.value.code == "NO_PTY"
    await plain.cancel()
