#!/usr/bin/env bash
# Starts a built portal (target/debug/portico) on a free port with a fresh SQLite
# database and the demo catalog, runs the Playwright suite against it, and stops it.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(cd .. && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d node_modules/@playwright/test ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 3107)"
export PORTICO_URL="http://127.0.0.1:$PORT"
PORTICO_CONFIG=/dev/null PORTICO_LISTEN="127.0.0.1:$PORT" DATABASE_URL="sqlite://$WORK/portico.db" \
  PORTICO_DEMO=true LEPTOS_SITE_ROOT="$ROOT/target/site" PORTICO_LOG=warn \
  "$ROOT/target/debug/portico" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

for _ in $(seq 1 100); do
  curl -fsS "$PORTICO_URL/readyz" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$PORTICO_URL/readyz" >/dev/null || { echo "portal did not become ready"; cat "$WORK/server.log"; exit 1; }

status=0
npx playwright test || status=$?
[ $status -eq 0 ] || { echo "--- server log ---"; tail -n 50 "$WORK/server.log"; }
exit $status
