#!/usr/bin/env bash
# Instructions the portal spends per request, counted by valgrind's callgrind: a count of
# instructions, not of seconds, so it is the same on an idle machine and on one that is
# compiling, and two builds can be compared to the percent (wrk's requests per second vary
# by ±15 % between runs on this machine).
#
#   bench/instructions.sh BINARY URL_PATH [REQUESTS]     # default 300 requests
#
# Starts BINARY under callgrind with the demo catalog on an empty SQLite database and
# `anonymous_read: true` (`NO_CONFIG=1`: no configuration file, for builds older than
# sign-in, which know no `permissions` key), waits until it is ready, counts only while REQUESTS sequential
# GETs of URL_PATH run (curl, loopback), and prints the instructions per request. Needs
# valgrind (Debian package).
set -euo pipefail
BIN="$1"
TARGET="$2"
REQUESTS="${3:-300}"
PORT=3901
URL="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
command -v valgrind >/dev/null || { echo "install valgrind: apt-get install valgrind" >&2; exit 2; }
CONFIG=(PORTICO_CONFIG="$WORK/portico.yaml")
if [ -n "${NO_CONFIG:-}" ]; then CONFIG=(); else printf 'permissions:\n  anonymous_read: true\n' >"$WORK/portico.yaml"; fi

env "${CONFIG[@]}" PORTICO_LISTEN="127.0.0.1:$PORT" \
  DATABASE_URL="sqlite://$WORK/portico.db" PORTICO_DEMO=true PORTICO_LOG=warn \
  PORTICO_CATALOG_REFRESH_INTERVAL_SECS=86400 LEPTOS_SITE_ROOT=target/site \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out" \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

for _ in $(seq 1 600); do
  curl -fs -o /dev/null "$URL/readyz" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -fs -o /dev/null "$URL$TARGET" || { echo "GET $TARGET failed" >&2; exit 1; }

callgrind_control -i on "$SERVER" >/dev/null 2>&1
for _ in $(seq 1 "$REQUESTS"); do curl -fs -o /dev/null "$URL$TARGET"; done
callgrind_control -i off "$SERVER" >/dev/null 2>&1
callgrind_control -d "$SERVER" >/dev/null 2>&1
sleep 1
total=$(cat "$WORK"/callgrind.out* | awk '/^totals:/ {s += $2} END {print s}')
echo "$TARGET: $((total / REQUESTS)) instructions per request ($REQUESTS requests, $(basename "$BIN"))"
