#!/usr/bin/env bash
# The one set-up command for a fresh machine (Debian/Ubuntu, macOS, CI):
#   scripts/setup.sh
# 1. creates .venv (if missing) and installs this project into it (pip install -e .),
#    and, when node/npm exist, the Cucumber HTML reporter the report tests use (tools/cucumber-reporter),
# 2. makes sure a Chromium for the browser specs exists:
#    an existing one → nothing to do; else `playwright install chromium` (downloads Playwright's
#    own build; fails fast where that download is blocked); else, on Debian/Ubuntu with apt and
#    root or sudo, `apt-get install --no-install-recommends chromium-headless-shell`,
# 3. launches the chosen browser once and prints which one the specs will use.
# Idempotent: run it again at any time. Works from any directory.
#
# Environment:
#   PYTHON=python3.11                  interpreter used to create .venv (default: python3)
#   HARNESS_SKIP_BROWSER_INSTALL=1     skip step 2/3 (API-only work; browser specs will not run)
#   HARNESS_BROWSER=/path/to/chrome    use this browser (step 2 then only checks it)
#   HARNESS_BROWSER_INSTALL_TIMEOUT=600  seconds allowed for `playwright install chromium`
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"
LOG="$(mktemp -t cognito-harness-setup.XXXXXX)"
trap 'rm -f "$LOG"' EXIT

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
fail() {
    printf '\nsetup failed: %s\n' "$1" >&2
    shift
    for line in "$@"; do printf '  %s\n' "$line" >&2; done
    exit 1
}
show_log_tail() { tail -n "${1:-15}" "$LOG" | sed 's/^/    | /' >&2; }

# --- apt helpers (Debian/Ubuntu only) -----------------------------------------------------------
SUDO=""
can_apt() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$(id -u)" = 0 ]; then SUDO=""; return 0; fi
    if command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then SUDO="sudo"; else SUDO="sudo -n"; fi
        return 0
    fi
    return 1
}
APT_UPDATED=""
apt_install() {
    if [ -z "$APT_UPDATED" ]; then
        info "apt-get update"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOG" 2>&1 || { show_log_tail; return 1; }
        APT_UPDATED=1
    fi
    info "apt-get install --no-install-recommends $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$LOG" 2>&1 \
        || { show_log_tail; return 1; }
}

# --- 1. Python environment ----------------------------------------------------------------------
step "Python environment (.venv)"
command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON not found" "Install Python 3.11 or newer, or set PYTHON=/path/to/python3.11."
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || fail "$("$PYTHON" -V 2>&1) is too old: this project needs Python 3.11 or newer" \
            "Set PYTHON=/path/to/python3.11 (or newer) and run scripts/setup.sh again."

if [ -x "$VPY" ] && "$VPY" -m pip --version >/dev/null 2>&1; then
    info "reusing $VENV ($("$VPY" -V 2>&1))"
else
    [ -e "$VENV" ] && info "$VENV is incomplete: recreating it"
    if ! "$PYTHON" -m venv --clear "$VENV" >"$LOG" 2>&1; then
        # Debian/Ubuntu ship venv's ensurepip separately.
        if can_apt && grep -qiE 'ensurepip|python3.*-venv' "$LOG"; then
            pyver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
            apt_install "python${pyver}-venv" || apt_install python3-venv \
                || fail "could not install the venv module" "Run: apt-get install python3-venv"
            "$PYTHON" -m venv --clear "$VENV" >"$LOG" 2>&1 || { show_log_tail; fail "could not create $VENV"; }
        else
            show_log_tail
            fail "could not create $VENV" "On Debian/Ubuntu: apt-get install python3-venv"
        fi
    fi
    info "created $VENV ($("$VPY" -V 2>&1))"
fi

step "Python packages (pip install -e .)"
"$VPY" -m pip install --quiet --disable-pip-version-check --upgrade pip >"$LOG" 2>&1 \
    || { show_log_tail; fail "pip could not upgrade itself" "Check the network access to PyPI."; }
"$VPY" -m pip install --quiet --disable-pip-version-check -e "$ROOT[test]" >"$LOG" 2>&1 \
    || { show_log_tail 25; fail "pip install -e .[test] failed (output above)"; }
info "installed cognito-mfa-harness, its dependencies and its test clients ($("$VPY" -m pip --version | cut -d' ' -f1-2))"

# --- 1a. Bytecode ----------------------------------------------------------------------------
# pip compiles what it installs into site-packages, but not this checkout (an editable install),
# and pytest caches its assertion rewriting of its plugins (pytest-bdd, pytest-playwright,
# hypothesis, ...) and of conftest.py, steps/ and tests/ only where Python may write bytecode.
# Where PYTHONDONTWRITEBYTECODE is set (many CI images and containers, this machine), every
# `pytest` process — each xdist worker too — compiled and rewrote all of that again: ~1 s of CPU
# per process. Written once here; Python and pytest still compare each cached file with its
# source (timestamp and size), so an edited file is compiled afresh, in memory, on the next run.
step "Bytecode (so that no run compiles the harness or rewrites pytest's plugins again)"
if env -u PYTHONDONTWRITEBYTECODE "$VPY" -m compileall -q cognito_harness steps bench scripts >"$LOG" 2>&1 \
    && env -u PYTHONDONTWRITEBYTECODE "$VPY" -m pytest --collect-only -q -p no:randomly -p no:cacheprovider \
        >"$LOG" 2>&1; then
    info "compiled this checkout and cached pytest's rewritten plugins, conftest.py, steps/ and tests/"
else
    show_log_tail 5
    info "could not write all of it (above): runs still work and compile in memory instead"
fi

# --- 1b. The unmodified JavaScript client the tests drive (tests/clients) --------------------
step "JavaScript test client (amazon-cognito-identity-js in tests/clients)"
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    if npm ci --prefix "$ROOT/tests/clients" --no-audit --no-fund --loglevel=error >"$LOG" 2>&1; then
        info "installed ($(node --version), npm ci from tests/clients/package-lock.json)"
    else
        show_log_tail
        fail "npm ci in tests/clients failed (output above)" "Check the network access to the npm registry."
    fi
else
    info "node/npm not found: tests/test_unmodified_clients.py will skip the amazon-cognito-identity-js run"
    info "(on Debian/Ubuntu: apt-get install nodejs npm, then run scripts/setup.sh again)"
fi

# --- 1b. Cucumber reporter (npm) ---------------------------------------------------------------
# A standard Cucumber HTML reporter in a project-local folder: tests/test_reports_cucumber_reporter.py
# renders the harness's Cucumber JSON with it. Without node/npm that one test is skipped.
step "Cucumber HTML reporter (npm ci in tools/cucumber-reporter)"
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    npm ci --prefix "$ROOT/tools/cucumber-reporter" --no-audit --no-fund --loglevel=error >"$LOG" 2>&1 \
        || { show_log_tail; fail "npm ci in tools/cucumber-reporter failed (output above)" "Check the access to the npm registry."; }
    info "multiple-cucumber-html-reporter installed (node $(node --version))"
else
    info "node/npm not found: the Cucumber-reporter test will be skipped (install Node.js 18+ to run it)"
fi

# --- 2. Browser -----------------------------------------------------------------------------
browser_ok() { "$VPY" -m cognito_harness.browser --check >"$LOG" 2>&1; }

if [ "${HARNESS_SKIP_BROWSER_INSTALL:-}" = "1" ]; then
    step "Browser: skipped (HARNESS_SKIP_BROWSER_INSTALL=1)"
    if browser_ok; then info "$(tail -n 1 "$LOG")"; else info "no working Chromium: the browser specs will fail until one is installed"; fi
    printf '\nReady (without a browser check). Run the specs with: .venv/bin/python -m pytest\n'
    exit 0
fi

step "Browser for the browser specs"
if browser_ok; then
    info "already available"
else
    if [ -n "${HARNESS_BROWSER:-}" ]; then
        cat "$LOG" >&2
        fail "HARNESS_BROWSER=$HARNESS_BROWSER does not work (see above)" \
             "Unset it to let scripts/setup.sh install a browser, or point it at a working Chromium."
    fi
    # a) Playwright's own Chromium: works wherever its download host is reachable.
    info "trying: python -m playwright install chromium"
    timeout_cmd=()
    if command -v timeout >/dev/null 2>&1; then timeout_cmd=(timeout "${HARNESS_BROWSER_INSTALL_TIMEOUT:-600}"); fi
    if "${timeout_cmd[@]}" "$VPY" -m playwright install chromium >"$LOG" 2>&1; then
        info "Playwright's Chromium installed"
        if ! browser_ok && can_apt; then
            info "it does not start yet: installing its system libraries (playwright install-deps chromium)"
            $SUDO "$VPY" -m playwright install-deps chromium >"$LOG" 2>&1 || show_log_tail
        fi
    else
        reason="$(grep -oE 'ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN' "$LOG" | head -n 1 || true)"
        [ -n "$reason" ] || reason="$(grep -m 1 -iE 'error' "$LOG" | cut -c 1-100 || true)"
        info "not possible here (${reason:-failed}): falling back"
    fi
    # b) Debian's chromium-headless-shell.
    if ! browser_ok; then
        if can_apt; then
            apt_install chromium-headless-shell \
                || info "apt could not install chromium-headless-shell (not packaged on this distribution?)"
        else
            info "no apt-get with root/sudo here: cannot install Debian's chromium-headless-shell"
        fi
    fi
fi

# --- 3. Report --------------------------------------------------------------------------------
if browser_ok; then
    info "$(tail -n 1 "$LOG")"
else
    sed 's/^/    | /' "$LOG" >&2
    fail "no working Chromium for the browser specs" \
         "Fix: on Debian/Ubuntu as root: apt-get install --no-install-recommends chromium-headless-shell" \
         "  or: .venv/bin/python -m playwright install --with-deps chromium" \
         "  or: export HARNESS_BROWSER=/path/to/chrome" \
         "(HARNESS_SKIP_BROWSER_INSTALL=1 scripts/setup.sh sets up everything else.)"
fi
printf '\nReady. Run the specs with: .venv/bin/python -m pytest\n'
