#!/usr/bin/env bash
# Property-based fuzzing of a running portal's catalog, teams, scaffolder and insights APIs against their own
# OpenAPI documents, with schemathesis (pinned in scripts/python-tools.sh; installed once):
#   end2end/api-fuzz.sh http://127.0.0.1:PORT
# Starts nothing: end2end/run.sh gives it a fresh portal with the demo catalog, inside a
# network namespace with loopback only. The fuzzer registers and reads locations with
# generated targets, so point it only at a portal that can reach no network.
#
# Every check that compares the answers with the document runs (end2end/api-fuzz.toml):
# no 5xx, documented status codes, content types, headers and response schemas, invalid
# requests refused and valid ones accepted. Any failure fails the run.
#
#   API_FUZZ_SEED          seed (default: random, printed; rerun with it to reproduce)
#   API_FUZZ_MAX_EXAMPLES  cases per operation and phase (default 100)
#   API_FUZZ_MAX_TIME      time budget in seconds for the whole run (default 180)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
url="${1:-${PORTICO_URL:-}}"
[ -n "$url" ] || { echo "usage: $0 http://HOST:PORT (a running portal)" >&2; exit 2; }
url="${url%/}"

source "$here/../scripts/python-tools.sh"
install_api_fuzzer || { echo "FAIL: could not install ${api_fuzz_tool}" >&2; exit 1; }

seed="${API_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
examples="${API_FUZZ_MAX_EXAMPLES:-100}"
budget="${API_FUZZ_MAX_TIME:-180}"
cd "$here"
# One worker: with two, Hypothesis' shared caches race (a KeyError inside Hypothesis,
# reported as a runtime error, not a finding); the portal has the other core anyway.
# fuzz NAME DOCUMENT BASE_URL SECONDS
fuzz() {
  echo "== schemathesis against $3 ($1; seed $seed; rerun with API_FUZZ_SEED=$seed)"
  echo "   at most $examples cases per operation and phase, ${4}s in all"
  "$PORTICO_FUZZ_VENV/bin/schemathesis" --no-color --config-file "$here/api-fuzz.toml" run \
    "$2" \
    --url "$3" \
    --seed "$seed" \
    --max-examples "$examples" \
    --max-time "$4" \
    --request-timeout 10 \
    --workers 1 \
    --suppress-health-check too_slow
}
status=0
fuzz catalog "$url/api/catalog/openapi.json" "$url/api/catalog" "$budget" || status=$?
# The teams API is three reads: a third of the catalog's time is plenty.
fuzz teams "$url/api/teams/openapi.json" "$url" "$(( budget / 3 ))" || status=$?
# The scaffolder's tasks fail at their first GitHub call in the fuzzed portal (no token,
# no network); the API around them is what is fuzzed.
fuzz scaffolder "$url/api/scaffolder/v2/openapi.json" "$url/api/scaffolder/v2" "$(( budget / 3 ))" || status=$?
# The insights API: events in (the fuzzed portal lets anyone report), figures out as JSON
# and CSV, and the webhook endpoint, which answers 503 here (no secret is configured).
fuzz insights "$url/api/insights/openapi.json" "$url" "$(( budget / 3 ))" || status=$?
if [ "$status" -ne 0 ]; then
  echo "api-fuzz: FAILED (seed $seed; rerun with API_FUZZ_SEED=$seed)"
  exit "$status"
fi
echo "api-fuzz: no failures (seed $seed)"
