"""Blocking exec against the real daemon."""

from __future__ import annotations

import base64

import pytest

from sandkasten import CommandTimeoutError, ExecResult, Session, StreamError

pytestmark = pytest.mark.anyio


async def test_result_fields(session: Session) -> None:
    result = await session.exec("echo out; echo err >&2; cd /tmp; exit 3")
    assert isinstance(result, ExecResult)
    assert result.exit_code == 3
    assert result.cwd == "/tmp"
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert sorted(result.output.splitlines()) == ["err", "out"]
    assert result.truncated is False
    assert result.duration_ms >= 0
    assert result.exec_id is not None and result.exec_id.startswith("ex_")
    assert result.state_lost is False


async def test_shell_state_persists_between_commands(session: Session) -> None:
    await session.exec("cd /tmp && export COLOR=blue && greet() { echo hello $1; }")
    result = await session.exec("greet $COLOR; pwd")
    assert result.output == "hello blue\n/tmp\n"
    assert result.cwd == "/tmp"


async def test_per_command_env_and_cwd_leave_the_shell_alone(session: Session) -> None:
    result = await session.exec("echo $WHO in $PWD", env={"WHO": "me"}, cwd="/tmp")
    assert result.output == "me in /tmp\n"
    assert (await session.exec("echo [$WHO] $PWD")).output == "[] /workspace\n"


async def test_any_bash_source_runs_as_typed(session: Session) -> None:
    cmd = "cat <<'EOF'\nquotes ' \" and $dollar\nEOF\nprintf '%s\\n' \"tab\there\""
    assert (await session.exec(cmd)).output == "quotes ' \" and $dollar\ntab\there\n"


async def test_unicode_and_raw_output(session: Session) -> None:
    assert (await session.exec("echo 'héllo wörld ✓ 😀'")).output == "héllo wörld ✓ 😀\n"
    colored = "printf '\\033[31mred\\033[0m\\r\\n'"
    assert (await session.exec(colored)).output == "red\n"
    assert (await session.exec(colored, raw_output=True)).output == "\x1b[31mred\x1b[0m\r\n"


async def test_base64_encoding_is_byte_exact(session: Session) -> None:
    result = await session.exec("printf '\\377\\000a'", encoding="base64")
    assert base64.b64decode(result.output) == b"\xff\x00a"
    chunks = [c.output async for c in session.exec_stream("printf '\\376'", encoding="base64") if not c.done]
    assert base64.b64decode("".join(chunks)) == b"\xfe"


async def test_large_output_is_truncated_in_the_middle(session: Session) -> None:
    result = await session.exec("seq 1 400000")  # ~2.6 MB, over the daemon's 1 MiB limit
    assert result.truncated
    assert result.omitted_bytes > 0
    assert result.output.startswith("1\n2\n3\n")
    assert result.output.endswith("399999\n400000\n")


async def test_timeout_raises_with_the_partial_output(session: Session) -> None:
    with pytest.raises(CommandTimeoutError) as info:
        await session.exec("echo started; sleep 30", timeout_ms=1000)
    e = info.value
    assert isinstance(e, StreamError)
    assert "started\n" in e.output
    assert e.result is not None and e.result.stdout == "started\n"
    assert e.exec_id is not None
    assert e.duration_ms is not None and e.duration_ms >= 1000
    assert "timeout_ms" in str(e)
    # The session is ready for the next command.
    assert (await session.exec("echo next")).output == "next\n"


async def test_bad_timeout_is_rejected_before_sending(session: Session) -> None:
    with pytest.raises(ValueError, match="timeout_ms"):
        await session.exec("true", timeout_ms=0)


async def test_exit_keeps_the_shell_and_ending_the_shell_reports_state_lost(session: Session) -> None:
    await session.exec("export KEEP=1")
    result = await session.exec("exit 4")
    assert (result.exit_code, result.state_lost) == (4, False)
    assert (await session.exec("echo $KEEP")).output == "1\n"
    lost = await session.exec("builtin exit 5")
    assert lost.state_lost is True
    assert (await session.exec("echo [$KEEP]")).output == "[]\n"
