"""Follow-ups keep the subject, and a follow-up that names a new subject is answered for it
instead of repeating the last answer (rules, then end to end through the real index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import load_text
from visapath.followup import rule_rewrite
from visapath.retrieval import Scope
from visapath.service import Assistant

GUIDANCE = Scope(kinds=("guidance",))


def test_a_follow_up_with_a_subject_of_its_own_is_marked_new():
    turn = rule_rewrite("what about cap-exempt jobs?", ["How does the H-1B lottery work?"])
    assert turn.new_terms and {"cap-exempt", "jobs"} <= set(turn.new_terms)
    assert turn.query == "H-1B: what about cap-exempt jobs?"  # the visa class travels, not the old topic
    same = rule_rewrite("and does that apply to me?", ["How does the H-1B lottery work?"])
    assert same.new_terms == [] and same.query.startswith("H-1B lottery:")
    # Names of the last subject do not travel into a follow-up that names its own.
    other = rule_rewrite("what about Acme?", ["Does the Brightloop posting sponsor H-1B?"])
    assert "Brightloop" not in other.query and "Acme" in other.query and "H-1B" in other.query


@pytest.fixture
def lottery_kb(corpus: Path) -> Path:
    (corpus / "visas" / "h1b-cap-exempt.md").write_text(
        "---\ntitle: Cap-exempt H-1B employers\ntopic: h1b\nlast_reviewed: 2026-11\nsources:\n"
        "  - title: 8 CFR 214.2(h)(8)\n    url: https://www.ecfr.gov/current/title-8/section-214.2\n---\n\n"
        "## Which employers are exempt from the cap?\n"
        "Universities, their affiliated nonprofits and nonprofit research organizations are exempt from the "
        "annual cap and file petitions at any time of year.\n", encoding="utf-8")
    return corpus


def test_a_new_subject_is_answered_instead_of_the_last_answer_repeated(settings_factory, lottery_kb):
    a = Assistant(settings_factory(knowledge_dir=lottery_kb))
    a.ingest([lottery_kb])
    conv = a.conversations.create()
    first = a.ask("Does an H-1B transfer go through the lottery again?", scope=GUIDANCE, conversation_id=conv.id)
    assert first.citations[0].source == "visas/h1b-transfer.md"
    second = a.ask("what about cap-exempt jobs?", scope=GUIDANCE, conversation_id=conv.id)
    assert second.answer.startswith("Universities, their affiliated nonprofits")
    assert second.citations[0].source == "visas/h1b-cap-exempt.md"
    # A follow-up on the same subject still leans on what was just cited.
    third = a.ask("and does that apply to me?", scope=GUIDANCE, conversation_id=conv.id)
    assert third.citations and third.citations[0].source == "visas/h1b-cap-exempt.md"


def test_a_follow_up_naming_another_saved_posting_answers_for_it(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus, user="alice"))
    a.ingest([corpus])
    for text, source in (("Brightloop is hiring an ML engineer. Brightloop sponsors H-1B visas for this role.", "b.txt"),
                         ("Acme Robotics is hiring a robotics engineer. We do not sponsor visas.", "a.txt")):
        a.explain(load_text(text, owner="alice", source=source), save=True)
    conv = a.conversations.create()
    a.ask("Does the Brightloop posting sponsor H-1B?", conversation_id=conv.id)
    second = a.ask("what about Acme?", conversation_id=conv.id)
    assert second.answer.startswith("No: the Acme Robotics posting says it does not sponsor visas.")
    assert [c.kind for c in second.citations] == ["posting"] and "Acme" in second.citations[0].title
