"""Retrieval quality on the development question set: recall@1, recall@5 and MRR per mode.

A question is answered by one (document, section). A hit counts when the retrieved chunk is
from that document and that section (or a subsection of it), so long sections split into
several chunks still count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from visapath.answer import GroundedAnswerer
from visapath.retrieval import Retriever, Scope

MODES = ("hybrid", "vector", "bm25")
GUIDANCE = Scope(kinds=("guidance",))


@dataclass(frozen=True)
class Question:
    q: str
    doc: str
    section: str


@dataclass
class ModeScores:
    mode: str
    recall_at_1: float
    recall_at_5: float
    mrr: float
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # question, expected, got


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(str(d["q"]), str(d["doc"]), str(d["section"])) for d in data]


def _matches(question: Question, source: str, section: str | None) -> bool:
    section = section or ""
    return source == question.doc and (section == question.section or section.startswith(question.section + " > "))


def evaluate(retriever: Retriever, questions: list[Question], modes: tuple[str, ...] = MODES,
             depth: int = 10) -> list[ModeScores]:
    results = []
    for mode in modes:
        r1 = r5 = rr = 0.0
        misses = []
        for question in questions:
            hits = retriever.search(question.q, k=depth, scope=GUIDANCE, mode=mode)
            rank = next((i + 1 for i, h in enumerate(hits) if _matches(question, h.chunk.source, h.chunk.section)), None)
            if rank:
                r1 += rank == 1
                r5 += rank <= 5
                rr += 1.0 / rank
            if rank != 1:
                got = f"{hits[0].chunk.source} :: {hits[0].chunk.section}" if hits else "(nothing)"
                misses.append((question.q, f"{question.doc} :: {question.section}", got))
        n = max(len(questions), 1)
        results.append(ModeScores(mode, r1 / n, r5 / n, rr / n, misses))
    return results


@dataclass(frozen=True)
class AnswerScores:
    """Does the grounded answer cite the section that answers the question, first or at all?"""

    lead: float
    cited: float
    declined: float


def evaluate_answers(answerer: GroundedAnswerer, questions: list[Question]) -> AnswerScores:
    lead = cited = declined = 0
    for question in questions:
        answer = answerer.answer(question.q, GUIDANCE)
        declined += answer.declined
        hits = [_matches(question, c.source, c.section) for c in answer.citations]
        lead += bool(hits and hits[0])
        cited += any(hits)
    n = max(len(questions), 1)
    return AnswerScores(lead / n, cited / n, declined / n)


def format_answer_scores(scores: AnswerScores) -> str:
    return (f"grounded answer: first citation is the labeled section {scores.lead:.3f}; "
            f"any citation {scores.cited:.3f}; declined {scores.declined:.3f}")


def format_scores(scores: list[ModeScores], n_questions: int, show_misses: bool = False) -> str:
    lines = [f"Retrieval on {n_questions} development questions", "",
             f"{'mode':<8} {'recall@1':>9} {'recall@5':>9} {'MRR':>7}", "-" * 36]
    lines += [f"{s.mode:<8} {s.recall_at_1:>9.3f} {s.recall_at_5:>9.3f} {s.mrr:>7.3f}" for s in scores]
    if show_misses:
        for s in scores:
            lines += ["", f"{s.mode}: not at rank 1 ({len(s.misses)})"]
            lines += [f"  Q: {q}\n     want {want}\n     got  {got}" for q, want, got in s.misses]
    return "\n".join(lines)
