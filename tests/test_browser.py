"""End to end in a real Chromium: the real app, the real model and index, a real PDF posting.

Starts `streamlit run app.py` on a free port with a fresh data dir (so the first-run index build
is part of the flow) and drives it with tests/e2e/flow.mjs (playwright-core + /usr/bin/chromium).
Screenshots land in test-artifacts/e2e/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.appserver import ROOT, AppServer, browser_missing, run_node
from tests.helpers import make_pdf

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "e2e"
POSTING = """Corvane Robotics - Machine Learning Engineer, Perception
Location: Pittsburgh, PA (hybrid)
Corvane Robotics builds perception models for warehouse robots.
Requirements: Master's degree in Computer Science or a related field and 2+ years of experience with PyTorch.
Salary: $160,000 - $195,000 per year.
Corvane Robotics will sponsor H-1B visas for this role and supports green card applications.
We use E-Verify."""


@pytest.fixture(scope="module")
def posting_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("postings")
    pdf = make_pdf(folder / "corvane-ml-engineer.pdf", [POSTING], title="Corvane posting")
    broken = folder / "scanned-offer.pdf"
    broken.write_bytes(b"%PDF-1.4\n% damaged: this file ends before any object\n")
    return pdf, broken


def test_user_flow_in_chromium(tmp_path: Path, posting_files: tuple[Path, Path]) -> None:
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    pdf, broken = posting_files
    with AppServer(data_dir=tmp_path / "data", log_path=ARTIFACTS / "streamlit.log") as server:
        proc = run_node("flow.mjs", {"APP_URL": server.url, "POSTING_PDF": str(pdf), "BAD_FILE": str(broken),
                                     "ARTIFACTS": str(ARTIFACTS), "EXPECT_VERDICT": "Sponsors visas"})
    assert proc.stdout.strip(), f"flow printed nothing; stderr:\n{proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0, f"browser flow failed: {result.get('error')}\n{proc.stderr[-2000:]}"

    assert result["startup_progress"], "the first run should show the index being built"
    chat = result["chat"]
    assert chat["cards"] >= 1 and chat["refs"] >= 1, chat
    assert chat["highlighted"] >= 1, "the cited sentences are not highlighted in the source card"
    assert "180" in chat["answer"] or "portab" in chat["answer"].lower()
    assert chat["disclaimer"]
    assert chat["after_new"] == 0 and chat["reopened_cards"] == chat["cards"]

    posting = result["posting"]
    assert posting["verdict"].startswith("Sponsors visas")
    assert any("sponsor H-1B" in e for e in posting["evidence"]), posting["evidence"]
    assert posting["requirements"] >= 1
    assert posting["notes"] >= 1, "the STEM OPT profile should get at least one cited note"
    assert any("scanned-offer.pdf" in e and "damaged" in e for e in posting["errors"]), posting["errors"]

    draft = result["draft"]
    assert "STEM OPT" in draft["body"] and "Priya" in draft["body"]
    assert str(len(draft["body"])) in draft["count"].replace(",", "")
    assert draft["download"] == 1
    assert draft["body"].strip() in draft["copied"], "the Copy button did not put the draft on the clipboard"
    for name in ("01-start.png", "02-chat-answer.png", "04-posting.png", "05-draft.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000
