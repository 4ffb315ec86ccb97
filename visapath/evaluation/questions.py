"""Answer quality on real user questions: does the answer carry the facts a correct answer needs?

Each item of a questions file (JSON lines: `id`, `question`, `area`, `decline`, `must`, ...)
names the facts any correct answer contains as case-insensitive regexes. An item is covered
when *all* its patterns match. Coverage is measured three ways, because each points at a
different stage when it fails:

- in the answer text (what the user reads),
- in the answer or the passages it cites (what the user can read by following citations),
- in the retrieved context the answer was composed from (retrieval found it; composition lost it).

Items marked `decline` are off-topic requests: the assistant should decline them; an in-scope
item that is declined is a wrongful decline. The evaluator is a component: it takes any
`ask(question) -> Answer` callable, so the grounded and the LLM backends are measured alike.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from visapath.models import Answer

OVERALL = "overall"
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class QuestionItem:
    id: str
    question: str
    area: str = ""
    decline: bool = False
    must: tuple[str, ...] = ()
    compound: bool = False
    source_kind: str = ""


@dataclass
class ItemResult:
    id: str
    area: str
    decline: bool
    declined: bool
    in_answer: bool
    in_cited: bool
    in_context: bool
    words: int
    missing_answer: list[str] = field(default_factory=list)  # patterns absent from the answer
    missing_cited: list[str] = field(default_factory=list)  # ... absent from answer + cited passages
    missing_context: list[str] = field(default_factory=list)  # ... absent from the retrieved context


@dataclass
class GroupScores:
    """Figures for one group of items (all, or one area)."""

    name: str
    items: int
    in_scope: int
    in_answer: float
    in_cited: float
    in_context: float
    declines: int  # decline items that were declined
    decline_items: int
    wrongful_declines: int  # in-scope items that were declined
    median_words: float

    @property
    def wrongful_rate(self) -> float:
        return self.wrongful_declines / self.in_scope if self.in_scope else 0.0


@dataclass
class QuestionReport:
    groups: list[GroupScores]
    results: list[ItemResult]

    @property
    def overall(self) -> GroupScores:
        return self.groups[0]

    def misses(self) -> list[ItemResult]:
        """In-scope items whose facts are not all in the answer and its cited passages, and
        decline items that were answered."""
        return [r for r in self.results if (r.decline and not r.declined) or (not r.decline and not r.in_cited)]

    def to_json(self) -> dict[str, Any]:
        return {
            "groups": [{**asdict(g), "wrongful_rate": round(g.wrongful_rate, 4)} for g in self.groups],
            "misses": [asdict(r) for r in self.misses()],
            "results": [asdict(r) for r in self.results],
        }


def load_items(path: Path) -> list[QuestionItem]:
    """Read a questions file in place (JSON lines); blank lines are skipped."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        items.append(QuestionItem(id=str(d.get("id", number)), question=str(d["question"]), area=str(d.get("area", "")),
                                  decline=bool(d.get("decline", False)), must=tuple(d.get("must") or ()),
                                  compound=bool(d.get("compound", False)),
                                  source_kind=str(d.get("source_kind", ""))))
    return items


def select(items: Iterable[QuestionItem], source_pattern: str | None = None,
           exclude_source_pattern: str | None = None) -> list[QuestionItem]:
    """Items whose `source_kind` matches (or does not match) a regex: how folds are made."""
    out = []
    for item in items:
        if source_pattern and not re.search(source_pattern, item.source_kind, re.I):
            continue
        if exclude_source_pattern and re.search(exclude_source_pattern, item.source_kind, re.I):
            continue
        out.append(item)
    return out


def missing(patterns: Iterable[str], text: str) -> list[str]:
    return [p for p in patterns if not re.search(p, text, re.I)]


def answer_text(answer: Answer) -> str:
    """The answer as a reader sees it, without the `[n]` markers."""
    return _MARKER.sub("", answer.answer)


def score_item(item: QuestionItem, answer: Answer) -> ItemResult:
    text = answer_text(answer)
    cited = "\n".join([text, *(c.quote for c in answer.citations)])
    context = "\n".join([cited, *answer.context])
    miss_answer = missing(item.must, text)
    miss_cited = missing(item.must, cited)
    miss_context = missing(item.must, context)
    return ItemResult(
        id=item.id, area=item.area, decline=item.decline, declined=answer.declined,
        in_answer=not item.decline and not miss_answer, in_cited=not item.decline and not miss_cited,
        in_context=not item.decline and not miss_context, words=len(text.split()),
        missing_answer=miss_answer, missing_cited=miss_cited, missing_context=miss_context,
    )


def summarize(name: str, results: list[ItemResult]) -> GroupScores:
    scope = [r for r in results if not r.decline]
    n = len(scope)
    rate = lambda flag: sum(getattr(r, flag) for r in scope) / n if n else 0.0  # noqa: E731
    answered = [r.words for r in scope if not r.declined]
    return GroupScores(
        name=name, items=len(results), in_scope=n, in_answer=rate("in_answer"), in_cited=rate("in_cited"),
        in_context=rate("in_context"), declines=sum(r.declined for r in results if r.decline),
        decline_items=sum(r.decline for r in results), wrongful_declines=sum(r.declined for r in scope),
        median_words=float(statistics.median(answered)) if answered else 0.0,
    )


class QuestionEvaluator:
    """Runs items through an answering callable and scores them, overall and by area."""

    def __init__(self, ask: Callable[[str], Answer]) -> None:
        self.ask = ask

    def run(self, items: list[QuestionItem]) -> QuestionReport:
        results = [score_item(item, self.ask(item.question)) for item in items]
        areas = sorted({r.area for r in results})
        groups = [summarize(OVERALL, results)] + [summarize(a, [r for r in results if r.area == a]) for a in areas]
        return QuestionReport(groups, results)


def format_report(report: QuestionReport, show_misses: bool = True, title: str = "") -> str:
    head = (f"{'group':<10} {'items':>5} {'answer':>7} {'+cited':>7} {'context':>8} {'declined':>9} "
            f"{'wrongful':>9} {'median words':>13}")
    lines = [title, ""] if title else []
    lines += ["Fact coverage: share of in-scope items whose `must` facts all appear in the answer, in the answer",
              "or its cited passages, and in the retrieved context. Declined: off-topic items declined.", "",
              head, "-" * len(head)]
    for g in report.groups:
        declined = f"{g.declines}/{g.decline_items}" if g.decline_items else "-"
        wrongful = f"{g.wrongful_declines}/{g.in_scope}" if g.in_scope else "-"
        cov = (lambda x: f"{x:.3f}") if g.in_scope else (lambda x: "-")  # noqa: E731
        lines.append(f"{g.name:<10} {g.items:>5} {cov(g.in_answer):>7} {cov(g.in_cited):>7} {cov(g.in_context):>8} "
                     f"{declined:>9} {wrongful:>9} {g.median_words:>13.0f}")
    if show_misses:
        misses = report.misses()
        lines += ["", f"Misses ({len(misses)}):"]
        for r in misses:
            if r.decline:
                lines.append(f"  {r.id} [{r.area}] answered an item that should be declined")
                continue
            where = "declined" if r.declined else ("in context" if r.in_context else "not retrieved")
            lines.append(f"  {r.id} [{r.area}] {where}; missing: " + " | ".join(r.missing_cited))
    return "\n".join(lines)
