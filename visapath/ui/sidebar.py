"""The sidebar on every page: brand, who is signed in, the conversation list, notices."""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from visapath.conversations import ConversationNotFound
from visapath.prompts import disclaimer
from visapath.service import Assistant
from visapath.ui import markup
from visapath.ui.chat import open_conversation
from visapath.ui.runtime import Identity
from visapath.ui.state import session
from visapath.profile import Profile

log = logging.getLogger("visapath.app")
MAX_LISTED = 30


def frame(a: Assistant, profile: Profile, identity: Identity) -> DeltaGenerator:
    """Brand, profile and notices; returns the slot the conversation list is drawn into after the
    page, so a conversation started by this run's question is already listed."""
    with st.sidebar:
        st.markdown('<div class="vp-brand">visapath</div>', unsafe_allow_html=True)
        st.caption("Private, offline job-search help for people who need a US work visa.")
        st.markdown(markup.profile_summary_html(profile.name, profile.status_label if profile.status else None,
                                                profile.target_role), unsafe_allow_html=True)
        slot = st.container()
        st.divider()
        if identity.hosted:
            st.caption(f"Signed in as {markup.escape_markdown(identity.label)}")
            st.button("Sign out", key="sign_out", icon=":material/logout:", type="tertiary", on_click=st.logout)
        st.caption(f"Answers: {markup.escape_markdown(a.backend_description)}")
        st.caption(disclaimer())
    return slot


def conversation_list(a: Assistant, chat_page: st.Page, on_chat: bool) -> None:
    st.button("New chat", icon=":material/add_comment:", width="stretch", key="new_chat",
              on_click=open_conversation, args=(a, None))
    try:
        conversations = a.conversations.list()
    except Exception:
        log.exception("could not list conversations")
        st.caption("Saved conversations are unavailable right now.")
        return
    if conversations:
        st.markdown('<div class="vp-side-label">Conversations</div>', unsafe_allow_html=True)
    state = session().chat
    for conv in conversations[:MAX_LISTED]:
        # A horizontal container, not columns: columns stack on phones and push the menu onto its own line.
        row = st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"conv-row-{conv.id}")
        left, right = row, row
        if left.button(markup.escape_markdown(markup.conversation_label(conv.title)), key=f"conv-{conv.id}", width="stretch",
                       type="secondary" if conv.id == state.conversation_id else "tertiary",
                       on_click=open_conversation, args=(a, conv.id),
                       help=f"Updated {conv.updated[:16].replace('T', ' ')} UTC") and not on_chat:
            st.switch_page(chat_page)
        with right.popover("", icon=":material/more_vert:", type="tertiary", help="Rename or delete", width="content"):
            st.text_input("Title", value=conv.title, key=f"rename-{conv.id}", max_chars=80)
            st.button("Rename", key=f"rename-btn-{conv.id}", on_click=rename_conversation, args=(a, conv.id))
            st.button("Delete conversation", key=f"delete-conv-{conv.id}", icon=":material/delete:",
                      on_click=delete_conversation, args=(a, conv.id))
    if state.error:
        st.error(markup.escape_markdown(state.error), icon=":material/error:")
        state.error = None


def delete_conversation(a: Assistant, cid: str) -> None:
    try:
        a.conversations.delete(cid)
    except ConversationNotFound:
        pass
    if session().chat.conversation_id == cid:
        open_conversation(a, None)


def rename_conversation(a: Assistant, cid: str) -> None:
    try:
        a.conversations.rename(cid, st.session_state.get(f"rename-{cid}", ""))
    except (ConversationNotFound, ValueError) as exc:
        session().chat.error = str(exc)
