#!/usr/bin/env bash
# A/B of two shipshape builds, interleaved: BASE and NEW alternate in ROUNDS
# rounds (order swapped each round) on the manifests, workflows and hook20
# inputs of $BENCH_DIR (built by bench/prepare.sh), so that both builds share
# the machine's mood. Prints the median of all rounds per input, and each
# round's medians.
# Usage: BASE=/path/to/old/shipshape NEW=target/release/shipshape bench/ab.sh
set -euo pipefail
BASE="$(realpath "${BASE:?set BASE to the old binary}")"
NEW="$(realpath "${NEW:-target/release/shipshape}")"
BENCH_DIR="${BENCH_DIR:-/tmp/shipshape-bench}"
ROUNDS="${ROUNDS:-3}"
OUT="$BENCH_DIR/results/ab"
mkdir -p "$OUT"
rm -f "$OUT"/*.json

# A build with the results cache runs without it: both builds read every file.
no_cache() { "$1" check --help 2>/dev/null | grep -q -- --no-cache && echo --no-cache || true; }

# suite input-dir runs warmup
run() {
    local suite=$1 dir=$2 runs=$3 warmup=$4 round=$5 order=("${@:6}")
    local cmds=()
    for b in "${order[@]}"; do cmds+=("$b check --no-config $(no_cache "$b") ."); done
    (cd "$dir" && hyperfine -N -i --warmup "$warmup" --runs "$runs" \
        --export-json "$OUT/$suite.$round.json" "${cmds[@]}" >/dev/null)
}

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order=("$BASE" "$NEW"); else order=("$NEW" "$BASE"); fi
    run manifests "$BENCH_DIR/manifests" 8 1 "$round" "${order[@]}"
    run workflows "$BENCH_DIR/workflows" 20 2 "$round" "${order[@]}"
    run hook "$BENCH_DIR/hook20" 50 5 "$round" "${order[@]}"
done

BASE="$BASE" OUT="$OUT" python3 - <<'PY'
import glob, json, os, statistics as st
base, out = os.environ["BASE"], os.environ["OUT"]
for suite in ["manifests", "workflows", "hook"]:
    times, rounds = {"base": [], "new": []}, []
    for f in sorted(glob.glob(f"{out}/{suite}.*.json")):
        row = {}
        for r in json.load(open(f))["results"]:
            k = "base" if r["command"].startswith(base + " ") else "new"
            times[k].extend(r["times"])
            row[k] = st.median(r["times"]) * 1000
        rounds.append(f"{row['base']:.1f}/{row['new']:.1f}")
    b, n = st.median(times["base"]) * 1000, st.median(times["new"]) * 1000
    print(f"{suite}: before {b:.1f} ms, after {n:.1f} ms, after/before {n / b:.3f} "
          f"(rounds before/after: {', '.join(rounds)})")
PY
