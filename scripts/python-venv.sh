# Sourced by test-python.sh and bench-python.sh: the Python venv under target/, keyed by
# the requirements file so an unchanged one is reused. luml-sdk 0.4.0 needs Python >= 3.12.
PY_REQ="${PY_REQ:-$ROOT/crates/sextant-python/requirements-test.txt}"
PY_VENV="${PY_VENV:-$ROOT/target/py-venv}"

find_python312() {
  local c v
  for c in python3.12 python3.13 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"; return
    fi
  done
  if command -v pyenv >/dev/null; then
    for v in 3.12 3.13; do
      c=$(ls -d "$(pyenv root)/versions/$v".*/bin/python3 2>/dev/null | sort -V | tail -1 || true)
      [ -n "$c" ] && { echo "$c"; return; }
    done
  fi
  echo "no Python >= 3.12 found (luml-sdk 0.4.0 needs it): install python3.12" >&2
  exit 1
}

# The oldest Python the abi3 wheel supports, for the wheel smoke test; else the newest found.
find_python310() {
  local c
  for c in python3.10 "$(ls -d "$(pyenv root 2>/dev/null)"/versions/3.10.*/bin/python3 2>/dev/null | sort -V | tail -1)"; do
    if [ -n "$c" ] && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$c"; return
    fi
  done
  echo "no Python 3.10 here; smoke-testing the wheel on a newer one" >&2
  find_python312
}

ensure_python_venv() {
  local want have=""
  want="$(sha256sum "$PY_REQ" | cut -c1-16)"
  [ -f "$PY_VENV/.requirements-hash" ] && have="$(cat "$PY_VENV/.requirements-hash")"
  if [ "$want" != "$have" ] || [ ! -x "$PY_VENV/bin/python" ]; then
    say "python: venv $PY_VENV (requirements changed or missing)"
    rm -rf "$PY_VENV"
    "$(find_python312)" -m venv "$PY_VENV"
    "$PY_VENV/bin/pip" install -q --disable-pip-version-check -r "$PY_REQ"
    echo "$want" > "$PY_VENV/.requirements-hash"
  fi
  export VIRTUAL_ENV="$PY_VENV" PATH="$PY_VENV/bin:$PATH" PYO3_PYTHON="$PY_VENV/bin/python"
}
