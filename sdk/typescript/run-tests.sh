#!/usr/bin/env bash
# The TypeScript SDK's suite: install (npm ci), type-check, build, then vitest against a real
# daemon started from $SANDKASTEN_SERVER_JAR (`./sandkasten test typescript` sets it; without it,
# the repository's built jar is used). Arguments go to vitest, e.g. a test file or `-t NAME`.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$HERE"

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "sdk/typescript: the test tools need Node 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# shellcheck source=../../scripts/lib.sh
source "$ROOT/scripts/lib.sh"
sk_use_jdk
export SANDKASTEN_SERVER_JAR=${SANDKASTEN_SERVER_JAR:-$ROOT/server/target/sandkasten-server.jar}
if [ ! -f "$SANDKASTEN_SERVER_JAR" ]; then
  echo "sdk/typescript: no daemon jar at $SANDKASTEN_SERVER_JAR; run ./sandkasten test typescript from $ROOT" >&2
  exit 1
fi

# npm ci starts from scratch each time; skip it while node_modules matches the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

echo "sdk/typescript: type-check" >&2
node_modules/.bin/tsc -p tsconfig.json
echo "sdk/typescript: build" >&2
npm run --silent build

results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
# One plain closing line with the counts, for tools that read the end of the log.
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`typescript: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" 2>/dev/null || true
exit "$status"
