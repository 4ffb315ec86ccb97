"""The Postings page: upload or paste postings, then each saved posting's verdict, evidence,
requirements, flags and what it means for the user's status. Posting text is data: every
title, file name and sentence reaches the page escaped."""

from __future__ import annotations

import logging
import math
from typing import Any

import streamlit as st

from ingest.loaders import LoadError
from visapath.budget import WorkStopped
from visapath.explain import Explanation
from visapath.models import Document
from visapath.profile import STATUSES
from visapath.service import Assistant
from visapath.ui import markup
from visapath.ui.background import run_step
from visapath.ui.runtime import AppContext
from visapath.ui.state import PostingsState, session
from visapath.workspace import SavedPosting

log = logging.getLogger("visapath.app")
UPLOAD_TYPES = ["pdf", "docx", "html", "htm", "txt", "md"]


def render(ctx: AppContext) -> None:
    a, profile, state = ctx.assistant, ctx.profile, session().postings
    st.markdown("#### Check what a posting says about sponsorship")
    st.caption("Postings are analyzed on this machine and saved to your workspace so chat can cite them.")
    add_postings(a, profile.status, state)
    saved = a.postings.list()
    st.divider()
    if not saved:
        st.info("No saved postings yet. Upload a PDF, Word or HTML posting, or paste its text.",
                icon=":material/work:")
        return
    st.markdown(f"#### Your postings ({len(saved)})")
    wanted = st.query_params.get("posting")
    recent = {wanted} if wanted else (set(state.just_added) or {saved[0].id})
    for item in saved:
        style = markup.verdict_style(item.verdict)
        with st.expander(f"{style.icon} {markup.escape_markdown(item.title)} · {style.label}",
                         expanded=item.id in recent, key=f"posting-{item.id}"):
            posting_card(a, item, profile.status, state)


def analyze_uploads(a: Assistant, files: list[Any], status: str | None, state: PostingsState) -> None:
    """Each file is read, analysed and saved on its own: one bad file does not stop the others."""
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    with st.status(f"Analyzing {len(files)} posting{'s' if len(files) != 1 else ''}…", expanded=True) as box:
        for i, file in enumerate(files, 1):
            st.text(f"{i}/{len(files)} · reading {file.name}")
            data, name = file.getvalue(), file.name
            try:
                explanation = run_step(lambda: a.upload_posting(data, name, status), f"{i}/{len(files)}")
            except (LoadError, WorkStopped) as exc:
                failed.append((file.name, str(exc)))
                continue
            except Exception:
                log.exception("posting upload failed: %s", file.name)
                failed.append((file.name, f"{file.name} could not be analyzed because of an internal error. "
                                          "Your other postings are unaffected; please try again."))
                continue
            if explanation.saved:
                done.append(explanation.saved.id)
        box.update(label=f"Analyzed {len(done)} of {len(files)}", state="complete" if not failed else "error")
    state.upload_summary, state.upload_errors, state.just_added = (len(done), len(files)), failed, done
    state.uploader_nonce += 1


def analyze_paste(a: Assistant, text: str, title: str, status: str | None, state: PostingsState) -> None:
    try:
        with st.spinner("Analyzing the pasted posting…"):
            explanation = run_step(lambda: a.paste_posting(text, status, title=title.strip() or None),
                                   "Pasted posting")
    except (LoadError, WorkStopped) as exc:
        state.paste_error = str(exc)
        return
    state.paste_error = None
    state.upload_summary, state.upload_errors = None, []
    state.just_added = [explanation.saved.id] if explanation.saved else []
    state.clear_paste = True


def clear_paste_error() -> None:
    session().postings.paste_error = None  # the text changed: the old message no longer applies


def add_postings(a: Assistant, status: str | None, state: PostingsState) -> None:
    if state.clear_paste:
        state.clear_paste = False
        st.session_state["paste_text"] = ""
        st.session_state["paste_title"] = ""
    upload, paste = st.columns(2, gap="large")
    with upload:
        files = st.file_uploader("Upload postings", type=UPLOAD_TYPES, accept_multiple_files=True,
                                 key=f"uploader-{state.uploader_nonce}",
                                 max_upload_size=max(1, math.ceil(a.settings.max_upload_mb)),
                                 help=f"PDF, Word, HTML or text; up to {a.settings.max_upload_mb:g} MB each.")
        if st.button("Analyze uploads", type="primary", disabled=not files, key="analyze_uploads",
                     icon=":material/upload_file:"):
            analyze_uploads(a, list(files or []), status, state)
            st.rerun()
    with paste:
        title = st.text_input("Title (optional)", key="paste_title", placeholder="e.g. Acme — ML Engineer")
        text = st.text_area("…or paste a posting", key="paste_text", height=130, on_change=clear_paste_error,
                            placeholder="Paste the full job description here")
        if st.button("Analyze pasted text", key="analyze_paste", icon=":material/content_paste:"):
            analyze_paste(a, text, title, status, state)
            if not state.paste_error:
                st.rerun()
    summary = state.upload_summary
    if summary and summary[0]:
        st.success(f"Analyzed and saved {summary[0]} of {summary[1]} posting{'s' if summary[1] != 1 else ''}.",
                   icon=":material/check_circle:")
    for _, message in state.upload_errors:
        st.error(markup.escape_markdown(message), icon=":material/error:")
    if state.paste_error:
        st.error(markup.escape_markdown(state.paste_error), icon=":material/error:")


def explanation_for(a: Assistant, saved: SavedPosting, text: str, status: str | None,
                    state: PostingsState) -> Explanation:
    """Analysis and status notes for a saved posting, computed once per posting and status."""
    key = (saved.id, status)
    if key not in state.explanations:
        doc = Document(source=saved.filename, title=saved.title, text=text, kind="posting",
                       owner=a.settings.user)
        state.explanations[key] = a.explain(doc, status, save=False)
    return state.explanations[key]


def posting_card(a: Assistant, saved: SavedPosting, status: str | None, state: PostingsState) -> None:
    try:
        _, text, _ = a.postings.get(saved.id)
        explanation = explanation_for(a, saved, text, status, state)
    except (OSError, ValueError, KeyError):
        st.warning("This posting's files can't be read. Delete it and upload it again.")
        return
    analysis = explanation.analysis.to_json()
    sponsorship = analysis.get("sponsorship", {})
    style = markup.verdict_style(sponsorship.get("verdict"))
    st.markdown(markup.verdict_html(sponsorship), unsafe_allow_html=True)
    st.caption(markup.escape_markdown(markup.posting_caption(saved.filename, saved.created, saved.chars)))
    for warning in explanation.warnings:
        st.caption(f":material/info: {markup.escape_markdown(warning)}")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Posting text** · evidence highlighted")
        st.markdown(markup.posting_html(text, sponsorship), unsafe_allow_html=True)
    with right:
        st.markdown("**Requirements**")
        rows = [{k: markup.escape_markdown(v) for k, v in row.items()} for row in markup.requirement_rows(analysis)]
        st.table(rows, hide_index=True, hide_header=True, border="horizontal")  # cells are markdown
        flags = analysis.get("flags", [])
        if flags:
            st.markdown("**Flags**")
            for flag in flags:
                st.markdown(markup.flag_html(flag), unsafe_allow_html=True)
    st.markdown("**What this means for you**")
    if not status:
        st.caption("Set your status on the Profile page to see what this posting means for you.")
    elif not explanation.notes:
        st.caption(f"No specific notes for {STATUSES.get(status, status)} on this posting. "
                   f"{style.gloss}")
    anchor = f"posting-{saved.id}"
    for note in explanation.notes:
        st.markdown(markup.note_html(note.text, [c.n for c in note.citations], anchor), unsafe_allow_html=True)
        for c in note.citations:
            st.markdown(markup.source_card_html(c, [], references=a.references(c.source), anchor=anchor),
                        unsafe_allow_html=True)
    with st.popover("Delete posting", icon=":material/delete:"):
        st.write("Remove this posting from your workspace and from chat search?")
        if st.button("Delete", type="primary", key=f"delete-{saved.id}"):
            a.postings.delete(saved.id)
            state.explanations.pop((saved.id, status), None)
            st.toast(f"Deleted {markup.escape_markdown(saved.title)}", icon=":material/delete:")
            st.rerun()


if __name__ == "__main__":  # run as a page by st.navigation (see app.py)
    from visapath.ui.state import context

    render(context())
