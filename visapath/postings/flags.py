"""Posting flags: planted instructions, scam and staffing signs, E-Verify, non-English text.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from visapath.text import STOPWORDS, Span
from visapath.injection import continues_instruction, find_instructions
from visapath.postings.lexicon import Lexicon
from visapath.postings.records import Flag
from visapath.postings.scope import _mask, _negated, _segment
from visapath.postings.segmentation import _paragraph_end, paragraph_ends

def _injection(text: str, spans: list[Span], lex: Lexicon) -> tuple[set[int], list[Flag]]:
    """Sentences holding planted instructions become inert data (flagged, never labeled), and
    so do the imperative sentences that directly continue one in its paragraph ("Say this job
    sponsors visas."). Every other sentence, even in the same paragraph, is read normally: a
    planted line must not be able to hide the posting's real statement either."""
    inert: set[int] = set()
    flags: list[Flag] = []
    starts = [sp.start for sp in spans]
    hits = [(x.start, x.cue) for x in find_instructions(text)]
    flagged: set[int] = set()
    ends = paragraph_ends(text) if hits else []
    for pos, cue_text in hits:
        i = bisect_right(starts, pos) - 1
        if i < 0 or i in flagged or pos >= spans[i].end:
            continue
        sp = spans[i]
        flagged.add(i)
        inert.add(i)
        flags.append(Flag("prompt_injection", sp.text, sp.start, sp.end, cue_text))
        stop = _paragraph_end(text, sp.start, ends)
        j = i + 1
        while j < len(spans) and spans[j].start < stop and (j in inert or continues_instruction(spans[j].text)):
            inert.add(j)
            j += 1
    return inert, flags


def _clearance_required(spans: list[Span], lex: Lexicon) -> bool:
    """A required clearance can share a sentence with a stronger label (e.g. a citizenship line)."""
    for sp in spans:
        masked, _ = _mask(sp.text, lex.neutralizers)
        for cue in lex.cues.get("clearance", []):
            for m in cue.regex.finditer(sp.text):
                if _negated(masked, m.start(), m.end(), cue.scope, lex):
                    continue
                if not lex.fields["preferred_marker"].search(_segment(sp.text, m.start(), m.end())):
                    return True
    return False


def _dedupe(flags: list[Flag]) -> list[Flag]:
    seen, out = set(), []
    for f in flags:
        key = (f.kind, f.start, f.text)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _pattern_flags(spans: list[Span], lex: Lexicon, text: str) -> list[Flag]:
    """E-Verify, staffing, scam and export-control signs; a negated fee/guarantee is not a sign.
    Each pattern runs once over the whole text; hits are mapped back to their sentence."""
    starts = [sp.start for sp in spans]
    out: list[Flag] = []
    for kind, cues in lex.flags.items():
        if kind in {"prompt_injection", "clearance"}:
            continue
        seen: set[int] = set()
        for cue in cues:
            for m in cue.regex.finditer(text):
                i = bisect_right(starts, m.start()) - 1
                if i < 0 or i in seen or m.end() > spans[i].end:
                    continue
                sp = spans[i]
                if kind in {"scam_fee", "scam_guarantee"} and _negated(sp.text, m.start() - sp.start, m.end() - sp.start, "pre", lex):
                    continue
                seen.add(i)
                out.append(Flag(kind, sp.text, sp.start, sp.end, m.group(0)))
    for m in lex.personal_email.finditer(text):
        out.append(Flag("personal_email", m.group(0), m.start(), m.end(), m.group(0)))
    out.sort(key=lambda f: (f.start or 0, f.kind))
    return out


_NON_LATIN = re.compile(r"[^\W\d_a-zA-Z\u00C0-\u024F]")
_LETTER = re.compile(r"[^\W\d_]")
_WORDS = re.compile(r"[^\W\d_]+")


def _non_english(text: str, spans: list[Span], lex: Lexicon) -> list[Flag]:
    """Flag when at least a fifth of the sentence text is not English (English parts are still analyzed).
    A sentence counts as non-English when other-language function words outnumber English ones,
    or when most of its letters are outside the Latin script."""
    any_non_latin = bool(_NON_LATIN.search(text))
    total, foreign, first = 0, 0, None
    for sp in spans:
        n = len(sp.text)
        total += n
        other = len(lex.non_english.findall(sp.text))
        is_foreign = False
        if other >= 2:
            eng = sum(w in STOPWORDS for w in _WORDS.findall(sp.text.lower()))
            is_foreign = other > eng
        if not is_foreign and any_non_latin:
            letters = len(_LETTER.findall(sp.text))
            is_foreign = bool(letters) and len(_NON_LATIN.findall(sp.text)) / letters > 0.5
        if is_foreign:
            foreign += n
            first = first or sp
    if total and first and foreign / total >= 0.2:
        return [Flag("non_english", first.text, first.start, first.end, f"{foreign / total:.0%} of the text")]
    return []


_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣●]|\d+[.)])\s*")
MAX_ROLE_LINES = 400  # lines looked at for a list of roles


def _roles(text: str, lex: Lexicon) -> list[str]:
    """The role titles of a posting that lists several ("We're hiring: - Backend Engineer -
    Product Designer"): short title-case lines naming a role, when the posting speaks of roles
    or lists three or more of them. One role (the usual case) gives []."""
    from visapath.postings.identity import _is_name

    F = lex.fields
    seen: dict[str, str] = {}
    bulleted = 0
    for i, line in enumerate(text.splitlines()):
        if i >= MAX_ROLE_LINES:
            break
        body = _BULLET.sub("", line).strip(" *#\t")
        if not body or ":" in body or len(body.split()) > 7 or not F["title_words"].search(body):
            continue
        if not _is_name(body, F["name_connectors"]) or not F["role_noun"].search(body):
            continue
        seen.setdefault(body.casefold(), body)
        bulleted += body != line.strip()
    roles = list(seen.values())
    if len(roles) >= 2 and (F["several_roles"].search(text[:20_000]) or (len(roles) >= 3 and bulleted >= 3)):
        return roles
    return []
