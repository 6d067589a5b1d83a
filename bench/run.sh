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
source bench/lib.sh

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

import_generated "$ENTITIES"
start "$DB" false; sleep 2
echo
echo "- import of $ENTITIES generated entities ($(ls "$WORK"/catalog/*.yaml | wc -l) files, relations included): $((import_ms / 1000)).$(( (import_ms % 1000) / 100 )) s"
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
