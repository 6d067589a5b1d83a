#!/usr/bin/env bash
# Platform metrics (issue 13) against a release build on this machine:
#
#   cargo build --release -p server --bin portico
#   bench/insights.sh sqlite|postgres [SERVICES] [DEPLOYMENTS]
#
# 1. Webhook ingestion: signed push deliveries, each with its own X-GitHub-Delivery id,
#    posted by wrk (32 connections, 10 s): deliveries accepted per second and latency; then
#    how long the delivery loop takes to process the backlog.
# 2. The organisation overview over a year of history: SERVICES services (default 1000)
#    with DEPLOYMENTS production deployments in the last 365 days (default 500000), one
#    change each, written straight into the database; then the overview page and the DORA
#    API (30 and 90 days) under load.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE="${1:-sqlite}"
SERVICES="${2:-1000}"
DEPLOYMENTS="${3:-500000}"
source bench/lib.sh

SECRET="bench-webhook-secret-0123456789"
# Deliveries not processed yet.
count_pending() {
  case "$ENGINE" in
    sqlite) python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM webhook_deliveries WHERE processed_at IS NULL').fetchone()[0])" "${DB#sqlite://}" ;;
    postgres) psql "$DB" -tAc "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_at IS NULL" ;;
  esac
}
printf 'permissions:\n  anonymous_read: true\ngithub_webhook_secret: %s\n' "$SECRET" >"$WORK/portico.yaml"
DB="$(db_url insights)"
start "$DB" false

echo "## insights, $ENGINE, $(nproc) cores, $(date -u +%F), $(git rev-parse --short HEAD)"
echo

# --- 1. Webhook ingestion -----------------------------------------------------------------
BODY='{"ref":"refs/heads/main","after":"b2c3","commits":[{"id":"a1b2","timestamp":"2026-11-02T10:00:00Z"},{"id":"b2c3","timestamp":"2026-11-02T10:05:00Z"}],"head_commit":{"id":"b2c3"},"repository":{"full_name":"acme/bench","html_url":"https://github.com/acme/bench","default_branch":"main"}}'
SIG="sha256=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)"
cat >"$WORK/deliver.lua" <<LUA
-- Each request is a new delivery: its own id, the same signed body.
local threads = 0
function setup(thread) thread:set("thread", threads); threads = threads + 1 end
local count = 0
local run = tostring(os.time())
function request()
  count = count + 1
  return wrk.format("POST", "/api/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = string.format("bench-%s-%d-%d", run, thread, count),
    ["X-Hub-Signature-256"] = "$SIG",
  }, '$BODY')
end
LUA
out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/deliver.lua" "$URL")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1=="50%" {print $2}' <<<"$out")
p99=$(awk '$1=="99%" {print $2}' <<<"$out")
errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
echo "| What | Result |"
echo "|---|---|"
echo "| webhook deliveries accepted ($CONNECTIONS connections, $DURATION) | $rps/s, p50 $p50, p99 $p99, errors: ${errors:-none} |"
t0=$(now_ms)
until [ "$(count_pending)" = 0 ]; do sleep 0.2; done
echo "| backlog processed after the load | $(( $(now_ms) - t0 )) ms |"
stop

# --- 2. A year of history --------------------------------------------------------------------
t0=$(now_ms)
python3 bench/generate_history.py "$ENGINE" "$DB" "$SERVICES" "$DEPLOYMENTS"
echo "| $DEPLOYMENTS deployments of $SERVICES services written | $(( $(now_ms) - t0 )) ms |"
start "$DB" false
echo
echo "| Engine | What | Path | First request | Requests/s | p50 | p99 | Errors |"
echo "|---|---|---|---|---|---|---|---|"
load "overview page, 30 days" "/insights?days=30"
# Builds before the JSON API (commit 4a46a41) measure the page alone.
if curl -fs "$URL/api/insights/openapi.json" | grep -q getDora; then
  load "DORA API, 30 days" "/api/insights/dora?days=30"
  load "DORA API, 90 days" "/api/insights/dora?days=90"
  # Longer than the figures stay fresh (30 s): readers meet recomputations.
  DURATION=70s load "DORA API, 30 days, over 70 s" "/api/insights/dora?days=30"
  DURATION=70s load "overview page, 30 days, over 70 s" "/insights?days=30"
  # A component's figures, as its entity page's card asks for them.
  load "DORA API, one component" "/api/insights/dora?days=30&component=svc-7"
fi
echo
echo "RSS after the load: $(rss_mb) MB"
