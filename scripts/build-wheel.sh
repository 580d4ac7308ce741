#!/usr/bin/env bash
# Builds the PyPI wheel (pyproject.toml, maturin) for this machine, installs it
# in a fresh virtualenv and runs it as a user would:
#   shipshape --version                          -> "shipshape <Cargo version>"
#   shipshape check fixtures/push-voting-app     -> exit 1, with its findings
# maturin comes from PyPI into a cached virtualenv. Not part of `cargo test`:
# it is a release build (minutes on two cores). Run it before a release and
# when pyproject.toml changes.
#
# Work files go to $WORK (default: target/wheel-check, or under
# $CARGO_TARGET_DIR when that is set); cargo's target directory is the usual one.
set -euo pipefail
cd "$(dirname "$0")/.."

MATURIN=${MATURIN:-maturin==1.16.0}
WORK=${WORK:-${CARGO_TARGET_DIR:-target}/wheel-check}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

t=$(now)
if [ "$(cat "$WORK/tools/requirement" 2>/dev/null)" != "$MATURIN" ]; then
  rm -rf "$WORK/tools"
  python3 -m venv "$WORK/tools"
  "$WORK/tools/bin/python" -m pip install --disable-pip-version-check --quiet "$MATURIN"
  echo "$MATURIN" >"$WORK/tools/requirement"
fi
echo "== $("$WORK/tools/bin/maturin" --version) ready in $(took "$t")"

t=$(now)
rm -rf "$WORK/dist"
"$WORK/tools/bin/maturin" build --release --locked --compatibility pypi --out "$WORK/dist"
wheel=$(ls "$WORK"/dist/*.whl)
echo "== built $(basename "$wheel") ($(du -h "$wheel" | cut -f1)) in $(took "$t")"

t=$(now)
rm -rf "$WORK/venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-index "$wheel"
echo "== installed into a fresh venv in $(took "$t")"

cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
got=$("$WORK/venv/bin/shipshape" --version)
echo "== shipshape --version: $got"
if [ "$got" != "shipshape $cargo_version" ]; then
  echo "FAIL: expected 'shipshape $cargo_version'" >&2
  exit 1
fi

status=0
out=$("$WORK/venv/bin/shipshape" check --color never fixtures/push-voting-app 2>&1) || status=$?
echo "$out" | tail -n 3
echo "== shipshape check fixtures/push-voting-app: exit $status"
if [ "$status" -ne 1 ] || ! grep -q 'error\[workflow-image-mismatch\]' <<<"$out"; then
  echo "FAIL: expected exit 1 and the fixture's workflow-image-mismatch finding" >&2
  exit 1
fi
echo "OK: $(basename "$wheel")"
