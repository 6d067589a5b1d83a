#!/usr/bin/env bash
# Drives a real Portico through Backstage's own @backstage/catalog-client.
# Builds nothing: run `cargo build -p server --bin portico` first. Starts
# target/debug/portico on a free port against a fresh SQLite file with the demo
# catalog, waits for /readyz, runs `node --test`, stops the server and exits with
# the tests' status.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="${PORTICO_BINARY:-$root/target/debug/portico}"
[ -x "$binary" ] || { echo "run.sh: $binary is missing; run: cargo build -p server --bin portico" >&2; exit 2; }

cd "$here"
[ -d node_modules ] || npm ci --no-audit --no-fund

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
tmp="$(mktemp -d)"
PORTICO_LISTEN="127.0.0.1:$port" DATABASE_URL="sqlite://$tmp/p.db" PORTICO_DEMO=true \
  "$binary" >"$tmp/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

export PORTICO_URL="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if curl -fsS "$PORTICO_URL/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$tmp/server.log" >&2; echo "run.sh: portico exited" >&2; exit 2; fi
  sleep 0.1
done
curl -fsS "$PORTICO_URL/readyz" >/dev/null || { cat "$tmp/server.log" >&2; echo "run.sh: portico not ready" >&2; exit 2; }

status=0
node --test || status=$?
[ "$status" -eq 0 ] || tail -n 50 "$tmp/server.log" >&2
exit "$status"
