#!/usr/bin/env bash
# Install everything the tests need (Python packages, Chromium for the browser test,
# playwright-core) and run the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "==> installing chromium and chromium-driver (browser tests)"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if [ -f tests/e2e/package.json ] && [ ! -d tests/e2e/node_modules/playwright-core ]; then
  echo "==> installing playwright-core (uses /usr/bin/chromium; no browser download)"
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
fi
# PostgreSQL: the storage tests run against SQLite and a real server, a throwaway cluster
# (scripts/postgres.sh) that is stopped when the run ends. In CI they fail if it can't start.
source scripts/postgres.sh
pg_start || true
trap pg_stop EXIT
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" = "5" ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$code"
