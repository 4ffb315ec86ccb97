#!/usr/bin/env bash
# Install what is needed, build the knowledge index on first run, and start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
echo "==> syncing the knowledge index"
.venv/bin/visapath ingest --quiet
# Local by default (127.0.0.1). VISAPATH_SERVE_ADDRESS (e.g. 0.0.0.0) serves other machines, and then
# the app requires every visitor to sign in with the OIDC provider in .streamlit/secrets.toml.
ADDRESS="${VISAPATH_SERVE_ADDRESS:-127.0.0.1}"
echo "==> starting visapath on http://${ADDRESS}:${VISAPATH_PORT:-8501}"
# `visapath serve` runs `streamlit run app.py` with the address, port and the Host allow-list
# (VISAPATH_ALLOWED_HOSTS, required with a wildcard address) from visapath's settings.
exec .venv/bin/visapath serve -- "$@"
