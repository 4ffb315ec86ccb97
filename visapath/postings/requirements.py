"""Required degree and years of experience (preferred-only mentions do not count).
"""

from __future__ import annotations

import re

from visapath.text import Span
from visapath.postings.lexicon import Lexicon
from visapath.postings.records import DEGREE_ORDER, Degree

# ---------------------------------------------------------------------------------------
# Degree and years


def _sections(spans: list[Span], lex: Lexicon) -> list[str]:
    """Per sentence: 'required', 'preferred' or '' from the nearest section header above it."""
    F, cur, out = lex.fields, "", []
    for sp in spans:
        t = sp.text.strip()
        if len(t.split()) <= 7:
            if F["section_preferred"].match(t):
                cur = "preferred"
            elif F["section_required"].match(t):
                cur = "required"
            elif t.endswith(":") or (t.isupper() and len(t) > 3):
                cur = ""
        out.append(cur)
    return out


_CLAUSE_SPLIT = re.compile(r";|\(|\)|\bbut\b|\.\s")


def _clauses(sentence: str, lex: Lexicon) -> list[str]:
    """Requirement clauses: split at ; ( ) "but" and sentence ends, and at a comma whose next
    piece carries its own preferred/required marker ("Master's required, PhD preferred")."""
    F = lex.fields
    out: list[str] = []
    for piece in _CLAUSE_SPLIT.split(sentence):
        if not piece or not piece.strip():
            continue
        parts = piece.split(",")
        cur = parts[0]
        for nxt in parts[1:]:
            if F["preferred_marker"].search(nxt) or F["required_marker"].search(nxt):
                out.append(cur)
                cur = nxt
            else:
                cur += "," + nxt
        out.append(cur)
    return [c for c in out if c.strip()]


def _is_preferred(clause: str, section: str, lex: Lexicon) -> bool:
    F = lex.fields
    if F["preferred_marker"].search(clause):
        return True
    return section == "preferred" and not F["required_marker"].search(clause)


def _degrees_in(clause: str, lex: Lexicon) -> list[str]:
    D = lex.fields["degree"]
    found: list[tuple[int, str]] = []
    named: list[tuple[int, int]] = []
    for level in DEGREE_ORDER:
        for m in D[level].finditer(clause):
            found.append((m.start(), level))
            named.append((m.start(), m.end()))
    for m in D["generic"].finditer(clause):
        if not any(s <= m.start() <= e + 12 for s, e in named):
            found.append((m.start(), "bachelor"))
    return [lvl for _, lvl in sorted(found)]


def _min_degree(spans: list[Span], lex: Lexicon) -> Degree | None:
    """Lowest degree named in a REQUIRED clause. "BS/MS" -> bachelor; "Master's required, PhD
    preferred" -> master; "PhD or equivalent experience" -> phd (the stated bar; equivalence
    wording does not lower the named degree). Preferred-only degrees give None."""
    F, secs = lex.fields, _sections(spans, lex)
    required: list[str] = []
    for sp, sec in zip(spans, secs):
        if not F["degree"]["any"].search(sp.text) or F["degree_noise"].search(sp.text):
            continue
        if not (F["degree_context"].search(sp.text) or sec):
            continue
        for clause in _clauses(sp.text, lex):
            levels = _degrees_in(clause, lex)
            if levels and not _is_preferred(clause, sec, lex):
                required.append(min(levels, key=DEGREE_ORDER.index))
    if not required:
        return None
    return min(required, key=DEGREE_ORDER.index)  # type: ignore[return-value]


def _num(s: str | None, words: dict[str, int]) -> float | None:
    if not s:
        return None
    s = s.lower()
    if s in words:
        return float(words[s])
    try:
        return float(s)
    except ValueError:
        return None


def _min_years(spans: list[Span], lex: Lexicon) -> float | None:
    """The first required years-of-experience statement ("5+ years", "3-5 years" -> 3,
    "at least three years"). Within one sentence, alternatives ("5 years with a BS or 3 with an
    MS") give the smaller number. Preferred-only mentions give None."""
    Y, secs = lex.fields["years"], _sections(spans, lex)
    for sp, sec in zip(spans, secs):
        if not Y["pattern"].search(sp.text):
            continue
        values: list[float] = []
        for clause in _clauses(sp.text, lex):
            if _is_preferred(clause, sec, lex):
                continue
            for m in Y["pattern"].finditer(clause):
                after = clause[m.end() : m.end() + 80]
                before = clause[max(0, m.start() - 40) : m.start()]
                if Y["noise"].search(clause[max(0, m.start() - 30) : m.end() + 30]):
                    continue
                # "5+ years" / "3-5 years" read as experience on their own; a bare "5 years" needs context
                typical = bool(m.group(2)) or "+" in m.group(0) or "plus" in m.group(0).lower()
                if not (typical or Y["lead"].match(after) or Y["context"].search(after) or Y["label_before"].search(before)):
                    continue
                v = _num(m.group(1), Y["words"])
                if v is not None and 0 < v <= 40:
                    values.append(v)
        if values:
            return min(values)
    return None
