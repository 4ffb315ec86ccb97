"""US states by name and abbreviation, known cities (a data file), and a place in free text turned
into (place, state): "Seattle" -> (Seattle, WA), "the Bay Area" -> (San Francisco, CA), "MN" -> (None, MN)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from visapath.employers.lexicon import read_yaml

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


@dataclass(frozen=True)
class Places:
    """Known cities (lower-case name -> (name, state)) and the short forms people write for them."""

    cities: dict[str, tuple[str, str]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Places":
        data = read_yaml(path)
        cities = {str(k).lower(): (str(k), str(v).upper()) for k, v in (data.get("cities") or {}).items()}
        aliases = {str(k).lower(): str(v) for k, v in (data.get("aliases") or {}).items()}
        return cls(cities, aliases)

    def city(self, text: str) -> tuple[str, str] | None:
        """(city, state) for a known city or alias named as the whole of `text`."""
        full = re.sub(r"\s+", " ", text.strip().lower())
        bare = re.sub(r"^(?:the|greater)\s+", "", full)
        for key in (full, bare, re.sub(r"\s+(?:area|metro|metro area|region)$", "", bare)):
            key = self.aliases.get(key, key).lower()
            if key in self.cities:
                return self.cities[key]
        return None


def split_place(text: str, places: Places | None = None) -> tuple[str | None, str | None]:
    """'Seattle, WA' -> ('Seattle', 'WA'); 'Minnesota' -> (None, 'MN'); 'Austin' -> ('Austin', 'TX') when
    the city is known (else ('Austin', None)); 'NYC' -> ('New York', 'NY')."""
    t = re.sub(r"\s+", " ", (text or "").strip(" .?!"))
    if not t:
        return None, None
    t = re.sub(r"\((?:remote|hybrid|on-?site)\)|\b(?:remote|hybrid|on-?site)\b", "", t, flags=re.I).strip(" ,-/")
    if not t:
        return None, None
    known = places.city(t) if places else None
    if known:
        return known
    state = state_of(t)
    if state and (t.upper() == state or t.lower() in STATES):
        return None, state
    city = re.split(r",", t)[0].strip() or None
    if city and places and not state:
        known = places.city(city)
        if known:
            return known
    return city, state
