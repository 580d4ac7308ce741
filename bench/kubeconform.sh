#!/usr/bin/env bash
# Side by side with kubeconform -strict on the corpus's manifest set
# (../shared/corpus/MANIFESTS.txt), the target of issue 13: shipshape with
# every rule and strict schemas at most 1/10 of kubeconform's wall time.
# Three commands, interleaved round by round (this machine drifts by tens of
# percent within minutes; only ratios from one run mean anything):
#   kubeconform -strict (offline Kubernetes schemas, ../shared/peers)
#   shipshape, every rule, schemas on (the default), JSON output
#   shipshape, schema-violation and deprecated-api off, JSON output
#   shipshape, no policies (`policies.sets: []`), and every built-in
#   policy set on: the cost of the policies (issue 16)
# Prints each run and the medians; wall time and peak RSS from /usr/bin/time.
#
#   bench/kubeconform.sh            ROUNDS=7 SHARED=../shared BENCH_DIR=/tmp/shipshape-bench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
BENCH_DIR="${BENCH_DIR:-/tmp/shipshape-bench}"
ROUNDS="${ROUNDS:-7}"
SS="${SHIPSHAPE:-$ROOT/target/release/shipshape}"
PEERS="$ROOT/bench/.peers"
KV="${KUBERNETES_VERSION:-1.33.0}"

bash "$SHARED/peers/setup-kubeconform.sh" "$PEERS" >/dev/null
SET="$BENCH_DIR/kubeconform-set"
if [ ! -d "$SET" ]; then
  mkdir -p "$SET"
  while IFS= read -r rel; do
    [ -n "$rel" ] || continue
    mkdir -p "$SET/$(dirname "$rel")"
    cp "$SHARED/corpus/$rel" "$SET/$rel"
  done < "$SHARED/corpus/MANIFESTS.txt"
fi
NOSCHEMA="$BENCH_DIR/no-schemas.yaml"
printf 'rules:\n  schema-violation: off\n  deprecated-api: off\n' > "$NOSCHEMA"
NOPOLICIES="$BENCH_DIR/no-policies.yaml"
printf 'policies:\n  sets: []\n' > "$NOPOLICIES"
ALLPOLICIES="$BENCH_DIR/all-policies.yaml"
printf 'policies:\n  sets: [pod-security-baseline, pod-security-restricted, best-practices]\n' > "$ALLPOLICIES"

declare -A CMD=(
  [kubeconform]="$PEERS/kubeconform -strict -summary -output json -kubernetes-version $KV -schema-location $PEERS/schemas -ignore-missing-schemas $SET"
  [shipshape]="$SS check --no-config --no-cache --format json $SET"
  [shipshape-no-schemas]="$SS check --config $NOSCHEMA --no-cache --format json $SET"
  [shipshape-no-policies]="$SS check --config $NOPOLICIES --no-cache --format json $SET"
  [shipshape-all-policies]="$SS check --config $ALLPOLICIES --no-cache --format json $SET"
)
ORDER=(kubeconform shipshape shipshape-no-schemas shipshape-no-policies shipshape-all-policies)
OUT="$BENCH_DIR/kubeconform-runs.txt"
: > "$OUT"
echo "files: $(find "$SET" -type f | wc -l), bytes: $(du -sb "$SET" | cut -f1)"
for r in $(seq 1 "$ROUNDS"); do
  for name in "${ORDER[@]}"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %M" -o "$BENCH_DIR/time.txt" ${CMD[$name]} > /dev/null 2>&1 || true
    read -r wall rss < <(tail -n 1 "$BENCH_DIR/time.txt")
    echo "$name $wall $rss" | tee -a "$OUT"
  done
done
python3 - "$OUT" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, wall, rss = line.split()
    runs[name].append((float(wall), int(rss)))
med = {n: (statistics.median(w for w, _ in v), statistics.median(r for _, r in v)) for n, v in runs.items()}
kc = med["kubeconform"][0]
print(f"{'command':<24}{'median wall':>12}{'peak RSS':>12}{'/ kubeconform':>15}")
for n, (w, r) in med.items():
    print(f"{n:<24}{w:>11.2f}s{r/1024:>10.0f} MB{w/kc:>15.3f}")
PY
