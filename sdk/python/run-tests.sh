#!/usr/bin/env bash
# Tests of the Python SDK: a venv in sdk/python/.venv, the package installed editable with its
# test extras (pinned by constraints.txt), then ruff, mypy and pytest against a real daemon.
#   sdk/python/run-tests.sh [PYTEST ARGS]        (./sandkasten test python [PYTEST ARGS] runs it)
# The daemon jar is $SANDKASTEN_SERVER_JAR; without it, the repository's jar is built if missing.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$HERE"

source "$HERE/scripts/venv.sh"
sk_python_venv

if [ -z "${SANDKASTEN_SERVER_JAR:-}" ]; then
  # shellcheck source=../../scripts/lib.sh
  source "$ROOT/scripts/lib.sh"
  sk_use_jdk
  SANDKASTEN_SERVER_JAR="$ROOT/server/target/sandkasten-server.jar"
  if [ ! -f "$SANDKASTEN_SERVER_JAR" ]; then
    echo "run-tests.sh: building the daemon jar..." >&2
    (cd "$ROOT" && ./mvnw -q -B -DskipTests -pl server -am package)
  fi
  export SANDKASTEN_SERVER_JAR
fi

echo "run-tests.sh: ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "run-tests.sh: mypy" >&2
.venv/bin/mypy
echo "run-tests.sh: pytest" >&2
exec .venv/bin/pytest "$@"
