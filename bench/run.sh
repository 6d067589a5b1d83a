#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md against a release build on this machine.
#
#   cargo build --release -p server --bin portico      # the server (pages need no wasm to render)
#   bench/run.sh sqlite|postgres [ENTITIES]            # default 100000
#
# Starts target/release/portico on 127.0.0.1, measures start-up to ready and idle memory,
# loads `wrk` (Debian package) against pages and probes with the demo catalog, then imports
# a generated catalog of ENTITIES entities and loads the catalog API and pages. Loopback only;
# every load run is bounded (10 s). Prints a Markdown table row per measurement.
# Anonymous figures run with `anonymous_read: true`; the API and the catalog page are also
# measured as a signed-in person (guest sign-in's session cookie) and with an API token.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE="${1:-sqlite}"
ENTITIES="${2:-100000}"
BIN="${PORTICO_BIN:-target/release/portico}"
PORT=3900
URL="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-10s}"
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }

case "$ENGINE" in
  sqlite) db_url() { echo "sqlite://$WORK/$1.db"; } ;;
  postgres)
    PG="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
    db_url() {
      psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS bench_$1" -c "CREATE DATABASE bench_$1" >/dev/null
      echo "$PG/bench_$1"
    } ;;
  *) echo "usage: bench/run.sh sqlite|postgres [ENTITIES]" >&2; exit 2 ;;
esac

# NO_CONFIG=1: no configuration file, for builds older than sign-in (they know no
# `permissions` key and read anonymously); such a build stops after the anonymous rows.
CONFIG=(PORTICO_CONFIG="$WORK/portico.yaml")
if [ -n "${NO_CONFIG:-}" ]; then CONFIG=(); else printf 'permissions:\n  anonymous_read: true\n' >"$WORK/portico.yaml"; fi

SERVER=""
stop() { [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; }; SERVER=""; }
trap 'stop; rm -rf "$WORK"' EXIT

now_ms() { date +%s%3N; }
# start DB_URL DEMO: starts the portal; sets STARTUP_MS to the time until /readyz answered.
start() {
  # The port must be free: a portal still answering there would be measured instead.
  if curl -fs "$URL/healthz" >/dev/null 2>&1; then echo "port $PORT is in use:" >&2; ss -ltnp | grep ":$PORT" >&2; exit 1; fi
  local t0; t0=$(now_ms)
  env "${CONFIG[@]}" PORTICO_LISTEN="127.0.0.1:$PORT" DATABASE_URL="$1" PORTICO_DEMO="$2" \
    PORTICO_LOG=warn LEPTOS_SITE_ROOT=target/site PORTICO_CATALOG_REFRESH_INTERVAL_SECS=86400 \
    "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  until curl -fs "$URL/readyz" >/dev/null 2>&1; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.005
  done
  STARTUP_MS=$(( $(now_ms) - t0 ))
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SERVER/status"; }
# load NAME PATH [HEADER]: one row with the first request's time (cold caches), then
# requests/s and latency percentiles under load; HEADER (`Cookie: …`, `Authorization: …`)
# goes with every request.
load() {
  local name="$1" path="$2" header="${3:-X-Bench: anonymous}"
  local first; first=$(curl -s -o /dev/null -H "$header" -w '%{time_total}' "$URL$path" | awk '{printf "%.1fms", $1 * 1000}')
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" "$URL$path")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
  echo "| $ENGINE | $name | \`$path\` | $first | $rps | $p50 | $p99 | ${errors:-none} |"
}

echo "## $ENGINE, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION, $(date -u +%F)"
echo
start "$(db_url startup)" false; sleep 2
echo "- start-up to ready, empty database (migrations included): ${STARTUP_MS} ms; idle RSS: $(rss_mb) MB"
stop
start "$(db_url demo)" true; sleep 1
echo "- start-up to ready with the demo catalog loaded: ${STARTUP_MS} ms; RSS: $(rss_mb) MB"
echo
echo "| engine | what | path | first request | requests/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|---|---|"
load "probe" /healthz
load "home page (SSR)" /
stop

python3 bench/generate_catalog.py --entities "$ENTITIES" --out "$WORK/catalog" >/dev/null
DB="$(db_url catalog)"
t0=$(now_ms)
# The imported locations are due again after the refresh interval: a day, so that no
# re-read of 100k entities runs in the background of the load runs below.
env "${CONFIG[@]}" DATABASE_URL="$DB" PORTICO_LOG=warn PORTICO_CATALOG_REFRESH_INTERVAL_SECS=86400 \
  "$BIN" catalog import "$WORK"/catalog/*.yaml >/dev/null
import_ms=$(( $(now_ms) - t0 ))
start "$DB" false; sleep 2
echo
echo "- import of $ENTITIES generated entities (100 files, relations included): $((import_ms / 1000)).$(( (import_ms % 1000) / 100 )) s"
echo "- start-up with $ENTITIES entities: ${STARTUP_MS} ms; RSS after start: $(rss_mb) MB"
echo
echo "| engine | what | path | first request | requests/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|---|---|"
name=$(curl -fs "$URL/api/catalog/entities/by-query?filter=kind=component&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["metadata"]["name"])')
load "by-query kind=component limit 50" "/api/catalog/entities/by-query?filter=kind=component&limit=50"
load "by-name" "/api/catalog/entities/by-name/component/default/$name"
load "full-text search, one word" "/api/catalog/entities/by-query?fullTextFilterTerm=ledger&limit=20"
load "facets lifecycle+owner for components" "/api/catalog/entity-facets?facet=spec.lifecycle&facet=spec.owner&filter=kind=component"
load "catalog page (SSR)" "/catalog?kind=component"
load "entity page (SSR)" "/catalog/default/component/$name"
[ -n "${NO_CONFIG:-}" ] && { echo "- RSS after the load runs with $ENTITIES entities: $(rss_mb) MB"; exit 0; }
# Signed in: guest sign-in's session cookie (loopback, no provider), and an API token.
cookie=$(curl -fsS -o /dev/null -D - -H "Origin: $URL" --data "user=user:default/user-0" "$URL/auth/guest" \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
token=$(env "${CONFIG[@]}" DATABASE_URL="$DB" PORTICO_LOG=error "$BIN" token create \
  --user user:default/user-0 --name bench --scope read)
load "by-query, signed-in session" "/api/catalog/entities/by-query?filter=kind=component&limit=50" "Cookie: $cookie"
load "by-query, API token" "/api/catalog/entities/by-query?filter=kind=component&limit=50" "Authorization: Bearer $token"
load "catalog page, signed-in session" "/catalog?kind=component" "Cookie: $cookie"
load "catalog page, API token" "/catalog?kind=component" "Authorization: Bearer $token"
echo
echo "- RSS after the load runs with $ENTITIES entities: $(rss_mb) MB"
