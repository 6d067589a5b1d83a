#!/usr/bin/env bash
# Three replicas behind a round-robin proxy against one replica, on this machine (issue 14):
#
#   cargo build --release -p server --bin portico
#   apt-get install nginx-light wrk                 # the proxy and the load
#   bench/replicas.sh [ENTITIES]                    # default 100000; PostgreSQL only
#
# Imports bench/generate_catalog.py's catalog into one PostgreSQL database, then loads
# by-query and the catalog page through a local nginx (round robin, keep-alive connections
# to the replicas, 127.0.0.1:3910) in front of one replica (16 pool connections), and in
# front of three replicas started at once on the same database (127.0.0.1:3901–3903, a
# third of the pool each); the one replica is also loaded directly, for what the proxy
# costs. On one machine three replicas share its cores, so expect no gain: the point is
# that nothing is lost and every answer is right. Checks that every replica answered
# (the proxy's access log under load, and 30 sampled requests' X-Upstream header), that
# they give the same by-query answer, and that a location registered through one replica
# is read through the other two. Prints a Markdown table row per measurement, as
# bench/run.sh does, and each replica's RSS after the load; a failed check is printed as
# FAILED and the exit code is 1. The database is BENCH_POSTGRES's bench_catalog (lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=postgres
ENTITIES="${1:-100000}"
source bench/lib.sh
command -v nginx >/dev/null || { echo "install nginx: apt-get install nginx-light" >&2; exit 2; }

PROXY_PORT=3910
PROXY="http://127.0.0.1:$PROXY_PORT"
REPLICA_PORTS=(3901 3902 3903)
# A third of the default pool (16) each, so three replicas ask PostgreSQL for no more
# than one does.
POOL=$(( 16 / ${#REPLICA_PORTS[@]} ))
REPLICAS=()
NGINX=""
stop_replicas() {
  local pid
  for pid in "${REPLICAS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${REPLICAS[@]}"; do wait "$pid" 2>/dev/null || true; done
  REPLICAS=()
}
stop_proxy() { [ -n "$NGINX" ] && { kill "$NGINX" 2>/dev/null; wait "$NGINX" 2>/dev/null || true; }; NGINX=""; }
trap 'stop_proxy; stop_replicas; stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for port in "$PORT" "${REPLICA_PORTS[@]}" "$PROXY_PORT"; do
  if ss -Htln "sport = :$port" | grep -q .; then echo "port $port is in use:" >&2; ss -ltnp | grep ":$port" >&2; exit 1; fi
done

# proxy PORT…: nginx in the foreground on PROXY_PORT, round robin over the ports given,
# keep-alive connections to them; the access log names the replica of every request.
proxy() {
  local dir="$WORK/nginx" port
  mkdir -p "$dir"
  : >"$dir/access.log"
  {
    echo "daemon off;"
    echo "worker_processes 1;"
    echo "pid $dir/nginx.pid;"
    echo "error_log $dir/error.log warn;"
    # As root the workers would be nobody, who cannot enter the temp dir.
    [ "$(id -u)" = 0 ] && echo "user root;"
    echo "events { worker_connections 1024; }"
    echo "http {"
    echo "  client_body_temp_path $dir/body; proxy_temp_path $dir/proxy;"
    echo "  fastcgi_temp_path $dir/fastcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;"
    echo "  log_format upstream '\$upstream_addr \$status';"
    echo "  access_log $dir/access.log upstream buffer=64k flush=1s;"
    echo "  upstream portico {"
    for port in "$@"; do echo "    server 127.0.0.1:$port;"; done
    echo "    keepalive 64;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$PROXY_PORT;"
    echo "    location / {"
    echo "      proxy_pass http://portico;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host \$host;"
    echo "      proxy_max_temp_file_size 0;"
    echo "      add_header X-Upstream \$upstream_addr always;"
    echo "    }"
    echo "  }"
    echo "}"
  } >"$dir/nginx.conf"
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" &
  NGINX=$!
  until curl -fs "$PROXY/readyz" >/dev/null 2>&1; do
    kill -0 "$NGINX" 2>/dev/null || { cat "$dir/error.log" >&2; exit 1; }
    sleep 0.05
  done
}

# start_replicas DB_URL: the replicas at once, as lib.sh's start runs one but with a third
# of the pool each; sets STARTUP_MS to the time until all answered /readyz.
start_replicas() {
  local t0 i port; t0=$(now_ms)
  for i in "${!REPLICA_PORTS[@]}"; do
    env "${CONFIG[@]}" PORTICO_LISTEN="127.0.0.1:${REPLICA_PORTS[$i]}" DATABASE_URL="$1" PORTICO_DEMO=false \
      PORTICO_DATABASE_MAX_CONNECTIONS="$POOL" PORTICO_CATALOG_FILE_ROOTS="$WORK/register" \
      PORTICO_LOG=warn LEPTOS_SITE_ROOT=target/site PORTICO_CATALOG_REFRESH_INTERVAL_SECS=86400 \
      "$BIN" serve >"$WORK/replica-$i.log" 2>&1 &
    REPLICAS+=($!)
  done
  for i in "${!REPLICA_PORTS[@]}"; do
    port=${REPLICA_PORTS[$i]}
    until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
      kill -0 "${REPLICAS[$i]}" 2>/dev/null || { cat "$WORK/replica-$i.log" >&2; exit 1; }
      sleep 0.005
    done
  done
  STARTUP_MS=$(( $(now_ms) - t0 ))
}

BY_QUERY="/api/catalog/entities/by-query?filter=kind=component&limit=50"
PAGE="/catalog?kind=component"
header() {
  echo
  echo "| engine | what | path | first request | requests/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|---|"
}

import_generated "$ENTITIES"
echo "## replicas, $ENGINE, $(nproc) cores, nginx $(nginx -v 2>&1 | sed 's|.*/||'), wrk -t2 -c$CONNECTIONS -d$DURATION, $(date -u +%F)"
echo
echo "- $ENTITIES entities; one replica with a pool of 16, three with $POOL each; nginx: one worker, round robin, keep-alive"

# One replica: directly (what the proxy costs) and through the proxy.
start "$DB" false; sleep 2
proxy "$PORT"
header
load "by-query kind=component limit 50, 1 replica, direct" "$BY_QUERY"
load "catalog page (SSR), 1 replica, direct" "$PAGE"
URL="$PROXY" load "by-query kind=component limit 50, 1 replica via proxy" "$BY_QUERY"
URL="$PROXY" load "catalog page (SSR), 1 replica via proxy" "$PAGE"
echo
echo "- RSS of the one replica after the load: $(rss_mb) MB"
stop_proxy
stop

# Three replicas through the proxy.
mkdir -p "$WORK/register"
start_replicas "$DB"; sleep 2
echo "- three replicas started at once, until all answered /readyz: ${STARTUP_MS} ms"
proxy "${REPLICA_PORTS[@]}"
header
URL="$PROXY" load "by-query kind=component limit 50, 3 replicas via proxy" "$BY_QUERY"
URL="$PROXY" load "catalog page (SSR), 3 replicas via proxy" "$PAGE"
echo
rss=""
for i in "${!REPLICA_PORTS[@]}"; do rss+="${rss:+, }${REPLICA_PORTS[$i]}: $(SERVER=${REPLICAS[$i]} rss_mb) MB"; done
echo "- RSS of each replica after the load: $rss"

# Every replica answered: 30 requests' X-Upstream, then the access log of the whole load.
failed=0
sample=$(for _ in $(seq 30); do
  curl -fsS -o /dev/null -D - "$PROXY$BY_QUERY" | awk -F': ' 'tolower($1)=="x-upstream" {print $2}' | tr -d '\r'
done | sort | uniq -c | awk '{printf "%s%s: %s", sep, $2, $1; sep=", "}')
echo "- 30 requests through the proxy, by X-Upstream: $sample"
stop_proxy # writes out the access log
counts=$(awk '{print $1}' "$WORK/nginx/access.log" | sort | uniq -c)
statuses=$(awk '{print $2}' "$WORK/nginx/access.log" | sort | uniq -c | awk '{printf "%s%s: %s", sep, $2, $1; sep=", "}')
echo "- all requests through the proxy (load runs included), by replica: $(awk '{printf "%s%s: %s", sep, $2, $1; sep=", "}' <<<"$counts")"
# 499: wrk closing its connections with requests under way at the end of a run.
echo "- by status: $statuses"
if grep -q ' 5[0-9][0-9]$' "$WORK/nginx/access.log"; then echo "  - FAILED: the proxy answered 5xx"; failed=1; fi
for port in "${REPLICA_PORTS[@]}"; do
  grep -q " 127.0.0.1:$port$" <<<"$counts" || { echo "  - FAILED: the replica on $port answered no request"; failed=1; }
  grep -q "127.0.0.1:$port" <<<"$sample" || { echo "  - FAILED: no sampled request reached the replica on $port"; failed=1; }
done

# The replicas give the same by-query answer.
sums=$(for port in "${REPLICA_PORTS[@]}"; do curl -fsS "http://127.0.0.1:$port$BY_QUERY" | sha256sum | cut -c1-12; done | sort -u)
if [ "$(wc -l <<<"$sums")" = 1 ]; then echo "- by-query gives the same answer on every replica (sha256 $sums…)"
else echo "  - FAILED: the replicas answer by-query differently: $(tr '\n' ' ' <<<"$sums")"; failed=1; fi

# A location registered through the first replica is read through the others (a file
# location under the replicas' catalog_file_roots, with an API token that may write).
printf 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: replica-check\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/team-0\n' \
  >"$WORK/register/replica-check.yaml"
token=$(env "${CONFIG[@]}" DATABASE_URL="$DB" PORTICO_LOG=error "$BIN" token create \
  --user user:default/user-0 --name bench-replicas --scope read --scope catalog.write)
status=$(curl -sS -o "$WORK/register.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' --data "{\"type\":\"file\",\"target\":\"$WORK/register/replica-check.yaml\"}" \
  "http://127.0.0.1:${REPLICA_PORTS[0]}/api/catalog/locations")
if [ "$status" != 201 ]; then
  echo "  - FAILED: registering through ${REPLICA_PORTS[0]} answered $status: $(cat "$WORK/register.json")"; failed=1
else
  seen=()
  for port in "${REPLICA_PORTS[@]:1}"; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/catalog/entities/by-name/component/default/replica-check")
    if [ "$status" = 200 ]; then seen+=("$port"); else echo "  - FAILED: the replica on $port answered $status for the entity registered through ${REPLICA_PORTS[0]}"; failed=1; fi
  done
  if [ "${#seen[@]}" = $(( ${#REPLICA_PORTS[@]} - 1 )) ]; then
    echo "- a location registered through ${REPLICA_PORTS[0]} (201) is read through ${seen[*]} (200)"
  fi
fi
stop_replicas
exit "$failed"
