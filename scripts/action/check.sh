#!/usr/bin/env bash
# `shipshape check` for the GitHub Action (action.yml), configured only through
# the environment, never through text spliced into the script:
#   INPUT_PATHS       files and directories, separated by spaces or newlines (default .)
#   INPUT_CONFIG      a config file, or empty to let shipshape find one
#   INPUT_FORMAT      auto | human | json | github | sarif (auto: github when supported)
#   INPUT_FAIL_ON     error | warning | info | never
#   SHIPSHAPE         the binary (default: shipshape on PATH)
#   SHIPSHAPE_OUTPUT  when set, stdout goes to this file, named as the step output `file`
# Exits with shipshape's exit code (2 for a bad input).
set -euo pipefail

shipshape=${SHIPSHAPE:-shipshape}

bad_input() {
  # A fixed message: input values are not echoed into workflow commands.
  echo "::error title=shipshape::$1" >&2
  exit 2
}

fail_on=${INPUT_FAIL_ON:-error}
case "$fail_on" in
  error | warning | info | never) ;;
  *) bad_input "the fail-on input must be error, warning, info or never" ;;
esac

# Whether this shipshape accepts `--format $1`: lint an empty stdin buffer
# in an empty directory with it.
supports_format() {
  local probe status=0
  probe=$(mktemp -d)
  (cd "$probe" && "$shipshape" check --no-config --format "$1" --fail-on never \
    --stdin-filename probe.yaml - </dev/null >/dev/null 2>&1) || status=$?
  rm -rf "$probe"
  return "$status"
}

format=${INPUT_FORMAT:-auto}
if [ "$format" = auto ]; then
  # `github` (workflow annotations) once shipshape has it.
  if supports_format github; then
    format=github
  else
    format=human
  fi
fi
case "$format" in
  human | json | github | sarif) ;;
  *) bad_input "the format input must be auto, human, json, github or sarif" ;;
esac

args=(check --format "$format" --fail-on "$fail_on")
if [ -n "${INPUT_CONFIG:-}" ]; then
  args+=(--config "$INPUT_CONFIG")
fi

# Split on whitespace only: no globbing, no other expansion.
set -f
# shellcheck disable=SC2206
paths=(${INPUT_PATHS:-.})
set +f
if [ "${#paths[@]}" -eq 0 ]; then
  paths=(.)
fi
# `--`: a path that starts with `-` is a path, not an option.
args+=(-- "${paths[@]}")

if [ -n "${SHIPSHAPE_OUTPUT:-}" ]; then
  status=0
  "$shipshape" "${args[@]}" >"$SHIPSHAPE_OUTPUT" || status=$?
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "file=$SHIPSHAPE_OUTPUT" >>"$GITHUB_OUTPUT"
  fi
  exit "$status"
fi
exec "$shipshape" "${args[@]}"
