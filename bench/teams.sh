#!/usr/bin/env bash
# The team pages under load (issue 11), against a release build on this machine:
#
#   cargo build --release -p server --bin portico
#   bench/teams.sh sqlite|postgres [ENTITIES]    # default 100000: 500 groups, 5,000 users
#
# Imports bench/generate_catalog.py's catalog, picks the team whose child teams bring what
# it owns closest to 2,000 entities, and loads the directory, that team's page with its
# child teams (at 32 connections and at 1), the same as JSON, and a person page. Prints a
# Markdown table row per measurement, as bench/run.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE="${1:-sqlite}"
ENTITIES="${2:-100000}"
source bench/lib.sh

import_generated "$ENTITIES"
start "$DB" false; sleep 2
read -r team owned people groups < <(curl -fs "$URL/api/teams" | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
owned = lambda row: sum(row["owned_with_child_teams"].values())
best = min(rows, key=lambda row: abs(owned(row) - 2000))
print(best["group"]["name"], owned(best), best["members_with_child_teams"], len(rows))')
echo "## teams, $ENGINE, $(nproc) cores, wrk -t2 -d$DURATION, $(date -u +%F)"
echo
echo "- $ENTITIES entities, $groups groups; $team with its child teams owns $owned entities and has $people people"
echo
echo "| engine | what | path | first request | requests/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|---|---|"
load "team directory (SSR), 32 connections" "/teams"
CONNECTIONS=1 load "team directory (SSR), 1 connection" "/teams"
load "team page with child teams (SSR), 32 connections" "/teams/default/$team?scope=all"
CONNECTIONS=1 load "team page with child teams (SSR), 1 connection" "/teams/default/$team?scope=all"
load "team API with child teams, 32 connections" "/api/teams/default/$team?scope=all"
load "person page (SSR), 32 connections" "/people/default/user-0"
echo
echo "- RSS after the load runs: $(rss_mb) MB"
