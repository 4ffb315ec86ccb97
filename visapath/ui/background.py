"""Heavy work off the page's script thread, with progress, stopped when the browser leaves.

Reading and indexing an upload can take seconds. The page runs it on a worker thread and,
while it runs, shows the stage the work reports (`visapath.budget.checkpoint`). The work stops
at its next checkpoint when this browser session ends (the tab closed, the connection lost) or
the page is rerun (the user clicked elsewhere): Streamlit stops the page's script then, and the
worker is told to stop too. Nothing is written before the last checkpoint of a step, so a
stopped upload leaves nothing behind. The time budget itself lives in the service, so the CLI
has it too.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from visapath.budget import Budget, Cancelled, limited
from visapath.ui import markup

log = logging.getLogger("visapath.app")
T = TypeVar("T")
POLL_SECONDS = 0.2


def session_alive() -> Callable[[], bool]:
    """Whether the browser session running this page is still connected (always True without a
    server, as under AppTest)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return lambda: True
    server, session_id = runtime.get_instance(), ctx.session_id
    return lambda: server.is_active_session(session_id)


def run_step(work: Callable[[], T], label: str) -> T:
    """Run `work` on a worker thread, showing `label · stage` while it runs (escaped: stages name
    files, which are data). Raises what `work` raised, and `visapath.budget.Cancelled` in the
    worker if the session ended or the page reran."""
    slot = st.empty()
    alive, stop = session_alive(), threading.Event()
    budget: list[Budget] = []
    outcome: dict[str, object] = {}

    def worker() -> None:
        try:
            with limited("This step", math.inf, cancelled=lambda: stop.is_set() or not alive()) as b:
                budget.append(b)
                outcome["value"] = work()
        except Cancelled as exc:
            log.warning("analysis stopped: the browser session ended or the page reran")
            outcome["error"] = exc
        except BaseException as exc:  # handed to the page's thread, which re-raises it
            outcome["error"] = exc

    thread = threading.Thread(target=worker, name="visapath-analysis", daemon=True)
    thread.start()
    shown = ""
    try:
        while thread.is_alive():
            thread.join(POLL_SECONDS)
            now = budget[0].stage if budget else ""
            if now and now != shown:  # a Streamlit call: raises if the session was stopped or rerun
                slot.caption(markup.escape_markdown(f"{label} · {now}"))
                shown = now
    finally:
        stop.set()  # if the page is being stopped, the work ends at its next checkpoint
    slot.empty()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]

