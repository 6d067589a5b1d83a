#!/usr/bin/env bash
# Browser and API-client end-to-end tests against a built portal (target/debug/portico
# and target/site, from `cargo xtask build`). Each suite gets its own portal on a free
# port, with a fresh SQLite database and the demo catalog:
#   1. Playwright in Debian's headless Chromium (tests/*.spec.mjs), with a real OpenID
#      Connect provider (oidc/provider.mjs, the npm package oidc-provider) to sign in with
#      and a stand-in of the GitHub API (github/standin.mjs) that templates publish to;
#   2. Backstage's own @backstage/catalog-client driving the REST API (catalog-client/);
#   3. schemathesis fuzzing the REST API against its OpenAPI document (api-fuzz.sh), in a
#      network namespace of its own with loopback only: the fuzzer registers locations
#      with generated targets, and the portal must not reach out to read them.
set -euo pipefail
cd "$(dirname "$0")"
SELF="$(pwd)/$(basename "$0")"
ROOT="$(cd .. && pwd)"
BINARY="${PORTICO_BINARY:-$ROOT/target/debug/portico}"
# The site the binary serves (a build with another CARGO_TARGET_DIR names its own).
SITE="${PORTICO_SITE:-$ROOT/target/site}"
[ -x "$BINARY" ] || { echo "end2end: $BINARY is missing; run: cargo xtask build" >&2; exit 2; }
OFFLINE_SUITE=""
# --browser-only [FILES…]: the browser suite alone (CI runs it again on the release build,
# whose optimised bundle must hydrate as well), or some of its files
# (`--browser-only tests/scaffolder.spec.mjs`).
BROWSER_ONLY=""
BROWSER_FILES=()
if [ "${1:-}" = "--browser-only" ]; then
  BROWSER_ONLY=1
  BROWSER_FILES=("${@:2}")
fi
if [ "${1:-}" = "--offline-suite" ]; then
  # Re-entered by this script inside `unshare --net`: bring loopback up, run one suite.
  OFFLINE_SUITE="$2"
  ip link set lo up
fi

if [ -z "$OFFLINE_SUITE" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ -z "$OFFLINE_SUITE" ]; then
  [ -d node_modules/@playwright/test ] && [ -d node_modules/binaryen ] \
    || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  if [ -z "$BROWSER_ONLY" ]; then
    [ -d catalog-client/node_modules ] || (cd catalog-client && npm ci --no-audit --no-fund)
    # Installed here: the namespace of the fuzz suite has no network.
    source "$ROOT/scripts/python-tools.sh"
    install_api_fuzzer
  fi
fi

SERVER=""
PROVIDER=""
GITHUB=""
WORK="$(mktemp -d)"
stop_portal() {
  [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  [ -n "$PROVIDER" ] && { kill "$PROVIDER" 2>/dev/null || true; wait "$PROVIDER" 2>/dev/null || true; }
  [ -n "$GITHUB" ] && { kill "$GITHUB" 2>/dev/null || true; wait "$GITHUB" 2>/dev/null || true; }
  SERVER=""
  PROVIDER=""
  GITHUB=""
}
trap 'stop_portal; rm -rf "$WORK"' EXIT

# The permissions of each suite's portal (portico.yaml). The browser suite is a public
# demo: anyone reads, people sign in to change anything, as the product's default policy
# says — through the local OpenID Connect provider (OIDC_URL), or as a guest (kept on
# explicitly: with a provider it is off by default). The catalog-client suite runs with
# the default policy too and API tokens made by `portico token create` (an admin's for its
# calls, a read-only one to see writes refused). The fuzzer tests the REST contract, not
# who may call it, so its portal lets anyone do anything.
config_for() {
  case "$1" in
    browser)
      printf 'permissions:\n  anonymous_read: true\n'
      printf 'auth_guest: on\n'
      printf 'auth:\n  unknown_people: refuse\n  providers:\n'
      printf '    - id: e2e\n      type: oidc\n      title: Acme ID\n      issuer: %s\n' "$OIDC_URL"
      printf '      client_id: portico-e2e\n      client_secret: portico-e2e-secret\n'
      # github.com's API is the stand-in: the golden paths publish there.
      printf 'github_api_url: %s\ngithub_token: ghp_e2e\n' "$GITHUB_URL"
      ;;
    catalog-client) printf 'permissions:\n  admins: [group:default/platform]\n' ;;
    # A webhook secret, so unsigned deliveries get the documented 401.
    *) printf 'permissions:\n  anonymous_read: true\n  rules:\n    - actions: "*"\n      allow: anyone\n'
       printf 'github_webhook_secret: fuzz-webhook-secret-0123456789\n' ;;
  esac
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Starts the OpenID Connect provider for the portal at PORTICO_URL; exports OIDC_URL.
start_provider() {
  local name="$1" port
  port="$(free_port)"
  export OIDC_URL="http://127.0.0.1:$port"
  node oidc/provider.mjs "$port" "$PORTICO_URL/auth/e2e/callback" >"$WORK/$name-oidc.log" 2>&1 &
  PROVIDER=$!
  for _ in $(seq 1 50); do
    curl -fsS "$OIDC_URL/.well-known/openid-configuration" >/dev/null 2>&1 && return 0
    kill -0 "$PROVIDER" 2>/dev/null || break
    sleep 0.2
  done
  echo "end2end: the OpenID Connect provider did not start" >&2
  cat "$WORK/$name-oidc.log" >&2
  exit 1
}

# Starts the GitHub stand-in (templates publish to it); exports GITHUB_URL.
start_github() {
  local name="$1" port
  port="$(free_port)"
  export GITHUB_URL="http://127.0.0.1:$port"
  node github/standin.mjs "$port" ghp_e2e >"$WORK/$name-github.log" 2>&1 &
  GITHUB=$!
  for _ in $(seq 1 50); do
    curl -sS -o /dev/null "$GITHUB_URL/" 2>/dev/null && return 0
    kill -0 "$GITHUB" 2>/dev/null || break
    sleep 0.2
  done
  echo "end2end: the GitHub stand-in did not start" >&2
  cat "$WORK/$name-github.log" >&2
  exit 1
}

# Starts a fresh portal and exports PORTICO_URL; $1 names its database, log and config.
start_portal() {
  local name="$1" port
  port="$(free_port)"
  export PORTICO_URL="http://127.0.0.1:$port"
  [ "$name" = browser ] && start_provider "$name" && start_github "$name"
  # Catalog files the suites write (file locations) go under a folder the portal may read.
  export PORTICO_CATALOG_DIR="$WORK/$name-catalog"
  mkdir -p "$PORTICO_CATALOG_DIR"
  config_for "$name" >"$WORK/$name.yaml"
  # What a suite needs to run the portico CLI on the same database.
  export PORTICO_SUITE_ENV="PORTICO_CONFIG=$WORK/$name.yaml DATABASE_URL=sqlite://$WORK/$name.db"
  PORTICO_CONFIG="$WORK/$name.yaml" PORTICO_LISTEN="127.0.0.1:$port" DATABASE_URL="sqlite://$WORK/$name.db" \
    PORTICO_DEMO=true LEPTOS_SITE_ROOT="$SITE" PORTICO_LOG=warn \
    PORTICO_CATALOG_FILE_ROOTS="$PORTICO_CATALOG_DIR" "$BINARY" serve >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 150); do
    curl -fsS "$PORTICO_URL/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.2
  done
  echo "end2end: the portal did not become ready" >&2
  cat "$WORK/$name.log" >&2
  exit 1
}

# Runs a suite; on failure prints the end of its portal's log.
run_suite() {
  local name="$1"; shift
  start_portal "$name"
  local status=0
  "$@" || status=$?
  stop_portal
  if [ $status -ne 0 ]; then
    echo "--- portal log ($name) ---"; tail -n 60 "$WORK/$name.log"
    exit $status
  fi
}

if [ "$OFFLINE_SUITE" = api-fuzz ]; then
  run_suite api-fuzz bash -c './api-fuzz.sh "$PORTICO_URL"'
  exit 0
fi

run_suite browser npx playwright test "${BROWSER_FILES[@]}"
[ -n "$BROWSER_ONLY" ] && exit 0
# An API token from the command line, as an operator makes one for CI.
token() { env $PORTICO_SUITE_ENV PORTICO_LOG=error "$BINARY" token create --user user:default/ada.lovelace --name "$1" "${@:2}"; }
export BINARY
export -f token
run_suite catalog-client bash -c 'PORTICO_TOKEN="$(token catalog-client --scope read --scope catalog.write)" \
  && PORTICO_READ_TOKEN="$(token reader --scope read)" && export PORTICO_TOKEN PORTICO_READ_TOKEN \
  && cd catalog-client && node --test'
unshare --net -- "$SELF" --offline-suite api-fuzz
