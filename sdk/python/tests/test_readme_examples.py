"""The README's examples of background commands, attach, input, signals, terminals, files and
workspaces, run as they stand against the daemon.

Each block marked ``<!-- example: NAME -->`` in sdk/python/README.md is compiled with top-level
``await`` and run with a live ``session`` and ``client``; what it prints is checked below.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from sandkasten import ConflictError, NotFoundError, SandboxClient, Session

pytestmark = pytest.mark.anyio

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = dict(re.findall(r"<!-- example: (\w+) -->\n```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S))

Setup = Callable[[Session, dict[str, Any], Path], Awaitable[None]]


async def gap_setup(session: Session, ns: dict[str, Any], tmp: Path) -> None:
    # A command that wrote over twice the daemon's retention with nobody reading: its middle is gone.
    job = await session.exec_background("seq 1 1200000")
    await job.wait(timeout=30)
    ns["exec_id"] = job.id


async def list_setup(session: Session, ns: dict[str, Any], tmp: Path) -> None:
    ns["job"] = await session.exec_background("echo listed")
    await ns["job"].wait(timeout=30)


async def files_setup(session: Session, ns: dict[str, Any], tmp: Path) -> None:
    (tmp / "dataset.csv").write_text("name,value\nalpha,1\nbeta,2\n")


async def no_setup(session: Session, ns: dict[str, Any], tmp: Path) -> None:
    pass


def check_gap(out: str, ns: dict[str, Any]) -> None:
    # Computed first, so that a failure does not print megabytes of output.
    gaps = len(re.findall(r"\[\.\.\. \d+ bytes dropped \.\.\.\]\n", out))
    head_and_tail = out.startswith("1\n2\n3\n") and out.endswith("1199999\n1200000\n")
    assert gaps == 1 and head_and_tail, f"{gaps} gap lines; output starts {out[:30]!r}, ends {out[-30:]!r}"


def check_background(out: str, ns: dict[str, Any]) -> None:
    assert out == "meanwhile\n\nexited 3\nbuilt\ncancelled\n"


def check_attach(out: str, ns: dict[str, Any]) -> None:
    assert out == "step 2\nstep 3\n"


def check_list(out: str, ns: dict[str, Any]) -> None:
    assert f"{ns['job'].id} exited 0 echo listed\n" in out
    assert out.endswith(" True\n")  # duration, bytes, background


def check_stdin(out: str, ns: dict[str, Any]) -> None:
    assert out == "42\n\napple\npear\n"


def check_signal(out: str, ns: dict[str, Any]) -> None:
    assert out == "1\n130\nthe shell is fine\n\n"


def check_pty(out: str, ns: dict[str, Any]) -> None:
    assert out == "tty\n\n40 120\n"


def check_files(out: str, ns: dict[str, Any]) -> None:
    assert out.startswith("print('hi')\n\n['/workspace/data/dataset.csv']\n26\nfile 26 dataset.csv\n26 False\n")
    assert out.endswith("/workspace/out/plots\nb'name,value' True 26\n")
    assert ns["data"] == b"print('hi')\n"
    assert Path("copy.csv").read_text() == "name,value\nalpha,1\nbeta,2\n"


def check_workspaces(out: str, ns: dict[str, Any]) -> None:
    assert out.startswith("42\n\n['config.json', 'main.py']\n")
    assert "project-42 0\n" in out


CASES: dict[str, tuple[Setup, Callable[[str, dict[str, Any]], None]]] = {
    "gap": (gap_setup, check_gap),
    "background": (no_setup, check_background),
    "attach": (no_setup, check_attach),
    "list": (list_setup, check_list),
    "stdin": (no_setup, check_stdin),
    "signal": (no_setup, check_signal),
    "pty": (no_setup, check_pty),
    "files": (files_setup, check_files),
    "workspaces": (no_setup, check_workspaces),
}


def test_every_marked_example_is_run() -> None:
    assert set(EXAMPLES) == set(CASES)


@pytest.mark.parametrize("name", list(CASES))
async def test_readme_example(
    name: str,
    client: SandboxClient,
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup, check = CASES[name]
    monkeypatch.chdir(tmp_path)
    ns: dict[str, Any] = {"client": client, "session": session, "asyncio": asyncio, "ConflictError": ConflictError}
    await setup(session, ns, tmp_path)
    capsys.readouterr()
    compiled = compile(EXAMPLES[name], f"<README example {name}>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    try:
        coroutine = eval(compiled, ns)
        if coroutine is not None:
            await asyncio.wait_for(coroutine, 60)
    finally:
        if name == "workspaces":
            with contextlib.suppress(NotFoundError):
                await client.delete_workspace("project-42")
    check(capsys.readouterr().out, ns)
