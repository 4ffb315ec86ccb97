"""A real HTTP round trip through the `openai` backend (langchain-openai's ChatOpenAI) against an
OpenAI-compatible server started on loopback, including `stream: true` SSE; and a dead endpoint."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest

from tests.openai_stub import StubServer, cite_first_sentence, sources_in
from visapath.service import Assistant

QUESTION = "How many unemployment days are allowed on STEM OPT?"


def reply(request: dict[str, Any]) -> str:
    """Rewrite requests get a standalone question; answer requests the default canned answer."""
    system = str(request["messages"][0]["content"])
    if "rewrite a follow-up" in system:
        return "How does the H-1B master's cap work?"
    return cite_first_sentence(request)


@pytest.fixture(scope="module")
def server():
    with StubServer(reply=reply) as stub:
        yield stub


@pytest.fixture
def llm(kb_assistant, server) -> Assistant:
    """The knowledge-base assistant's settings with the openai backend pointed at the stub."""
    server.requests.clear()
    server.reply = reply
    return Assistant(kb_assistant.settings.model_copy(
        update={"llm_backend": "openai", "llm_base_url": server.base_url, "llm_model": "stub-model"}))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamed_answer_carries_the_sources_and_is_verified(llm, server):
    events = list(llm.ask_stream(QUESTION))
    deltas = [e.text for e in events if e.kind == "delta"]
    answer = events[-1].answer

    assert len(server.requests) == 1
    request = server.requests[0]
    assert request["stream"] is True and request["model"] == "stub-model"
    assert request["messages"][0]["role"] == "system" and "data, not instructions" in request["messages"][0]["content"]
    sent = sources_in(request)
    assert len(sent) >= 1 and QUESTION in request["messages"][1]["content"]

    canned = cite_first_sentence(request)
    assert deltas == [canned]  # many SSE chunks, released as one sentence once it was whole and verified
    assert answer.backend == "openai" and answer.citation_precision == 1.0 and answer.notice is None
    assert answer.answer == canned
    assert [c.n for c in answer.citations] == [1]
    assert answer.citations[0].quote.strip() == sent[1].strip()  # the cited passage is the one that was sent
    assert "150 days" in sent[1]  # the passage ranked first answers the question asked


def test_unsupported_sentences_and_bad_citations_from_the_server_are_removed(llm, server):
    server.reply = lambda req: (f"{cite_first_sentence(req)} Employers must pay a $5,000 fee to each OPT "
                                "student [1]. See also the official handbook [7].")
    answer = llm.ask(QUESTION)
    assert answer.backend == "openai"
    assert "$5,000" not in answer.answer and "[7]" not in answer.answer and "handbook" not in answer.answer
    assert answer.citation_precision == 0.5  # two cited sentences, one verified ([7] was not a source)
    assert "2 sentences" in answer.notice


def test_closed_port_falls_back_to_the_grounded_answer(kb_assistant):
    a = Assistant(kb_assistant.settings.model_copy(
        update={"llm_backend": "openai", "llm_base_url": f"http://127.0.0.1:{closed_port()}/v1", "llm_model": "m"}))
    answer = a.ask(QUESTION)
    assert not answer.declined and answer.answer and answer.citations
    assert answer.backend == "grounded" and answer.citation_precision == 1.0
    assert "could not be used" in answer.notice and "Connection" in answer.notice


def test_follow_up_is_rewritten_by_the_model(llm, server):
    conv = llm.conversations.create()
    first = llm.ask("How does the H-1B lottery work?", conversation_id=conv.id)
    second = llm.ask("what about for a master's?", conversation_id=conv.id)
    rewrite = [r for r in server.requests if "rewrite a follow-up" in r["messages"][0]["content"]]
    assert len(rewrite) == 1 and not rewrite[0].get("stream")  # one plain (non-SSE) completion
    assert "How does the H-1B lottery work?" in rewrite[0]["messages"][1]["content"]
    assert second.query == "How does the H-1B master's cap work?"
    assert first.backend == second.backend == "openai"
    assert "master" in second.answer.lower()
    logged = llm.conversations.responses(2)
    assert logged[0]["rewrite_method"] == "model" and logged[0]["model"] == "stub-model"
    assert logged[0]["backend"] == "openai" and logged[0]["duration_ms"] >= 0


def test_cli_streams_and_reports_backend_and_precision(llm, server, monkeypatch, capsys):
    from visapath.cli import common, main

    monkeypatch.setattr(common, "_assistant", llm)
    assert main(["ask", "--json", "--stream", QUESTION]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data["backend"] == "openai" and data["citation_precision"] == 1.0
    assert {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])} == {c["n"] for c in data["citations"]}
    assert data["answer"] in out.err  # the deltas went to stderr as they arrived

    assert main(["ask", "--stream", QUESTION]) == 0
    shown = capsys.readouterr().out
    assert data["answer"] in shown and "Verified answer" not in shown and "Sources:" in shown

    server.reply = lambda req: f"{cite_first_sentence(req)} Every student also gets free housing [1]."
    assert main(["ask", "--stream", QUESTION]) == 0
    shown = capsys.readouterr().out
    assert "free housing" not in shown  # verified sentence by sentence: the unsupported one is never printed
    assert data["answer"] in shown and "Verified answer" not in shown and "Note: 1 sentence" in shown


def test_cli_rejects_an_unknown_conversation(llm, monkeypatch, capsys):
    from visapath.cli import common, main

    monkeypatch.setattr(common, "_assistant", llm)
    assert main(["ask", "--conversation", "no-such-id", QUESTION]) == 2
    err = capsys.readouterr().err
    assert "no conversation 'no-such-id'" in err and "Traceback" not in err


def test_info_shows_the_active_backend(llm, server):
    info = llm.info()
    assert info["llm_backend"] == "openai" and info["llm"] == f"openai: stub-model at {server.base_url}"
