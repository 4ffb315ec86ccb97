"""The Chat page: the conversation, answer first with collapsed source cards, the input pinned
to the bottom; rating, copying, regenerating and editing the last question."""

from __future__ import annotations

import logging

import streamlit as st

from visapath.conversations import ConversationNotFound
from visapath.models import Answer
from visapath.prompts import disclaimer
from visapath.service import Assistant
from visapath.ui import markup
from visapath.ui.runtime import AppContext
from visapath.ui.state import ChatState, Turn, session

log = logging.getLogger("visapath.app")
ASSISTANT_AVATAR = ":material/travel_explore:"
USER_AVATAR = ":material/person:"


def render(ctx: AppContext) -> None:
    restore_from_url(ctx.assistant, session().chat)
    conversation(ctx)


# -- the conversation in the URL (?c=ID) --------------------------------------------------------


def restore_from_url(a: Assistant, state: ChatState) -> None:
    """A reload (or a link to it) reopens the conversation in `?c=`; the store checks it is this user's."""
    wanted = st.query_params.get("c")
    if wanted and wanted != state.conversation_id and not state.restored_from_url:
        state.restored_from_url = True
        open_conversation(a, wanted)
    elif state.conversation_id and st.query_params.get("c") != state.conversation_id:
        st.query_params["c"] = state.conversation_id
    state.restored_from_url = True


def open_conversation(a: Assistant, cid: str | None) -> None:
    """Switch the chat to a stored conversation (None: a new, empty one) and put it in the URL."""
    state = session().chat
    state.turns, state.conversation_id, state.editing = [], None, False
    state.pending_question, state.replace_last = None, False
    if cid:
        try:
            conv = a.conversations.get(cid)
        except ConversationNotFound as exc:
            state.error = str(exc)
            cid = None
        else:
            state.conversation_id = cid
            state.turns = markup.turns_from_records(
                [{"role": m.role, "content": m.content, "answer": m.answer} for m in conv.messages])
    if cid:
        st.query_params["c"] = cid
    else:
        st.query_params.pop("c", None)


# -- the page ------------------------------------------------------------------------------------


def conversation(ctx: AppContext) -> None:
    """History above, the input pinned to the bottom of the page (it must be called at the page's
    top level, outside any container or fragment, for Streamlit to pin it)."""
    a, state = ctx.assistant, session().chat
    history = st.container()  # the input below is pinned to the bottom of the page
    typed = st.chat_input("Ask about H-1B, OPT, green cards or one of your postings…", key="chat_input",
                          max_chars=2000)
    question = typed or state.pending_question
    replace = bool(state.replace_last and not typed)
    state.pending_question, state.replace_last = None, False
    with history:
        if state.error:
            st.error(markup.escape_markdown(state.error), icon=":material/error:")
            state.error = None
        if replace and state.turns:
            drop_last_turn(a, state)
        if not state.turns and not question:
            starters(ctx)
        for i, turn in enumerate(state.turns):
            show_turn(a, state, i, turn, last=(i == len(state.turns) - 1 and not question))
        if question:
            with st.chat_message("user", avatar=USER_AVATAR):
                st.markdown(markup.question_html(question), unsafe_allow_html=True)
            with st.chat_message("assistant", avatar=ASSISTANT_AVATAR):
                answer = stream_answer(a, state, question)
                show_answer(a, answer, len(state.turns))
                state.turns.append(Turn(question, answer))
                answer_actions(a, state, len(state.turns) - 1, state.turns[-1], last=True)
    st.caption(disclaimer())


def show_turn(a: Assistant, state: ChatState, i: int, turn: Turn, last: bool) -> None:
    with st.chat_message("user", avatar=USER_AVATAR):
        if last and state.editing:
            edit_box(state, turn)
        else:
            st.markdown(markup.question_html(turn.question), unsafe_allow_html=True)
    with st.chat_message("assistant", avatar=ASSISTANT_AVATAR):
        show_answer(a, turn.answer, i)
        answer_actions(a, state, i, turn, last)


def show_answer(a: Assistant, answer: Answer, index: int) -> None:
    if answer.notice:
        st.caption(f":material/info: {markup.escape_markdown(answer.notice)}")
    st.markdown(markup.answer_block_html(answer, anchor=f"t{index}", references=a.references),
                unsafe_allow_html=True)


def answer_actions(a: Assistant, state: ChatState, i: int, turn: Turn, last: bool) -> None:
    """Thumbs, copy, and for the last answer regenerate and edit: one compact row under it."""
    cid = state.conversation_id or "none"
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"actions-{cid}-{i}"):
        fb_key = f"feedback-{cid}-{i}"
        if fb_key not in st.session_state and turn.feedback is not None:
            st.session_state[fb_key] = turn.feedback
        st.feedback("thumbs", key=fb_key, on_change=rate, args=(a, i, fb_key))
        st.html(markup.copy_button_html(markup.answer_plain_text(turn.answer), f"answer-{cid}-{i}", "Copy answer"),
                width="content", unsafe_allow_javascript=True)
        if last:
            st.button("Regenerate", key=f"regenerate-{cid}-{i}", icon=":material/refresh:", type="tertiary",
                      on_click=resend, args=(turn.question,))
            st.button("Edit question", key=f"edit-{cid}-{i}", icon=":material/edit:", type="tertiary",
                      on_click=start_edit)


def rate(a: Assistant, i: int, key: str) -> None:
    state = session().chat
    value = st.session_state.get(key)
    if i < len(state.turns):
        state.turns[i].feedback = value
    if state.conversation_id:
        try:
            a.conversations.set_feedback(state.conversation_id, i, value)
        except Exception:  # a rating must never cost the conversation
            log.exception("could not store feedback")
            state.error = "Your rating could not be saved; please try again."


def resend(question: str) -> None:
    state = session().chat
    state.pending_question, state.replace_last, state.editing = question, True, False


def start_edit() -> None:
    session().chat.editing = True


def edit_box(state: ChatState, turn: Turn) -> None:
    with st.form("edit-question", border=False):
        text = st.text_area("Edit your question", value=turn.question, key="edit_question_text", max_chars=2000)
        with st.container(horizontal=True):
            send = st.form_submit_button("Send", type="primary", icon=":material/send:")
            cancel = st.form_submit_button("Cancel")
    if send and text.strip():
        resend(text.strip())
        st.rerun()
    if cancel:
        state.editing = False
        st.rerun()


def drop_last_turn(a: Assistant, state: ChatState) -> None:
    """Regenerate and edit-and-resend replace the last exchange, on screen and in storage."""
    state.turns.pop()
    if state.conversation_id:
        try:
            a.conversations.pop_last_turn(state.conversation_id)
        except ConversationNotFound:
            state.conversation_id = None


def conversation_id(a: Assistant, state: ChatState) -> str | None:
    """The open conversation, created on the first question; None if it cannot be stored."""
    if state.conversation_id:
        return state.conversation_id
    try:
        cid = a.conversations.create().id
    except Exception:  # storage trouble must not cost the answer
        log.exception("could not create a conversation")
        return None
    state.conversation_id = cid
    st.query_params["c"] = cid
    return cid


def stream_answer(a: Assistant, state: ChatState, question: str) -> Answer:
    """Show the answer as it is written, then return the final, verified one."""
    live = st.empty()
    text = ""
    try:
        for event in a.ask_stream(question, conversation_id=conversation_id(a, state)):
            if event.kind == "delta":
                text += event.text
                live.markdown(f'<div class="vp-answer vp-streaming">{markup.answer_html(text)}</div>',
                              unsafe_allow_html=True)
            elif event.answer is not None:
                live.empty()
                return event.answer
    except ConversationNotFound:
        state.conversation_id = None
        st.query_params.pop("c", None)
        live.empty()
        return Answer(answer="This conversation was deleted elsewhere. Ask again to start a new one.", declined=True)
    except Exception:  # a failing backend must not lose the conversation
        log.exception("answer failed")
    live.empty()
    return Answer(answer="Something went wrong while answering. Your conversation is kept; please try again.",
                  declined=True)


def starters(ctx: AppContext) -> None:
    st.markdown("#### Ask about work visas and your job search")
    st.caption("Answers quote the guidance library and your saved postings, with every sentence cited.")
    next_dates(ctx)
    cols = st.columns(2)
    for i, question in enumerate(markup.starter_questions(ctx.profile.status)):
        cols[i % 2].button(question, key=f"starter-{i}", icon=":material/chat_bubble:", width="stretch",
                           on_click=ask_starter, args=(question,))


def next_dates(ctx: AppContext) -> None:
    """Point to the personal timeline: the next two dates from the profile, and a link to all of them."""
    try:
        upcoming = ctx.assistant.timeline(ctx.profile)[0].upcoming()[:2]
    except Exception:  # the timeline is a hint here; never let it cost the chat
        log.exception("timeline failed")
        return
    if not upcoming:
        return
    with st.container(border=True, key="next-dates"):
        for event in upcoming:
            st.markdown(markup.timeline_event_html(event, None), unsafe_allow_html=True)
        st.page_link("visapath/ui/profile.py", label="See your whole timeline and where each date comes from",
                     icon=":material/timeline:")


def ask_starter(question: str) -> None:
    session().chat.pending_question = question


if __name__ == "__main__":  # run as a page by st.navigation (see app.py)
    from visapath.ui.state import context

    render(context())
