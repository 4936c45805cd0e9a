#!/usr/bin/env bash
# The Python SDK against a live server: pytest (clients/python/tests) and the quickstart
# (clients/python/examples/quickstart.py), both talking HTTP to a real `boxoffice serve` on a
# fresh database (scripts/live-server.sh), as a client developer would.
#
#   scripts/sdk-test.sh
#
# Installs the generated package (clients/python) and pytest into a virtual environment under
# .tools/ (gitignored, reused between runs; the package itself is reinstalled every run).
# Knobs: BOXOFFICE_TOOLS (default <repo>/.tools), LIVE_BIN (see scripts/live-server.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

PYTEST_VERSION="9.2.0"
TOOLS="${BOXOFFICE_TOOLS:-$REPO/.tools}"
VENV="$TOOLS/sdk-test-venv"

if [ ! -x "$VENV/bin/pytest" ]; then
    say "virtual environment for the SDK tests ($VENV)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "pytest==$PYTEST_VERSION" setuptools wheel >&2
fi
say "pip install ./clients/python"
# the package and its dependencies (pydantic, urllib3, …); no build isolation: setuptools is
# and wheel are already in the venv, so nothing is downloaded for the build on every run
"$VENV/bin/pip" install -q --disable-pip-version-check --no-build-isolation ./clients/python >&2
rm -rf clients/python/build clients/python/*.egg-info

source scripts/live-server.sh
live_server_start sdk
export BOXOFFICE_URL="$LIVE_URL"

say "pytest clients/python/tests (against $BOXOFFICE_URL)"
(cd clients/python/tests && "$VENV/bin/pytest" -q -p no:cacheprovider .)
say "python clients/python/examples/quickstart.py"
"$VENV/bin/python" clients/python/examples/quickstart.py
live_server_stop
echo "scripts/sdk-test.sh: OK" >&2
