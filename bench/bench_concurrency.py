"""One user cannot stall another: answer times under other sessions' load, beside idle.

Starts the real app (`streamlit run app.py`, one server process, grounded backend) over a
prepared index and drives it in Chromium (tests/e2e/concurrency.mjs), every session in its own
browser context:

  upload   a session's answer time while a second session uploads a ~10 MB PDF (45 pages of
           posting text and a large image), beside the same session's answers with nobody else
           busy. Target: the loaded median within 2x the idle median.
  crowd    p50/p95 answer time of 20 sessions asking 3 questions each at once, beside one
           session asking alone; and the page-load time of the 20 sessions.

Every question is asked once (no answer is served from a cache of an identical question); the
idle and loaded sets are drawn alternately from one list, so they are alike in difficulty.
The browser runs on the same machine as the server, so the crowd figures include 20 pages
rendering on the same cores.

Usage: .venv/bin/python bench/bench_concurrency.py [--sessions 20] [--per-session 3] [--skip crowd|upload]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.appserver import AppServer, bench_preflight, run_node  # noqa: E402
from tests.helpers import make_large_pdf  # noqa: E402

from bench_app import QUESTIONS as APP_QUESTIONS  # noqa: E402  (bench/ is on the path when run as a script)

BASE = APP_QUESTIONS + [  # the app benchmark's questions, and more of the same kind
    "How many unemployment days are allowed on OPT?",
    "What is Form I-983?",
    "Can a cap-exempt employer file H-1B at any time?",
    "What is an E-3 visa?",
    "How does H-1B portability work?",
    "What is the H-1B1 visa for Chile and Singapore?",
    "Can I do CPT during my first year?",
    "What is an L-1 intracompany transfer?",
    "When should I mention that I need sponsorship?",
    "What happens to my H-1B if I am laid off?",
    "Does E-Verify matter for STEM OPT jobs?",
]
PHRASINGS = ["{q}", "Quick question: {q}", "{q} Thanks."]
UPLOAD_TARGET = 2.0  # loaded median within this factor of idle


def questions(n: int, seed: int = 7) -> list[str]:
    """`n` distinct questions (base questions in a few phrasings), in a fixed shuffled order."""
    pool = [p.format(q=q) for p in PHRASINGS for q in BASE]
    random.Random(seed).shuffle(pool)
    if n > len(pool):
        raise SystemExit(f"only {len(pool)} distinct questions; ask fewer")
    return pool[:n]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run(server: AppServer, env: dict[str, str]) -> dict:
    proc = run_node("concurrency.mjs", {"APP_URL": server.url, **env}, timeout=3600)
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise SystemExit(f"concurrency.mjs printed nothing:\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1])
    if result.get("error"):
        raise SystemExit(f"browser run failed: {result['error']}\n{proc.stderr[-2000:]}")
    return result


def line(name: str, idle: list[float], loaded: list[float]) -> str:
    return (f"| {name:<44} | {statistics.median(idle):6.2f} s | {pct(idle, 95):6.2f} s | "
            f"{statistics.median(loaded):6.2f} s | {pct(loaded, 95):6.2f} s | "
            f"{statistics.median(loaded) / statistics.median(idle):5.1f}x |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--per-session", type=int, default=3)
    parser.add_argument("--skip", choices=["crowd", "upload"])
    args = parser.parse_args()
    if not bench_preflight():
        return 2
    logs = ROOT / "test-artifacts" / "bench"
    rows, notes, ok = [], [], True
    with tempfile.TemporaryDirectory(prefix="visapath-bench-") as tmp:
        data = Path(tmp) / "data"
        from visapath.config import Settings
        from visapath.service import Assistant

        Assistant(Settings(data_dir=data, _env_file=None, llm_backend="none")).ensure_index()  # built once, before timing
        with AppServer(data_dir=data, log_path=logs / "concurrency.log") as server:
            if args.skip != "upload":
                pdf = make_large_pdf(Path(tmp) / "big-posting.pdf")
                up = run(server, {"MODE": "upload", "PDF": str(pdf), "QUESTIONS": json.dumps(questions(16))})
                loaded = [r["seconds"] for r in up["loaded"]]
                rows.append(line(f"1 session while another uploads {pdf.stat().st_size / 1e6:.1f} MB",
                                 up["idle"], loaded))
                ratio = statistics.median(loaded) / statistics.median(up["idle"])
                ok &= ratio <= UPLOAD_TARGET
                notes.append(f"upload: {up['upload_seconds']:.1f} s in the uploading session "
                             f"({up['upload_message'] or 'no message'}); {len(loaded)} answers during it; "
                             f"target loaded/idle median <= {UPLOAD_TARGET:g}x: {'ok' if ratio <= UPLOAD_TARGET else 'OVER'}")
            if args.skip != "crowd":
                n = args.per_session * (args.sessions + 1)
                crowd = run(server, {"MODE": "crowd", "SESSIONS": str(args.sessions),
                                     "PER_SESSION": str(args.per_session), "QUESTIONS": json.dumps(questions(n))})
                rows.append(line(f"{args.sessions} sessions x {args.per_session} questions at once",
                                 crowd["idle"], crowd["answers"]))
                notes.append(f"crowd: {len(crowd['answers'])} of {args.sessions * args.per_session} answered; page load "
                             f"p50 {statistics.median(crowd['page_load']):.1f} s, p95 {pct(crowd['page_load'], 95):.1f} s")
    print(f"visapath concurrency benchmark · {os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f} · "
          "grounded backend · one server process · Chromium on the same machine\n")
    print(f"| {'answer time (Enter -> source card)':<44} | {'idle p50':>8} | {'idle p95':>8} | "
          f"{'load p50':>8} | {'load p95':>8} | {'ratio':>6} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 7}|")
    for r in rows:
        print(r)
    print()
    for n in notes:
        print(f"- {n}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
