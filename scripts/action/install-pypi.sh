#!/usr/bin/env bash
# Installs a released shipshape from PyPI for the GitHub Action (action.yml):
# the distribution `shipshape-lint` (the name `shipshape` on PyPI belongs to
# an unrelated project), in a virtualenv of its own, with only the binary put
# in $SHIPSHAPE_HOME/bin (the venv's python and pip stay off PATH).
#   SHIPSHAPE_VERSION  the version, e.g. 0.2.0
#   SHIPSHAPE_HOME     where to install
set -euo pipefail

version=${SHIPSHAPE_VERSION:-}
if ! [[ "$version" =~ ^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?$ ]]; then
  echo "::error title=shipshape::the version input must be a release number such as 0.2.0" >&2
  exit 2
fi

python=python3
command -v "$python" >/dev/null || python=python
"$python" -m venv "$SHIPSHAPE_HOME/venv"
if [ "${RUNNER_OS:-}" = Windows ]; then
  scripts="$SHIPSHAPE_HOME/venv/Scripts"
  exe=shipshape.exe
else
  scripts="$SHIPSHAPE_HOME/venv/bin"
  exe=shipshape
fi
"$scripts/python" -m pip install --disable-pip-version-check --quiet --only-binary :all: \
  "shipshape-lint==$version"
mkdir -p "$SHIPSHAPE_HOME/bin"
cp "$scripts/$exe" "$SHIPSHAPE_HOME/bin/$exe"

# The package must be this linter, not something else that took the name.
got=$("$SHIPSHAPE_HOME/bin/$exe" --version)
case "$got" in
  "shipshape "*) echo "installed $got" ;;
  *)
    echo "::error title=shipshape::the installed package is not the shipshape linter" >&2
    exit 2
    ;;
esac
