"""visapath — the Streamlit app. Layout and calls into the `Assistant` facade, nothing else.

Run with `scripts/run.sh` (or `streamlit run app.py`). Everything the app shows comes from
`visapath.service.Assistant`; how it looks comes from `visapath.ui` (pure, tested helpers).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import streamlit as st

from ingest.loaders import LoadError
from visapath import ui
from visapath.config import Settings, get_settings
from visapath.ingest_report import IngestReport  # noqa: F401  (placeholder, replaced below)
