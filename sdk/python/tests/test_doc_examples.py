"""Every Python example of the streaming document, run unchanged against the daemon.

Each example is compiled as it stands in the document (top-level ``await`` and ``async for``
included) and run with a live ``session``. The only edits are string swaps where an example needs
the network, which sandboxes do not have (``pip install``, ``wget``, ``npm``), or a value the
document leaves for the reader to fill in (``base_url="..."``); each swap is listed below and must
match the example's text. The code around the strings is the document's.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

from sandkasten import Session

from .conftest import REPO_ROOT, Daemon
from .doc_examples import EXAMPLES

pytestmark = pytest.mark.anyio

DOCUMENT = REPO_ROOT.parent / "shared" / "seeds" / "000_816ee4778e85699e.txt"


def fake_install(packages: str) -> str:
    """A local stand-in for `pip install ...`: progress lines over about a second, then success.

    It goes inside the example's double-quoted string, so it uses neither double quotes nor backslashes.
    """
    return f"for p in {packages}; do echo Collecting $p; sleep 0.2; done; echo 'Successfully installed {packages}'"


# Local commands for the strings that need the network.
SWAPS: dict[str, list[tuple[str, str]]] = {
    "blocking": [("pip install pandas", fake_install("pandas"))],
    "streaming": [("pip install pandas", fake_install("pandas"))],
    "sdk_usage": [("pip install requests", fake_install("requests"))],  # + base_url and api_key, below
    "progress_indicator": [("pip install pandas numpy scipy", fake_install("pandas numpy scipy"))],
    "interactive_progress_rich": [("pip install large-package", fake_install("large-package"))],
    "package_installation": [("pip install tensorflow", fake_install("tensorflow"))],
    "large_downloads": [
        (
            "wget https://large-file.zip",
            "for p in 10 40 70 100; do echo large-file.zip $p%; sleep 0.2; done; echo saved",
        )
    ],
    "build_output": [("npm run build", "echo '> build'; sleep 0.3; echo 'compiled 12 modules'")],
    "choose_the_right_mode": [("pip install pandas", fake_install("pandas"))],
    "set_appropriate_timeouts": [("pip install large-package", fake_install("large-package"))],
}

# Shell set-up some examples assume: the files they read.
SETUP = {
    "collect_and_display": (
        "cat > long_running.py <<'EOF'\n"
        "import time\nfor i in range(3):\n    print(f'step {i}')\n    time.sleep(0.3)\nprint('finished')\nEOF"
    ),
    "log_tailing": "printf 'started\\nlistening on :8000\\n' > /var/log/app.log",
}

Check = Callable[[str, dict[str, Any]], None]


def expect_in(*parts: str) -> Check:
    def check(out: str, ns: dict[str, Any]) -> None:
        for part in parts:
            assert part in out, f"{part!r} not in the example's output:\n{out}"

    return check


def check_collect(out: str, ns: dict[str, Any]) -> None:
    assert ns["full_output"] == "step 0\nstep 1\nstep 2\nfinished\n"
    assert out == ns["full_output"]


def check_rich(out: str, ns: dict[str, Any]) -> None:
    [task] = ns["progress"].tasks
    assert task.completed == 1  # progress.update(task, completed=True) was reached
    assert task.description  # set from the command's output


def check_blocking_then_stream(out: str, ns: dict[str, Any]) -> None:
    assert ns["result"].output == "/workspace\n"
    assert "Successfully installed pandas" in out


def check_memory(out: str, ns: dict[str, Any]) -> None:
    assert ns["processed"] == [""]  # `command` prints nothing; the done chunk's output is ""


CHECKS: dict[str, Check] = {
    "blocking": expect_in("Collecting pandas\n", "Successfully installed pandas\n"),
    "streaming": expect_in("Successfully installed pandas\n", "\nExit code: 0\n"),
    "sdk_usage": expect_in("hello\n", "Successfully installed requests\n", "Exit code: 0\n", "ms\n"),
    "progress_indicator": expect_in("Collecting scipy\n", "\n✅ Installation successful\n"),
    "collect_and_display": check_collect,
    "timeout_handling": expect_in("Error: command timed out after 5000 ms"),
    "interactive_progress_rich": check_rich,
    "error_handling": expect_in("invalid-command: command not found"),
    "package_installation": expect_in("Successfully installed tensorflow\n"),
    "large_downloads": expect_in("large-file.zip 100%\n", "saved\n"),
    "build_output": expect_in("compiled 12 modules\n"),
    "log_tailing": expect_in("started\n"),
    "choose_the_right_mode": check_blocking_then_stream,
    "handle_done_chunks": lambda out, ns: None,  # `command` exits 0: no exception is the check
    "set_appropriate_timeouts": lambda out, ns: None,
    "flush_output": lambda out, ns: None,
    "troubleshooting_timeout": lambda out, ns: None,
    "memory_usage": check_memory,
}


def test_every_example_is_covered() -> None:
    assert set(CHECKS) == set(EXAMPLES)
    assert set(SWAPS) <= set(EXAMPLES) and set(SETUP) <= set(EXAMPLES)


def test_examples_match_the_document() -> None:
    if not DOCUMENT.is_file():
        pytest.skip(f"the streaming document is not at {DOCUMENT}")
    blocks = re.findall(r"```python\n(.*?)```", DOCUMENT.read_text(encoding="utf-8"), re.S)
    assert blocks == list(EXAMPLES.values())


async def run_code(code: str, ns: dict[str, Any]) -> None:
    compiled = compile(code, "<streaming document example>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    coroutine = eval(compiled, ns)  # a coroutine when the code awaits, as these examples do
    if coroutine is not None:
        await coroutine


@pytest.mark.parametrize("name", list(EXAMPLES))
async def test_example(name: str, session: Session, daemon: Daemon, capsys: pytest.CaptureFixture[str]) -> None:
    code = EXAMPLES[name]
    swaps = list(SWAPS.get(name, []))
    if name == "sdk_usage":
        swaps += [('base_url="..."', f'base_url="{daemon.url}"'), ('api_key="..."', f'api_key="{daemon.api_key}"')]
    for old, new in swaps:
        assert old in code, f"swap {old!r} does not match the example any more"
        code = code.replace(old, new)
    if name in SETUP:
        assert (await session.exec(SETUP[name])).exit_code == 0

    processed: list[str] = []
    ns: dict[str, Any] = {
        "session": session,
        "some_condition": True,  # the log-tailing example stops at its first chunk
        "process_chunk": processed.append,
        "processed": processed,
    }
    capsys.readouterr()
    try:
        await asyncio.wait_for(run_code(code, ns), 60)
    finally:
        if name == "sdk_usage" and "client" in ns:  # the example makes its own client and session
            if ns["session"] is not session:
                await ns["session"].destroy()
            await ns["client"].close()
    out = capsys.readouterr().out
    CHECKS[name](out, ns)

    if name == "log_tailing":
        # Right after the `break`, the same session runs the next command, and tail is gone.
        result = await asyncio.wait_for(session.exec("pgrep -x tail"), 20)
        assert result.exit_code == 1, f"tail still runs: {result.output}"
