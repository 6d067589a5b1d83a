#!/usr/bin/env bash
# Builds every kustomize overlay of the golden trees with the real kustomize
# (`kubectl kustomize`) and writes the output where `cargo test -p render --test kustomize`
# compares it with Portico's own build (crates/render/src/kustomize.rs):
#   crates/render/tests/golden/<case>/deploy/k8s/overlays/<env>   -> tests/kustomize/<case>/<env>.yaml
#   server/tests/golden_paths/<case>/deploy/k8s/overlays/<env>    -> tests/kustomize/<case>/<env>.yaml
#   crates/render/tests/kustomize_features/deploy/k8s/overlays/<name> -> tests/kustomize/features/<name>.yaml
# and tests/kustomize/README.md with the exact kubectl and kustomize versions.
# Needs kubectl on PATH (CI has none: the outputs are committed). Run it after the golden
# trees change (UPDATE_GOLDEN=1), then review `git diff`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/crates/render/tests/kustomize"

if ! command -v kubectl >/dev/null; then
  echo "kubectl is not installed: the committed outputs in $out stay as they are" >&2
  exit 1
fi
version="$(kubectl version --client 2>/dev/null)"

rm -rf "$out"
mkdir -p "$out"
count=0
build() { # overlay directory, output file
  mkdir -p "$(dirname "$2")"
  # stderr carries kustomize's deprecation warnings (commonLabels); a failure stops the script.
  kubectl kustomize "$1" >"$2"
  count=$((count + 1))
}

for overlay in "$root"/crates/render/tests/golden/*/deploy/k8s/overlays/*/ \
  "$root"/server/tests/golden_paths/*/deploy/k8s/overlays/*/; do
  case_dir="${overlay%/deploy/k8s/overlays/*}"
  build "$overlay" "$out/$(basename "$case_dir")/$(basename "$overlay").yaml"
done
for overlay in "$root"/crates/render/tests/kustomize_features/deploy/k8s/overlays/*/; do
  build "$overlay" "$out/features/$(basename "$overlay").yaml"
done

cat >"$out/README.md" <<EOF
# Overlays built by the real kustomize

Each \`<case>/<overlay>.yaml\` is the output of \`kubectl kustomize <overlay directory>\` for
one overlay of a golden tree: \`crates/render/tests/golden/<case>/deploy/k8s/overlays/\`,
\`server/tests/golden_paths/<case>/deploy/k8s/overlays/\`, and the hand-written
\`crates/render/tests/kustomize_features/deploy/k8s/overlays/\` (as \`features/\`). Written by
\`scripts/refresh-kustomize-golden.sh\` ($count overlays); do not edit by hand.
\`cargo test -p render --test kustomize\` checks that Portico's own build
(\`crates/render/src/kustomize.rs\`) produces the same objects in the same order, and
\`crates/render/lint/run.sh\` passes these files to \`kubernetes-validate --strict\`.

Produced with (\`kubectl version --client\`):

\`\`\`
$version
\`\`\`
EOF
echo "wrote $count overlays to $out"
