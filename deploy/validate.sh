#!/usr/bin/env bash
# Static checks of Portico's own container and Kubernetes files (no engine runs here):
# hadolint on the Dockerfile, kubernetes-validate --strict and checkov on the manifests.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
source "$root/scripts/python-tools.sh"
install_python_tools || { echo "FAIL: could not install the Python tools"; exit 1; }

status=0
echo "== hadolint Dockerfile"
"$PORTICO_VENV/bin/hadolint" "$root/Dockerfile" || status=1
echo "== kubernetes-validate --strict deploy/k8s"
"$PORTICO_VENV/bin/kubernetes-validate" --strict --quiet "$here"/k8s/*.yaml || status=1
echo "== checkov (Dockerfile, Kubernetes)"
"$PORTICO_VENV/bin/checkov" --quiet --compact --skip-download --framework dockerfile kubernetes \
  --file "$root/Dockerfile" || status=1
"$PORTICO_VENV/bin/checkov" --quiet --compact --skip-download --framework kubernetes \
  --directory "$here/k8s" || status=1
[ $status -eq 0 ] && echo "deploy validation: all tools passed"
exit $status
