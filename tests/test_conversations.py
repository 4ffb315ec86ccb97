"""Conversations in SQLite, the exchange log, and follow-ups that keep their context."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from visapath.conversations import ConversationNotFound, ConversationStore, Exchange
from visapath.database import forget_engine, open_database
from visapath.followup import carry_over, looks_like_followup, rewrite, rule_rewrite, subject_terms
from visapath.models import Answer, Citation
from visapath.retrieval import Scope
from visapath.service import Assistant

GUIDANCE = Scope(kinds=("guidance",))


class FailingModel(FakeListChatModel):
    """A chat model whose endpoint is down."""

    def _call(self, *args, **kwargs):  # type: ignore[override]
        raise ConnectionError("endpoint down")


def answer(text: str = "An answer [1].", query: str = "q", chunk_id: str = "c1") -> Answer:
    cite = Citation(1, "visas/x.md", "X", None, None, "quote", 0.8, chunk_id=chunk_id)
    return Answer(answer=text, declined=False, citations=[cite], backend="grounded", citation_precision=1.0, query=query)


# -- persistence -------------------------------------------------------------------------------
def test_create_list_get_rename_delete(database_url):
    store = ConversationStore(open_database(database_url), owner="ana")
    first = store.create()
    second = store.create("Offer from Acme")
    store.append_turn(first.id, "How does the H-1B lottery work?", answer(query="How does the H-1B lottery work?"))

    listed = store.list()
    assert [c.id for c in listed] == [first.id, second.id]  # most recently updated first
    got = store.get(first.id)
    assert got.title == "How does the H-1B lottery work?"  # the first question titles it
    assert [(m.role, m.content) for m in got.messages] == [
        ("user", "How does the H-1B lottery work?"), ("assistant", "An answer [1].")]
    assert got.messages[1].answer["backend"] == "grounded" and got.messages[1].chunk_ids == ["c1"]

    assert store.rename(second.id, "  Acme   offer ").title == "Acme offer"
    with pytest.raises(ValueError, match="cannot be empty"):
        store.rename(second.id, "   ")
    store.delete(first.id)
    assert [c.id for c in store.list()] == [second.id]
    with pytest.raises(ConversationNotFound, match="no conversation"):
        store.get(first.id)


def test_conversations_survive_a_restart_and_stay_private(database_url):
    conv = ConversationStore(open_database(database_url), owner="ana").create()
    ConversationStore(open_database(database_url), owner="ana").append_turn(conv.id, "What is OPT?", answer())
    forget_engine(database_url)  # a restart
    path = open_database(database_url)
    reopened = ConversationStore(path, owner="ana")
    assert [m.content for m in reopened.get(conv.id).messages] == ["What is OPT?", "An answer [1]."]
    other = ConversationStore(path, owner="ben")
    assert other.list() == []
    with pytest.raises(ConversationNotFound):
        other.append_turn(conv.id, "hijack", answer())
    with pytest.raises(ConversationNotFound):
        other.delete(conv.id)
    assert len(reopened.get(conv.id).messages) == 2


def test_every_exchange_is_logged(database_url):
    store = ConversationStore(open_database(database_url), owner="ana")
    store.log(Exchange("What is OPT?", answer(query="What is OPT?"), None, 42))
    store.log(Exchange("and for STEM?", answer(query="OPT: and for STEM?"), "qwen2.5", 950, "rules", "abc"))
    latest, earlier = store.responses()
    assert (latest["question"], latest["query"], latest["rewrite_method"]) == ("and for STEM?", "OPT: and for STEM?", "rules")
    assert (latest["model"], latest["duration_ms"], latest["conversation_id"]) == ("qwen2.5", 950, "abc")
    assert earlier["backend"] == "grounded" and earlier["citation_precision"] == 1.0 and earlier["declined"] == 0


# -- follow-up rewriting -----------------------------------------------------------------------
@pytest.mark.parametrize("question, followup", [
    ("what about for a master's?", True),
    ("and does that apply to me?", True),
    ("How about TN?", True),
    ("Can I work during it?", True),
    ("How much is the H-1B registration fee?", False),
    ("What is Form I-983?", False),
    ("How many unemployment days do I get on STEM OPT?", False),
])
def test_followup_detection(question, followup):
    assert looks_like_followup(question) is followup


def test_rule_rewrite_carries_the_previous_subject():
    assert subject_terms("How does the H-1B lottery work?") == ["H-1B", "lottery"]
    turn = rule_rewrite("and does it cover me?", ["How does the H-1B lottery work?"])
    assert turn.method == "rules" and turn.carried_terms == ["H-1B", "lottery"]
    assert turn.query == "H-1B lottery: and does it cover me?"
    # A follow-up with a subject of its own keeps the visa class, not the last topic.
    narrower = rule_rewrite("what about for a master's?", ["How does the H-1B lottery work?"])
    assert narrower.carried_terms == ["H-1B"] and narrower.query == "H-1B: what about for a master's?"
    standalone = rule_rewrite("What is Form I-983?", ["How does the H-1B lottery work?"])
    assert standalone.query == "What is Form I-983?" and not standalone.rewritten
    assert rewrite("what about for a master's?", [], []).query == "what about for a master's?"  # first turn


def test_model_rewrite_and_its_fallback_to_rules():
    model = FakeListChatModel(responses=["Standalone question: \"Does the H-1B master's cap need a US degree?\"\n"])
    turn = rewrite("what about for a master's?", ["How does the H-1B lottery work?"],
                   ["How does the H-1B lottery work?"], model=model)
    assert turn.method == "model" and turn.query == "Does the H-1B master's cap need a US degree?"
    turn = rewrite("what about for a master's?", ["How does the H-1B lottery work?"],
                   ["How does the H-1B lottery work?"], model=FailingModel(responses=["unused"]))
    assert turn.method == "rules" and turn.query == "H-1B: what about for a master's?"


# -- follow-ups end to end (grounded mode, real index) -----------------------------------------
def test_grounded_followup_keeps_the_subject(kb_assistant):
    a = kb_assistant
    conv = a.conversations.create()
    first = a.ask("How does the H-1B lottery work?", scope=GUIDANCE, conversation_id=conv.id)
    second = a.ask("what about for a master's?", scope=GUIDANCE, conversation_id=conv.id)
    assert not first.declined and not second.declined
    assert "H-1B" in second.query and "master's" in second.query
    assert "master" in second.answer.lower() and "20,000" in second.answer
    assert any("master" in (c.section or "").lower() or "master's cap" in c.quote for c in second.citations)

    alone = a.ask("what about for a master's?", scope=GUIDANCE)  # the same words without context
    assert alone.query == "what about for a master's?"

    stored = a.conversations.get(conv.id)
    assert [m.role for m in stored.messages] == ["user", "assistant"] * 2
    assert stored.messages[3].query == second.query and stored.title == "How does the H-1B lottery work?"
    logged = a.conversations.responses(3)
    assert logged[1]["rewrite_method"] == "rules" and logged[1]["conversation_id"] == conv.id


def test_previous_citations_stay_available(kb_assistant):
    a = kb_assistant
    first = a.ask("What is Form I-983?", scope=GUIDANCE)
    carried = [c.chunk_id for c in first.citations]
    query = "Form I-983: and who signs it?"
    fresh = a.grounded.retrieve(query, GUIDANCE)
    without = [h for h in fresh if h.chunk.id not in carried[:1]][: a.settings.top_k - 1]
    merged = carry_over(a.settings, a.retriever, query, without, carried[:1], GUIDANCE)
    assert carried[0] in [h.chunk.id for h in merged]  # put back, scored for the new query
    assert all(h.score >= a.settings.relevance_floor for h in merged if h.chunk.id == carried[0])

    unrelated = carry_over(a.settings, a.retriever, "best pizza dough hydration", [], carried[:1], GUIDANCE)
    assert unrelated == []  # below the floor for this query: not carried
    postings_only = carry_over(a.settings, a.retriever, query, [], carried[:1], Scope(kinds=("posting",), owner="x"))
    assert postings_only == []  # outside the scope: never carried


def test_unknown_conversation_is_a_clear_error(kb_assistant):
    with pytest.raises(ConversationNotFound, match="no conversation 'nope'"):
        kb_assistant.ask("What is OPT?", conversation_id="nope")


def test_conversation_persists_across_assistant_restarts(settings_factory, corpus):
    settings = settings_factory(knowledge_dir=corpus)
    a = Assistant(settings)
    a.ingest([corpus])
    conv = a.conversations.create()
    a.ask("Who qualifies for the STEM OPT extension?", conversation_id=conv.id)
    restarted = Assistant(settings)
    follow = restarted.ask("and what is the training plan form for it?", conversation_id=conv.id)
    assert "STEM" in follow.query and "I-983" in follow.answer
    assert len(restarted.conversations.get(conv.id).messages) == 4
