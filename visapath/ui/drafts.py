"""The Drafts page: a recruiter message for the user's status (and optionally a saved posting),
editable, with a character count, copy and download, and the guidance behind its facts."""

from __future__ import annotations

import streamlit as st

from visapath.drafts import CHANNELS, Draft, DraftError
from visapath.profile import ProfileError
from visapath.service import Assistant
from visapath.ui import markup
from visapath.ui.runtime import AppContext
from visapath.ui.state import session


def render(ctx: AppContext) -> None:
    a, profile, state = ctx.assistant, ctx.profile, session().drafts
    st.markdown("#### Draft a message to a recruiter")
    st.caption("Truthful wording for your status, with the guidance behind its visa facts. Edit before sending.")
    if not profile.status:
        st.info("Set your status on the Profile page first: every draft is written for it.", icon=":material/person:")
    postings = {p.id: p.title for p in a.postings.list()}
    if st.session_state.get("draft_posting") not in ("", None, *postings):
        st.session_state["draft_posting"] = ""  # the chosen posting was deleted
    col1, col2, col3 = st.columns([2, 2, 1.4])
    channel = col1.selectbox("Channel", list(CHANNELS), key="draft_channel",
                             format_func=lambda c: f"{markup.humanize(CHANNELS[c].label)} "
                                                   f"(≤ {CHANNELS[c].limit:,} chars)")
    posting_id = col2.selectbox("About a posting (optional)", [""] + list(postings), key="draft_posting",
                                format_func=lambda pid: postings[pid] if pid in postings
                                else "No specific posting")
    recipient = col3.text_input("Recruiter's first name", key="draft_recipient", max_chars=60)
    polish = False
    if a.settings.llm_backend != "none":
        polish = st.toggle("Polish the wording with the configured LLM (facts are re-checked)", key="draft_polish")
    if st.button("Write draft", type="primary", icon=":material/edit_note:", key="write_draft",
                 disabled=not profile.status):
        try:
            with st.spinner("Writing your draft…"):
                draft = a.draft(channel, posting_id=posting_id or None, recipient=recipient or None,
                                role=profile.target_role or None, polish=polish)
        except (DraftError, ProfileError) as exc:
            st.error(markup.escape_markdown(str(exc)), icon=":material/error:")
        else:
            state.draft = draft
            st.session_state["draft_body"] = draft.body
            st.session_state["draft_subject"] = draft.subject or ""
    if state.draft is not None:
        show_draft(a, state.draft)


def show_draft(a: Assistant, draft: Draft) -> None:
    spec = CHANNELS.get(draft.channel)
    with st.container(border=True):
        st.markdown(f"**{markup.escape_markdown(markup.humanize(spec.label if spec else draft.channel))}**")
        subject = st.text_input("Subject", key="draft_subject") if draft.subject else ""
        body = st.text_area("Draft (editable)", key="draft_body", height=260)
        st.markdown(f'<div class="vp-count">{markup.escape(markup.char_count(body, spec.limit if spec else None))}'
                    "</div>", unsafe_allow_html=True)
        text = markup.draft_text({"subject": subject, "body": body})
        with st.container(horizontal=True, vertical_alignment="center"):
            st.html(markup.copy_button_html(text, "draft"), width="content", unsafe_allow_javascript=True)
            st.download_button("Download .txt", text, file_name=markup.download_name(draft.channel),
                               mime="text/plain", icon=":material/download:", key="draft_download")
    for warning in draft.warnings:
        st.warning(markup.escape_markdown(warning), icon=":material/warning:")
    if draft.citations:
        st.markdown(f'<div class="vp-sources-label">Guidance behind this draft ({len(draft.citations)})</div>',
                    unsafe_allow_html=True)
        for c in draft.citations:
            st.markdown(markup.source_card_html(c, [], references=a.references(c.source)), unsafe_allow_html=True)


if __name__ == "__main__":  # run as a page by st.navigation (see app.py)
    from visapath.ui.state import context

    render(context())
