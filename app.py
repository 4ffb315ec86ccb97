"""visapath — the Streamlit app. Layout and calls into the `Assistant` facade, nothing else.

Run with `scripts/run.sh` (or `streamlit run app.py`). What the app shows comes from
`visapath.service.Assistant`; how it looks comes from `visapath.ui` (pure, unit-tested helpers).
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ingest.loaders import LoadError
from visapath import ui
from visapath.config import Settings, get_settings
from visapath.conversations import ConversationNotFound
from visapath.drafts import CHANNELS, Draft, DraftError
from visapath.explain import Explanation
from visapath.models import Answer, Document
from visapath.profile import DEGREES, STATUSES, Profile, ProfileError, make_profile
from visapath.prompts import disclaimer
from visapath.service import Assistant
from visapath.store import StoreError
from visapath.workspace import SavedPosting

log = logging.getLogger("visapath.app")
UPLOAD_TYPES = ["pdf", "docx", "html", "htm", "txt", "md"]

st.set_page_config(page_title="visapath", page_icon=":material/travel_explore:", layout="wide",
                   initial_sidebar_state="expanded")


# -- start-up ------------------------------------------------------------------------------------


@dataclass
class Runtime:
    """One per process and data dir: the assistant (model, store, retriever) and its index state."""

    assistant: Assistant
    lock: threading.Lock
    ready: bool = False
    summary: str = ""


@st.cache_resource(show_spinner=False)
def runtime(key: str, _settings: Settings) -> Runtime:
    """Cached across reruns and sessions; `key` (the settings) makes a new one when they change."""
    return Runtime(Assistant(_settings), threading.Lock())


def start(rt: Runtime) -> Assistant:
    """The ready assistant; the first start loads the model and builds the index, visibly."""
    boot = st.empty()  # always present, so the widgets after it keep their identity across reruns
    if rt.ready:
        return rt.assistant
    with rt.lock:
        if not rt.ready:
            with boot.status("Preparing visapath…", expanded=True) as box:
                try:
                    st.write("Loading the embedding model (runs locally; about 10 seconds on first start)…")
                    rt.assistant.embedder
                    st.write("Syncing the guidance library into the search index…")
                    report = rt.assistant.ensure_index()
                    st.write("Warming up the answerer…")
                    rt.assistant.grounded
                except StoreError as exc:
                    box.update(label="visapath could not open its index", state="error")
                    st.error(str(exc), icon=":material/error:")
                    st.stop()
                except Exception as exc:  # a missing model or package: say so instead of a traceback
                    log.exception("start-up failed")
                    box.update(label="visapath could not start", state="error")
                    st.error(f"Start-up failed: {exc}. Check the installation (scripts/setup.sh) and restart.",
                             icon=":material/error:")
                    st.stop()
            rt.summary = report.summary()
            rt.ready = True
            st.toast(f"Knowledge base ready · {rt.summary}", icon=":material/check_circle:")
    boot.empty()
    return rt.assistant


def load_profile(a: Assistant) -> Profile:
    try:
        return a.profile
    except ProfileError as exc:
        st.sidebar.error(str(exc), icon=":material/error:")
        return Profile()


# -- chat ----------------------------------------------------------------------------------------


def show_answer(answer: Answer) -> None:
    if answer.notice:
        st.caption(f":material/info: {answer.notice}")
    st.markdown(ui.answer_block_html(answer), unsafe_allow_html=True)


@st.fragment
def chat_tab(a: Assistant, profile: Profile) -> None:
    """A fragment: asking reruns only the chat, so an answer is not held up by the other tabs."""
    messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    history = st.container()  # above the input, which stays at the bottom of the tab
    question = st.chat_input("Ask about H-1B, OPT, green cards or one of your postings…", key="chat_input",
                             max_chars=2000)
    question = question or st.session_state.pop("pending_question", None)
    with history:
        if not messages and not question:
            starters(profile)
        for message in messages:
            show_message(message)
        if question:
            user = {"role": "user", "text": question}
            show_message(user)
            with st.chat_message("assistant", avatar=":material/travel_explore:"):
                answer = stream_answer(a, question)
                show_answer(answer)
            messages.extend([user, {"role": "assistant", "answer": answer}])
    st.caption(disclaimer())
    if question and st.session_state.pop("conversation_created", False):
        st.rerun(scope="app")  # list the new conversation in the sidebar


def show_message(message: dict[str, Any]) -> None:
    if message["role"] == "user":
        with st.chat_message("user", avatar=":material/person:"):
            st.markdown(f'<div class="vp-question">{ui.escape(message["text"])}</div>', unsafe_allow_html=True)
    else:
        with st.chat_message("assistant", avatar=":material/travel_explore:"):
            show_answer(message["answer"])


def conversation_id(a: Assistant) -> str | None:
    """The open conversation, created on the first question; None if it cannot be stored."""
    cid = st.session_state.get("conversation_id")
    if cid:
        return cid
    try:
        cid = a.conversations.create().id
    except Exception:  # storage trouble must not cost the answer
        log.exception("could not create a conversation")
        return None
    st.session_state["conversation_id"] = cid
    st.session_state["conversation_created"] = True
    return cid


def stream_answer(a: Assistant, question: str) -> Answer:
    """Show the answer as it is written, then return the final, verified one."""
    live = st.empty()
    text = ""
    try:
        for event in a.ask_stream(question, conversation_id=conversation_id(a)):
            if event.kind == "delta":
                text += event.text
                live.markdown(f'<div class="vp-answer vp-streaming">{ui.answer_html(text)}</div>',
                              unsafe_allow_html=True)
            elif event.answer is not None:
                live.empty()
                return event.answer
    except ConversationNotFound:
        st.session_state.pop("conversation_id", None)
        live.empty()
        return Answer(answer="This conversation was deleted elsewhere. Ask again to start a new one.", declined=True)
    except Exception:  # a failing backend must not lose the conversation
        log.exception("answer failed")
    live.empty()
    return Answer(answer="Something went wrong while answering. Your conversation is kept; please try again.",
                  declined=True)


def starters(profile: Profile) -> None:
    st.markdown("#### Ask about work visas and your job search")
    st.caption("Answers quote the guidance library and your saved postings, with every sentence cited.")
    cols = st.columns(2)
    for i, question in enumerate(ui.starter_questions(profile.status)):
        cols[i % 2].button(question, key=f"starter-{i}", icon=":material/chat_bubble:", width="stretch",
                           on_click=st.session_state.__setitem__, args=("pending_question", question))


# -- postings ------------------------------------------------------------------------------------


def analyze_uploads(a: Assistant, files: list[Any], status: str | None) -> None:
    """Each file is read, analysed and saved on its own: one bad file does not stop the others."""
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    with st.status(f"Analyzing {len(files)} posting{'s' if len(files) != 1 else ''}…", expanded=True) as box:
        for i, file in enumerate(files, 1):
            st.text(f"{i}/{len(files)} · reading {file.name}")
            try:
                explanation = a.upload_posting(file.getvalue(), file.name, status)
            except LoadError as exc:
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
    st.session_state["upload_summary"] = (len(done), len(files))
    st.session_state["upload_errors"] = failed
    st.session_state["just_added"] = done
    st.session_state["uploader_nonce"] = st.session_state.get("uploader_nonce", 0) + 1


def analyze_paste(a: Assistant, text: str, title: str, status: str | None) -> None:
    try:
        explanation = a.paste_posting(text, status, title=title.strip() or "Pasted posting")
    except LoadError as exc:
        st.session_state["paste_error"] = str(exc)
        return
    st.session_state["paste_error"] = None
    st.session_state["upload_summary"], st.session_state["upload_errors"] = None, []
    st.session_state["just_added"] = [explanation.saved.id] if explanation.saved else []
    st.session_state["clear_paste"] = True


def add_postings(a: Assistant, profile: Profile) -> None:
    if st.session_state.pop("clear_paste", False):
        st.session_state["paste_text"] = ""
        st.session_state["paste_title"] = ""
    upload, paste = st.columns(2, gap="large")
    with upload:
        files = st.file_uploader("Upload postings", type=UPLOAD_TYPES, accept_multiple_files=True,
                                 key=f"uploader-{st.session_state.get('uploader_nonce', 0)}",
                                 max_upload_size=max(1, math.ceil(a.settings.max_upload_mb)),
                                 help=f"PDF, Word, HTML or text; up to {a.settings.max_upload_mb:g} MB each.")
        if st.button("Analyze uploads", type="primary", disabled=not files, key="analyze_uploads",
                     icon=":material/upload_file:"):
            analyze_uploads(a, list(files or []), profile.status)
            st.rerun()
    with paste:
        title = st.text_input("Title (optional)", key="paste_title", placeholder="e.g. Acme — ML Engineer")
        text = st.text_area("…or paste a posting", key="paste_text", height=130,
                            placeholder="Paste the full job description here")
        if st.button("Analyze pasted text", key="analyze_paste", icon=":material/content_paste:"):
            analyze_paste(a, text, title, profile.status)
            if not st.session_state.get("paste_error"):
                st.rerun()
    summary = st.session_state.get("upload_summary")
    if summary and summary[0]:
        st.success(f"Analyzed and saved {summary[0]} of {summary[1]} posting{'s' if summary[1] != 1 else ''}.",
                   icon=":material/check_circle:")
    for _, message in st.session_state.get("upload_errors", []):
        st.error(message, icon=":material/error:")
    if st.session_state.get("paste_error"):
        st.error(st.session_state["paste_error"], icon=":material/error:")


def explanation_for(a: Assistant, saved: SavedPosting, text: str, status: str | None) -> Explanation:
    """Analysis and status notes for a saved posting, computed once per posting and status."""
    cache: dict[tuple[str, str | None], Explanation] = st.session_state.setdefault("explanations", {})
    key = (saved.id, status)
    if key not in cache:
        doc = Document(source=saved.filename, title=saved.title, text=text, kind="posting",
                       owner=a.settings.user)
        cache[key] = a.explain(doc, status, save=False)
    return cache[key]


def posting_card(a: Assistant, saved: SavedPosting, status: str | None) -> None:
    try:
        _, text, _ = a.postings.get(saved.id)
        explanation = explanation_for(a, saved, text, status)
    except (OSError, ValueError, KeyError):
        st.warning("This posting's files can't be read. Delete it and upload it again.")
        return
    analysis = explanation.analysis.to_json()
    sponsorship = analysis.get("sponsorship", {})
    style = ui.verdict_style(sponsorship.get("verdict"))
    st.markdown(ui.verdict_html(sponsorship), unsafe_allow_html=True)
    st.caption(ui.posting_caption(saved.filename, saved.created, saved.chars))
    for warning in explanation.warnings:
        st.caption(f":material/info: {warning}")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Posting text** · evidence highlighted")
        st.markdown(ui.posting_html(text, sponsorship), unsafe_allow_html=True)
    with right:
        st.markdown("**Requirements**")
        st.table(ui.requirement_rows(analysis), hide_index=True, hide_header=True, border="horizontal")
        flags = analysis.get("flags", [])
        if flags:
            st.markdown("**Flags**")
            for flag in flags:
                st.markdown(ui.flag_html(flag), unsafe_allow_html=True)
    st.markdown("**What this means for you**")
    if not status:
        st.caption("Set your status in the Profile tab to see what this posting means for you.")
    elif not explanation.notes:
        st.caption(f"No specific notes for {STATUSES.get(status, status)} on this posting. "
                   f"{style.gloss}")
    for note in explanation.notes:
        st.markdown(ui.note_html(note.text, [c.n for c in note.citations]), unsafe_allow_html=True)
        for c in note.citations:
            st.markdown(ui.source_card_html(c, []), unsafe_allow_html=True)
    with st.popover("Delete posting", icon=":material/delete:"):
        st.write("Remove this posting from your workspace and from chat search?")
        if st.button("Delete", type="primary", key=f"delete-{saved.id}"):
            a.postings.delete(saved.id)
            st.session_state.get("explanations", {}).pop((saved.id, status), None)
            st.toast(f"Deleted {saved.title}", icon=":material/delete:")
            st.rerun()


def postings_tab(a: Assistant, profile: Profile) -> None:
    st.markdown("#### Check what a posting says about sponsorship")
    st.caption("Postings are analyzed on this machine and saved to your workspace so chat can cite them.")
    add_postings(a, profile)
    saved = a.postings.list()
    st.divider()
    if not saved:
        st.info("No saved postings yet. Upload a PDF, Word or HTML posting, or paste its text.",
                icon=":material/work:")
        return
    st.markdown(f"#### Your postings ({len(saved)})")
    recent = set(st.session_state.get("just_added", [])) or {saved[0].id}
    for item in saved:
        style = ui.verdict_style(item.verdict)
        with st.expander(f"{style.icon} {item.title} · {style.label}", expanded=item.id in recent):
            posting_card(a, item, profile.status)


# -- drafts --------------------------------------------------------------------------------------


def drafts_tab(a: Assistant, profile: Profile) -> None:
    st.markdown("#### Draft a message to a recruiter")
    st.caption("Truthful wording for your status, with the guidance behind its visa facts. Edit before sending.")
    if not profile.status:
        st.info("Set your status in the Profile tab first: every draft is written for it.", icon=":material/person:")
    postings = {p.id: p.title for p in a.postings.list()}
    if st.session_state.get("draft_posting") not in ("", None, *postings):
        st.session_state["draft_posting"] = ""  # the chosen posting was deleted
    col1, col2, col3 = st.columns([2, 2, 1.4])
    channel = col1.selectbox("Channel", list(CHANNELS), key="draft_channel",
                             format_func=lambda c: f"{ui.humanize(CHANNELS[c].label)} (≤ {CHANNELS[c].limit:,} chars)")
    posting_id = col2.selectbox("About a posting (optional)", [""] + list(postings), key="draft_posting",
                                format_func=lambda pid: postings.get(pid, "No specific posting"))
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
            st.error(str(exc), icon=":material/error:")
        else:
            st.session_state["draft"] = draft
            st.session_state["draft_body"] = draft.body
            st.session_state["draft_subject"] = draft.subject or ""
    draft = st.session_state.get("draft")
    if draft is not None:
        show_draft(draft)


def show_draft(draft: Draft) -> None:
    spec = CHANNELS.get(draft.channel)
    with st.container(border=True):
        st.markdown(f"**{ui.humanize(spec.label if spec else draft.channel)}**")
        subject = st.text_input("Subject", key="draft_subject") if draft.subject else ""
        body = st.text_area("Draft (editable)", key="draft_body", height=260)
        st.markdown(f'<div class="vp-count">{ui.escape(ui.char_count(body, spec.limit if spec else None))}</div>',
                    unsafe_allow_html=True)
        text = ui.draft_text({"subject": subject, "body": body})
        with st.container(horizontal=True, vertical_alignment="center"):
            st.html(ui.copy_button_html(text, "draft"), width="content", unsafe_allow_javascript=True)
            st.download_button("Download .txt", text, file_name=ui.download_name(draft.channel), mime="text/plain",
                               icon=":material/download:", key="draft_download")
    for warning in draft.warnings:
        st.warning(warning, icon=":material/warning:")
    if draft.citations:
        st.markdown(f'<div class="vp-sources-label">Guidance behind this draft ({len(draft.citations)})</div>',
                    unsafe_allow_html=True)
        for c in draft.citations:
            st.markdown(ui.source_card_html(c, []), unsafe_allow_html=True)


# -- profile -------------------------------------------------------------------------------------


def profile_tab(a: Assistant, profile: Profile) -> None:
    st.markdown("#### Your profile")
    st.caption("Used for posting notes, drafts and suggested questions. Stored only on this machine.")
    statuses = [""] + list(STATUSES)
    degrees = [""] + list(DEGREES)
    with st.form("profile_form", border=True):
        name = st.text_input("Name", value=profile.name, max_chars=80)
        status = st.selectbox("Current US status", statuses, index=statuses.index(profile.status or ""),
                              format_func=lambda s: STATUSES.get(s, "Choose your status"))
        role = st.text_input("Target role", value=profile.target_role, max_chars=100,
                             placeholder="e.g. Machine learning engineer")
        col1, col2, col3 = st.columns(3)
        degree = col1.selectbox("Highest degree", degrees, index=degrees.index(profile.degree or ""),
                                format_func=lambda d: DEGREES.get(d, "—"))
        us_degree = col2.checkbox("Degree from a US school", value=bool(profile.us_degree))
        stem = col3.checkbox("STEM degree", value=bool(profile.stem_degree))
        end = st.date_input("Work authorization end date (OPT, STEM OPT or EAD; leave empty if none)",
                            value=profile.work_authorization_end, format="YYYY-MM-DD")
        submitted = st.form_submit_button("Save profile", type="primary", icon=":material/save:")
    if submitted:
        try:
            new = make_profile(name=name, status=status or None, target_role=role, degree=degree or None,
                               us_degree=us_degree, stem_degree=stem,
                               work_authorization_end=end or None)
            a.profiles.save(new)
        except (ProfileError, OSError) as exc:
            st.error(str(exc), icon=":material/error:")
            return
        st.session_state.pop("explanations", None)  # notes depend on the status
        st.session_state["profile_saved"] = True
        st.rerun()
    if st.session_state.pop("profile_saved", False):
        st.success("Profile saved.", icon=":material/check_circle:")


# -- knowledge -----------------------------------------------------------------------------------


def knowledge_tab(a: Assistant) -> None:
    info = a.info()
    st.markdown("#### Knowledge base")
    st.caption("Curated guidance on US work visas. Every chat answer quotes these documents.")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Guidance documents", info["guidance_documents"])
    c2.metric("Indexed passages", info["chunks"])
    c3.metric("Stale documents", len(info["stale_documents"]))
    c4.metric("Answers", ui.backend_label(info["llm_backend"]))
    if info["stale_documents"]:
        st.warning("Not reviewed in over a year — check the official source before relying on: "
                   + ", ".join(info["stale_documents"]), icon=":material/history:")
    rows = ui.document_rows(info["documents"], info["stale_documents"])
    st.dataframe(rows, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 740))
    st.caption(f"Answers: {a.backend_description} · index: {info['store']} · "
               f"embedding model {info['embedding_model']}")


# -- page ----------------------------------------------------------------------------------------


def open_conversation(a: Assistant, cid: str | None) -> None:
    """Switch the chat to a stored conversation (None: a new, empty one)."""
    st.session_state["messages"] = []
    st.session_state["conversation_id"] = cid
    if cid:
        try:
            conv = a.conversations.get(cid)
        except ConversationNotFound as exc:
            st.session_state["conversation_id"] = None
            st.session_state["chat_error"] = str(exc)
            return
        st.session_state["messages"] = ui.messages_from_records(
            [{"role": m.role, "content": m.content, "answer": m.answer} for m in conv.messages])


def delete_conversation(a: Assistant, cid: str) -> None:
    try:
        a.conversations.delete(cid)
    except ConversationNotFound:
        pass
    if st.session_state.get("conversation_id") == cid:
        open_conversation(a, None)


def rename_conversation(a: Assistant, cid: str) -> None:
    try:
        a.conversations.rename(cid, st.session_state.get(f"rename-{cid}", ""))
    except (ConversationNotFound, ValueError) as exc:
        st.session_state["chat_error"] = str(exc)


def conversation_list(a: Assistant) -> None:
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
    active = st.session_state.get("conversation_id")
    for conv in conversations[:30]:
        left, right = st.columns([5, 1], vertical_alignment="center", gap="small")
        left.button(ui.conversation_label(conv.title), key=f"conv-{conv.id}", width="stretch",
                    type="secondary" if conv.id == active else "tertiary", on_click=open_conversation, args=(a, conv.id),
                    help=f"Updated {conv.updated[:16].replace('T', ' ')} UTC")
        with right.popover("", icon=":material/more_vert:", type="tertiary", help="Rename or delete"):
            st.text_input("Title", value=conv.title, key=f"rename-{conv.id}", max_chars=80)
            st.button("Rename", key=f"rename-btn-{conv.id}", on_click=rename_conversation, args=(a, conv.id))
            st.button("Delete conversation", key=f"delete-conv-{conv.id}", icon=":material/delete:",
                      on_click=delete_conversation, args=(a, conv.id))
    if st.session_state.get("chat_error"):
        st.error(st.session_state.pop("chat_error"), icon=":material/error:")


def sidebar(a: Assistant, profile: Profile) -> Any:
    """Brand, profile and notices; returns the slot the conversation list is drawn into last,
    so a conversation started by this run's question is already listed."""
    with st.sidebar:
        st.markdown('<div class="vp-brand">visapath</div>', unsafe_allow_html=True)
        st.caption("Private, offline job-search help for people who need a US work visa.")
        st.markdown(ui.profile_summary_html(profile.name, profile.status_label if profile.status else None,
                                            profile.target_role), unsafe_allow_html=True)
        st.space("small")
        slot = st.container()
        st.divider()
        st.caption(f"Answers: {a.backend_description}")
        st.caption(disclaimer())
    return slot


def main() -> None:
    st.markdown(ui.APP_CSS, unsafe_allow_html=True)
    settings = get_settings()
    rt = runtime(settings.model_dump_json(), settings)
    profile = load_profile(rt.assistant)
    conversations = sidebar(rt.assistant, profile)
    a = start(rt)
    chat, postings, drafts, prof, knowledge = st.tabs(
        [":material/forum: Chat", ":material/work: Postings", ":material/edit_note: Drafts",
         ":material/person: Profile", ":material/library_books: Knowledge"])
    with chat:
        chat_tab(a, profile)
    with postings:
        postings_tab(a, profile)
    with drafts:
        drafts_tab(a, profile)
    with prof:
        profile_tab(a, profile)
    with knowledge:
        knowledge_tab(a)
    with conversations:
        conversation_list(a)


main()
