#!/usr/bin/env bash
# Create .venv and install visapath into it. Idempotent: re-runs only when pyproject.toml changes.
# Usage: scripts/setup.sh [app|test]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-app}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
extras=""
[ "$target" = "test" ] && extras="[test]"
stamp=".venv/.visapath-installed-${target}"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing visapath${extras} (first run takes a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  # torch first, pinned: 2.13.0 is the CPU build; an unpinned torch would pull a multi-GB CUDA build.
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  .venv/bin/python -m pip install --quiet -e ".${extras}"
  echo "$want" > "$stamp"
fi
