"""Streaming throughput through the SDK: the output of a large command reaching Python code.

Environment: SANDKASTEN_URL and SANDKASTEN_API_KEY (the daemon); SANDKASTEN_BENCH_BYTES, the
output size (default 1 GiB); SANDKASTEN_BENCH_CHUNK_SIZE, the chunk size asked of the daemon
(default: the daemon's, 16 KiB); SANDKASTEN_BENCH_CLIENT, ``async`` (default) or ``sync``.

Prints one JSON line on stdout, and the client's own CPU time on stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass

from sandkasten import SandboxClient, SyncSandboxClient


@dataclass
class Run:
    received: int = 0
    chunks: int = 0
    exit_code: int | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def command(n: int) -> str:
    return f"head -c {n} /dev/zero | tr '\\0' a"


async def run_async(n: int, chunk_size: int | None) -> Run:
    run = Run()
    async with SandboxClient() as client:
        session = await client.create_session(image="base")
        try:
            cpu, start = time.process_time(), time.perf_counter()
            async for chunk in session.exec_stream(command(n), chunk_size=chunk_size, timeout_ms=600_000):
                run.received += len(chunk.output)
                if chunk.done:
                    run.exit_code = chunk.exit_code
                else:
                    run.chunks += 1
            run.seconds, run.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        finally:
            await session.destroy()
    return run


def run_sync(n: int, chunk_size: int | None) -> Run:
    run = Run()
    with SyncSandboxClient() as client:
        session = client.create_session(image="base")
        try:
            cpu, start = time.process_time(), time.perf_counter()
            for chunk in session.exec_stream(command(n), chunk_size=chunk_size, timeout_ms=600_000):
                run.received += len(chunk.output)
                if chunk.done:
                    run.exit_code = chunk.exit_code
                else:
                    run.chunks += 1
            run.seconds, run.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        finally:
            session.destroy()
    return run


def main() -> None:
    n = int(os.environ.get("SANDKASTEN_BENCH_BYTES") or 1 << 30)
    size = os.environ.get("SANDKASTEN_BENCH_CHUNK_SIZE")
    chunk_size = int(size) if size else None
    mode = os.environ.get("SANDKASTEN_BENCH_CLIENT", "async")
    run = run_sync(n, chunk_size) if mode == "sync" else asyncio.run(run_async(n, chunk_size))
    if run.received != n or run.exit_code != 0:
        sys.exit(f"bench: expected {n} bytes and exit 0, got {run.received} bytes and exit {run.exit_code}")
    print(
        json.dumps(
            {
                "sdk": "python",
                "bytes": run.received,
                "seconds": round(run.seconds, 3),
                "mb_per_s": round(run.received / run.seconds / 1e6, 1),
                "chunks": run.chunks,
                "chunks_per_s": round(run.chunks / run.seconds, 1),
            }
        )
    )
    print(
        f"python {mode} client, chunk_size={chunk_size or 'daemon default'}: "
        f"{run.cpu_seconds:.2f} s of client CPU, {run.received / run.cpu_seconds / 1e6:.0f} MB per CPU-second, "
        f"{run.cpu_seconds / max(run.chunks, 1) * 1e6:.0f} us per chunk",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
