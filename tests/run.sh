#!/usr/bin/env bash
# Set up and run the test suite on a fresh Debian machine with Python 3.11:
# Debian packages the tests use (PostgreSQL server binaries, espeak-ng, Graphviz, Chromium and
# its driver for the browser tests, tests/browser), the shared
# Asterisk build for the end-to-end tests (../shared/asterisk, unless IVR_TEST_ASTERISK or an
# asterisk on PATH is given), a virtualenv with the project and its test extras, then pytest. The tests
# start their own throwaway PostgreSQL server (tests/pg.py) and Asterisk (tests/e2e); set
# IVR_TEST_POSTGRES_URL to use an existing PostgreSQL instead.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
command -v espeak-ng >/dev/null || packages+=(espeak-ng)
command -v dot >/dev/null || packages+=(graphviz)
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -x /usr/bin/chromedriver ] || packages+=(chromium-driver)
python3 -c "import venv, ensurepip" 2>/dev/null || packages+=(python3-venv)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
fi

# The shared Asterisk build (../shared/asterisk beside the checkout); without one the
# end-to-end tests skip, or fail when CI is set.
shared_asterisk=""
for candidate in "${IVR_SHARED_ASTERISK:-}" ../shared/asterisk/install.sh /work/shared/asterisk/install.sh; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then shared_asterisk=$candidate; break; fi
done
if [ -z "${IVR_TEST_ASTERISK:-}" ] && ! command -v asterisk >/dev/null && [ -n "$shared_asterisk" ]; then
  bash "$shared_asterisk" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest "$@"
