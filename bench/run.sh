#!/usr/bin/env bash
# Run the shipshape benchmarks against the peers. See bench/README.md.
#
#   bench/run.sh [suite...]     suites: manifests workflows scale hook big memory
#                               (default: all, in that order)
#
# Environment (defaults in brackets):
#   SHIPSHAPE      shipshape binary [target/release/shipshape, relative to the repo root]
#   PARSE_FLOOR    parse floor binary [target/release/examples/parse_floor]; skipped if absent
#   BENCH_DIR      work dir with the inputs and results [/tmp/shipshape-bench]
#   RUNS           hyperfine runs for shipshape and fast peers [5]
#   SLOW_RUNS      hyperfine runs for yamllint and checkov [3]
#   WARMUP         hyperfine warmup runs [1]
#   SLOW_WARMUP    warmup runs for yamllint and checkov [0: the inputs are already
#                  in the page cache from the shipshape runs of the same suite]
#   HOOK_RUNS      runs for the hook suite [50]   HOOK_WARMUP [5]
#   MEM_RUNS       /usr/bin/time -v runs per command in the memory suite (median kept) [3]
#   MEMORY_PEERS   1 = also measure peak RSS of parse_floor, actionlint, zizmor [1]
#   SCALES         corpus copies for the scale suite ["1 4 16"]
#   SCALE_THREADS  --threads values for the scale suite ["1 2"]
#   CHECKOV_REPO   the one manifests/ folder checkov's kubernetes framework runs on
#                  [stefanprodan__podinfo]
#   CHECKOV_VMEM_KB  ulimit -v for checkov [8000000]
#   SHIPSHAPE_ARGS extra arguments for every shipshape run [--no-config --no-cache:
#                  every run reads every file, as the peers do; bench/cache.sh
#                  measures the results cache]
#   SKIP_PEERS     1 = shipshape (and the parse floor) only [0]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export BENCH_DIR="${BENCH_DIR:-/tmp/shipshape-bench}"
RESULTS="$BENCH_DIR/results"
VENV="$HERE/.venv"

abspath() { case "$1" in /*) printf '%s\n' "$1";; *) printf '%s\n' "$ROOT/$1";; esac; }
SHIPSHAPE="$(abspath "${SHIPSHAPE:-target/release/shipshape}")"
PARSE_FLOOR="$(abspath "${PARSE_FLOOR:-target/release/examples/parse_floor}")"
# The parse floor with the allocator settings shipshape's main() applies
# (memory returned at once, no transparent huge pages): the same floor,
# paying the same page-fault price for bounded memory.
FLOOR_ALLOC="env MIMALLOC_PURGE_DELAY=0 MIMALLOC_ALLOW_THP=0 MIMALLOC_ARENA_EAGER_COMMIT=0"
RUNS="${RUNS:-5}"
SLOW_RUNS="${SLOW_RUNS:-3}"
WARMUP="${WARMUP:-1}"
SLOW_WARMUP="${SLOW_WARMUP:-0}"
HOOK_RUNS="${HOOK_RUNS:-50}"
HOOK_WARMUP="${HOOK_WARMUP:-5}"
MEM_RUNS="${MEM_RUNS:-3}"
MEMORY_PEERS="${MEMORY_PEERS:-1}"
SCALES="${SCALES:-1 4 16}"
SCALE_THREADS="${SCALE_THREADS:-1 2}"
CHECKOV_REPO="${CHECKOV_REPO:-stefanprodan__podinfo}"
CHECKOV_VMEM_KB="${CHECKOV_VMEM_KB:-8000000}"
SHIPSHAPE_ARGS="${SHIPSHAPE_ARGS:---no-config --no-cache}"
SKIP_PEERS="${SKIP_PEERS:-0}"

# Exact peer invocations (recorded in the results and printed by report.py).
YAMLLINT_ARGS="-f parsable -d relaxed"   # relaxed preset: all rules on, most as warnings
ACTIONLINT_ARGS="-shellcheck= -pyflakes="  # no external shellcheck/pyflakes processes
ZIZMOR_ARGS="--offline"
CHECKOV_ARGS="--quiet --compact --skip-download"  # --skip-download: no Prisma Cloud look-ups

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

ALL_SUITES=(manifests workflows scale hook big memory)
if [ $# -eq 0 ]; then set -- "${ALL_SUITES[@]}"; fi
for s in "$@"; do
    case " ${ALL_SUITES[*]} " in *" $s "*) ;; *) die "unknown suite '$s' (one of: ${ALL_SUITES[*]})";; esac
done

# --- tools -------------------------------------------------------------------
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not found: run bench/peers.sh"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: run bench/peers.sh"
[ -x "$SHIPSHAPE" ] || die "shipshape binary not found at $SHIPSHAPE (cargo build --release, or set SHIPSHAPE=...)"
HAVE_FLOOR=0
if [ -x "$PARSE_FLOOR" ]; then HAVE_FLOOR=1; else
    warn "parse floor not found at $PARSE_FLOOR (cargo build --release --example parse_floor); skipping it"
fi

peer() { # peer NAME: absolute path of a peer binary, or empty
    local p=""
    case "$1" in
        actionlint) p="$VENV/bin/actionlint-bin";;
        *) p="$VENV/bin/$1";;
    esac
    if [ "$SKIP_PEERS" != 1 ] && [ -x "$p" ]; then printf '%s\n' "$p"; fi
}
YAMLLINT="$(peer yamllint)"; ACTIONLINT="$(peer actionlint)"; ZIZMOR="$(peer zizmor)"; CHECKOV="$(peer checkov)"
if [ "$SKIP_PEERS" != 1 ]; then
    for t in yamllint actionlint zizmor checkov; do
        [ -n "$(peer "$t")" ] || warn "$t not found in $VENV (run bench/peers.sh); skipping it"
    done
fi

# --- inputs ------------------------------------------------------------------
SCALES="$SCALES" "$HERE/prepare.sh" >/dev/null
mkdir -p "$RESULTS"
cd "$BENCH_DIR"

count_files() { # YAML/JSON files under a path, .git excluded
    find "$1" -name .git -prune -o -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print | wc -l
}
count_bytes() {
    find "$1" -name .git -prune -o -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -printf '%s\n' |
        awk '{ b += $1 } END { printf "%d\n", b }'
}
version_of() { "$@" 2>&1 | head -n1 || true; }

# --- meta.json: machine, versions, inputs, settings --------------------------
{
    printf 'key\tvalue\n'
    printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'nproc\t%s\n' "$(nproc)"
    printf 'kernel\t%s\n' "$(uname -r)"
    printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    printf 'memory\t%s\n' "$(free -h | awk '/^Mem:/ {print $2}')"
    printf 'version.shipshape\t%s\n' "$(version_of "$SHIPSHAPE" --version)"
    printf 'version.hyperfine\t%s\n' "$(version_of hyperfine --version)"
    [ -n "$YAMLLINT" ] && printf 'version.yamllint\t%s\n' "$(version_of "$YAMLLINT" --version)"
    [ -n "$ACTIONLINT" ] && printf 'version.actionlint\t%s\n' "$(version_of "$ACTIONLINT" -version)"
    [ -n "$ZIZMOR" ] && printf 'version.zizmor\t%s\n' "$(version_of "$ZIZMOR" --version)"
    [ -n "$CHECKOV" ] && printf 'version.checkov\t%s\n' "$(version_of "$CHECKOV" --version)"
    printf 'git.commit\t%s\n' "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
    for d in manifests "manifests/$CHECKOV_REPO" workflows hook20 big/big.yaml $(for n in $SCALES; do echo "corpus-x$n"; done); do
        printf 'files.%s\t%s\n' "$d" "$(count_files "$d")"
        printf 'bytes.%s\t%s\n' "$d" "$(count_bytes "$d")"
    done
    printf 'settings.runs\t%s\n' "$RUNS"
    printf 'settings.slow_runs\t%s\n' "$SLOW_RUNS"
    printf 'settings.warmup\t%s\n' "$WARMUP"
    printf 'settings.slow_warmup\t%s\n' "$SLOW_WARMUP"
    printf 'settings.hook_runs\t%s\n' "$HOOK_RUNS"
    printf 'settings.hook_warmup\t%s\n' "$HOOK_WARMUP"
    printf 'settings.shipshape_args\t%s\n' "$SHIPSHAPE_ARGS"
    printf 'settings.checkov_repo\t%s\n' "$CHECKOV_REPO"
    printf 'settings.checkov_vmem_kb\t%s\n' "$CHECKOV_VMEM_KB"
} > "$RESULTS/meta.tsv"
python3 - "$RESULTS/meta.tsv" "$RESULTS/meta.json" <<'EOF'
import json, sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1], encoding="utf-8")][1:]
meta = {}
for k, v in rows:
    node = meta
    head, _, last = k.partition(".")
    if last:
        node = meta.setdefault(head, {})
        k = last
    node[k] = int(v) if v.isdigit() and head in ("files", "bytes") else v
json.dump(meta, open(sys.argv[2], "w"), indent=2)
EOF
rm -f "$RESULTS/meta.tsv"

# --- hyperfine helpers ---------------------------------------------------------
# A suite is one or more hyperfine invocations ("parts", each with its own run
# count) whose JSON exports are merged into results/<suite>.json with the exact
# command line and working directory of every entry.
PARTS=()
CMDS_TSV=""

suite_begin() { # suite_begin SUITE
    SUITE="$1"; PARTS=(); CMDS_TSV="$RESULTS/.$SUITE.cmds.tsv"; : > "$CMDS_TSV"
    rm -f "$RESULTS/$SUITE".part*.json
}

# hf CWD RUNS WARMUP [hyperfine options...] -- NAME CMD [NAME CMD...]
# Names are "tool @ input"; report.py compares every command with the
# shipshape command on the same input.
hf() {
    local cwd="$1" runs="$2" warmup="$3"; shift 3
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    local args=()
    while [ $# -ge 2 ]; do
        args+=(-n "$1" "$2")
        printf '%s\t%s\t%s\n' "$1" "$cwd" "$2" >> "$CMDS_TSV"
        shift 2
    done
    [ ${#args[@]} -gt 0 ] || return 0
    local out="$RESULTS/$SUITE.part${#PARTS[@]}.json"
    PARTS+=("$out")
    log "$SUITE: hyperfine --runs $runs in ${cwd}"
    (cd "$cwd" && hyperfine -N -i --style basic --warmup "$warmup" --runs "$runs" \
        "${opts[@]}" --export-json "$out" "${args[@]}")
}

suite_end() {
    [ ${#PARTS[@]} -gt 0 ] || { warn "$SUITE: nothing was run"; return 0; }
    python3 "$HERE/report.py" --merge "$RESULTS/$SUITE.json" "$SUITE" "$CMDS_TSV" "${PARTS[@]}"
    rm -f "${PARTS[@]}" "$CMDS_TSV"
}

ss() { printf '%s check %s %s' "$SHIPSHAPE" "$*" "$SHIPSHAPE_ARGS"; }
checkov_cmd() { # checkov_cmd FRAMEWORK DIR: memory-capped in a subshell of its own
    printf "bash -c 'ulimit -v %s && exec %s --framework %s -d %s %s'" \
        "$CHECKOV_VMEM_KB" "$CHECKOV" "$1" "$2" "$CHECKOV_ARGS"
}

# --- suites ----------------------------------------------------------------------
suite_manifests() {
    suite_begin manifests
    local repo="manifests/$CHECKOV_REPO"
    [ -d "$repo" ] || die "CHECKOV_REPO: $repo does not exist"
    local fast=("shipshape @ manifests" "$(ss manifests)"
                "shipshape --format json @ manifests" "$(ss "manifests --format json")"
                "shipshape @ $repo" "$(ss "$repo")")
    [ "$HAVE_FLOOR" = 1 ] && fast+=("parse_floor @ manifests" "$PARSE_FLOOR manifests"
                                    "parse_floor+alloc @ manifests" "$FLOOR_ALLOC $PARSE_FLOOR manifests")
    hf "$BENCH_DIR" "$RUNS" "$WARMUP" -- "${fast[@]}"
    local slow=()
    [ -n "$YAMLLINT" ] && slow+=("yamllint @ manifests" "$YAMLLINT $YAMLLINT_ARGS manifests")
    [ -n "$CHECKOV" ] && slow+=("checkov kubernetes @ $repo" "$(checkov_cmd kubernetes "$repo")")
    hf "$BENCH_DIR" "$SLOW_RUNS" "$SLOW_WARMUP" -- "${slow[@]}"
    suite_end
}

suite_workflows() {
    suite_begin workflows
    # cwd = workflows/ (a git repository): actionlint finds .github/workflows itself
    local fast=("shipshape @ workflows" "$(ss .)")
    [ -n "$ACTIONLINT" ] && fast+=("actionlint @ workflows" "$ACTIONLINT $ACTIONLINT_ARGS")
    [ -n "$ZIZMOR" ] && fast+=("zizmor @ workflows" "$ZIZMOR $ZIZMOR_ARGS .")
    [ "$HAVE_FLOOR" = 1 ] && fast+=("parse_floor @ workflows" "$PARSE_FLOOR .")
    hf "$BENCH_DIR/workflows" "$RUNS" "$WARMUP" -- "${fast[@]}"
    if [ -n "$CHECKOV" ]; then
        hf "$BENCH_DIR/workflows" "$SLOW_RUNS" "$SLOW_WARMUP" -- \
            "checkov github_actions @ workflows" "$(checkov_cmd github_actions .)"
    fi
    suite_end
}

suite_scale() {
    suite_begin scale
    local scales threads
    scales="$(echo $SCALES | tr ' ' ',')"
    threads="$(echo $SCALE_THREADS | tr ' ' ',')"
    hf "$BENCH_DIR" "$RUNS" "$WARMUP" -L scale "$scales" -L threads "$threads" -- \
        "shipshape @ corpus-x{scale} --threads {threads}" "$(ss "corpus-x{scale} --threads {threads}")"
    if [ "$HAVE_FLOOR" = 1 ]; then
        # One command per hyperfine call: with a parameter list, hyperfine
        # takes one --command-name per command or one per benchmark.
        hf "$BENCH_DIR" "$RUNS" "$WARMUP" -L threads "$threads" -- \
            "parse_floor @ corpus-x1 --threads {threads}" "$PARSE_FLOOR --threads {threads} corpus-x1"
        hf "$BENCH_DIR" "$RUNS" "$WARMUP" -L threads "$threads" -- \
            "parse_floor+alloc @ corpus-x1 --threads {threads}" "$FLOOR_ALLOC $PARSE_FLOOR --threads {threads} corpus-x1"
    fi
    suite_end
}

suite_hook() {
    suite_begin hook
    # A pre-commit sized repository: start-up time dominates. The peers are
    # listed for context; actionlint and zizmor only read its 2 workflows.
    local cmds=("shipshape @ hook20" "$(ss .)")
    [ -n "$ACTIONLINT" ] && cmds+=("actionlint @ hook20" "$ACTIONLINT $ACTIONLINT_ARGS")
    [ -n "$ZIZMOR" ] && cmds+=("zizmor @ hook20" "$ZIZMOR $ZIZMOR_ARGS .")
    [ -n "$YAMLLINT" ] && cmds+=("yamllint @ hook20" "$YAMLLINT $YAMLLINT_ARGS .")
    hf "$BENCH_DIR/hook20" "$HOOK_RUNS" "$HOOK_WARMUP" -- "${cmds[@]}"
    suite_end
}

suite_big() {
    suite_begin big
    local fast=("shipshape @ big.yaml" "$(ss big.yaml)")
    [ "$HAVE_FLOOR" = 1 ] && fast+=("parse_floor @ big.yaml" "$PARSE_FLOOR big.yaml")
    hf "$BENCH_DIR/big" "$RUNS" "$WARMUP" -- "${fast[@]}"
    [ -n "$YAMLLINT" ] && hf "$BENCH_DIR/big" "$SLOW_RUNS" "$SLOW_WARMUP" -- \
        "yamllint @ big.yaml" "$YAMLLINT $YAMLLINT_ARGS big.yaml"
    suite_end
}

suite_memory() {
    # Peak RSS (GNU time -v "Maximum resident set size") of each suite's
    # shipshape run; median of MEM_RUNS runs after one unmeasured warm-up run.
    local tsv="$RESULTS/.memory.cmds.tsv"
    : > "$tsv"
    add() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$tsv"; }
    add "shipshape @ manifests" "$BENCH_DIR" "$(ss manifests)"
    add "shipshape @ workflows" "$BENCH_DIR/workflows" "$(ss .)"
    for n in $SCALES; do
        add "shipshape @ corpus-x$n" "$BENCH_DIR" "$(ss "corpus-x$n")"
    done
    for t in $SCALE_THREADS; do
        add "shipshape @ corpus-x1 --threads $t" "$BENCH_DIR" "$(ss "corpus-x1 --threads $t")"
    done
    add "shipshape @ hook20" "$BENCH_DIR/hook20" "$(ss .)"
    add "shipshape @ big.yaml" "$BENCH_DIR/big" "$(ss big.yaml)"
    if [ "$MEMORY_PEERS" = 1 ]; then
        [ "$HAVE_FLOOR" = 1 ] && add "parse_floor @ manifests" "$BENCH_DIR" "$PARSE_FLOOR manifests"
        [ "$HAVE_FLOOR" = 1 ] && add "parse_floor+alloc @ manifests" "$BENCH_DIR" "$FLOOR_ALLOC $PARSE_FLOOR manifests"
        [ "$HAVE_FLOOR" = 1 ] && add "parse_floor @ big.yaml" "$BENCH_DIR/big" "$PARSE_FLOOR big.yaml"
        [ -n "$ACTIONLINT" ] && add "actionlint @ workflows" "$BENCH_DIR/workflows" "$ACTIONLINT $ACTIONLINT_ARGS"
        [ -n "$ZIZMOR" ] && add "zizmor @ workflows" "$BENCH_DIR/workflows" "$ZIZMOR $ZIZMOR_ARGS ."
    fi
    log "memory: $(wc -l < "$tsv") commands x $MEM_RUNS runs"
    python3 "$HERE/report.py" --memory "$RESULTS/memory.json" "$tsv" "$MEM_RUNS"
    rm -f "$tsv"
}

for s in "$@"; do
    "suite_$s"
done

python3 "$HERE/report.py" "$RESULTS" | tee "$RESULTS/report.md"
log "results in $RESULTS (report.md; plot with: python3 bench/plot.py)"
