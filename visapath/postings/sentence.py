"""Reading one sentence: cue matches, overlap resolution, polarity, and one label with its span.

Every label the rules give comes with the exact cue span that caused it, so the reader can
quote it as evidence.
"""

from __future__ import annotations

import re
from itertools import islice
from dataclasses import dataclass, field
from typing import Any

from visapath.postings.lexicon import Cue, Lexicon, load_lexicon
from visapath.postings.records import CUE_FAMILIES, Finding
from visapath.postings.scope import _clause, _clause_before, _mask, _negated, _segment
from visapath.postings.verdict import combine_labels

# ---------------------------------------------------------------------------------------
# Sentence-level mechanics

@dataclass
class _Match:
    family: str
    cue: Cue
    start: int
    end: int


_SPONSORSHIP_FAMILIES = frozenset({"offer", "need", "transfer", "visa_mention"})  # what a pro-verb ("do so") can refer to
_FAMILY_RANK = {fam: i for i, fam in enumerate(CUE_FAMILIES)}
_HEADER_SPLIT = re.compile(r"\s*(?:\||•|·|,|;|\s[-–—]\s|/|\(|\)|\n|\+|\s&\s)\s*")
_INNER_NEGATION = re.compile(r"\b(?:no|not|never|cannot|can[’']?t|won[’']?t)\b", re.I)
_PREDICATE = re.compile(r"\b(?:is|are|will|must|do|does|not|can|cannot|offer|offers|hire|apply|require|requires|need|needs)\b", re.I)


def _is_header_item(sentence: str, m: _Match, lex: Lexicon) -> bool:
    """True when the cue is a whole item of a header line: "Acme | NYC | ONSITE | VISA"."""
    if len(sentence) > 300 or _PREDICATE.search(sentence):  # header lines are short and have no verb
        return False
    cue = sentence[m.start : m.end].strip(" *.!:-").lower()
    pos = 0
    for seg in _HEADER_SPLIT.split(sentence):
        idx = sentence.find(seg, pos)
        if idx < 0:
            continue
        pos = idx + len(seg)
        if idx <= m.start < idx + max(len(seg), 1):
            rest = seg.strip(" *.!:-").lower().replace(cue, "", 1).strip(" *.!:-")
            return not rest or bool(lex.welcome.fullmatch(rest))
    return False


MAX_MATCHES = 64  # cue matches read per sentence: a run-on line repeating one word cannot make reading quadratic


def _collect(sentence: str, lex: Lexicon) -> tuple[list[_Match], list[tuple[int, int]]]:
    """All cue matches after overlap resolution, plus spans of visa words ruled unrelated.
    Only the first `MAX_MATCHES` matches of each pattern count (real sentences hold a handful)."""
    matches = [_Match(fam, cue, m.start(), m.end()) for fam, cues in lex.cues.items() for cue in cues
               for m in islice(cue.regex.finditer(sentence), MAX_MATCHES) if m.end() > m.start()]
    matches = sorted(matches, key=lambda m: m.start)[:MAX_MATCHES]
    unrelated = [(m.start(), m.end()) for pat in lex.unrelated for m in islice(pat.finditer(sentence), MAX_MATCHES)]
    dropped: list[tuple[int, int]] = []
    eeo = bool(lex.eeo.search(sentence))
    everify = bool(lex.e_verify_boilerplate.search(sentence))
    kept = []
    for m in matches:
        over = any(s < m.end and m.start < e for s, e in unrelated)
        if over or (eeo and m.family in {"citizenship", "visa_mention"}) or (everify and m.family == "authorization"):
            dropped.append((m.start, m.end))
        else:
            kept.append(m)
    # "support H-1B transfers": an offer verb whose object is a transfer is a transfer statement.
    transfers = [m for m in kept if m.family == "transfer"]
    kept = [m for m in kept if not (m.family == "offer" and any(t.start < m.end and m.start < t.end for t in transfers))]
    kept.sort(key=lambda m: (not m.cue.opt("open"), _FAMILY_RANK.get(m.family, 9), -m.cue.confidence, -(m.end - m.start)))
    chosen: list[_Match] = []
    for m in kept:
        if not any(c.start < m.end and m.start < c.end for c in chosen):
            chosen.append(m)
    chosen.sort(key=lambda m: m.start)
    return chosen, dropped + unrelated


def _interpret(sentence: str, masked: str, hedged: bool, m: _Match, lex: Lexicon, strict_text: str | None = None) -> Finding | None:
    """Turn one cue match into a label using its polarity and context. `strict_text` is where an
    authorization cue looks for strict qualifiers (empty beside an open-door cue such as "with or
    without sponsorship", whose "now and in the future" is not strict)."""
    neg = _negated(masked, m.start, m.end, m.cue.scope, lex)
    clause = _clause(masked, m.start, m.end, lex)
    conf = m.cue.confidence * (0.85 if hedged else 1.0)
    question = bool(lex.question.search(sentence))

    def f(label: str, c: float = conf, **kw: Any) -> Finding:
        return Finding(label, m.start, m.end, round(c, 3), m.family, **kw)

    fam = m.family
    if fam == "refusal":
        if m.cue.opt("negated_only") and not neg:
            return None
        return f("no_sponsorship")
    specific = bool(lex.visa_kind.search(sentence[m.start : m.end]))
    if fam == "offer":
        if neg or _INNER_NEGATION.search(sentence, m.start + 1, m.end):  # "we offer no support with visas"
            return f("no_sponsorship", specific=specific)
        if question:
            return f("authorization_ambiguous", 0.5)
        return f("sponsors")
    if fam == "need":
        if neg or lex.reject.search(clause):
            return f("no_sponsorship")
        if lex.welcome.search(clause):
            return f("sponsors", conf * 0.9)
        return f("authorization_ambiguous", 0.55)
    if fam == "transfer":
        if neg or lex.reject.search(clause):
            return f("no_sponsorship", specific=True)
        restrictive = bool(m.cue.opt("restrictive")) or bool(lex.transfer_restrictive.search(sentence))
        return f("transfer_only", restrictive=restrictive)
    if fam == "visa_mention":
        if neg or lex.reject.search(clause):
            return f("no_sponsorship", specific=True)
        if lex.welcome.search(clause):
            return f("sponsors", conf * 0.9)
        if _is_header_item(sentence, m, lex):
            return f("sponsors", 0.6)
        return None
    if fam == "citizenship":
        if m.cue.opt("noncitizen"):
            if neg or lex.reject.search(clause):
                return f("citizenship_or_clearance")
            return f("sponsors", 0.6) if lex.welcome.search(clause) else None
        if neg:
            return None
        if m.cue.opt("alternatives_ok", True) and (lex.citizenship_alternatives.search(sentence[m.end :])
                                                   or lex.citizenship_alternatives_before.search(_clause_before(sentence, m.start, lex))):
            return f("authorization_ambiguous", 0.6)  # citizenship is one accepted status among others
        return f("citizenship_or_clearance")
    if fam == "clearance":
        if neg:
            return None
        pref = bool(lex.fields["preferred_marker"].search(_segment(sentence, m.start, m.end)))
        return f("citizenship_or_clearance", conf * (0.8 if pref else 1.0), clearance_preferred=pref)
    if fam == "authorization":
        if neg:
            return None
        if lex.authorization_strict.search(sentence if strict_text is None else strict_text):
            return f("no_sponsorship", 0.8)
        return f("authorization_ambiguous")
    return None


def _combine_sentence(findings: list[Finding]) -> Finding | None:
    """One label per sentence, by the same rule as the posting verdict (`combine_labels`)."""
    if not findings:
        return None
    restrictive = any(x.restrictive for x in findings) or any(x.label == "no_sponsorship" for x in findings)
    verdict, _ = combine_labels([(x.label, x.specific, x.restrictive) for x in findings], offer_wins=False)
    best = [x for x in findings if x.label == verdict]
    if verdict == "no_sponsorship" and any(not x.specific for x in best):
        best = [x for x in best if not x.specific]
    if not best:
        return None
    top = max(best, key=lambda x: x.confidence)
    if verdict == "transfer_only":
        return Finding(top.label, top.cue_start, top.cue_end, top.confidence, top.family, restrictive=restrictive)
    return top


_LIST_MARK = re.compile(r"^\s*(?:[-*•·▪◦‣●]|\d+[.)])\s+")
_ITEM_MARK = re.compile(r"\s*(?:[-*•·▪◦‣●]|\d+[.)])\s*")  # the whole prefix of a bulleted line
_HEADING_EDGE = re.compile(r"^[\s#*_>]+|[\s:?*_#]+$")


def is_heading(sentence: str, lex: Lexicon, list_item: bool | None = None) -> bool:
    """A label with no predicate ("Work authorization", "Visa sponsorship:", "## Citizenship").

    It only announces a topic, so it must not be labeled; the statement under it is what counts.
    A label ending in ":" or "?", or marked up as a heading (#, **bold**), is always a heading.
    Otherwise the line's place decides (`list_item`, from `_line_role`): a bulleted line or a list
    item ("- Visa sponsorship" among perks) is read normally, a line over prose is a heading. With
    no context, only a label naming an offer ("Relocation and visa sponsorship") reads as a perk."""
    body = _LIST_MARK.sub("", sentence, count=1)
    core = _HEADING_EDGE.sub("", body)
    if not core or len(core) > 60 or not lex.heading.fullmatch(core):
        return False
    tail, head = body.rstrip(" \t*_"), body.lstrip()
    if tail.endswith((":", "?")) or head.startswith("#") or (head.startswith("**") and body.rstrip().endswith("**")):
        return True
    if body != sentence or list_item:
        return False
    return list_item is False or not lex.heading_perk.search(core)


@dataclass
class Reading:
    """Everything the rules saw in one sentence: the cue matches, each match's interpretation,
    the visa words ruled unrelated, and the one combined finding. The learned classifier uses
    all of it as features; `analyze_sentence` keeps only `best`."""

    gated: bool
    heading: bool = False
    hedged: bool = False
    question: bool = False
    matches: list[_Match] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    negated: list[bool] = field(default_factory=list)  # per match: a negator governs it
    dropped: list[tuple[int, int]] = field(default_factory=list)
    best: Finding | None = None


def read_sentence(sentence: str, lexicon: Lexicon | None = None, list_item: bool | None = None) -> Reading:
    """The rules' full reading of one sentence (see `Reading`)."""
    lex = lexicon or load_lexicon()
    if not lex.gate.search(sentence):
        return Reading(False)
    if is_heading(sentence, lex, list_item):
        return Reading(True, heading=True)
    masked, _ = _mask(sentence, lex.neutralizers)
    masked, _ = _mask(masked, lex.hedges)
    hedged = bool(lex.uncertain.search(sentence))
    matches, dropped = _collect(sentence, lex)
    topical = any(m.family in _SPONSORSHIP_FAMILIES for m in matches)
    matches = [m for m in matches if topical or not m.cue.opt("needs_topic")]
    open_door = [(m.start, m.end) for m in matches if m.cue.opt("open")]
    strict_text = "" if open_door else None  # "with or without sponsorship": nothing here is strict
    interpreted = [_interpret(sentence, masked, hedged, m, lex, strict_text) for m in matches]
    findings = [x for x in interpreted if x]
    negated = [_negated(masked, m.start, m.end, m.cue.scope, lex) for m in matches]
    best = _combine_sentence(findings)
    if best is None:
        spans = [(m.start, m.end) for m in matches] + dropped
        if spans:
            s, e = min(spans)
            best = Finding("unrelated", s, e, 0.6, "unrelated")
    return Reading(True, False, hedged, bool(lex.question.search(sentence)), matches, findings, negated, dropped, best)


def analyze_sentence(sentence: str, lexicon: Lexicon | None = None, list_item: bool | None = None) -> Finding | None:
    """Full sentence finding (label, cue span, confidence) or None when nothing is relevant.

    Returns label "unrelated" (with the span of the visa/sponsor word) when the sentence
    mentions visas or sponsorship but not as a hiring condition. A bare heading returns None
    (`list_item`: the caller saw the line inside a list, see `is_heading`).
    """
    return read_sentence(sentence, lexicon, list_item).best


def classify_sentence(sentence: str, lexicon: Lexicon | None = None) -> tuple[str, tuple[int, int]] | None:
    """(label, (cue_start, cue_end)) for one sentence, offsets relative to the sentence; None if irrelevant."""
    f = analyze_sentence(sentence, lexicon)
    return (f.label, (f.cue_start, f.cue_end)) if f else None
