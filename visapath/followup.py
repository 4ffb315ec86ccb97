"""Follow-up questions: rewrite them into standalone queries, and keep the last turn's passages.

"What about for a master's?" retrieves nothing useful on its own. Before retrieval, a
follow-up is rewritten into a standalone query: by the chat model when there is one, and
otherwise by carrying the previous question's subject (visa names, form codes, topic nouns)
into it. Passages cited in the previous turn are merged into the next turn's candidates with
a small boost, so "does that apply to me?" can still cite what was just discussed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

import numpy as np

from visapath.config import Settings
from visapath.models import Hit
from visapath.prompts import render
from visapath.retrieval import COSINE_WEIGHT, Retriever, Scope
from visapath.text import codes, tokenize

if TYPE_CHECKING:  # langchain is imported only when a chat model rewrites the follow-up
    from langchain_core.language_models import BaseChatModel

CARRY_BOOST = 0.03  # ranking nudge for passages cited in the previous turn
MAX_SUBJECT_TERMS = 6
MAX_REWRITE_CHARS = 400

_LEAD = re.compile(r"^\s*(?:what about|how about|and|but|also|so|what if|same for|then|or|ok(?:ay)?|what of)\b", re.I)
_PRONOUN = re.compile(r"\b(?:that|it|this|they|them|those|these|there|its|their|same|one)\b", re.I)
# Visa names, statuses, forms and programs: a question naming one is about something specific.
_VISA_TERM = re.compile(
    r"\b(?:[A-Z]{1,3}-?\d{1,4}[A-Z]?\d?|ETA-?\d+\w*|OPT|CPT|STEM|TN|PERM|LCA|EAD|SEVIS|DSO|USCIS|E-Verify"
    r"|green[- ]cards?|visas?|lottery|cap|sponsor\w*|petitions?|extensions?|transfers?|grace period|"
    r"portability|registration|posting|employer)\b",
    re.I,
)
# Visa classes and programs named by word rather than code: the subject a new-topic follow-up keeps.
_CLASS_NAMES = frozenset({"opt", "cpt", "stem", "tn", "perm", "ead", "lca", "sevis", "green card", "green-card",
                          "green cards"})
# Words that make up a question's frame rather than its subject.
_FRAME = frozenset(
    """what whats how why when where which who can could would should do does did is are am will shall
    need needs tell explain know work works working mean means happen happens apply applies get getting
    go going make possible allowed okay ok please thanks thank question questions also like want really
    take takes long much many way ways still yes right cover covers covered affect affects count counts
    matter matters true correct sure case same help""".split()
)


@dataclass
class Rewrite:
    """The query actually retrieved with, and how it was obtained."""

    question: str
    query: str
    method: str = "none"  # none | rules | model
    carried_terms: list[str] = field(default_factory=list)
    # Words of the follow-up's own subject that the previous turn did not have ("what about
    # cap-exempt jobs?"): it asks about something new, so the last answer's passages must not win again.
    new_terms: list[str] = field(default_factory=list)

    @property
    def rewritten(self) -> bool:
        return self.query != self.question


def looks_like_followup(question: str) -> bool:
    """Short, elliptical or pronoun-led questions without a subject of their own."""
    tokens = [t for t in tokenize(question) if t not in _FRAME]
    names_subject = bool(_VISA_TERM.search(question))
    if _LEAD.match(question) and len(tokens) <= 6:
        return True
    if _PRONOUN.search(question) and not names_subject:
        return True
    return len(tokens) <= 2 and not names_subject


def subject_terms(question: str) -> list[str]:
    """Key terms of a question: visa names and codes first (as written), then topic words."""
    terms: list[str] = []
    for match in _VISA_TERM.finditer(question):
        term = match.group(0)
        if term.lower() not in {t.lower() for t in terms}:
            terms.append(term)
    covered = {w for t in terms for w in tokenize(t)}
    for token in tokenize(question):
        if token not in _FRAME and token not in covered and len(token) > 2 and token not in terms:
            terms.append(token)
    return terms[:MAX_SUBJECT_TERMS]


def new_terms(question: str, previous_query: str) -> list[str]:
    """Subject words of a follow-up that its previous turn did not contain."""
    before = {t[:5] for t in tokenize(previous_query)}
    return [t for t in tokenize(question) if t not in _FRAME and len(t) > 2 and not _PRONOUN.fullmatch(t)
            and not _LEAD.fullmatch(t) and t[:5] not in before]


def rule_rewrite(question: str, previous_queries: list[str]) -> Rewrite:
    """Carry the previous standalone query's subject into an elliptical follow-up."""
    if not previous_queries or not looks_like_followup(question):
        return Rewrite(question, question)
    present = {t.lower() for t in tokenize(question)}
    carried = [t for t in subject_terms(previous_queries[-1]) if not set(tokenize(t)) <= present]
    fresh = new_terms(question, previous_queries[-1])
    if fresh:  # "what about cap-exempt jobs?" after "how does the H-1B lottery work?": the visa class
        carried = [t for t in carried if codes(t) or t.lower() in _CLASS_NAMES]  # travels, the old topic does not
    if not carried:
        return Rewrite(question, question, new_terms=fresh)
    query = f"{' '.join(carried)}: {question.strip()}"
    return Rewrite(question, query, "rules", carried, fresh)


def model_rewrite(model: BaseChatModel, question: str, previous_questions: list[str],
                  prompts_dir=None) -> Rewrite | None:
    """Ask the chat model for a standalone query; None when it fails or answers off-format."""
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = [
        SystemMessage(render("answer/rewrite_system.txt", root=prompts_dir)),
        HumanMessage(render("answer/rewrite_user.txt", root=prompts_dir, history=previous_questions[-4:],
                            question=question)),
    ]
    try:
        reply = model.invoke(messages)
    except Exception:  # noqa: BLE001 - any backend failure falls back to the rules
        return None
    lines = str(reply.content).strip().splitlines()
    text = re.sub(r"^(?:standalone question|rewritten question|query)\s*:\s*", "", lines[0].strip() if lines else "",
                  flags=re.I).strip().strip("\"'“”").strip()
    if not text or len(text) > MAX_REWRITE_CHARS:
        return None
    return Rewrite(question, text, "model")


def rewrite(question: str, previous_queries: list[str], previous_questions: list[str],
            model: BaseChatModel | None = None, prompts_dir=None) -> Rewrite:
    """Standalone query for a turn: model first (when configured), rules as the fallback."""
    if not previous_queries:
        return Rewrite(question, question)
    if model is not None:
        rewritten = model_rewrite(model, question, previous_questions, prompts_dir)
        if rewritten is not None:
            rewritten.new_terms = new_terms(question, previous_queries[-1])
            return rewritten
    turn = rule_rewrite(question, previous_queries)
    if not turn.rewritten:  # a standalone question: a new subject whenever it shares none of the last one
        turn.new_terms = new_terms(question, previous_queries[-1])
    return turn


def carry_over(settings: Settings, retriever: Retriever, query: str, hits: list[Hit], chunk_ids: list[str],
               scope: Scope) -> list[Hit]:
    """Merge the previous turn's cited passages into this turn's hits.

    A carried passage is scored for the new query exactly as retrieval scores hits and must clear
    the relevance floor on that score alone; the boost only changes its rank. Passages no longer in
    the index or outside the scope (another user's posting) are never carried.
    """
    if not chunk_ids:
        return hits
    lexical = retriever.lexical()
    query_vector: np.ndarray | None = None
    tokens = tokenize(query)
    merged = {h.chunk.id: h for h in hits}
    carried = set(chunk_ids)
    for chunk_id in chunk_ids:
        if chunk_id in merged:
            continue
        i = lexical.position.get(chunk_id)
        if i is None or not scope.allows(lexical.chunks[i]):
            continue
        if query_vector is None:
            query_vector = retriever.embedder.embed_one(query)
        cosine = float(lexical.vectors[i] @ query_vector) if lexical.vectors.size else 0.0
        relevance = COSINE_WEIGHT * max(cosine, 0.0) + (1 - COSINE_WEIGHT) * lexical.coverage(tokens, i)
        if relevance >= settings.relevance_floor:
            merged[chunk_id] = Hit(lexical.chunks[i], relevance, cosine, None, 0)
    ranked = sorted(merged.values(), key=lambda h: -(h.score + (CARRY_BOOST if h.chunk.id in carried else 0.0)))
    limit = settings.top_k + 1  # room for one carried passage beside a full set of fresh hits
    out = ranked[:limit]
    for rank, hit in enumerate(out, start=1):
        hit.rank = rank
    return out
