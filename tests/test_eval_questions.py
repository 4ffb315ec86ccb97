"""`visapath eval questions`: scoring rules on real answers, the CLI on a small index, and a floor
on the development questions (skipped when ../shared is absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from visapath.evaluation.questions import QuestionEvaluator, QuestionItem, load_items, score_item, select
from visapath.models import Answer, Citation
from visapath.service import Assistant
from tests.conftest import DEV_SET

DEV_QUESTIONS = Path(os.environ.get("VISAPATH_EVAL_QUESTIONS_FILE", DEV_SET / "questions.jsonl"))


def _citation(quote: str) -> Citation:
    return Citation(n=1, source="visas/x.md", title="X", section=None, page=None, quote=quote, score=0.5)


def test_score_item_separates_answer_cited_and_context():
    item = QuestionItem("q1", "How long is the grace period?", "visa", must=("60[- ]days?", "I-94"))
    answer = Answer(answer="You have up to 60 days [1].", declined=False,
                    citations=[_citation("Up to 60 days or until the I-94 ends, whichever is first.")],
                    context=["A passage about the I-94 record."])
    result = score_item(item, answer)
    assert not result.in_answer and result.missing_answer == ["I-94"]
    assert result.in_cited and result.in_context and result.missing_cited == []
    assert result.words == 6  # the [n] marker is not a word of the answer
    uncited = score_item(item, Answer(answer="Up to 60 days.", declined=False, context=["The I-94 rules."]))
    assert not uncited.in_cited and uncited.in_context


def test_declines_and_wrongful_declines_are_counted_per_area():
    items = [QuestionItem("a", "visa q", "visa", must=("x",)), QuestionItem("b", "visa q2", "visa", must=("x",)),
             QuestionItem("c", "recipe", "offtopic", decline=True), QuestionItem("d", "poem", "offtopic", decline=True)]
    replies = {"visa q": Answer("x marks it [1]", False, [_citation("x")]), "visa q2": Answer("no sources", True),
               "recipe": Answer("outside what I can help with", True), "poem": Answer("a poem", False)}
    report = QuestionEvaluator(lambda q: replies[q]).run(items)
    overall = report.overall
    assert (overall.items, overall.in_scope, overall.in_cited) == (4, 2, 0.5)
    assert (overall.declines, overall.decline_items, overall.wrongful_declines) == (1, 2, 1)
    by_area = {g.name: g for g in report.groups}
    assert by_area["visa"].wrongful_declines == 1 and by_area["offtopic"].declines == 1
    assert [r.id for r in report.misses()] == ["b", "d"]


def test_select_makes_folds_by_source_kind():
    items = [QuestionItem("a", "q", source_kind="attorney FAQ (Firm A)"), QuestionItem("b", "q", source_kind="forum")]
    assert [i.id for i in select(items, source_pattern="firm a")] == ["a"]
    assert [i.id for i in select(items, exclude_source_pattern="firm a")] == ["b"]


def test_eval_questions_cli_json_and_table(settings_factory, corpus, tmp_path, monkeypatch, capsys):
    from visapath.cli import common, main

    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    monkeypatch.setattr(common, "_assistant", a)
    path = tmp_path / "q.jsonl"
    rows = [
        {"id": "t1", "question": "Which form is the STEM OPT training plan?", "area": "visa", "decline": False,
         "must": ["I-983"], "source_kind": "written for this test"},
        {"id": "t2", "question": "Can I start at the new employer before the H-1B transfer is approved?",
         "area": "visa", "decline": False, "must": ["non-frivolous", "zebra-fact"], "source_kind": "test"},
        {"id": "t3", "question": "What is a good recipe for lasagna?", "area": "offtopic", "decline": True,
         "must": [], "source_kind": "test"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["eval", "questions", "--file", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    overall = data["groups"][0]
    assert overall["name"] == "overall" and overall["in_scope"] == 2 and overall["in_cited"] == 0.5
    assert overall["declines"] == 1 and overall["wrongful_declines"] == 0
    assert [m["id"] for m in data["misses"]] == ["t2"] and data["misses"][0]["missing_cited"] == ["zebra-fact"]

    assert main(["eval", "questions", "--file", str(path)]) == 0
    table = capsys.readouterr().out
    assert "overall" in table and "t2 [visa]" in table and "zebra-fact" in table
    assert main(["eval", "questions", "--file", str(tmp_path / "absent.jsonl")]) == 2


def test_load_items_reports_the_bad_line(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "q"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        load_items(path)


# Floors on the development questions (they were used for choices: this guards against
# regressions, it is not evidence of quality on unseen questions).
DEV_FLOOR_CITED = 0.88  # measured 0.939 (tuning 0.981, unseen 0.903)
DEV_FLOOR_ANSWER = 0.75  # measured 0.825: the facts in the answer text itself
DEV_MAX_WRONGFUL = 0.05  # measured 0/114
DEV_MIN_DECLINES = 18  # of 20 off-topic items; measured 18


@pytest.mark.skipif(not DEV_QUESTIONS.exists(), reason="development questions (../shared) not present")
def test_dev_questions_meet_the_floor(kb_assistant):
    items = load_items(DEV_QUESTIONS)
    overall = QuestionEvaluator(lambda q: kb_assistant.grounded.answer(q, kb_assistant.chat_scope())).run(items).overall
    assert overall.in_cited >= DEV_FLOOR_CITED, overall
    assert overall.in_answer >= DEV_FLOOR_ANSWER, overall
    assert overall.wrongful_rate <= DEV_MAX_WRONGFUL, overall
    assert overall.declines >= DEV_MIN_DECLINES, overall
