"""Composition rules: question analysis, answer units, class filtering, gaps, and whole-section
answers through a real index with the real model."""

from __future__ import annotations

from visapath.compose import (PartAnswer, Piece, about_other_class, rank, render, section_opening, uncovered_codes,
                              uncovered_offices)
from visapath.models import Chunk, Hit
from visapath.question import analyze, answer_kind
from visapath.service import Assistant
from visapath.units import units


def _hit(text: str, title: str = "T", section: str | None = None, cid: str = "c1") -> Hit:
    return Hit(Chunk(id=cid, text=text, source="x.md", title=title, section=section, page=None, start=0,
                     end=len(text)), 0.5)


def test_compound_question_is_split_into_asks_in_order():
    a = analyze("I was laid off from my H-1B job last week. How long can I stay, and can I start at a new "
                "employer once it files?")
    assert a.compound and [p.kind for p in a.parts] == ["number", "yesno"]
    assert a.parts[0].text.startswith("How long") and a.parts[1].text.startswith("can I start")
    assert all("H-1B" in p.query for p in a.parts)  # the situation travels with each ask


def test_a_single_ask_keeps_the_whole_message_as_its_query():
    a = analyze("I'm on STEM OPT. Is it possible to work as an independent contractor?")
    assert not a.compound and a.parts[0].query.startswith("I'm on STEM OPT")
    assert analyze("Do I need a degree and years of experience?").parts[0].kind == "yesno"


def test_units_keep_lists_and_qualifiers_with_their_sentence():
    text = ("Before resigning, check these:\n- the petition is filed\n- your I-94 is valid\n"
            "Portability starts on filing. However, work must stop if the petition is denied. Ask about premium.")
    found = units(text)
    assert found[0].text == "Before resigning, check these:\n- the petition is filed\n- your I-94 is valid"
    assert found[1].sentences == ("Portability starts on filing.", "However, work must stop if the petition is denied.")
    assert found[2].text == "Ask about premium."


def test_sections_on_another_class_and_uncovered_classes():
    h1b1 = _hit("Chileans and Singaporeans use H-1B1.", title="H-1B1", section="Who can use H-1B1?")
    assert about_other_class({"h-1b"}, h1b1) and not about_other_class({"h-1b1"}, h1b1)
    assert uncovered_codes({"j-1", "h-1b1"}, [h1b1]) == ["j-1"]


def test_a_section_on_another_class_goes_last_unless_its_heading_is_the_ask():
    i140 = _hit("Only the principal is named on the I-140.", title="I-140 basics", section="Can I add a spouse?", cid="a")
    widow = _hit("A surviving spouse can continue the case under 204(l).", title="I-485 family members",
                 section="Can a widow continue the green card case?", cid="b")
    ask = "Can I apply for a green card based on my late husband's I-140?"
    first = rank([i140, widow], {"a": 0.5, "b": 0.76}, {"i-140"}, ask)
    assert [s.hit.chunk.id for s in first] == ["b", "a"]  # its heading is nearly the ask: it is the answer
    weaker = rank([i140, widow], {"a": 0.5, "b": 0.6}, {"i-140"}, ask)
    assert [s.hit.chunk.id for s in weaker] == ["a", "b"]


def test_render_cites_every_sentence_and_a_list_once():
    hit = _hit("Check these:\n- one\n- two\nThe grace period ends in 60 days. Plan ahead.")
    parts = [PartAnswer(analyze("q?").parts[0], [Piece(hit, u) for u in units(hit.chunk.text)], gap="Not covered:")]
    text, numbers = render(parts)
    assert numbers == {"c1": 1}
    assert text == "Not covered: Check these:\n- one\n- two [1] The grace period ends in 60 days. [1] Plan ahead. [1]"


def test_answers_lead_with_the_matching_section_and_answer_each_part(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    answer = a.ask("Does a transfer go through the lottery again, and which form is the STEM OPT training plan?")
    assert not answer.declined
    first, second = answer.answer.split("\n\n")[:2]
    assert first.startswith("Someone already counted against the cap is not selected again")
    assert "Form I-983" in second
    cited = {c.n: c for c in answer.citations}
    assert cited[1].source == "visas/h1b-transfer.md" and cited[2].source == "visas/stem-opt.md"


def test_a_class_the_sources_do_not_cover_is_named(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    answer = a.ask("Can I change employers on a J-1 visa before the petition is approved?")
    assert not answer.declined
    assert answer.answer.startswith("The guidance I have does not cover J-1 specifically. Nearest covered guidance: "
                                    "An H-1B worker can begin working for a new employer")
    # Nothing here is about the J-1 two-year rule at all: a plain decline, no nearest guidance.
    rule = a.ask("Am I subject to the J-1 two-year home residency requirement?")
    assert rule.declined and rule.citations == []
    assert rule.answer.startswith("I can't answer that from the sources I have")


def test_yes_no_asks_after_a_condition_and_named_offices():
    assert answer_kind("If the transfer is denied, can I keep working for my current employer?") == "yesno"
    assert answer_kind("While in H-1B status, may I invest in a company?") == "yesno"
    assert answer_kind("If I am laid off, how long do I have?") == "number"
    assert answer_kind("When will we know about a second lottery?") == "when"
    tn = _hit("Canadians apply for TN status at a port of entry or preclearance location.", title="TN")
    assert uncovered_offices("How long is processing at the Blaine port of entry?", [tn]) == ["Blaine port of entry"]
    assert uncovered_offices("Can I apply at the consulate in Toronto?", [tn]) == ["consulate in Toronto"]
    assert uncovered_offices("Can I apply for TN at a port of entry?", [tn]) == []


def test_another_sections_yes_no_stub_is_not_its_contribution():
    hit = _hit("Yes, to start H-1B status. Consular notification means getting the visa abroad first.")
    assert [u.text for u in section_opening(hit, "number")] == ["Consular notification means getting the visa abroad first."]
    assert [u.text for u in section_opening(hit, "yesno")] == ["Yes, to start H-1B status."]


def test_one_ports_processing_time_is_said_to_be_not_covered(kb_assistant):
    answer = kb_assistant.ask("How long is processing at the Blaine port of entry for TN?")
    assert answer.answer.startswith("The guidance I have does not cover Blaine port of entry specifically.")
