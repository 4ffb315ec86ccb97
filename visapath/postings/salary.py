"""Pay statements: ranges paired, units found, and everything annualized.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from visapath.text import Span
from visapath.postings.lexicon import Lexicon
from visapath.postings.records import PERIOD_FACTOR, Salary

# ---------------------------------------------------------------------------------------
# Salary


_DIGIT = re.compile(r"\d")
_NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"


@lru_cache(maxsize=4)
def _amount_regex(cur_union: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<pre>{cur_union})?\s*{_NUMBER}\s*(?P<k>[kK](?![a-zA-Z])|thousand\b)?\s*(?P<post>{cur_union}(?![a-zA-Z]))?",
        re.IGNORECASE,
    )


@dataclass
class _Amount:
    value: float
    start: int
    end: int
    k: bool
    currency: str | None


def _amounts(sentence: str, lex: Lexicon) -> list[_Amount]:
    S = lex.fields["salary"]
    curs = S["currencies"]
    union = "|".join(f"(?:{v})" for v in curs.values())
    out = []
    for m in _amount_regex(union).finditer(sentence):
        raw = m.group(2)
        if re.match(r"\d|[,.]\d", sentence[m.end(2) : m.end(2) + 2]):
            continue  # part of a longer number (a date, a version, a phone number)
        if sentence[m.end(2) : m.end(2) + 1] == "%":
            continue
        value = float(raw.replace(",", ""))
        k = bool(m.group("k"))
        if k:
            value *= 1000
        if raw == "401" and k:
            continue
        cur_txt = (m.group("pre") or m.group("post") or "").strip()
        cur = next((code for code, pat in curs.items() if cur_txt and re.fullmatch(pat, cur_txt, re.I)), None)
        out.append(_Amount(value, m.start(2) if not m.group("pre") else m.start(), m.end(), k, cur))
    return out


def _period(sentence: str, start: int, end: int, lex: Lexicon) -> str | None:
    periods = lex.fields["salary"]["periods"]
    after = sentence[end : end + 30]
    before = sentence[max(0, start - 40) : start]
    for text in (after, before):
        hits = [(m.start(), p) for p, pat in periods.items() for m in [pat.search(text)] if m]
        if hits:
            return min(hits)[1] if text is after else max(hits)[1]
    return None


def _salary(spans: list[Span], lex: Lexicon) -> Salary | None:
    """The best pay statement: a range beats a single figure, a salary word or currency sign
    beats neither, earlier beats later. Funding rounds, budgets, bonuses and 401k are skipped."""
    best: tuple[float, Salary] | None = None
    for order, sp in enumerate(spans):
        if not _DIGIT.search(sp.text):
            continue
        for score, cand in _salary_candidates(sp, lex):
            key = score - order * 1e-4
            if best is None or key > best[0]:
                best = (key, cand)
    return best[1] if best else None


_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to|and|a|~)\s*", re.I)


def _salary_candidates(sp: Span, lex: Lexicon) -> list[tuple[float, Salary]]:
    """Pair amounts into ranges first ("90-110k EUR": the 90 inherits k and currency), then judge them."""
    s = sp.text
    ctx = bool(lex.fields["salary"]["context"].search(s))
    amts = _amounts(s, lex)
    out: list[tuple[float, Salary]] = []
    i = 0
    while i < len(amts):
        a = amts[i]
        b = amts[i + 1] if i + 1 < len(amts) else None
        if b and _RANGE_JOIN.fullmatch(s[a.end : b.start]):
            lo = a.value * 1000 if (b.k and not a.k and a.value < 1000) else a.value
            a2 = _Amount(lo, a.start, a.end, a.k or b.k, a.currency or b.currency)
            b2 = _Amount(b.value, b.start, b.end, b.k, b.currency or a.currency)
            if _plausible_money(s, a2, ctx, lex) and _plausible_money(s, b2, ctx, lex):
                cand = _make_salary(s, sp, a.start, b.end, lo, b.value, a2.currency, lex)
                if cand:
                    out.append((3 + ctx + bool(a2.currency), cand))
            i += 2
            continue
        if _plausible_money(s, a, ctx, lex):
            cand = _make_salary(s, sp, a.start, a.end, a.value, a.value, a.currency, lex)
            if cand:
                out.append((1 + ctx + bool(a.currency), cand))
        i += 1
    return out


def _plausible_money(s: str, a: _Amount, ctx: bool, lex: Lexicon) -> bool:
    S = lex.fields["salary"]
    before = s[max(0, a.start - 30) : a.start]
    if S["noise_before"].search(before) or S["noise_after"].search(s[a.end : a.end + 20]):
        return False
    if a.currency or a.k:
        return True
    return ctx and a.value >= 1000 and "," in s[a.start : a.end]


def _make_salary(s: str, sp: Span, start: int, end: int, lo: float, hi: float, cur: str | None, lex: Lexicon) -> Salary | None:
    if lo > hi:
        lo, hi = hi, lo
    period = _period(s, start, end, lex)
    if period is None:
        period = "hour" if hi < 300 else "month" if hi < 20000 else "year"
    factor = PERIOD_FACTOR[period]
    annual_lo, annual_hi = lo * factor, hi * factor
    if not (8000 <= annual_lo <= 3_000_000 and annual_hi <= 5_000_000):
        return None
    if period == "hour" and hi > 1000:
        return None
    return Salary(lo, hi, period, round(annual_lo, 2), round(annual_hi, 2), cur or "USD", s[start:end],
                  sp.start + start, sp.start + end)
