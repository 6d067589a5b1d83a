# Shared by scripts/run and scripts/test: installs what the build needs, idempotently.
# Sourced, not run. Every step checks first, so a second run takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Each step header shows the time since the script started, for spotting slow steps in CI logs.
step() { printf '\n\033[1m==> [%dm%02ds] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  # Installs Debian packages that are missing; runs apt-get update once per call.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

setup_rust() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# Builds the server binary and the site (browser bundle, styles, assets) into target/
# (debug profile). No build tool to install: `cargo xtask` binds the wasm with
# wasm-bindgen's library (xtask/).
build_site() {
  step "Building the portal (server + browser bundle)"
  cargo xtask build
}

# Starts PostgreSQL when it is installed locally but stopped (CI machines, dev boxes).
ensure_postgres() {
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
      step "Starting PostgreSQL"
      as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
      for _ in $(seq 1 20); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
    fi
  fi
}
