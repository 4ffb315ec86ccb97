"""Generative answers: retrieval -> prompt -> chat model -> citation verification -> fallback.

The model only ever sees passages above the relevance floor, numbered [1]..[n] and wrapped as
data; sentences the injection detector flags are marked inside their passage as quoted text
addressed to an AI, and the verifier never counts them as support. Below the floor the grounded
refusal is returned without a model call. The model's answer is streamed sentence by sentence:
each sentence is verified (`visapath.verify`) before it is released, so a sentence verification
removes never reaches the screen (`visapath.sentence_stream`). Dropped sentences are counted,
and when nothing verifiable remains, or the endpoint fails, the grounded answer is returned with
a visible notice. Never a traceback, never a silent empty answer.

`Responder` wraps one turn of a conversation around either answerer: follow-up rewriting,
carried passages, persistence and the exchange log.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from visapath.answer import GroundedAnswerer, Plan, to_citation
from visapath.config import Settings
from visapath.conversations import ConversationStore, Exchange
from visapath.followup import carry_over, rewrite
from visapath.models import Answer, Hit
from visapath.prompts import render
from visapath.retrieval import Scope
from visapath.sentence_stream import VerifiedSentences
from visapath.text import Span, split_sentences
from visapath.injection import planted_sentences
from visapath.verify import Verification, Verifier

if TYPE_CHECKING:  # langchain is imported only when a model is configured (cold start of grounded answers)
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

ERROR_CHARS = 160
QUOTED = "quoted-instruction"  # the tag around planted sentences inside a source (see prompts/answer)
_WRAPPER_TAG = re.compile(rf"<\s*/?\s*(?:source|{QUOTED})", re.IGNORECASE)


@dataclass
class StreamEvent:
    """A text delta while the answer is produced, then one final (verified) `Answer`."""

    kind: Literal["delta", "final"]
    text: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class Source:
    """A passage as the model sees it: its number, and the hit it cites."""

    n: int
    hit: Hit
    flagged: bool  # contains text addressed to an AI (a planted instruction), quoted in `text`

    @property
    def text(self) -> str:
        return quote_planted(self.hit.chunk.text)

    @property
    def kind(self) -> str:
        return self.hit.chunk.kind

    @property
    def title(self) -> str:
        return _attr(self.hit.chunk.title)

    @property
    def section(self) -> str:
        return _attr(self.hit.chunk.section or "")


class GenerativeAnswerer:
    def __init__(self, settings: Settings, grounded: GroundedAnswerer, model: BaseChatModel, verifier: Verifier,
                 backend: str) -> None:
        self.settings = settings
        self.grounded = grounded
        self.model = model
        self.verifier = verifier
        self.backend = backend

    def answer(self, query: str, scope: Scope = Scope(), hits: list[Hit] | None = None) -> Answer:
        return final_answer(self.stream(query, scope, hits))

    def stream(self, query: str, scope: Scope = Scope(), hits: list[Hit] | None = None,
               repeated: frozenset[str] = frozenset()) -> Iterator[StreamEvent]:
        # The same question handling as the grounded answer: each ask of a compound question
        # retrieved on its own, the topic gate, saved postings for asks about them.
        plan = self.grounded.plan(query, scope, hits)
        plan.repeated = repeated
        passing = [] if plan.declined else self.grounded.context_hits(plan)
        if not passing:  # an empty context never reaches the model
            declined = self.grounded.decline(query, scope, plan.retrieved, off_topic=plan.off_topic)
            yield StreamEvent("delta", declined.answer)
            yield StreamEvent("final", answer=declined)
            return
        sources = number_sources(passing)
        asks = [p.text for p in plan.analysis.parts] if plan.analysis.compound else []
        released = VerifiedSentences(self.verifier, {s.n: s.hit.chunk.text for s in sources})
        try:
            for chunk in self.model.stream(self.messages(query, sources, asks)):
                text = released.feed(_chunk_text(chunk))
                if text:  # only whole sentences the verifier kept are ever shown
                    yield StreamEvent("delta", text)
            text = released.close()
        except Exception as exc:  # noqa: BLE001 - every backend failure becomes the grounded fallback
            notice = render("answer/notices/llm_unavailable.txt", root=self.settings.prompts_dir,
                            backend=self.backend, error=_short(exc))
            yield StreamEvent("final", answer=self.fallback(plan, notice))
            return
        if text:
            yield StreamEvent("delta", text)
        yield StreamEvent("final", answer=self.finish(query, released.raw, released.verification, sources, plan))

    def messages(self, query: str, sources: list[Source], asks: list[str] = ()) -> list[BaseMessage]:
        """System rules and the numbered sources; a compound question's asks listed, to answer in order."""
        root = self.settings.prompts_dir
        not_covered = render("answer/notices/not_covered.txt", root=root)
        system = render("answer/system.txt", root=root, not_covered=not_covered,
                        max_sentences=self.settings.answer_max_sentences + 2 * max(len(asks), 1))
        user = render("answer/user.txt", root=root, sources=sources, question=query, asks=list(asks))
        from langchain_core.messages import HumanMessage, SystemMessage

        return [SystemMessage(system), HumanMessage(user)]

    def finish(self, query: str, raw: str, verification: Verification, sources: list[Source],
               plan: Plan) -> Answer:
        """Keep the verified sentences of the model's text, or fall back to the grounded answer."""
        root = self.settings.prompts_dir
        if not raw.strip():
            notice = render("answer/notices/llm_unavailable.txt", root=root, backend=self.backend,
                            error="it returned an empty answer")
            return self.fallback(plan, notice)
        if not verification.kept:
            if _says_not_covered(raw, render("answer/notices/not_covered.txt", root=root)):
                notice = render("answer/notices/model_not_covered.txt", root=root)
            else:
                notice = render("answer/notices/unverified.txt", root=root, dropped=len(verification.dropped),
                                total=len(verification.checks))
            return self.fallback(plan, notice)
        return self.verified_answer(query, verification, sources)

    def verified_answer(self, query: str, verification: Verification, sources: list[Source]) -> Answer:
        by_n = {s.n: s for s in sources}
        citations = [to_citation(by_n[n].hit, n) for n in sorted(verification.cited_numbers)]
        notice = None
        if verification.dropped:
            notice = render("answer/notices/dropped.txt", root=self.settings.prompts_dir,
                            dropped=len(verification.dropped))
        return Answer(answer=verification.answer, declined=False, citations=citations, backend=self.backend,
                      citation_precision=verification.citation_precision, notice=notice, query=query)

    def fallback(self, plan: Plan, notice: str) -> Answer:
        """The grounded answer to the same plan; every sentence is verbatim, so precision is 1.0."""
        return replace(self.grounded.compose_plan(plan), backend="grounded", citation_precision=1.0, notice=notice)


def number_sources(hits: list[Hit]) -> list[Source]:
    return [Source(n, hit, bool(_planted(hit.chunk.text)[1])) for n, hit in enumerate(hits, start=1)]


def quote_planted(text: str) -> str:
    """Passage text for the prompt: each planted sentence wrapped in <quoted-instruction> tags, so
    the model reads it as quoted data; the passage cannot open or close a wrapper of its own."""
    spans, planted = _planted(text)
    out, position = [], 0
    for i in sorted(planted):
        span = spans[i]
        out += [_as_data(text[position:span.start]), f"<{QUOTED}>", _as_data(span.text), f"</{QUOTED}>"]
        position = span.end
    return "".join(out) + _as_data(text[position:])


def _planted(text: str) -> tuple[list[Span], set[int]]:
    spans = split_sentences(text)
    return spans, planted_sentences(text, spans)


def final_answer(events: Iterator[StreamEvent]) -> Answer:
    """Drain a stream and return its final answer."""
    answer = None
    for event in events:
        if event.kind == "final":
            answer = event.answer
    if answer is None:  # pragma: no cover - every stream ends with a final event
        raise RuntimeError("answer stream ended without a final answer")
    return answer


class Responder:
    """One conversational turn: rewrite -> retrieve (+ carried passages) -> answer -> persist and log."""

    def __init__(self, settings: Settings, grounded: GroundedAnswerer, generator: GenerativeAnswerer | None,
                 conversations: ConversationStore, model_label: str | None = None,
                 config_notice: str | None = None,
                 data_answerer: Callable[[str], Answer | None] | None = None) -> None:
        self.settings = settings
        self.data_answerer = data_answerer  # questions the imported filing data answers (kind `data`)
        self.grounded = grounded
        self.generator = generator
        self.conversations = conversations
        self.model_label = model_label
        self.config_notice = config_notice  # the configured backend could not be built

    def stream(self, question: str, scope: Scope, conversation_id: str | None = None) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        questions, queries, carried_ids = (self.conversations.history(conversation_id) if conversation_id
                                           else ([], [], []))
        model = self.generator.model if self.generator else None
        turn = rewrite(question, queries, questions, model=model, prompts_dir=self.settings.prompts_dir)
        answer: Answer | None = self._data_answer(question, turn.query)
        data_notice = None
        if answer is not None and answer.declined:  # e.g. no filings under that name: a notice, not the answer
            data_notice, answer = answer.answer.replace(" [1]", ""), None
        if answer is not None:
            yield StreamEvent("delta", answer.answer)
        else:
            # A follow-up about something new ("what about cap-exempt jobs?") is answered for its own
            # subject: the last answer's passages are neither carried in nor allowed to lead again.
            repeated = frozenset(carried_ids) if turn.new_terms else frozenset()
            hits = self.grounded.retrieve(turn.query, scope)
            hits = carry_over(self.settings, self.grounded.retriever, turn.query, hits,
                              [] if repeated else carried_ids, scope)
            for event in self._answer_events(turn.query, scope, hits, repeated):
                if event.kind == "final":
                    answer = event.answer
                else:
                    yield event
        assert answer is not None
        answer = replace(answer, query=turn.query)
        if data_notice:
            answer = replace(answer, notice=f"{answer.notice} {data_notice}" if answer.notice else data_notice)
        if self.config_notice and not answer.notice:
            answer = replace(answer, notice=self.config_notice)
        answer = self._record(question, answer, turn.method, conversation_id, started)
        yield StreamEvent("final", answer=answer)

    def _data_answer(self, question: str, query: str) -> Answer | None:
        if self.data_answerer is None:
            return None
        for text in dict.fromkeys((question, query)):
            found = self.data_answerer(text)
            if found is not None:
                return found
        return None

    def _answer_events(self, query: str, scope: Scope, hits: list[Hit],
                       repeated: frozenset[str] = frozenset()) -> Iterator[StreamEvent]:
        if self.generator is not None:
            yield from self.generator.stream(query, scope, hits, repeated)
            return
        answer = self.grounded.answer(query, scope, hits, repeated)
        if not answer.declined:
            answer = replace(answer, backend="grounded", citation_precision=1.0)
        yield StreamEvent("delta", answer.answer)
        yield StreamEvent("final", answer=answer)

    def _record(self, question: str, answer: Answer, method: str, conversation_id: str | None,
                started: float) -> Answer:
        """Persist the turn and log the exchange; a storage failure costs a notice, not the answer."""
        try:
            if conversation_id:
                self.conversations.append_turn(conversation_id, question, answer)
            model = self.model_label if answer.backend != "grounded" else None
            self.conversations.log(Exchange(question, answer, model, int((time.perf_counter() - started) * 1000),
                                            method, conversation_id))
        except sqlite3.Error as exc:
            note = f"This answer could not be saved ({_short(exc)})."
            return replace(answer, notice=f"{answer.notice} {note}" if answer.notice else note)
        return answer


def _chunk_text(chunk: BaseMessage) -> str:
    content = chunk.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _as_data(text: str) -> str:
    """Source text cannot close or open its own <source> or <quoted-instruction> wrapper."""
    return _WRAPPER_TAG.sub(lambda m: "&lt;" + m.group(0)[1:], text)


def _attr(text: str) -> str:
    return " ".join(text.replace('"', "'").replace("<", "&lt;").split())


def _says_not_covered(raw: str, sentence: str) -> bool:
    squash = lambda s: " ".join(s.lower().replace("’", "'").split()).strip(" .")  # noqa: E731
    return squash(sentence) in squash(raw)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    name = exc.__class__.__name__
    text = text if text.startswith(name) else f"{name}: {text}"
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"
