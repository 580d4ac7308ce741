#!/usr/bin/env bash
# Prepare the benchmark inputs in $BENCH_DIR (default /tmp/shipshape-bench) from
# the shared corpus. Never writes into the repository or the corpus.
# Idempotent: each input is built under a temporary name, renamed into place
# when complete, and skipped when it already exists. Delete it to rebuild.
#
#   manifests/            corpus minus the WORKFLOWS.txt files (YAML/JSON only), hardlinked
#   workflows/            git repo; .github/workflows/ holds the 936 listed workflows, flat
#   corpus-x1|x4|x16/     N hardlinked copies of the corpus in copy-1..copy-N
#   hook20/               git repo; 2 workflows + 18 manifests (pre-commit sized)
#   big/big.yaml          ~5 MB multi-document Deployments/Services
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CORPUS="${CORPUS:-$ROOT/../shared/corpus}"
BENCH_DIR="${BENCH_DIR:-/tmp/shipshape-bench}"
SCALES="${SCALES:-1 4 16}"
BIG_BYTES="${BIG_BYTES:-5000000}"

log() { printf '==> %s\n' "$*" >&2; }

[ -f "$CORPUS/WORKFLOWS.txt" ] || { echo "corpus not found at $CORPUS (set CORPUS=...)" >&2; exit 2; }
CORPUS="$(cd "$CORPUS" && pwd)"
mkdir -p "$BENCH_DIR"
BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
case "$BENCH_DIR/" in "$ROOT/"*) echo "BENCH_DIR must be outside the repository" >&2; exit 2;; esac
cd "$BENCH_DIR"

# A python with PyYAML (used only to validate big.yaml's documents).
PY=""
for cand in python3 "$HERE/.venv/bin/python"; do
    if "$cand" -c 'import yaml' >/dev/null 2>&1; then PY="$cand"; break; fi
done

# copy_tree SRC DST: hardlink copy when possible (same filesystem), else a real copy.
copy_tree() {
    if ! cp -al "$1" "$2" 2>/dev/null; then
        rm -rf "$2"
        cp -a "$1" "$2"
    fi
}

git_commit_all() { # git_commit_all DIR MESSAGE
    git -C "$1" init -q
    git -C "$1" add -A
    git -C "$1" -c user.name=bench -c user.email=bench@localhost -c commit.gpgsign=false \
        commit -q -m "$2"
}

# --- manifests ---------------------------------------------------------------
if [ ! -d manifests ]; then
    log "manifests/: corpus minus workflows"
    rm -rf manifests.tmp
    copy_tree "$CORPUS" manifests.tmp
    # drop the listed workflows and anything that is not YAML/JSON
    (cd manifests.tmp && tr -d '\r' < "$CORPUS/WORKFLOWS.txt" | grep -v '^$' | tr '\n' '\0' | xargs -0 rm -f --)
    find manifests.tmp -type f ! \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -delete
    find manifests.tmp -depth -type d -empty -delete
    mv manifests.tmp manifests
fi

# --- workflows ---------------------------------------------------------------
if [ ! -d workflows ]; then
    log "workflows/: $(grep -c . "$CORPUS/WORKFLOWS.txt") workflows, flat, in a git repo"
    rm -rf workflows.tmp
    mkdir -p workflows.tmp/.github/workflows
    while IFS= read -r rel; do
        rel="${rel%$'\r'}"
        [ -n "$rel" ] || continue
        cp -p "$CORPUS/$rel" "workflows.tmp/.github/workflows/${rel//\//__}"
    done < "$CORPUS/WORKFLOWS.txt"
    git_commit_all workflows.tmp "benchmark workflows"
    mv workflows.tmp workflows
fi

# --- corpus-xN ---------------------------------------------------------------
for n in $SCALES; do
    d="corpus-x$n"
    [ -d "$d" ] && continue
    log "$d/: $n hardlinked copies of the corpus"
    rm -rf "$d.tmp"
    mkdir "$d.tmp"
    for i in $(seq 1 "$n"); do
        copy_tree "$CORPUS" "$d.tmp/copy-$i"
    done
    mv "$d.tmp" "$d"
done

# --- hook20 ------------------------------------------------------------------
if [ ! -d hook20 ]; then
    log "hook20/: 2 workflows + 18 manifests"
    rm -rf hook20.tmp
    mkdir hook20.tmp
    # "<source in corpus> <destination in hook20>"
    while read -r src dst; do
        [ -f "$CORPUS/$src" ] || { echo "hook20: missing $CORPUS/$src" >&2; exit 1; }
        mkdir -p "hook20.tmp/$(dirname "$dst")"
        cp -p "$CORPUS/$src" "hook20.tmp/$dst"
    done <<'EOF'
stefanprodan__podinfo/.github/workflows/test.yml .github/workflows/test.yml
stefanprodan__podinfo/.github/workflows/e2e.yml .github/workflows/e2e.yml
stefanprodan__podinfo/kustomize/deployment.yaml podinfo/kustomize/deployment.yaml
stefanprodan__podinfo/kustomize/hpa.yaml podinfo/kustomize/hpa.yaml
stefanprodan__podinfo/kustomize/kustomization.yaml podinfo/kustomize/kustomization.yaml
stefanprodan__podinfo/kustomize/service.yaml podinfo/kustomize/service.yaml
stefanprodan__podinfo/deploy/webapp/backend/deployment.yaml podinfo/webapp/backend/deployment.yaml
stefanprodan__podinfo/deploy/webapp/backend/hpa.yaml podinfo/webapp/backend/hpa.yaml
stefanprodan__podinfo/deploy/webapp/backend/service.yaml podinfo/webapp/backend/service.yaml
stefanprodan__podinfo/deploy/webapp/common/namespace.yaml podinfo/webapp/common/namespace.yaml
stefanprodan__podinfo/deploy/webapp/common/reconciler-rbac.yaml podinfo/webapp/common/reconciler-rbac.yaml
stefanprodan__podinfo/deploy/webapp/common/service-account.yaml podinfo/webapp/common/service-account.yaml
stefanprodan__podinfo/deploy/webapp/frontend/deployment.yaml podinfo/webapp/frontend/deployment.yaml
stefanprodan__podinfo/deploy/webapp/frontend/hpa.yaml podinfo/webapp/frontend/hpa.yaml
stefanprodan__podinfo/deploy/webapp/frontend/service.yaml podinfo/webapp/frontend/service.yaml
Azure__aks-baseline-automation/shared-services/namespaces/a0008/ingress-network-policy.yaml aks/namespaces/a0008/ingress-network-policy.yaml
Azure__aks-baseline-automation/shared-services/namespaces/a0008/ns-a0008.yaml aks/namespaces/a0008/ns-a0008.yaml
Azure__aks-baseline-automation/shared-services/namespaces/a0008/rbac.yaml aks/namespaces/a0008/rbac.yaml
Azure__aks-baseline-automation/workloads/flask/deployment.yaml aks/workloads/flask/deployment.yaml
Azure__aks-baseline-automation/workloads/flask/ingress.yaml aks/workloads/flask/ingress.yaml
EOF
    count="$(find hook20.tmp -type f | wc -l)"
    [ "$count" -eq 20 ] || { echo "hook20: expected 20 files, got $count" >&2; exit 1; }
    git_commit_all hook20.tmp "pre-commit sized repository"
    mv hook20.tmp hook20
fi

# --- big/big.yaml ------------------------------------------------------------
if [ ! -f big/big.yaml ]; then
    [ -n "$PY" ] || { echo "big.yaml needs python3 with PyYAML (run bench/peers.sh or pip install pyyaml)" >&2; exit 1; }
    log "big/big.yaml: ~$BIG_BYTES bytes of Deployments/Services"
    mkdir -p big
    "$PY" - "$CORPUS" "$BIG_BYTES" big/big.yaml.tmp <<'EOF'
"""Concatenate the corpus' plain-YAML Deployment and Service documents, in
sorted path order, until the target size is reached. Documents that PyYAML
rejects or that hold template syntax are left out. When the corpus runs out,
it starts over with every metadata.name suffixed -r2, -r3, ... so that the
file holds no duplicate objects. Deterministic for a given corpus."""
import os, re, sys
import yaml

corpus, target, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
KIND = re.compile(r"(?m)^kind:[ \t]*(Deployment|Service)[ \t]*$")
SEP = re.compile(r"(?m)^---[^\n]*\n?")

docs = []
for root, dirs, files in os.walk(corpus):
    dirs.sort()
    for f in sorted(files):
        if not f.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(root, f)
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "{{" in text or "\t" in text or "\r" in text:
            continue
        for doc in SEP.split(text):
            if not KIND.search(doc):
                continue
            try:
                loaded = [d for d in yaml.safe_load_all(doc) if d is not None]
            except yaml.YAMLError:
                continue
            if len(loaded) != 1 or not isinstance(loaded[0], dict):
                continue
            if not isinstance(loaded[0].get("metadata"), dict) or "name" not in loaded[0]["metadata"]:
                continue
            doc = doc.strip("\n") + "\n"
            if doc.startswith("%"):
                continue
            docs.append(doc)

if not docs:
    sys.exit("no Deployment/Service documents found")

NAME = re.compile(r"(?m)^metadata:[ \t]*\n(?:(?:[ \t]*#.*|[ \t]*|[ \t]+.*)\n)*?(  name:[ \t]*)(\S.*?)[ \t]*$")

def rename(doc, suffix):
    m = NAME.search(doc)
    if not m:
        return None
    value = m.group(2)
    if value[:1] in "'\"" and value[-1:] == value[:1]:
        value = value[1:-1]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-]*", value):
        return None
    return doc[: m.start(2)] + value + suffix + doc[m.end(2):]

size = 0
rnd = 1
n = 0
with open(out, "w", encoding="utf-8", newline="\n") as fh:
    while size < target:
        for doc in docs:
            if rnd > 1:
                doc = rename(doc, "-r%d" % rnd)
                if doc is None:
                    continue
            piece = "---\n" + doc
            fh.write(piece)
            size += len(piece.encode("utf-8"))
            n += 1
            if size >= target:
                break
        rnd += 1
        if rnd > 100:
            break

with open(out, encoding="utf-8") as fh:
    count = sum(1 for d in yaml.safe_load_all(fh) if d is not None)
print("big.yaml: %d documents (%d distinct sources, %d rounds), %d bytes, all parse" % (count, len(docs), rnd - 1, size), file=sys.stderr)
EOF
    mv big/big.yaml.tmp big/big.yaml
fi

log "inputs ready in $BENCH_DIR"
for d in manifests workflows $(for n in $SCALES; do echo "corpus-x$n"; done) hook20 big; do
    find "$d" -name .git -prune -o -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -printf '%s\n' |
        awk -v d="$d" '{ n++; b += $1 } END { printf "  %-12s %7d YAML/JSON files %9.1f MB\n", d, n, b / 1e6 }'
done
