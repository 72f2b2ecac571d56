# Creates or updates sdk/python/.venv with the package (editable) and its pinned test extras.
# Sourced by run-tests.sh and bench.sh; defines sk_python_venv. Uses python3 from PATH
# (or $PYTHON) and reinstalls only when pyproject.toml or constraints.txt changed.

sk_python_venv() {
  local py=${PYTHON:-python3} dir stamp want
  dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if ! command -v "$py" >/dev/null 2>&1; then
    echo "sandkasten: $py not found on PATH; install Python 3.10 or newer (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
  fi
  if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "sandkasten: the Python SDK needs Python 3.10 or newer; $py is $("$py" -V 2>&1)" >&2
    exit 1
  fi
  if [ ! -x "$dir/.venv/bin/python" ]; then
    rm -rf "$dir/.venv"
    if ! "$py" -m venv "$dir/.venv"; then
      rm -rf "$dir/.venv"
      echo "sandkasten: '$py -m venv' failed; install the venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  want=$(cat "$dir/pyproject.toml" "$dir/constraints.txt" | sha256sum | cut -d' ' -f1)
  stamp="$dir/.venv/.sandkasten-installed"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "sandkasten: installing the Python SDK and its test tools into $dir/.venv" >&2
    # PIP_CONSTRAINT also pins the build backend (hatchling) pip fetches for the editable install.
    PIP_CONSTRAINT="$dir/constraints.txt" "$dir/.venv/bin/python" -m pip install -q \
      --disable-pip-version-check -e "$dir[test]"
    echo "$want" > "$stamp"
  fi
}
