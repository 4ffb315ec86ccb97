"""The grounded answerer: an answer assembled from retrieved sentences, each one cited.

No language model is involved, so nothing can be invented: every sentence of the answer is
verbatim source text, followed by `[n]` pointing at the passage it came from. Below the
relevance floor, or for requests outside job search and work visas, it declines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from visapath.compose import (PartAnswer, Piece, about_other_class, citations_for, heading_texts, lead_units, rank,
                              section_opening, to_citation, uncovered_codes, uncovered_offices,
                              without_yes_no)
from visapath.compose import render as compose_render
from visapath.config import Settings
from visapath.embeddings import Embedder
from visapath.models import Answer, Hit
from visapath.posting_answers import PostingAnswerer, PostingAsk
from visapath.personal import (Personal, about_getting_held_status, is_personal, personal_context, sample_date,
                               section_of, when)
from visapath.profile import Profile
from visapath.prompts import render
from visapath.question import Analysis, Part, analyze
from visapath.retrieval import Retriever, Scope
from visapath.text import codes, tokenize
from visapath.timeline import TimelineRules
from visapath.workspace import PostingWorkspace


@lru_cache(maxsize=4)
def composition_data(prompts_dir: Path) -> dict:
    return yaml.safe_load((prompts_dir / "answer" / "grounded" / "composition.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def timeline_rules(prompts_dir: Path) -> TimelineRules:
    return TimelineRules.load(prompts_dir)


def render_text(settings: Settings, name: str, **values) -> str:
    return render(f"answer/grounded/{name}.txt", root=settings.prompts_dir, **values)


class TopicGate:
    """Is a request about work visas / the job search? Nearest examples from knowledge/ data."""

    def __init__(self, embedder: Embedder, path: Path, margin: float = 0.0, override: float = 1.0) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.embedder = embedder
        self.inside = embedder.embed(list(data["in_scope"]))
        self.outside = embedder.embed(list(data["out_of_scope"]))
        self.margin = margin
        self.override = override

    def closeness(self, query_vector: np.ndarray) -> float:
        """How much nearer the request is to an out-of-scope example than to any in-scope one."""
        return float(np.max(self.outside @ query_vector)) - float(np.max(self.inside @ query_vector))

    def off_topic(self, query_vector: np.ndarray, best_hit: float = 0.0) -> bool:
        """Out of scope, unless a passage matches so strongly that the guidance plainly covers it."""
        return self.closeness(query_vector) > self.margin and best_hit < self.override


class SentenceCache:
    """Sentence vectors are reused across questions: guidance passages repeat constantly."""

    def __init__(self, embedder: Embedder, limit: int = 50_000) -> None:
        self.embedder = embedder
        self.limit = limit
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def vectors(self, sentences: list[str]) -> list[np.ndarray]:
        with self._lock:
            missing = [s for s in dict.fromkeys(sentences) if s not in self._vectors]
        if missing:
            fresh = self.embedder.embed(missing)
            with self._lock:
                if len(self._vectors) + len(missing) > self.limit:
                    self._vectors.clear()
                self._vectors.update(zip(missing, fresh))
        with self._lock:
            return [self._vectors[s] if s in self._vectors else self.embedder.embed_one(s) for s in sentences]


class GroundedAnswerer:
    """Analyse the question, retrieve for each of its parts, and quote the sections that answer."""

    def __init__(self, settings: Settings, retriever: Retriever,
                 profile: Callable[[], Profile | None] | None = None,
                 postings: Callable[[], PostingWorkspace | None] | None = None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.embedder = retriever.embedder
        self.sentences = SentenceCache(self.embedder)
        self.gate = TopicGate(self.embedder, settings.topic_scope_path, settings.topic_gate_margin,
                              settings.topic_gate_override)
        self.profile = profile or (lambda: None)
        self.postings = PostingAnswerer(settings, retriever, postings or (lambda: None), self.sentences.vectors)

    def retrieve(self, query: str, scope: Scope) -> list[Hit]:
        return self.retriever.search(query, k=max(self.settings.top_k, self.settings.answer_candidates), scope=scope)

    def answer(self, query: str, scope: Scope = Scope(), hits: list[Hit] | None = None,
               repeated: frozenset[str] = frozenset()) -> Answer:
        """`repeated`: passages the previous turn quoted, for a follow-up that asks about something new."""
        plan = self.plan(query, scope, hits)
        plan.repeated = repeated
        if plan.declined:
            return self.decline(query, scope, plan.retrieved, off_topic=plan.off_topic)
        return self.compose_plan(plan)

    def plan(self, query: str, scope: Scope = Scope(), hits: list[Hit] | None = None) -> Plan:
        """Parts of the question with the passing passages of each, or the reason to decline."""
        analysis = analyze(query)
        per_part: list[list[Hit]] = []
        retrieved: list[Hit] = []
        postings: list[PostingAsk | None] = []
        for i, part in enumerate(analysis.parts):
            # An ask about the user's saved postings is answered from them (single ask: the whole
            # message, since "Does it sponsor?" may name the posting in its background).
            about = self.postings.resolve(part.text if analysis.compound else analysis.text, scope)
            postings.append(about)
            if about is not None:
                per_part.append([])
                continue
            found = hits if (hits is not None and i == 0 and not analysis.compound) else self.retrieve(part.query, scope)
            retrieved.extend(found)
            per_part.append(self.passing(found))
        if any(postings):
            return Plan(analysis, per_part, retrieved, False, False, postings=postings, scope=scope)
        best = max((h.score for h in retrieved), default=0.0)
        off_topic = self.gate.off_topic(self.embedder.embed_one(query), best)
        nearest = False
        if not off_topic and not any(per_part):
            # Nothing clears the floor, but the request is in scope and a passage comes close:
            # say so, and give the nearest covered guidance labelled as such.
            near = sorted((h for h in retrieved if h.score >= self.settings.answer_nearest_floor
                           and h.chunk.kind != "posting"), key=lambda h: -h.score)  # nearest *guidance*
            if near:
                analysis = Analysis(analysis.text, analysis.parts[:1], analysis.background, analysis.codes,
                                    analysis.about_postings)
                per_part, nearest = [near[:1]], True
        declined = off_topic or not any(per_part)
        return Plan(analysis, per_part, retrieved, declined, off_topic, nearest, scope=scope)

    def passing(self, hits: list[Hit]) -> list[Hit]:
        """Hits above the floor, and not far below the best one (weak tails add noise)."""
        good = [h for h in hits if h.score >= self.settings.relevance_floor]
        if not good:
            return []
        best = max(h.score for h in good)
        return [h for h in good if h.score >= best - 0.2]

    def decline(self, query: str, scope: Scope, hits: list[Hit], off_topic: bool | None = None) -> Answer:
        if off_topic is None:
            off_topic = self.gate.off_topic(self.embedder.embed_one(query), 0.0)
        name = "messages/decline_off_topic.txt" if off_topic else "messages/decline_no_sources.txt"
        text = render(name, root=self.settings.prompts_dir, has_postings="posting" in scope.kinds)
        return Answer(answer=text, declined=True, citations=[], query=query, context=[h.chunk.text for h in hits])

    def compose(self, query: str, hits: list[Hit]) -> Answer:
        """An answer from already-passing hits, the question taken as one ask."""
        analysis = analyze(query)
        single = Analysis(analysis.text, (Part(analysis.parts[0].text, query, analysis.parts[0].kind),),
                          analysis.background, analysis.codes, analysis.about_postings)
        return self.compose_plan(Plan(single, [hits], hits, False, False))

    def compose_plan(self, plan: Plan) -> Answer:
        personal = self.personal()
        answers: list[PartAnswer] = []
        used: set[str] = set()
        compound = plan.analysis.compound
        for i, (part, hits) in enumerate(zip(plan.analysis.parts, plan.per_part)):
            about = plan.postings[i] if i < len(plan.postings) else None
            if about is not None:
                answers.extend(self.postings.answer(about, part, plan.scope, personal.status))
                continue
            if not hits:
                answers.append(PartAnswer(part, gap=render_text(self.settings, "not_covered_part", ask=part.text)))
                continue
            # Postings are quoted when the ask is about them (above); a guidance ask is answered from guidance.
            hits = [h for h in hits if h.chunk.kind != "posting"] or hits
            answers.append(self.answer_part(part, hits, plan.analysis, personal, used, compound, plan.nearest,
                                            plan.repeated))
        text, numbers = compose_render(answers)
        all_hits = [h for hits in plan.per_part for h in hits] + [p.hit for a in answers for p in a.pieces]
        citations = citations_for(numbers, answers)
        return Answer(answer=text, declined=False, citations=citations, query=plan.analysis.text,
                      context=list(dict.fromkeys(h.chunk.text for h in all_hits)))

    def context_hits(self, plan: Plan) -> list[Hit]:
        """The passages a model answers the plan from, in part order: each ask's passing passages
        (a compound question's capped at top_k each, so every part is represented), and for an
        ask about saved postings, the posting sentences and notes the grounded answer would cite."""
        out: dict[str, Hit] = {}
        status = self.personal().status
        for i, (part, hits) in enumerate(zip(plan.analysis.parts, plan.per_part)):
            about = plan.postings[i] if i < len(plan.postings) else None
            if about is not None:
                hits = [p.hit for a in self.postings.answer(about, part, plan.scope, status) for p in a.pieces] or [
                    h for saved in about.targets for h in self.retriever.source_hits(saved.source, plan.scope)[:2]]
            elif plan.analysis.compound:
                hits = hits[: self.settings.top_k]
            for hit in hits:
                out.setdefault(hit.chunk.id, hit)
        return list(out.values())

    def answer_part(self, part: Part, hits: list[Hit], analysis: Analysis, personal: Personal,
                    used: set[str], compound: bool, nearest: bool = False,
                    repeated: frozenset[str] = frozenset()) -> PartAnswer:
        asked = codes(part.text) or (set(analysis.codes) if not compound else set())
        ranked = rank(hits, self.heading_scores(part.text, hits), asked, part.text, personal, repeated)
        fresh = [s for s in ranked if s.hit.chunk.id not in used] or ranked
        primary = fresh[0]
        gap = ""
        missing = [m.upper() for m in uncovered_codes(asked, hits)] + uncovered_offices(part.text, hits)
        if missing:
            gap = render_text(self.settings, "not_covered_subject", subject=", ".join(missing))
        elif nearest:
            gap = render_text(self.settings, "not_covered_nearest")
        limit = self.settings.answer_part_units if (compound or gap) else self.settings.answer_primary_units
        pieces = [Piece(primary.hit, u) for u in lead_units(primary.hit, limit)]
        used.add(primary.hit.chunk.id)
        extra = 0 if gap else (1 if compound else self.settings.answer_max_sections - 1)
        for other in fresh[1:]:
            if extra <= 0:
                break
            if other.score < primary.score - self.settings.answer_section_margin or about_other_class(asked, other.hit):
                continue
            if other.hit.chunk.id in used or about_getting_held_status(personal, other.hit, part.text):
                continue
            pieces += [Piece(other.hit, u) for u in section_opening(other.hit, part.kind)]
            used.add(other.hit.chunk.id)
            extra -= 1
        if part.kind != "yesno":  # each section's opening unit: no "Yes,"/"No." for another question
            openings: set[str] = set()
            for i, piece in enumerate(pieces):
                if piece.unit is not None and piece.hit.chunk.id not in openings:
                    pieces[i] = Piece(piece.hit, without_yes_no(piece.unit), piece.label)
                openings.add(piece.hit.chunk.id)
        pieces = self.own_dates(part, [s.hit for s in ranked], personal) + pieces
        note = ""
        if personal.status and any(p.unit is not None and sample_date(p.unit.text) for p in pieces):
            note = render_text(self.settings, "sample_date", own=personal.own_date)
        return PartAnswer(part, pieces, gap, note=note)

    def own_dates(self, part: Part, hits: list[Hit], personal: Personal, limit: int = 2) -> list[Piece]:
        """The user's own dates for a personal ask ("how long can I stay after my OPT ends?"): each
        timeline date whose rule comes from a passage this ask retrieved, cited to that passage,
        in the order those passages answer the ask (`hits` ranked)."""
        if not personal.events or not is_personal(part.text):
            return []
        out: list[Piece] = []
        for hit in hits:
            for event in personal.events:
                if section_of(event, hit) and len(out) < limit:
                    out.append(Piece(hit, None, render_text(self.settings, "own_date", label=event.label,
                                                            when=when(event))))
        return out

    def heading_scores(self, ask: str, hits: list[Hit]) -> dict[str, float]:
        """Best cosine between the ask and each passage's heading or question variants (cached)."""
        texts = {h.chunk.id: heading_texts(h) for h in hits}
        flat = list(dict.fromkeys(t for ts in texts.values() for t in ts))
        if not flat:
            return {}
        vectors = dict(zip(flat, self.sentences.vectors(flat)))
        ask_vector = self.embedder.embed_one(ask)
        return {cid: max((float(vectors[t] @ ask_vector) for t in ts), default=0.0) for cid, ts in texts.items()}

    def personal(self) -> Personal:
        """The saved profile as composition reads it (status topics, held status, own dates)."""
        data = composition_data(self.settings.prompts_dir)
        return personal_context(self.profile(), data.get("status_topics", {}), data.get("held_topics", {}),
                                timeline_rules(self.settings.prompts_dir))


@dataclass
class Plan:
    analysis: Analysis
    per_part: list[list[Hit]]  # passing hits of each part, in part order
    retrieved: list[Hit]
    declined: bool
    off_topic: bool
    nearest: bool = False  # no passage clears the floor: the nearest ones, labelled as such
    postings: list[PostingAsk | None] = field(default_factory=list)  # per part: an ask about saved postings
    scope: Scope = Scope()
    repeated: frozenset[str] = frozenset()  # quoted by the previous turn; a new-subject follow-up avoids them


