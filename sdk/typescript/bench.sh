#!/usr/bin/env bash
# Streaming throughput through the TypeScript SDK: prints one JSON line
#   {"sdk":"typescript","bytes":N,"seconds":S,"mb_per_s":X,"chunks":C,"chunks_per_s":Y}
# Needs SANDKASTEN_URL and SANDKASTEN_API_KEY of a running daemon. SANDKASTEN_BENCH_BYTES sets the
# size (default 1 GiB); SANDKASTEN_BENCH_CHUNK_SIZE the chunk size asked for (default: the daemon's).
set -euo pipefail
cd "$(dirname "$0")"
: "${SANDKASTEN_URL:?set SANDKASTEN_URL to the daemon address}"
: "${SANDKASTEN_API_KEY:?set SANDKASTEN_API_KEY to the daemon key}"

# Setup output goes to stderr: stdout carries the JSON line only.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
if [ ! -f dist/esm/index.js ] || [ -n "$(find src package.json -newer dist/esm/index.js -print -quit)" ]; then
  npm run --silent build >&2
fi
exec node bench/bench.mjs
