#!/usr/bin/env bash
# The results cache, side by side in the same minutes: a pre-commit run (one
# staged file, the rest of the repository for context) on two large corpus
# repositories, cold, warm and without the cache; a whole-repository run warm
# and without; and a 9-file repository against `cat` of its files.
#
# Usage: [BASE=/path/to/old/shipshape] [NEW=target/release/shipshape]
#        [ROUNDS=2] bench/cache.sh
# Inputs are copied (not hard-linked: a run edits the staged file) into
# $BENCH_DIR/cache; results go to $BENCH_DIR/results/cache.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NEW="$(realpath "${NEW:-$ROOT/target/release/shipshape}")"
BASE="${BASE:+$(realpath "$BASE")}"
BENCH_DIR="${BENCH_DIR:-/tmp/shipshape-bench}"
CORPUS="${CORPUS:-$ROOT/../shared/corpus}"
ROUNDS="${ROUNDS:-2}"
IN="$BENCH_DIR/cache"
OUT="$BENCH_DIR/results/cache"
mkdir -p "$IN" "$OUT"
rm -f "$OUT"/*.json

# --- inputs -------------------------------------------------------------------
for repo in argoproj__argo-cd kyverno__policies; do
    [ -d "$IN/$repo" ] || cp -r "$CORPUS/$repo" "$IN/$repo"
done
if [ ! -d "$IN/small" ]; then
    mkdir -p "$IN/small"
    cp -r "$ROOT/fixtures/pull-flask-app/." "$IN/small/"
    mkdir -p "$IN/small/manifests"
    cp "$ROOT"/fixtures/push-voting-app/manifests/{back,front,namespace}.yaml "$IN/small/manifests/"
fi
# The staged file of each repository: a Deployment and a policy.
declare -A STAGED=(
    [argoproj__argo-cd]=manifests/base/repo-server/argocd-repo-server-deployment.yaml
    [kyverno__policies]=best-practices/require-probes/require-probes.yaml
)
SMALL_FILES=$(cd "$IN/small" && find . -name '*.yaml' -o -name '*.yml' | sort | tr '\n' ' ')

# hf NAME CWD RUNS [hyperfine arguments...]
hf() {
    local name=$1 cwd=$2 runs=$3; shift 3
    (cd "$cwd" && hyperfine -N -i --warmup 2 --runs "$runs" \
        --export-json "$OUT/$name.json" "$@" >/dev/null)
}

for round in $(seq 1 "$ROUNDS"); do
    for repo in argoproj__argo-cd kyverno__policies; do
        dir="$IN/$repo" staged="${STAGED[$repo]}" cache="$IN/$repo.cache"
        rm -rf "$cache"
        "$NEW" check --cache-dir "$cache" "$staged" >/dev/null 2>&1 || true
        # (name, prepare, command) triples; reversed every other round so
        # that no command always runs first or last.
        triples=()
        [ -n "$BASE" ] && triples+=("before (no cache)" true "$BASE check $staged")
        triples+=(
            "without the cache" true "$NEW check --no-cache $staged"
            "cold (cache written)" "rm -rf $cache" "$NEW check --cache-dir $cache $staged"
            "warm, the staged file edited" "bash -c 'echo \"# edited \$RANDOM\" >> $staged'"
            "$NEW check --cache-dir $cache $staged"
            "warm, nothing changed" true "$NEW check --cache-dir $cache $staged"
            "whole repository, --no-cache" true "$NEW check --no-cache ."
            "whole repository, warm" true "$NEW check --cache-dir $cache ."
        )
        args=()
        n=$((${#triples[@]} / 3))
        for k in $(seq 0 $((n - 1))); do
            i=$k
            [ $((round % 2)) = 0 ] && i=$((n - 1 - k))
            # The warm runs need the cache the runs before them left: a
            # reversed round starts it afresh.
            args+=(--command-name "${triples[3*i]}" --prepare "${triples[3*i+1]}" "${triples[3*i+2]}")
        done
        hf "$repo.$round" "$dir" 10 "${args[@]}"
        # Sizes: the cache file after a whole-repository run (every entry
        # with its findings), and the YAML it describes.
        (cd "$dir" && "$NEW" check --cache-dir "$cache" . >/dev/null 2>&1) || true
        printf '%s\t%s\t%s\n' "$repo" \
            "$(stat -c %s "$cache"/results-*.bin)" \
            "$(cd "$dir" && "$NEW" check --no-cache --stats . 2>&1 >/dev/null | sed -n 's/.* \([0-9]*\) bytes,.*/\1/p')" \
            > "$OUT/$repo.size"
        (cd "$dir" && git checkout -q -- . 2>/dev/null) || cp "$CORPUS/$repo/$staged" "$dir/$staged"
    done
    cache="$IN/small.cache"
    rm -rf "$cache"
    args=(--command-name "cat" "cat $SMALL_FILES")
    [ -n "$BASE" ] && args+=(--command-name "before (no cache)" "$BASE check .")
    args+=(
        --command-name "without the cache" "$NEW check --no-cache ."
        --command-name "warm" "$NEW check --cache-dir $cache ."
    )
    hf "small.$round" "$IN/small" 200 "${args[@]}"
done

OUT="$OUT" python3 - <<'PY'
import glob, json, os, statistics as st
out = os.environ["OUT"]
for input_ in ["argoproj__argo-cd", "kyverno__policies", "small"]:
    times = {}
    for f in sorted(glob.glob(f"{out}/{input_}.*.json")):
        for r in json.load(open(f))["results"]:
            times.setdefault(r["command"], []).extend(r["times"])
    if not times:
        continue
    ref = "without the cache" if input_ != "small" else "cat"
    print(f"\n{input_}\n")
    print(f"| command | median | vs `{ref}` |")
    print("|---|---:|---:|")
    base = st.median(times[ref])
    for cmd, t in times.items():
        m = st.median(t)
        print(f"| {cmd} | {m*1000:.1f} ms | {m/base:.2f} |")
    size = f"{out}/{input_}.size"
    if os.path.exists(size):
        _, cache, yaml = open(size).read().split()
        print(f"\ncache {int(cache):,} bytes for {int(yaml):,} bytes of YAML ({int(cache)/int(yaml):.1%})")
PY
