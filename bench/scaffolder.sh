#!/usr/bin/env bash
# The scaffolder (issue 12) against a release build on this machine, with the GitHub API
# played by bench/github_standin.py on 127.0.0.1:
#
#   cargo build --release -p server --bin portico
#   bench/scaffolder.sh sqlite|postgres [ENTITIES]   # ENTITIES: also load the wizard page at that catalog size
#   GITHUB_LATENCY_MS=100 bench/scaffolder.sh sqlite  # every GitHub answer 100 ms late, as over the internet
#
# 1. One golden-path task from submit to completed, each template (10 runs, the median and
#    the slowest): fetch the skeleton, render (service), publish (blobs, tree, commit, refs,
#    access, protection), register the new repository's catalog file.
# 2. 50 tasks submitted at once (library): all must complete; the time until the last did.
# 3. With ENTITIES, the wizard page of the service template under load (wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE="${1:-sqlite}"
ENTITIES="${2:-}"
source bench/lib.sh

GITHUB_PORT=3901
python3 bench/github_standin.py "$GITHUB_PORT" "${GITHUB_LATENCY_MS:-0}" &
STANDIN=$!
trap 'kill $STANDIN 2>/dev/null; stop; rm -rf "$WORK"' EXIT
cat >"$WORK/portico.yaml" <<YAML
permissions:
  anonymous_read: true
  rules:
    - {actions: ["scaffolder.task.create", "scaffolder.task.read", "catalog.location.create"], allow: anyone}
github_api_url: http://127.0.0.1:$GITHUB_PORT
github_token: ghp_bench
YAML

if [ -n "$ENTITIES" ]; then import_generated "$ENTITIES"; else DB="$(db_url scaffolder)"; fi
start "$DB" true

echo "## scaffolder, $ENGINE, $(nproc) cores, GitHub answers ${GITHUB_LATENCY_MS:-0} ms late, $(date -u +%F), $(git rev-parse --short HEAD)"
echo
python3 - "$URL" <<'PY'
import json, statistics, sys, threading, time, urllib.request

url = sys.argv[1]

def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())

def run(template, name, values):
    values = dict(values, name=name, repoUrl=f"github.com?owner=acme&repo={name}")
    start = time.perf_counter()
    task = call("POST", "/api/scaffolder/v2/tasks", {"templateRef": f"template:default/{template}", "values": values})
    while True:
        status = call("GET", f"/api/scaffolder/v2/tasks/{task['id']}")["status"]
        if status in ("completed", "failed", "cancelled"):
            return status, time.perf_counter() - start, task["id"]
        time.sleep(0.005)

templates = {
    "service": {"owner": "group:default/payments", "framework": "axum", "strategy": "canary"},
    "library": {"owner": "group:default/payments", "language": "rust"},
    "docs-site": {"owner": "group:default/platform"},
}
print("| template | runs | median submit → completed | slowest | failed |")
print("|---|---|---|---|---|")
for template, values in templates.items():
    times, failed = [], 0
    for i in range(10):
        status, seconds, _ = run(template, f"{template}-{i}", values)
        times.append(seconds)
        failed += status != "completed"
    print(f"| {template} | 10 | {statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms | {failed} |")

print()
results = []
def one(i):
    results.append(run("library", f"burst-{i}", templates["library"]))
started = time.perf_counter()
threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
for thread in threads: thread.start()
for thread in threads: thread.join()
elapsed = time.perf_counter() - started
statuses = [r[0] for r in results]
times = sorted(r[1] for r in results)
print(f"- 50 library tasks submitted at once: {statuses.count('completed')} completed, "
      f"{len(statuses) - statuses.count('completed')} not, of {len(set(r[2] for r in results))} distinct tasks; "
      f"the last completed after {elapsed:.1f} s (per task: median {statistics.median(times):.2f} s, "
      f"slowest {times[-1]:.2f} s; scaffolder_concurrency 4)")
PY

if [ -n "$ENTITIES" ]; then
  echo
  echo "| engine | what | path | first request | requests/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|---|"
  load "wizard page, service template ($ENTITIES entities)" "/create/templates/default/service"
fi
echo
echo "- RSS after the runs: $(rss_mb) MB"
