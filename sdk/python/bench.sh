#!/usr/bin/env bash
# Streaming throughput of the Python SDK against a running daemon: streams the output of
# `head -c $SANDKASTEN_BENCH_BYTES /dev/zero | tr '\0' a` (default 1 GiB) through exec_stream and
# prints one JSON line: {"sdk":"python","bytes":N,"seconds":S,"mb_per_s":X,"chunks":C,"chunks_per_s":Y}.
# Needs SANDKASTEN_URL and SANDKASTEN_API_KEY. Optional: SANDKASTEN_BENCH_CHUNK_SIZE (bytes per chunk
# asked of the daemon), SANDKASTEN_BENCH_CLIENT=sync (the blocking client instead of asyncio).
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
: "${SANDKASTEN_URL:?set SANDKASTEN_URL to the daemon, e.g. http://127.0.0.1:8080}"
: "${SANDKASTEN_API_KEY:?set SANDKASTEN_API_KEY to the daemon API key}"
source "$HERE/scripts/venv.sh"
sk_python_venv >&2
exec "$HERE/.venv/bin/python" "$HERE/benchmarks/stream_throughput.py"
