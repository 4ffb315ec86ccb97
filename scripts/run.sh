#!/usr/bin/env bash
# Install what is needed, build the knowledge index on first run, and start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
echo "==> syncing the knowledge index"
.venv/bin/visapath ingest --quiet
echo "==> starting visapath on http://localhost:${VISAPATH_PORT:-8501}"
exec .venv/bin/streamlit run app.py --server.port "${VISAPATH_PORT:-8501}" --browser.gatherUsageStats false "$@"
