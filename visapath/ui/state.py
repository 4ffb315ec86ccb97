"""Typed per-session state: one dataclass in `st.session_state` instead of loose string keys.

Widgets still own their keyed values (Streamlit's idiom); everything the app itself remembers
between reruns lives here, so a typo is an AttributeError instead of a silently new key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import streamlit as st

from visapath.models import Answer

if TYPE_CHECKING:
    from visapath.ui.runtime import AppContext

_KEY = "visapath_session"


@dataclass
class Turn:
    """One question and its answer as the chat shows it (feedback: 1 thumbs up, 0 down, None unrated)."""

    question: str
    answer: Answer
    feedback: int | None = None


@dataclass
class ChatState:
    turns: list[Turn] = field(default_factory=list)
    conversation_id: str | None = None
    pending_question: str | None = None  # a starter button, regenerate or edit-and-resend
    replace_last: bool = False  # the pending question replaces the last turn (regenerate / edit)
    editing: bool = False
    error: str | None = None
    restored_from_url: bool = False


@dataclass
class PostingsState:
    upload_summary: tuple[int, int] | None = None
    upload_errors: list[tuple[str, str]] = field(default_factory=list)
    just_added: list[str] = field(default_factory=list)
    uploader_nonce: int = 0
    paste_error: str | None = None
    clear_paste: bool = False
    explanations: dict[tuple[str, str | None], Any] = field(default_factory=dict)


@dataclass
class DraftState:
    draft: Any = None  # visapath.drafts.Draft


@dataclass
class ProfileState:
    saved: bool = False
    error: str | None = None


@dataclass
class SessionState:
    chat: ChatState = field(default_factory=ChatState)
    postings: PostingsState = field(default_factory=PostingsState)
    drafts: DraftState = field(default_factory=DraftState)
    profile: ProfileState = field(default_factory=ProfileState)
    context: "AppContext | None" = None  # set by app.py on every run, before the page runs


def context() -> "AppContext":
    """The signed-in user's assistant and profile for the page being drawn (set by app.py)."""
    ctx = session().context
    if ctx is None:
        raise RuntimeError("A page ran before app.py set up the session; run `streamlit run app.py`.")
    return ctx


def session() -> SessionState:
    """This browser session's state (created on first use)."""
    if _KEY not in st.session_state:
        st.session_state[_KEY] = SessionState()
    return st.session_state[_KEY]
