# Shared by bench/run.sh and bench/teams.sh: the engine's database URLs, starting and
# stopping a release portal on 127.0.0.1, and one load run as a Markdown table row.
# Sourced after ENGINE is set (sqlite|postgres).
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
  *) echo "usage: ${0##*/} sqlite|postgres [ENTITIES]" >&2; exit 2 ;;
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
  # wrk wants at least one connection per thread.
  local threads=$(( CONNECTIONS < 2 ? 1 : 2 ))
  local out; out=$(wrk -t"$threads" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" "$URL$path")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
  echo "| $ENGINE | $name | \`$path\` | $first | $rps | $p50 | $p99 | ${errors:-none} |"
}


# import_generated ENTITIES: writes bench/generate_catalog.py's catalog and imports it
# into a fresh database; sets DB (its URL) and import_ms.
import_generated() {
  python3 bench/generate_catalog.py --entities "$1" --out "$WORK/catalog" >/dev/null
  DB="$(db_url catalog)"
  local t0; t0=$(now_ms)
  # The imported locations are due again after the refresh interval: a day, so that no
  # re-read of 100k entities runs in the background of the load runs.
  env "${CONFIG[@]}" DATABASE_URL="$DB" PORTICO_LOG=warn PORTICO_CATALOG_REFRESH_INTERVAL_SECS=86400 \
    "$BIN" catalog import "$WORK"/catalog/*.yaml >/dev/null
  import_ms=$(( $(now_ms) - t0 ))
}
