#!/usr/bin/env bash
# Schema-driven fuzzing of the HTTP API with schemathesis, against a real daemon started here,
# using the OpenAPI document the daemon serves at /openapi.json. Bounded by time (FUZZ_SECONDS,
# default 120). It fails on any 5xx but a command's 504 timeout, on a status code the document
# does not list, and on a Content-Type it does not declare. The fuzz key is a tenant's with a
# session quota, so that sessions the fuzzer creates and never deletes end in 429s, not in the
# daemon's 503 at capacity.
#   SANDKASTEN_SERVER_JAR=server/target/sandkasten-server.jar fuzz/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=${SANDKASTEN_SERVER_JAR:?set SANDKASTEN_SERVER_JAR to the daemon jar}
SECONDS_BUDGET=${FUZZ_SECONDS:-120}
VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/st" ] || ! cmp -s "$HERE/requirements.txt" "$VENV/requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/requirements.txt"
fi

work=$(mktemp -d)
chmod 711 "$work" # the sandbox uid must reach the data directory below it
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

made=$(java -jar "$JAR" key)
key=$(awk '/^key:/ {print $2}' <<<"$made")
digest=$(awk '/^key_sha256:/ {print $2}' <<<"$made")
cat > "$work/config.yaml" <<YAML
max_sessions: 100
session_ttl_seconds: 30
exec_timeout_ms: 5000
exec_max_timeout_ms: 5000
disconnect_grace_ms: 1000
max_detach_grace_ms: 1000
tenants:
  - name: fuzz
    key_sha256: $digest
    max_sessions: 12
    max_concurrent_execs: 8
YAML
# A command that outlives its timeout_ms is answered 504 COMMAND_TIMEOUT, as the API contract
# says; the fuzzer generates timeouts of a few milliseconds, so that answer is not a server error.
# Every other 5xx still is. (schemathesis reads schemathesis.toml from the directory it runs in.)
cat > "$work/schemathesis.toml" <<'TOML'
[checks.not_a_server_error]
expected-statuses = ["2xx", "3xx", "4xx", "504"]
TOML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086 # the options are words
SANDKASTEN_LOG_LEVEL=WARN java ${SANDKASTEN_JAVA_OPTS:--XX:+UseSerialGC -Xms64m -Xmx1g} -jar "$JAR" serve --listen "127.0.0.1:$port" \
  --data-dir "$work/data" --config "$work/config.yaml" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
if ! curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then
  echo "fuzz: the daemon did not start:" >&2
  cat "$work/daemon.log" >&2
  exit 1
fi

status=0
(cd "$work" && "$VENV/bin/st" run "http://127.0.0.1:$port/openapi.json" -H "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance \
  --phases examples,fuzzing,stateful --max-examples 20 --max-time "$SECONDS_BUDGET" --workers 2 \
  --request-timeout 30 --seed "${FUZZ_SEED:-20261124}" --no-color) || status=$?
if ! curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then
  echo "fuzz: the daemon stopped answering" >&2
  status=1
fi
if grep -q "ERROR\|Exception" "$work/daemon.log"; then
  echo "fuzz: the daemon logged errors:" >&2
  grep -A5 "ERROR\|Exception" "$work/daemon.log" | head -40 >&2
  status=1
fi
echo "fuzz: exit $status"
exit $status
