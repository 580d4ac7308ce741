#!/usr/bin/env bash
# Runs the libFuzzer targets one after the other on ONE core, each for a time
# budget, restarting a target after a crash (up to MAX_RESTARTS times) so one
# finding does not end its run. Logs go to logs/<target>.log, findings to
# artifacts/<target>/ (both gitignored), and a summary table is printed.
#
# usage: fuzz/run-libfuzzer.sh [SECONDS_PER_TARGET] [TARGET...]
#   env: FUZZ_CPU (core to pin to, default 1), MAX_RESTARTS (default 20),
#        MAX_LEN (default 16384), TIMEOUT (seconds for one input: default 2,
#        30 for schema), SHIPSHAPE_FUZZ_STRICT=1 (known issues fail)
# Needs cargo-fuzz (`cargo install cargo-fuzz`); works on stable Rust through
# RUSTC_BOOTSTRAP=1 (cargo fuzz passes -Z flags to rustc).
set -u
cd "$(dirname "$0")"
per=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(yaml lint config shell schema)
cpu=${FUZZ_CPU:-1}
export RUSTC_BOOTSTRAP=1

cargo fuzz build || exit 1
bin=target/x86_64-unknown-linux-gnu/release
# Seeds every target's corpus when one of those to run has none yet (the
# seed binary never overwrites, so existing corpora only gain files).
for t in "${targets[@]}"; do
    if [ ! -d "corpus/$t" ]; then
        "$bin/seed" || exit 1
        break
    fi
done
mkdir -p logs

summary=()
for t in "${targets[@]}"; do
    case $t in yaml|lint) dict=dict/yaml.dict ;; *) dict=dict/$t.dict ;; esac
    # One validate call may use its whole visit budget (2,000,000 schema
    # nodes): 0.3-0.6 s in a release build, up to ~12 s under ASan and
    # trace-compares. A schema input over 30 s is a hang; 2 s would make
    # every pathological seed one (and stop the run as it loads them).
    case $t in schema) timeout=${TIMEOUT:-30} ;; *) timeout=${TIMEOUT:-2} ;; esac
    mkdir -p "artifacts/$t" "corpus/$t"
    log=logs/$t.log
    : > "$log"
    start=$SECONDS
    end=$((SECONDS + per))
    runs=0
    while [ $SECONDS -lt $end ] && [ $runs -le "${MAX_RESTARTS:-20}" ]; do
        left=$((end - SECONDS))
        echo "=== run $runs of $t: ${left}s left ($(date -u +%FT%TZ))" >> "$log"
        taskset -c "$cpu" "$bin/$t" -artifact_prefix="artifacts/$t/" \
            -max_total_time="$left" -timeout="$timeout" -report_slow_units="$timeout" -rss_limit_mb=4096 \
            -max_len="${MAX_LEN:-16384}" -dict="$dict" -print_final_stats=1 \
            "corpus/$t" >> "$log" 2>&1
        echo "=== exit $?" >> "$log"
        runs=$((runs + 1))
    done
    secs=$((SECONDS - start))
    execs=$(grep -h '^stat::number_of_executed_units' "$log" | awk '{s+=$2} END {print s+0}')
    # A run that crashed prints no final stats: take its last status line.
    crashes=$(ls "artifacts/$t" 2>/dev/null | grep -c '^crash-')
    hangs=$(ls "artifacts/$t" 2>/dev/null | grep -c '^timeout-\|^slow-unit-')
    ooms=$(ls "artifacts/$t" 2>/dev/null | grep -c '^oom-\|^leak-')
    line="$t: ${secs}s, $runs run(s), $execs execs, $((execs / (secs > 0 ? secs : 1))) execs/s, $crashes crash, $hangs hang, $ooms oom/leak artifacts, corpus $(ls "corpus/$t" | wc -l)"
    echo "$line" | tee -a logs/summary.log
    summary+=("$line")
done
printf '%s\n' "${summary[@]}"
