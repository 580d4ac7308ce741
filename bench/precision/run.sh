#!/usr/bin/env bash
# Re-run a shipshape binary on every repository of the precision measurement, each with its own config.
# usage: run.sh BINARY OUTDIR        e.g. ./run.sh /work/shipshape-before out-before
# For each line of repos.tsv (name, url, commit, lint path) it runs, inside repos/<name>:
#   BINARY check --config configs/<name>.yaml --format json  <lint path>  > OUTDIR/<name>.json
#   BINARY check --config configs/<name>.yaml --format human <lint path>  > OUTDIR/<name>.txt
# (stderr, with the summary line, in OUTDIR/<name>.err). Paths in the reports are relative to the work tree.
# It checks that each work tree is at the recorded commit, and prints the count of findings per rule.
set -u
BIN=$(realpath "${1:?usage: run.sh BINARY OUTDIR}")
OUT=$(mkdir -p "${2:?usage: run.sh BINARY OUTDIR}" && realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
THREADS=${THREADS:-1}   # the machine is shared; output is identical whatever the thread count
grep -v '^#' "$HERE/repos.tsv" | while IFS=$'\t' read -r name url commit path; do
  [ -n "$name" ] || continue
  repo="$HERE/repos/$name"; cfg="$HERE/configs/$name.yaml"
  if [ ! -d "$repo" ]; then echo "$name: no work tree at $repo (git clone $url; git checkout $commit)" >&2; continue; fi
  head=$(git -C "$repo" rev-parse HEAD)
  [ "$head" = "$commit" ] || echo "$name: WARNING work tree at $head, recorded commit $commit" >&2
  ( cd "$repo" &&
    "$BIN" check --config "$cfg" --format json --threads "$THREADS" "$path" >"$OUT/$name.json" 2>"$OUT/$name.err"
    "$BIN" check --config "$cfg" --format human --color never --threads "$THREADS" "$path" >"$OUT/$name.txt" 2>>"$OUT/$name.err" )
  printf '%-42s %s\n' "$name" "$(python3 -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); print(d["summary"]["findings"], dict(sorted(collections.Counter(f["rule"] for f in d["findings"]).items())))' "$OUT/$name.json" 2>/dev/null || echo "no JSON (see $OUT/$name.err)")"
done
