#!/usr/bin/env bash
# Peak memory and wall time of reading hostile catalog files (issue 8, items 1 and 2).
#
#   bench/hostile-yaml.sh target/release/portico                   # the server's CLI
#   bench/hostile-yaml.sh target/release/examples/read_yaml        # the parser alone
#
# Writes into a temporary folder:
#   aliases-200.yaml   200 documents (63 KiB), each within the per-document node limit
#                      although nested aliases expand it to ~90,000 nodes
#   broken-120k.yaml   "---\n]\n" repeated to 120 KB: one syntax error per document
#   broken-480k.yaml   the same at 480 KB
# and runs `/usr/bin/time -v BINARY catalog validate FILE` on each (or `BINARY FILE` when
# BINARY is the read_yaml example). Invalid files make the command exit 1; that is expected.
set -euo pipefail
BIN="${1:?usage: bench/hostile-yaml.sh PORTICO_BINARY}"
[ -x "$BIN" ] || { echo "$BIN: not an executable" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "install GNU time: apt-get install time" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# One document (~320 bytes): a 10-item anchored list, aliased ten times per level for three
# levels (11,111 nodes at d), then six copies of d: 91,363 nodes counting the copies anchors
# keep, just under the 100,000-node limit of one document. The same text as
# `alias_document` in crates/catalog/src/yaml/tests.rs.
alias_document() {
  printf -- '---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: lol-%d}\n' "$1"
  printf 'spec:\n  owner: team-a\n'
  printf '  a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n'
  printf '  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n'
  printf '  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n'
  printf '  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n'
  printf '  e: [*d, *d, *d, *d, *d, *d]\n'
}
for i in $(seq 1 200); do alias_document "$i"; done >"$WORK/aliases-200.yaml"

# "---\n]\n" is 6 bytes: 20,480 copies are 120 KiB, 81,920 are 480 KiB.
broken() { yes -- $'---\n]' | head -n $(($1 * 2)) || true; }
broken 20480 >"$WORK/broken-120k.yaml"
broken 81920 >"$WORK/broken-480k.yaml"

# read_yaml prints a summary line; `portico catalog validate` one line per error.
case "$(basename "$BIN")" in
  read_yaml) COMMAND=("$BIN"); summary() { head -n 1 "$1" | sed 's/^[^:]*: //'; } ;;
  *) COMMAND=("$BIN" catalog validate); summary() { echo "$(wc -l <"$1") lines"; } ;;
esac

printf '| file | bytes | wall (m:ss) | peak RSS | output |\n|---|---|---|---|---|\n'
for file in aliases-200.yaml broken-120k.yaml broken-480k.yaml; do
  path="$WORK/$file"
  /usr/bin/time -v -o "$WORK/time.txt" "${COMMAND[@]}" "$path" >"$WORK/out.txt" 2>&1 || true
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")"
  rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")"
  printf '| %s | %s | %s | %s MB | %s |\n' "$file" "$(wc -c <"$path")" "$wall" "$((rss_kb / 1024))" \
    "$(summary "$WORK/out.txt")"
done
