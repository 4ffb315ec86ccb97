"""US states by name and abbreviation, and a place in free text turned into (place, state)."""

from __future__ import annotations

import re

STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "washington dc": "DC", "florida": "FL",
    "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI",
    "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR", "guam": "GU",
}
ABBREVIATIONS = set(STATES.values())


def state_of(text: str) -> str | None:
    """'Minnesota' -> MN, 'MN' -> MN, 'Seattle, WA' -> WA; None when no state is named."""
    t = text.strip()
    m = re.search(r",\s*([A-Z]{2})\b", t)
    if m and m.group(1) in ABBREVIATIONS:
        return m.group(1)
    if t.upper() in ABBREVIATIONS and (t.isupper() or len(t) == 2):
        return t.upper()
    low = t.lower()
    for name in sorted(STATES, key=len, reverse=True):
        if re.search(rf"\b{name}\b", low):
            return STATES[name]
    return None


def split_place(text: str) -> tuple[str | None, str | None]:
    """'Seattle, WA' -> ('Seattle', 'WA'); 'Minnesota' -> (None, 'MN'); 'Austin' -> ('Austin', None)."""
    t = re.sub(r"\s+", " ", (text or "").strip(" .?!"))
    if not t:
        return None, None
    t = re.sub(r"\((?:remote|hybrid|on-?site)\)|\b(?:remote|hybrid|on-?site)\b", "", t, flags=re.I).strip(" ,-/")
    state = state_of(t)
    if state and (t.upper() == state or t.lower() in STATES):
        return None, state
    city = re.split(r",", t)[0].strip() or None
    return city, state
