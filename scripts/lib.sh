# Shared helpers for the set-up scripts: each install step checks first and skips what is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n==> %s\n' "$*"; }

ensure_rust() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
}

# ensure_venv DIR REQUIREMENTS: a Python venv at DIR with REQUIREMENTS installed, rebuilt
# only when the requirements file changes (its hash is kept in DIR/.requirements-hash).
# A venv records the path it was made at in its scripts' shebangs, so DIR is resolved to
# its physical path first (target/ is a link to a cache shared by every clone in CI), and a
# venv whose scripts no longer run (made through another clone's link) is made again.
ensure_venv() {
  local dir="$1" req="$2" want
  mkdir -p "$(dirname "$dir")"
  dir="$(cd "$(dirname "$dir")" && pwd -P)/$(basename "$dir")"
  want="$(sha256sum "$req" | cut -c1-16)"
  if [ "$(cat "$dir/.requirements-hash" 2>/dev/null)" != "$want" ] || [ ! -x "$dir/bin/python" ] \
    || ! "$dir/bin/pip" --version >/dev/null 2>&1; then
    say "venv $dir ($(basename "$(dirname "$req")")/$(basename "$req"))"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q -r "$req"
    echo "$want" > "$dir/.requirements-hash"
  fi
}
