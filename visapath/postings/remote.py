"""Work mode (remote, remote within the US, hybrid or onsite) and its scope in words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from visapath.text import Span
from visapath.postings.lexicon import Lexicon
from visapath.postings.records import RemoteMode
from visapath.postings.scope import _mask

# ---------------------------------------------------------------------------------------
# Remote mode


def _remote(spans: list[Span], lex: Lexicon) -> RemoteMode | None:
    """remote_us_only > hybrid > remote > onsite. "must reside in the US" only upgrades a
    remote posting; "no remote" counts as onsite; "remote teammates" is not a mode."""
    R = lex.fields["remote"]
    seen: set[str] = set()
    for sp in spans:
        text = sp.text
        if not R["gate"].search(text):
            continue
        clean, _ = _mask(text, [R["remote_noise"]])
        if R["remote_negation"].search(clean):
            seen.add("onsite")
            clean, _ = _mask(clean, [R["remote_negation"]])
        for mode in ("remote_us_only", "hybrid", "remote", "onsite"):
            for cue in R[mode]:
                if cue.regex.search(clean):
                    seen.add("us_upgrade" if cue.opt("upgrade") else mode)
    if "remote_us_only" in seen:
        return "remote_us_only"
    if "hybrid" in seen:
        return "hybrid"
    if "remote" in seen:
        return "remote_us_only" if "us_upgrade" in seen else "remote"
    if "onsite" in seen:
        return "onsite"
    return None


_MODE_WORD = re.compile(r"\b(?:hybrid|h[ií]brido|remote|on-?site)\b", re.I)
_MODE_ASIDE = re.compile(r"\s*\([^()]*\b(?:hybrid|h[ií]brido|remote|on-?site)\b[^()]*\)", re.I)  # "Dallas, TX (Hybrid)"


@lru_cache(maxsize=4)
def _state_list(code: str) -> re.Pattern[str]:
    """Two or more state codes in one list: "CA, NY, TX or WA"."""
    return re.compile(rf"{code}(?:\s*(?:,|/|&|\bor\b|\band\b)\s*(?:(?:or|and)\s+)?{code})+")


def _remote_scope(spans: list[Span], lex: Lexicon, mode: RemoteMode | None, location: str | None) -> str | None:
    """Where the work may be done, in words: "anywhere in the US", "US states: CA, NY, TX",
    "hybrid, 3 days a week (Austin, TX)". None for onsite work or when the posting does not say."""
    if mode in (None, "onsite"):
        return None
    R = lex.fields["remote"]
    states: list[str] = []
    us, days = False, None
    for sp in spans:
        text = sp.text
        if not R["gate"].search(text) and not R["scope_states_context"].search(text):
            continue
        us = us or bool(R["scope_us"].search(text))
        if not states and R["scope_states_context"].search(text):
            m = _state_list(R["scope_states"].pattern).search(text)
            if m:
                states = list(dict.fromkeys(R["scope_states"].findall(m.group(0))))
        if days is None and (d := R["scope_days"].search(text)):
            days = d.group(1)
    if mode == "hybrid":
        office = _MODE_ASIDE.sub("", location or "").strip()
        office = "" if _MODE_WORD.search(office) else office
        if days:
            week = f"{days} day{'' if days in ('1', 'one') else 's'} a week in the office"
            return f"hybrid, {week}" + (f" ({office})" if office else "")
        return f"hybrid, office in {office}" if office else "hybrid"
    if states:
        return "US states: " + ", ".join(states)
    if us or mode == "remote_us_only":
        return "anywhere in the US"
    return None
