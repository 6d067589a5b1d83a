#!/usr/bin/env bash
# Checks that every GitHub Action of crates/render/src/actions.rs still has its release tag
# at the pinned commit, as GitHub answers now (needs github.com):
#   scripts/verify-actions.sh
# A tag that moved is reported, not followed: look at what changed before pinning again.
# To pin a new release, read its commit with
#   git ls-remote https://github.com/OWNER/REPO 'refs/tags/TAG^{}' 'refs/tags/TAG'
# (the peeled `^{}` line, when there is one, is the commit of an annotated tag).
set -euo pipefail
base="${ACTIONS_GIT_BASE:-https://github.com}"  # another host or a folder of mirrors
table="$(dirname "$0")/../crates/render/src/actions.rs"
status=0
# pin("owner/repo", "tag", "sha") over one or several lines.
while read -r name tag commit; do
  refs="$(git ls-remote "$base/$name" "refs/tags/$tag" "refs/tags/$tag^{}")" || {
    echo "FAIL $name: cannot read its tags"; status=1; continue; }
  # The peeled commit of an annotated tag, else the tag's own.
  found="$(awk '/\^\{\}$/ {print $1; exit}' <<<"$refs")"
  [ -n "$found" ] || found="$(awk '{print $1; exit}' <<<"$refs")"
  if [ "$found" = "$commit" ]; then
    echo "ok   $name $tag $commit"
  else
    echo "FAIL $name $tag: pinned $commit, the tag names ${found:-nothing}"; status=1
  fi
done < <(tr -d '\n' <"$table" | grep -oE 'pin\(\s*"[^"]+",\s*"[^"]+",\s*"[0-9a-f]{40}",?\s*\)' \
  | sed -E 's/pin\(\s*"([^"]+)",\s*"([^"]+)",\s*"([0-9a-f]{40})".*/\1 \2 \3/')
exit "$status"
