"""Retrieval and the grounded answerer on real indexes, plus the `ask` CLI contract."""

from __future__ import annotations

import io
import json
import re

import pytest

from visapath.retrieval import Scope, as_langchain_retriever
from visapath.service import Assistant

FORM_CODES = ["I-129", "I-140", "I-485", "I-539", "I-765", "I-797", "I-907", "I-983", "I-20", "I-94",
              "I-290B", "I-824", "ETA-9035", "ETA-9089", "ETA-9141", "G-28", "DS-160", "DS-2019", "I-131", "I-130"]


@pytest.fixture
def forms_assistant(settings_factory, tmp_path) -> Assistant:
    """Twenty near-identical passages that differ only in a form code: embeddings blur the codes."""
    kb = tmp_path / "forms"
    kb.mkdir()
    body = "".join(f"## Checklist item {i + 1}\nKeep a signed copy of form {code} with your records and bring it "
                   "to any interview.\n\n" for i, code in enumerate(FORM_CODES))
    (kb / "checklist.md").write_text(f"---\ntitle: Filing checklist\nsources: []\nlast_reviewed: 2026-11\n---\n{body}")
    a = Assistant(settings_factory(knowledge_dir=kb))
    a.ingest([kb])
    return a


def test_hybrid_finds_exact_form_codes_that_vector_search_misses(forms_assistant):
    def top_has_code(code: str, mode: str) -> bool:
        hits = forms_assistant.retriever.search(f"Do I need to keep form {code}?", k=3, mode=mode)
        return re.search(rf"form {re.escape(code)} ", hits[0].chunk.text) is not None

    assert not top_has_code("I-983", "vector")
    assert top_has_code("I-983", "hybrid")
    assert all(top_has_code(code, "hybrid") for code in FORM_CODES)
    assert sum(top_has_code(code, "vector") for code in FORM_CODES) < len(FORM_CODES)


def test_answer_sentences_cite_verbatim_passages(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    answer = a.ask("Can I start working for a new company before my H-1B transfer is approved?")
    assert not answer.declined
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert markers and {c.n for c in answer.citations} == set(markers)
    sources = {c.id: c for c in a.store.all_chunks()}
    for citation in answer.citations:
        assert sources[citation.chunk_id].text == citation.quote
    # every answer sentence is verbatim text of the passage it cites
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]\s*", answer.answer):
        quote = next(c.quote for c in answer.citations if c.n == int(n))
        assert sentence.strip() in quote
    assert "non-frivolous petition" in answer.answer
    assert answer.citations[0].source == "visas/h1b-transfer.md"
    assert answer.citations[0].section == "When can work for the new employer begin?"


def test_heading_vectors_are_cached_and_answers_are_stable(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    cache = a.grounded.sentences
    question = "Can I start working for a new company before my H-1B transfer is approved?"
    first = a.ask(question)
    cached = len(cache._vectors)
    assert not first.declined and cached >= 1  # the headings it compared the question with
    assert a.ask(question).answer == first.answer and len(cache._vectors) == cached  # nothing embedded again


def test_declines_below_relevance_floor_and_off_topic(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    off_topic = a.ask("What is a good recipe for lasagna?")
    assert off_topic.declined and not off_topic.citations
    assert "outside what I can help with" in off_topic.answer
    # investor immigration is outside what the assistant covers, even though it is about visas
    investor = a.ask("How long does the EB-5 investor green card take for a regional center?")
    assert investor.declined and not investor.citations and "outside what I can help with" in investor.answer
    question = "How does the PERM labor certification audit work for a green card?"
    uncovered = a.ask(question)
    assert uncovered.declined and not uncovered.citations
    assert "can't answer that from the sources" in uncovered.answer
    # the refusal comes from the floor: nothing retrieved comes near it
    hits = a.retriever.search(question)
    assert max(h.score for h in hits) < a.settings.answer_nearest_floor


def test_scope_filters_postings_by_owner(settings_factory, corpus):
    from ingest.loaders import load_text

    alice = Assistant(settings_factory(knowledge_dir=corpus, user="alice"))
    alice.ingest([corpus])
    alice.explain(load_text("Zephyrion Labs is hiring a vision engineer. We sponsor H-1B visas.", owner="alice",
                            source="z.txt"), save=True)
    bob = Assistant(settings_factory(knowledge_dir=corpus, user="bob"))
    q = "Does Zephyrion Labs sponsor H-1B visas?"
    alice_hits = alice.retriever.search(q, scope=alice.chat_scope())
    bob_hits = bob.retriever.search(q, scope=bob.chat_scope())
    assert any(h.chunk.kind == "posting" and h.chunk.owner == "alice" for h in alice_hits)
    assert not any(h.chunk.kind == "posting" for h in bob_hits)
    guidance_only = alice.retriever.search(q, scope=Scope(kinds=("guidance",)))
    assert all(h.chunk.kind == "guidance" for h in guidance_only)


def test_vector_ranking_of_a_narrow_scope_falls_back_to_chromas_filter(settings_factory, corpus):
    """Unfiltered neighbours are over-fetched and filtered locally; when the scope is a small
    slice of the index (one posting among guidance), Chroma's own filter must still find it."""
    from ingest.loaders import load_text

    (corpus / "visas" / "more.md").write_text(
        "---\ntitle: More\nsources: []\nlast_reviewed: 2026-11\n---\n"
        + "".join(f"## Question {i}\nDetail {i} about visa paperwork and filing fees.\n\n" for i in range(6)))
    a = Assistant(settings_factory(knowledge_dir=corpus, user="alice", candidate_pool=1))
    a.ingest([corpus])
    a.explain(load_text("Quillmark Robotics hires perception engineers and sponsors H-1B visas.", owner="alice",
                        source="q.txt"), save=True)
    lexical = a.retriever.lexical()
    assert len(lexical.chunks) > 4  # so the over-fetch (pool * 4) cannot see every chunk
    query = a.embedder.embed_one("What is Form I-983 for STEM OPT training plans?")
    ranked = a.retriever._vector_ranked(lexical, query, 1, Scope(kinds=("posting",), owner="alice"))
    found = [lexical.chunks[lexical.position[i]] for i, _ in ranked]
    assert [(c.kind, c.owner) for c in found] == [("posting", "alice")] and "Quillmark" in found[0].text
    unscoped = a.retriever._vector_ranked(lexical, query, 1, Scope())
    assert lexical.chunks[lexical.position[unscoped[0][0]]].source == "visas/stem-opt.md"


def test_langchain_retriever_returns_documents(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    docs = as_langchain_retriever(a.retriever, k=2).invoke("What is Form I-983?")
    assert len(docs) == 2
    assert "I-983" in docs[0].page_content
    assert docs[0].metadata["source"] == "visas/stem-opt.md" and docs[0].metadata["score"] > 0


def test_bm25_cache_rebuilds_only_when_collection_changes(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    first = a.retriever.lexical()
    assert a.retriever.lexical() is first
    a.ingest([corpus])  # unchanged: no write, same cache
    assert a.retriever.lexical() is first
    (corpus / "visas" / "tn.md").write_text("---\ntitle: TN\nsources: []\nlast_reviewed: 2026-11\n---\n"
                                            "## Who can use TN?\nCanadian and Mexican professionals can work in TN status.\n")
    a.ingest([corpus])
    rebuilt = a.retriever.lexical()
    assert rebuilt is not first and len(rebuilt.chunks) == len(first.chunks) + 1


def test_ask_cli_json_schema_and_batch(settings_factory, corpus, monkeypatch, capsys):
    from visapath.cli import common, main

    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    monkeypatch.setattr(common, "_assistant", a)
    assert main(["ask", "--json", "What form is the STEM OPT training plan?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"answer", "declined", "citations", "backend", "citation_precision"}
    assert data["backend"] == "grounded" and data["citation_precision"] == 1.0
    assert data["declined"] is False and isinstance(data["answer"], str)
    for c in data["citations"]:
        assert set(c) == {"n", "source", "title", "section", "page", "quote", "score", "kind"}
        assert c["kind"] == "guidance"
        assert isinstance(c["n"], int) and isinstance(c["score"], float)
        assert c["page"] is None or isinstance(c["page"], int)
    assert {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])} == {c["n"] for c in data["citations"]}
    assert "I-983" in data["answer"]

    monkeypatch.setattr("sys.stdin", io.StringIO("What form is the STEM OPT training plan?\n\nbest pizza in town?\n"))
    assert main(["ask", "--batch", "-"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    assert lines[0]["declined"] is False and lines[1]["declined"] is True
    # batch lines carry the same fields as --json
    assert all(set(line) == set(data) for line in lines)
    assert lines[0]["backend"] == "grounded" and lines[0]["citation_precision"] == 1.0
    assert all(c["kind"] == "guidance" for c in lines[0]["citations"])
