#!/usr/bin/env bash
# Makes the git index fixtures of this folder with the real git (the tests
# only read them; nothing runs git at test time). Run from anywhere:
#   bash tests/support/git-index/make.sh
# The tree is the one `tests/git_index.rs` lays out again (see README.md).
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
g() { git -c user.name=fixture -c user.email=fixture@example.com -c commit.gpgsign=false \
    -c core.hooksPath=/dev/null -c init.defaultBranch=main "$@"; }

tree() {
    mkdir -p app kustomize/base kustomize/overlays/production vendor/chart/templates café scripts notes
    printf 'kustomize\nvendor/\n*.log\n' > .gitignore
    printf 'kind: Deployment\n' > app/deployment.yaml
    printf 'resources: [base]\n' > kustomize/kustomization.yaml
    printf 'kind: Service\n' > kustomize/base/service.yaml
    printf 'kind: ConfigMap\n' > kustomize/overlays/production/a-rather-long-file-name-so-that-prefixes-compress.yaml
    printf '# notes\n' > kustomize/README.md
    printf 'apiVersion: v2\n' > vendor/chart/Chart.yaml
    printf '{{ .Values.x }}\n' > vendor/chart/templates/deployment.yaml
    printf 'kind: ConfigMap\n' > café/configmap.yaml
    printf '#!/bin/sh\n' > scripts/run.sh && chmod +x scripts/run.sh
    ln -s app/deployment.yaml link.yaml
    printf 'kind: Secret\n' > notes/later.yaml
}

# SHA-1: version 2 (with a TREE extension, from the commit), then 3 (an
# intent-to-add entry needs the extended flags), then 4.
mkdir "$tmp/sha1" && cd "$tmp/sha1"
g init -q && tree
g add .gitignore app café scripts link.yaml
g add -f kustomize vendor
g update-index --index-version 2
g commit -q -m fixture
cp .git/index "$out/v2.index"
g add -N notes/later.yaml
cp .git/index "$out/v3.index"
g update-index --index-version 4
cp .git/index "$out/v4.index"
# A split index: most entries live in .git/sharedindex.*, which is not read.
g update-index --split-index
cp .git/index "$out/split.index"

# SHA-256 object names (32 bytes), version 2.
mkdir "$tmp/sha256" && cd "$tmp/sha256"
g init -q --object-format=sha256 && tree
g add .gitignore app café scripts link.yaml
g add -f kustomize vendor
g update-index --index-version 2
cp .git/index "$out/sha256.index"
