#!/usr/bin/env bash
# Vendors the OpenAPI schemas of the custom resources the renderer writes, from the CRDs
# their projects publish, into crates/render/crds/ (one JSON schema per kind and version,
# and SOURCES.md saying where each came from):
#   scripts/refresh-crds.sh                 # from raw.githubusercontent.com
#   CRD_MIRRORS=/path scripts/refresh-crds.sh   # from local clones: /path/<owner>/<repo>
# Needs python3 with PyYAML. To move to a newer release, change its tag below, run this,
# then `cargo test -p render` shows what the new schema refuses.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/crates/render/crds"
mkdir -p "$out"

# repository tag path kind group version
targets=(
  "argoproj/argo-rollouts v1.9.1 manifests/crds/rollout-crd.yaml Rollout argoproj.io v1alpha1"
  "argoproj/argo-rollouts v1.9.1 manifests/crds/analysis-template-crd.yaml AnalysisTemplate argoproj.io v1alpha1"
  "argoproj/argo-cd v3.5.1 manifests/crds/application-crd.yaml Application argoproj.io v1alpha1"
  "istio/istio 1.30.3 manifests/charts/base/files/crd-all.gen.yaml VirtualService networking.istio.io v1"
  "istio/istio 1.30.3 manifests/charts/base/files/crd-all.gen.yaml DestinationRule networking.istio.io v1"
  "prometheus-operator/prometheus-operator v0.93.0 example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml PrometheusRule monitoring.coreos.com v1"
  "prometheus-operator/prometheus-operator v0.93.0 example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml ServiceMonitor monitoring.coreos.com v1"
  "chaos-mesh/chaos-mesh v2.8.3 config/crd/bases/chaos-mesh.org_podchaos.yaml PodChaos chaos-mesh.org v1alpha1"
)

fetch() { # repository tag path
  if [ -n "${CRD_MIRRORS:-}" ]; then
    git -C "$CRD_MIRRORS/$1" show "$2:$3"
  else
    curl -fsSL "https://raw.githubusercontent.com/$1/$2/$3"
  fi
}

{
  echo "# Vendored CRD schemas"
  echo
  echo "The \`openAPIV3Schema\` of each custom resource the renderer writes, as its project"
  echo "publishes it. Written by \`scripts/refresh-crds.sh\`; do not edit by hand. The tests and"
  echo "\`portico render --check\` validate every rendered custom resource against these, with"
  echo "unknown fields refused wherever the schema does not keep them"
  echo "(\`x-kubernetes-preserve-unknown-fields\`). Other generated files with a published JSON"
  echo "schema (the Grafana dashboard) are checked against it as it is published."
  echo
  echo "| File | Kind | Version | Project release | Source |"
  echo "|---|---|---|---|---|"
} >"$out/SOURCES.md.new"

for target in "${targets[@]}"; do
  read -r repository tag path kind group version <<<"$target"
  file="$(tr '[:upper:]' '[:lower:]' <<<"$kind").$group.$version.json"
  fetch "$repository" "$tag" "$path" | python3 -c '
import json, sys, yaml
kind, group, version = sys.argv[1:4]
# Reads the whole file first: stopping early would cut the pipe of the fetch.
for doc in list(yaml.safe_load_all(sys.stdin.read())):
    if not doc or doc.get("kind") != "CustomResourceDefinition":
        continue
    spec = doc["spec"]
    if spec["group"] != group or spec["names"]["kind"] != kind:
        continue
    for v in spec["versions"]:
        if v["name"] == version:
            json.dump(v["schema"]["openAPIV3Schema"], sys.stdout, indent=1, sort_keys=True)
            sys.stdout.write("\n")
            sys.exit(0)
sys.exit(f"no {kind} {group}/{version} in the file")
' "$kind" "$group" "$version" >"$out/$file.new"
  mv "$out/$file.new" "$out/$file"
  echo "| \`$file\` | $kind | $group/$version | $repository $tag | https://github.com/$repository/blob/$tag/$path |" >>"$out/SOURCES.md.new"
  echo "ok: $file from $repository $tag"
done
# JSON schemas published as they are: repository revision path file description
schemas=(
  "grafana/grafana-foundation-sdk f178d5a42a8915fdda9235e97ad93881e3f94fef jsonschema/dashboard.jsonschema.json grafana-dashboard.jsonschema.json Grafana dashboard (schemaVersion 42, Grafana 12)"
)
for target in "${schemas[@]}"; do
  read -r repository revision path file description <<<"$target"
  fetch "$repository" "$revision" "$path" | python3 -c 'import json, sys; json.load(sys.stdin)' \
    || { echo "$repository $path is not JSON" >&2; exit 1; }
  fetch "$repository" "$revision" "$path" >"$out/$file.new"
  mv "$out/$file.new" "$out/$file"
  echo "| \`$file\` | $description | draft-07 | $repository ${revision:0:12} | https://github.com/$repository/blob/$revision/$path |" >>"$out/SOURCES.md.new"
  echo "ok: $file from $repository ${revision:0:12}"
done
mv "$out/SOURCES.md.new" "$out/SOURCES.md"
