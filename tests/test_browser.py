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


# -- chat habits and layout on a phone and a laptop; hostile postings ------------------------------

SIZES = [(390, 844), (1366, 900)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    data = tmp_path_factory.mktemp("browser-data")
    with AppServer(data_dir=data, log_path=ARTIFACTS / "streamlit-habits.log") as running:
        yield running


def run_flow(script: str, env: dict[str, str]) -> dict:
    proc = run_node(script, {"ARTIFACTS": str(ARTIFACTS), **env})
    assert proc.stdout.strip(), f"{script} printed nothing; stderr:\n{proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0, f"{script} failed: {result.get('error')}\n{proc.stderr[-2000:]}"
    return result


def test_chat_habits_and_layout_on_phone_and_laptop(server: AppServer) -> None:
    result = run_flow("habits.mjs", {"APP_URL": server.url, "SIZES": json.dumps(SIZES)})
    for (width, height) in SIZES:
        r = result["sizes"][f"{width}x{height}"]
        assert r["sidebar_open_at_start"] is (width > 700), "the sidebar starts collapsed on a phone only"
        assert all(a["cards"] >= 1 for a in r["answers"]) and len(r["answers"]) == 3
        assert r["input_in_view"], "the chat input stays on screen after three answers"
        assert r["cards"] >= 3 and r["open_cards"] == 0, "source cards start collapsed"
        assert r["official"] and all(o["href"].startswith("https://") and o["target"] == "_blank" and o["visible"]
                                     for o in r["official"]), "official links are one click away, on the card"
        assert any(".gov/" in o["href"] for o in r["official"])
        assert r["chip_opened"] and r["chip_card_in_view"] and r["opened_highlights"] >= 1
        assert r["thumbs"] == 2
        assert r["copied"].startswith(r["answers"][-1]["answer"][:40]) and "Sources:" in r["copied"]
        assert "?c=" in r["url"] and r["after_reload_messages"] == 6, "a reload restores the conversation"
        assert r["listed"] >= 1 and r["sidebar_menu_inline"], "conversation menu stays on its row"
        assert not r["overflow"]["scrollsSideways"] and not r["overflow"]["wide"], r["overflow"]
        assert not r["profile_overflow"]["scrollsSideways"], r["profile_overflow"]
        assert any("OPT work authorization ends" in row and "2027-06-30" in row for row in r["timeline_rows"])
        assert r["timeline_chips"] == len(r["timeline_rows"]), "every timeline date cites its guidance"
        for shot in ("10-empty", "11-three-answers", "12-chip-opened", "13-sidebar", "14-timeline"):
            assert (ARTIFACTS / f"{width}x{height}-{shot}.png").stat().st_size > 5_000


class Tracker:
    """A local web server that counts every request: a planted image, frame or link that loads hits it."""

    def __init__(self) -> None:
        import http.server
        import threading

        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.hits = hits
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def test_postings_and_file_names_full_of_markup_stay_text(server: AppServer) -> None:
    tracker = Tracker()
    try:
        result = run_flow("hostile.mjs", {"APP_URL": server.url, "TRACKER": tracker.url})
    finally:
        tracker.close()
    assert tracker.hits == [], f"the browser fetched planted addresses: {tracker.hits}"
    assert result["requests"] == [], f"requests left this machine or hit planted paths: {result['requests']}"
    assert result["pwned"] is None and result["dialogs"] == [], "a planted script ran"
    assert result["planted_links"] == [] and result["planted_media"] == []
    # ...and what was planted is shown as plain text where the posting is named.
    titles = " ".join(result["expanders"]).replace("\u2060", "")
    assert f"![t]({tracker.url}/typed-title.png) <b>Quorra</b>" in titles, "the typed title is kept, as text"
    assert any("[click](javascript:alert(2)) **x**.pdf" in e for e in result["errors"]), result["errors"]
    assert any("<b>Quorra</b>" in t for t in result["toasts"])
    shown = "\n".join(result["posting_text"])
    assert ":red[Urgent] :material/warning: **bold**" in shown and "<script>window.__pwned" in shown
    assert any("<b>Quorra</b>" in o for o in result["draft_options"])
    assert result["draft"]


def test_closing_the_tab_stops_an_upload_being_analyzed(server: AppServer, tmp_path: Path) -> None:
    """A ~10 MB, 45-page posting is being read when the tab closes: the server stops the work at
    its next checkpoint (it logs that) and saves nothing of that posting."""
    import time

    from tests.helpers import make_large_pdf
    from visapath.config import Settings
    from visapath.workspace import PostingWorkspace, users_with_postings

    pdf = make_large_pdf(tmp_path / "vantage-posting.pdf")
    log = server.log_path
    before = log.read_text(errors="replace").count("analysis stopped")
    result = run_flow("cancel.mjs", {"APP_URL": server.url, "PDF": str(pdf)})
    assert result["progress"].startswith("1/1 ·"), result  # the work was under way, its stage shown
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and log.read_text(errors="replace").count("analysis stopped") == before:
        time.sleep(0.5)
    assert log.read_text(errors="replace").count("analysis stopped") > before, "the analysis went on after the tab closed"
    settings = Settings(_env_file=None, data_dir=server.data_dir)
    saved = [p for user in users_with_postings(settings)  # every user's saved postings, in the app database
             for p in PostingWorkspace(settings.model_copy(update={"user": user}), indexer=None).list()]
    assert not any("Vantage Robotics" in f"{p.title} {p.company}" for p in saved)
