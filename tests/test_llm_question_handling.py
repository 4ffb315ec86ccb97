"""The model path gets the grounded path's question handling: per-ask retrieval for compound
questions, the topic gate, saved postings as sources. A fake chat model stands in for the LLM,
since these tests are about our code around it; index, encoder and verifier are real."""

from __future__ import annotations

from ingest.loaders import load_text
from visapath.generate import GenerativeAnswerer
from visapath.retrieval import Scope
from visapath.service import Assistant
from visapath.verify import Verifier

from tests.test_llm import fake

GUIDANCE = Scope(kinds=("guidance",))
COMPOUND = "Does a transfer go through the lottery again, and which form is the STEM OPT training plan?"


def generator(a: Assistant, model) -> GenerativeAnswerer:
    return GenerativeAnswerer(a.settings, a.grounded, model, Verifier(a.embedder, cache=a.grounded.sentences), "fake")


def source_number(prompt: str, phrase: str) -> int:
    """The id of the <source> block holding `phrase` in the prompt."""
    head = prompt[: prompt.index(phrase)]
    return int(head[head.rindex('<source id="') + len('<source id="'):].split('"')[0])


def test_each_ask_of_a_compound_question_reaches_the_model(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    probe = fake("unused")
    list(generator(a, probe).stream(COMPOUND, GUIDANCE))
    user = probe.prompts[0][1].content
    lottery = source_number(user, "Someone already counted against the cap")
    form = source_number(user, "complete Form I-983")
    assert "1. Does a transfer go through the lottery again" in user
    assert "2. which form is the STEM OPT training plan?" in user

    reply = (f"Someone already counted against the cap is not selected again when changing employers [{lottery}]. "
             f"The student and the employer complete Form I-983, a training plan that lists learning goals [{form}].")
    answer = generator(a, fake(reply)).answer(COMPOUND, GUIDANCE)
    assert answer.backend == "fake" and answer.citation_precision == 1.0
    assert {c.source for c in answer.citations} == {"visas/h1b-transfer.md", "visas/stem-opt.md"}


def test_a_failing_model_falls_back_to_the_grounded_answer_of_every_part(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    answer = generator(a, fake("x" * 40, error_on_chunk_number=1)).answer(COMPOUND, GUIDANCE)
    assert answer.backend == "grounded" and answer.notice
    assert answer.answer == a.grounded.answer(COMPOUND, GUIDANCE).answer  # both parts, as the grounded path


def test_the_topic_gate_declines_before_the_model_is_called(kb_assistant):
    question = "How do I renew my green card that expires next month?"
    plan = kb_assistant.grounded.plan(question, GUIDANCE)
    assert plan.off_topic and any(plan.per_part)  # a passage clears the floor, yet it is out of scope
    model = fake("Renew with Form I-90 [1].")
    answer = generator(kb_assistant, model).answer(question, GUIDANCE)
    assert answer.declined and model.prompts == []
    assert answer.answer == kb_assistant.grounded.answer(question, GUIDANCE).answer


def test_a_question_about_a_saved_posting_sends_the_posting_sentence(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus, user="ana"))
    a.ingest([corpus])
    a.explain(load_text("Brightloop is hiring an ML engineer in Austin.\n\nBrightloop sponsors H-1B visas for this role.",
                        owner="ana", source="b.txt"), save=True)
    probe = fake("unused")
    question = "Does the Brightloop posting sponsor H-1B?"
    list(generator(a, probe).stream(question, a.chat_scope()))
    user = probe.prompts[0][1].content
    n = source_number(user, "Brightloop sponsors H-1B visas for this role.")
    assert f'<source id="{n}" kind="posting"' in user
    answer = generator(a, fake(f"Brightloop sponsors H-1B visas for this role [{n}].")).answer(question, a.chat_scope())
    assert answer.backend == "fake" and [c.kind for c in answer.citations] == ["posting"]
