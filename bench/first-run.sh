#!/usr/bin/env bash
# Times the README's run command the way a new user meets it: a fresh clone of HEAD, an empty
# target/, an empty Cargo home (so crates are downloaded too) and no build tools, until the
# demo portal answers /healthz; then the same command again (the second run).
#
#   bench/first-run.sh                 # registry downloads included
#   REMOVE_WASM_TARGET=1 bench/first-run.sh   # also removes rustup's wasm32 target first,
#                                             # as on a machine that never built for it
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/portico-first-run.XXXXXX)"
PORT="${PORT:-3998}"
SERVER=""
stop() { [ -n "$SERVER" ] && { kill -- -"$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }; SERVER=""; }
LOGS="${LOGS:-/tmp/portico-first-run-logs}"
mkdir -p "$LOGS"
trap 'stop; cp "$WORK"/*.log "$LOGS"/ 2>/dev/null; rm -rf "$WORK"' EXIT

if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
  echo "port $PORT is in use" >&2; exit 1
fi
git clone -q "$ROOT" "$WORK/portico"
echo "commit: $(git -C "$WORK/portico" rev-parse --short HEAD)"
[ -n "${REMOVE_WASM_TARGET:-}" ] && rustup target remove wasm32-unknown-unknown

# The rustup proxies stay on PATH; everything Cargo downloads or installs goes to a new home.
export CARGO_HOME="$WORK/cargo-home"
export PATH="$HOME/.cargo/bin:$PATH"

# run LOG: starts scripts/run in its own process group; prints seconds until /healthz.
run() {
  local t0=$SECONDS
  # Its own process group (setsid), so stopping it stops the cargo or portal under it.
  # Every line of its output gets the seconds since the start, to see where time goes.
  PORTICO_LISTEN="127.0.0.1:$PORT" setsid bash -c 'cd "$0" && scripts/run 2>&1 \
    | while IFS= read -r line; do printf "%4ds %s\n" "$SECONDS" "$line"; done' \
    "$WORK/portico" >"$1" 2>&1 &
  SERVER=$!
  until curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
    kill -0 "$SERVER" 2>/dev/null || { echo "scripts/run stopped:" >&2; tail -30 "$1" >&2; exit 1; }
    sleep 1
  done
  echo $((SECONDS - t0))
  stop
}

first=$(run "$WORK/first.log")
printf 'first run: %dm%02ds to a portal answering /healthz\n' $((first / 60)) $((first % 60))
grep -E '==>|: [0-9.]+s$|: [0-9]+m[0-9]+s$' "$WORK/first.log" | sed 's/\x1b\[[0-9;]*m//g'
second=$(run "$WORK/second.log")
echo "second run: ${second}s (full logs in $LOGS)"
grep -E '==>|: [0-9.]+s$|skipped' "$WORK/second.log" | sed 's/\x1b\[[0-9;]*m//g'
