"""Streaming throughput through the SDK: the output of a large command reaching Python code.

Reads SANDKASTEN_URL and SANDKASTEN_API_KEY; SANDKASTEN_BENCH_BYTES sets the size (default 1 GiB),
SANDKASTEN_BENCH_CHUNK_SIZE the chunk size asked of the daemon (default: the daemon's, 16 KiB),
SANDKASTEN_BENCH_CLIENT `async` (default) or `sync`. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from sandkasten import SandboxClient, SyncSandboxClient


def _command(n: int) -> str:
    return f"head -c {n} /dev/zero | tr '\\0' a"


def _report(n_bytes: int, seconds: float, chunks: int) -> str:
    return json.dumps(
        {
            "sdk": "python",
            "bytes": n_bytes,
            "seconds": round(seconds, 3),
            "mb_per_s": round(n_bytes / seconds / 1e6, 1),
            "chunks": chunks,
            "chunks_per_s": round(chunks / seconds, 1),
        }
    )


async def run_async(n: int, chunk_size: int | None) -> str:
    async with SandboxClient() as client:
        session = await client.create_session(image="base")
        try:
            received = chunks = 0
            exit_code = None
            start = time.perf_counter()
            async for chunk in session.exec_stream(_command(n), chunk_size=chunk_size, timeout_ms=600_000):
                received += len(chunk.output)
                chunks += 1
                if chunk.done:
                    exit_code = chunk.exit_code
            seconds = time.perf_counter() - start
        finally:
            await session.destroy()
    return _check(n, received, exit_code) or _report(received, seconds, chunks - 1)


def run_sync(n: int, chunk_size: int | None) -> str:
    with SyncSandboxClient() as client:
        session = client.create_session(image="base")
        try:
            received = chunks = 0
            exit_code = None
            start = time.perf_counter()
            for chunk in session.exec_stream(_command(n), chunk_size=chunk_size, timeout_ms=600_000):
                received += len(chunk.output)
                chunks += 1
                if chunk.done:
                    exit_code = chunk.exit_code
            seconds = time.perf_counter() - start
        finally:
            session.destroy()
    return _check(n, received, exit_code) or _report(received, seconds, chunks - 1)


def _check(n: int, received: int, exit_code: int | None) -> str:
    if received != n or exit_code != 0:
        sys.exit(f"bench: expected {n} bytes and exit 0, got {received} bytes and exit {exit_code}")
    return ""


def main() -> None:
    n = int(os.environ.get("SANDKASTEN_BENCH_BYTES", str(1 << 30)))
    chunk_size = int(os.environ["SANDKASTEN_BENCH_CHUNK_SIZE"]) if os.environ.get("SANDKASTEN_BENCH_CHUNK_SIZE") else None
    if os.environ.get("SANDKASTEN_BENCH_CLIENT", "async") == "sync":
        print(run_sync(n, chunk_size))
    else:
        print(asyncio.run(run_async(n, chunk_size)))


if __name__ == "__main__":
    main()
