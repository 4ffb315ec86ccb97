"""Saved postings as chat sources: questions about "my postings", "this posting" or a saved
company are answered from those postings (citation kind `posting`), through the real index."""

from __future__ import annotations

import json

import pytest

from ingest.loaders import load_text
from visapath.posting_answers import aspect_of, resolve
from visapath.service import Assistant
from visapath.workspace import SavedPosting

BRIGHTLOOP = ("Brightloop is hiring a Machine Learning Engineer in Austin, TX. You will build ranking models.\n\n"
              "Compensation: $150,000 - $180,000 per year.\n\n"
              "Brightloop sponsors H-1B visas for this role and supports green card applications.")
ACME = ("Acme Robotics is hiring a Senior Software Engineer (Remote, US) for fleet software.\n\n"
        "We are unable to sponsor or take over sponsorship of an employment visa at this time.")
QUARTZLINE = ("Quartzline is hiring a Backend Engineer in Denver, CO.\n\n"
              "We will accept H-1B transfers but will not sponsor new visas.")


def _saved(pid: str, company: str | None, title: str, created: str, role: str | None = None) -> SavedPosting:
    return SavedPosting(pid, f"{pid}.txt", title, company, role, "sponsors", created, 10)


def test_which_postings_an_ask_is_about():
    bright = _saved("a1", "Brightloop", "Brightloop", "2026-11-01")
    acme = _saved("b2", "Acme Robotics", "Acme Robotics — Engineer", "2026-11-03", role="Data Scientist")
    saved = [bright, acme]
    generic = frozenset({"data"})
    assert resolve("Does the Brightloop posting sponsor H-1B?", saved, generic).targets == (bright,)
    assert resolve("Is the Acme job remote?", saved, generic).targets == (acme,)  # a company's first word
    listing = resolve("Which of my saved postings take transfers?", saved, generic)
    assert listing.listing and set(listing.targets) == {bright, acme} and listing.aspect == "transfer"
    assert resolve("Does this posting need a degree?", saved, generic).targets == (acme,)  # the newest
    # A role is too common a phrase to name a posting on its own; beside a posting word it does.
    assert resolve("Can a data scientist get an O-1?", saved, generic) is None
    assert resolve("Does the Data Scientist posting sponsor?", saved, generic).targets == (acme,)
    assert resolve("What does 'transfers only' mean in a job posting?", saved, generic) is None
    assert resolve("Does the Brightloop posting sponsor H-1B?", [], generic) is None
    assert [aspect_of(q) for q in ("Do they take H-1B transfers?", "Is a clearance required?",
                                   "Will they sponsor my visa?", "What is the salary?")] == [
        "transfer", "citizenship", "sponsor", "other"]


@pytest.fixture
def saved_postings(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus, user="alice"))
    a.ingest([corpus])
    for text, source in ((BRIGHTLOOP, "brightloop.txt"), (ACME, "acme.txt"), (QUARTZLINE, "quartzline.txt")):
        a.explain(load_text(text, owner="alice", source=source), save=True)
    return a


def test_a_named_posting_is_answered_from_its_own_sentences(saved_postings):
    answer = saved_postings.ask("Does the Brightloop posting sponsor H-1B?")
    assert not answer.declined
    assert answer.answer.startswith("Yes: the Brightloop posting says it sponsors visas.")
    assert "\u201cBrightloop sponsors H-1B visas for this role and supports green card applications.\u201d [1]" in answer.answer
    assert [(c.kind, c.title) for c in answer.citations] == [("posting", "Posting: Brightloop")]
    assert "Brightloop sponsors H-1B" in answer.citations[0].quote
    refused = saved_postings.ask("Will the Acme posting sponsor my visa?")
    assert refused.answer.startswith("No: the Acme Robotics posting says it does not sponsor visas.")
    assert all(c.kind == "posting" and "Acme" in c.title for c in refused.citations)


def test_which_saved_postings_take_transfers_lists_each_with_its_evidence(saved_postings):
    answer = saved_postings.ask("Which of my saved postings take transfers?")
    lead, *paragraphs = answer.answer.split("\n\n")
    assert lead.startswith("Saved postings that take H-1B transfers: Quartzline, Brightloop (2 of 3)")
    assert "Acme" not in lead
    assert paragraphs[0].startswith("Quartzline takes H-1B transfers only") and "accept H-1B transfers" in paragraphs[0]
    assert paragraphs[-1].startswith("Acme Robotics says it does not sponsor visas")
    assert {c.kind for c in answer.citations} == {"posting"} and len(answer.citations) == 3


def test_the_users_status_turns_the_verdict_into_a_cited_note(saved_postings):
    saved_postings.profiles.update(status="h1b")
    answer = saved_postings.ask("Does Quartzline take H-1B transfers?")
    assert answer.answer.startswith("Yes: the Quartzline posting takes H-1B transfers only")
    assert "For you (H-1B): Fits your status" in answer.answer
    kinds = [(c.n, c.kind) for c in answer.citations]
    assert kinds == [(1, "posting"), (2, "guidance")]
    assert answer.citations[1].source == "visas/h1b-transfer.md"


def test_a_compound_ask_combines_the_posting_with_guidance(saved_postings):
    answer = saved_postings.ask("Does Quartzline take H-1B transfers, and when can work for the new employer begin?")
    first, second = answer.answer.split("\n\n")[:2]
    assert first.startswith("Yes: the Quartzline posting") and "[1]" in first
    assert "once that employer files a non-frivolous petition" in second
    assert [c.kind for c in answer.citations] == ["posting", "guidance"]


def test_words_quoted_from_some_other_posting_are_not_taken_for_the_saved_one(saved_postings):
    asked = 'The posting says "must be a US person under export rules". Does that rule out H-1B holders?'
    answer = saved_postings.ask(asked)
    assert all(c.kind == "guidance" for c in answer.citations)
    own = saved_postings.ask('This posting says "will accept H-1B transfers". Do they sponsor new visas?')
    assert own.answer.startswith("Only for transfers: the Quartzline posting")  # the newest saved posting


def test_other_asks_quote_the_closest_posting_lines(saved_postings):
    answer = saved_postings.ask("What salary does the Brightloop posting offer?")
    assert answer.answer.startswith("The Brightloop posting says: \u201cCompensation: $150,000 - $180,000 per year.\u201d [1]")
    assert answer.citations[0].kind == "posting"


def test_another_users_postings_are_never_named_or_cited(saved_postings, settings_factory, corpus):
    bob = Assistant(settings_factory(knowledge_dir=corpus, user="bob"))
    answer = bob.ask("Does the Brightloop posting sponsor H-1B?")
    assert "Brightloop" not in answer.answer
    assert all(c.kind != "posting" for c in answer.citations)
    # ...and alice's guidance questions cite guidance, not her postings.
    general = saved_postings.ask("When can work for the new employer begin on an H-1B transfer?")
    assert general.citations and all(c.kind == "guidance" for c in general.citations)


def test_ask_json_marks_posting_citations(saved_postings, monkeypatch, capsys):
    from visapath.cli import common
    from visapath.cli import main

    monkeypatch.setattr(common, "_assistant", saved_postings)
    main(["ask", "--json", "Does the Acme posting sponsor visas?"])
    data = json.loads(capsys.readouterr().out)
    assert data["citations"] and {c["kind"] for c in data["citations"]} == {"posting"}
    assert data["citations"][0]["source"].startswith("posting:")
