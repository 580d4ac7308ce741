#!/usr/bin/env bash
# The build cache key of the GitHub Action (action.yml): a hash of what
# `cargo install --path` builds from (the action's own source, which is not in
# the workspace, so `hashFiles` cannot see it) and of the Rust toolchain.
# Writes `key=...` to $GITHUB_OUTPUT.
set -euo pipefail
cd "${GITHUB_ACTION_PATH:?}"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi
}

key=$(
  {
    rustc --version 2>/dev/null || echo "no rustc"
    find Cargo.toml Cargo.lock src vendor -type f -print0 | LC_ALL=C sort -z |
      while IFS= read -r -d '' file; do
        echo "$file $(sha256 <"$file")"
      done
  } | sha256 | cut -c1-32
)
echo "key=$key" >>"${GITHUB_OUTPUT:?}"
