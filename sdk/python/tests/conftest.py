"""Test fixtures: one real daemon per test run, fresh sessions per test.

The daemon is the jar named by SANDKASTEN_SERVER_JAR (``./sandkasten test python`` and
``run-tests.sh`` set it), started on a free loopback port with a temporary data directory and a
fixed API key, and stopped (SIGTERM, then SIGKILL) at the end of the run, even on failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sandkasten import SandboxClient, Session, SyncSandboxClient

from .proxy import CuttingProxy

REPO_ROOT = Path(__file__).resolve().parents[3]
API_KEY = "sdk-python-test-key-0123456789"
# Without the SDK's cancel the daemon would keep a disconnected stream's command alive this long,
# so the cancel tests can tell the SDK's cancel from the daemon's own clean-up.
DISCONNECT_GRACE_MS = 60_000
# The smallest retention the daemon allows, so a test can make it drop output (a gap) cheaply.
EXEC_LOG_MAX_BYTES = 4 << 20
# Small enough that a test can hit the limit of a raw upload; large enough for the 24 MB round trip.
MAX_FILE_BYTES = 40 << 20
# The daemon's default; files over it are refused by the JSON read route.
MAX_READ_BYTES = 16 << 20


@dataclass(frozen=True)
class Daemon:
    url: str
    api_key: str
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _java() -> str:
    # The repository's JDK finder tries $JAVA_HOME, `java` on PATH, then /usr/lib/jvm/* for a 21+.
    lib = REPO_ROOT / "scripts" / "lib.sh"
    found = subprocess.run(
        ["bash", "-c", 'source "$1" && sk_find_jdk', "bash", str(lib)], capture_output=True, text=True
    )
    if found.returncode != 0 or not found.stdout.strip():
        pytest.exit(f"no JDK 21+ found for the daemon:\n{found.stderr}", 2)
    return str(Path(found.stdout.strip()) / "bin" / "java")


def _server_jar() -> Path:
    jar = Path(os.environ.get("SANDKASTEN_SERVER_JAR") or REPO_ROOT / "server/target/sandkasten-server.jar")
    if not jar.is_file():
        pytest.exit(
            f"daemon jar not found at {jar}: run ./sandkasten test python, or build it with "
            "./mvnw -q -B -DskipTests -pl server -am package and set SANDKASTEN_SERVER_JAR",
            2,
        )
    return jar


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    data_dir = Path(tempfile.mkdtemp(prefix="sk-sdk-python-"))
    log_path = data_dir.with_suffix(".log")
    port = _free_port()
    env = {
        **os.environ,
        "SANDKASTEN_API_KEY": API_KEY,
        "SANDKASTEN_DISCONNECT_GRACE_MS": str(DISCONNECT_GRACE_MS),
        "SANDKASTEN_EXEC_LOG_MAX_BYTES": str(EXEC_LOG_MAX_BYTES),
        "SANDKASTEN_MAX_FILE_BYTES": str(MAX_FILE_BYTES),
        "SANDKASTEN_MAX_READ_BYTES": str(MAX_READ_BYTES),
    }
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            _java(),
            "-XX:+UseSerialGC",
            "-Xms64m",
            "-Xmx1g",
            "-jar",
            str(_server_jar()),
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.exit(f"the daemon exited with {proc.returncode} on start:\n{log_path.read_text()[-4000:]}", 2)
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.exit(f"the daemon did not answer /healthz within 90 s:\n{log_path.read_text()[-4000:]}", 2)
            time.sleep(0.1)
        yield Daemon(url, API_KEY, log_path)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        if proc.returncode in (0, 143, -signal.SIGTERM):
            log_path.unlink(missing_ok=True)
        else:
            print(f"daemon exited with {proc.returncode}; its log is at {log_path}")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(daemon: Daemon) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(base_url=daemon.url, api_key=daemon.api_key) as c:
        yield c


@pytest.fixture
async def session(client: SandboxClient) -> AsyncIterator[Session]:
    async with await client.create_session() as s:
        yield s


@pytest.fixture
def sync_client(daemon: Daemon) -> Iterator[SyncSandboxClient]:
    with SyncSandboxClient(base_url=daemon.url, api_key=daemon.api_key) as c:
        yield c


@pytest.fixture
def proxy(daemon: Daemon) -> Iterator[CuttingProxy]:
    p = CuttingProxy(daemon.url)
    yield p
    p.close()
