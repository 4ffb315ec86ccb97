"""'What this means for you': status-aware notes on a posting, each backed by a guidance citation.

The rules are data (`prompts/notes/rules.yaml`). A note is shown only when the guidance has a
passage above the relevance floor that supports it, so every note carries a citation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

from visapath.compose import to_citation
from visapath.models import Citation, Hit
from visapath.retrieval import Retriever, Scope

GUIDANCE = Scope(kinds=("guidance",))
_JINJA = Environment(undefined=StrictUndefined, autoescape=False)


@dataclass
class Note:
    text: str
    citations: list[Citation] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "citations": [c.to_json() for c in self.citations]}


@dataclass(frozen=True)
class Rule:
    text: str
    query: str
    conditions: dict[str, tuple[str, ...]]

    def matches(self, facts: dict[str, set[str]]) -> bool:
        for key, allowed in self.conditions.items():
            if "any" in allowed:
                continue
            if not facts.get(key, set()) & set(allowed):
                return False
        return True


@lru_cache(maxsize=4)
def load_rules(path: str) -> tuple[tuple[Rule, ...], dict[str, str]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    rules = tuple(
        Rule(text=r["text"], query=r["query"],
             conditions={k: tuple(str(x) for x in v) for k, v in r.items() if k not in ("text", "query")})
        for r in data["rules"]
    )
    return rules, dict(data.get("status_path_queries", {}))


def posting_facts(analysis: dict[str, Any], status: str) -> dict[str, set[str]]:
    """The facts rules match on, from an analysis in its JSON form."""
    return {
        "verdict": {str(analysis.get("sponsorship", {}).get("verdict", "not_mentioned"))},
        "status": {status},
        "min_degree": {str(analysis.get("min_degree"))} if analysis.get("min_degree") else set(),
        "remote": {str(analysis.get("remote"))} if analysis.get("remote") else set(),
        "flag": {str(f.get("kind")) for f in analysis.get("flags", [])},
    }


def notes_for(analysis: dict[str, Any], status: str | None, retriever: Retriever, rules_path: Path,
              floor: float) -> list[Note]:
    """Notes for this user's status; none when the status is unknown."""
    return [Note(text, [to_citation(hit, n)])
            for n, (text, hit) in enumerate(supported_notes(analysis, status, retriever, rules_path, floor), start=1)]


def supported_notes(analysis: dict[str, Any], status: str | None, retriever: Retriever, rules_path: Path,
                    floor: float) -> list[tuple[str, Hit]]:
    """Each matching rule's note with the guidance passage that supports it (chat cites it too)."""
    if not status:
        return []
    rules, path_queries = load_rules(str(rules_path))
    facts = posting_facts(analysis, status)
    notes: list[tuple[str, Hit]] = []
    for rule in (r for r in rules if r.matches(facts)):
        query = _JINJA.from_string(rule.query).render(status_path_query=path_queries.get(status, rule.text))
        hits = [h for h in retriever.search(query, k=2, scope=GUIDANCE) if h.score >= floor]
        if hits:
            notes.append((rule.text, hits[0]))
    return notes
