"""Title, company and location from a posting's header lines, labeled fields and prose.
"""

from __future__ import annotations

import re

from visapath.text import Span
from visapath.postings.lexicon import Lexicon
from visapath.postings.verdict import _jurisdiction

# ---------------------------------------------------------------------------------------
# Title, company, location


def _lines(text: str, limit: int = 6) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            out.append((pos, line.strip()))
            if len(out) >= limit:
                break
        pos += len(line)
    return out


_SEG = re.compile(r"\s*(?:\||•|·|\s[-–—]\s|—|\t)\s*")


def _is_name(seg: str, connectors: re.Pattern[str]) -> bool:
    """A proper-name-looking segment: short, every word capitalized (or a connector / parenthetical)."""
    words = re.sub(r"\([^)]*\)", "", seg).split()
    if not words or len(words) > 6 or len(seg) > 70:
        return False
    return all(w.lstrip("(")[:1].isupper() or w[:1].isdigit() or connectors.fullmatch(w) for w in words)


def _segment_kind(seg: str, lex: Lexicon) -> str:
    """'location', 'mode' (remote/onsite only), 'title', 'noise' or 'other' for a header item."""
    F = lex.fields
    low = seg.lower().strip()
    if lex.fields["remote"]["gate"].match(low) and not (F["location_city_state"].search(seg) or F["location_words"].search(seg)):
        return "mode"
    if F["header_noise"].match(low):
        return "noise"
    if F["location_city_state"].search(seg) or (
            len(seg.split()) <= 5 and (F["location_words"].search(seg) or _jurisdiction(seg, lex)) and not F["title_words"].search(seg)):
        return "location"
    if F["title_words"].search(seg) and len(seg) <= 120 and not lex.non_english.search(seg):
        return "title"
    return "other"


def _title_company_location(text: str, spans: list[Span], lex: Lexicon) -> tuple[str | None, str | None, str | None]:
    """Labeled lines first ("Title: ..."), then header lines ("Acme | ML Engineer | NYC | VISA":
    the first item is the company by the common convention), then prose ("About Acme",
    "Acme is a ...", "at Acme")."""
    F = lex.fields
    head = text[:4000]
    title = _labeled(F["title_label"], head)
    company = _labeled(F["company_label"], head)
    location = _labeled(F["location_label"], head)
    if title and (m := F["title_at"].match(title)) and _is_name(m.group(2), F["name_connectors"]):
        title, company = m.group(1), company or m.group(2)  # "Title: Data Engineer at Globex Corp"
    mode_location = header_other = None
    for _, line in _lines(text):
        if any(F[k].match(line) for k in ("title_label", "company_label", "location_label")):
            continue  # "Location: Remote - United States" was read above as a labeled field
        segs = [x.strip(" *#:") for x in _SEG.split(line) if x.strip(" *#:")]
        for k, seg in enumerate(segs):  # "Senior Data Engineer at Globex Corp": title and company
            m = F["title_at"].match(seg)
            if m and F["title_words"].search(m.group(1)) and _is_name(m.group(2), F["name_connectors"]):
                title, company = title or m.group(1), company or m.group(2)
                segs[k] = ""
        segs = [x for x in segs if x]
        if len(segs) == 1 and ":" in line and not title:
            key, _, val = line.partition(":")
            if F["title_words"].search(val) and len(key.split()) <= 3 and not F["location_label"].match(line):
                segs = [val.strip()]
        kinds = [_segment_kind(x, lex) for x in segs]
        if len(segs) > 1 and not company and kinds[0] == "other" and _is_name(segs[0], F["name_connectors"]):
            company = segs[0]  # "Acme | ML Engineer | NYC": the first item names the company
        for seg, kind in zip(segs, kinds):
            if kind == "title" and not title:
                title = seg
            elif kind == "location" and not location:
                m = F["location_city_state"].search(seg)
                location = m.group(1) if m and len(seg) > 40 else seg
            elif kind == "mode" and not mode_location:
                mode_location = seg
            elif kind == "other" and not header_other and len(segs) > 1 and _is_name(seg, F["name_connectors"]):
                header_other = seg
        if title and company and location:
            break
    company = company or _first_group(F["about_company"], head) or _first_group(F["company_is"], head) \
        or header_other or _first_group(F["company_at"], head)
    if not location:
        m = F["location_city_state"].search(text)
        location = m.group(1) if m else mode_location
    elif len(location) > 40 and (m := F["location_city_state"].search(location)):
        location = m.group(1)  # "Where: Sacramento, CA -- a long description" -> "Sacramento, CA"
    company, location = _split_company(company, location, lex)
    if location and _STATE_CODES_ONLY.fullmatch(location.strip()):
        location = None  # "CA, NY" is a list of states (see remote scope), not a city
    return _clean(title), _clean(_until_sentence_end(company)), _clean(location)


def _split_company(company: str | None, location: str | None, lex: Lexicon) -> tuple[str | None, str | None]:
    """"Globex Corporation, San Francisco, CA" is a company then a place: the name before the
    city is the company (when none was found), never part of the location."""
    F = lex.fields
    m = F["location_city_state"].search(location or "")
    if not location or not m or m.start() == 0 or "," not in m.group(0):  # "Baltimore, Maryland" is one place
        return company, location
    prefix = location[: m.start()].strip(" ,-–—|(")
    if not prefix or F["location_words"].search(prefix) or _jurisdiction(prefix, lex) or not _is_name(prefix, F["name_connectors"]):
        return company, location
    return company or prefix, location[m.start():]


_STATE_CODES_ONLY = re.compile(r"(?:[A-Z]{2}\s*(?:,|/|or|and)?\s*)+")
_ABBREVIATIONS = {"inc", "corp", "co", "ltd", "llc", "bros", "st", "jr", "intl"}
_SENTENCE_STARTS = {"we", "our", "you", "your", "the", "this", "it", "they", "a", "an", "in", "as", "join", "and"}


def _until_sentence_end(name: str | None) -> str | None:
    """A name never runs past its sentence: "at Acme. We are..." -> "Acme", "Globex Corp. Our team"
    -> "Globex Corp."; "Initech Inc. Labs" keeps its abbreviation."""
    if not name:
        return name
    for m in re.finditer(r"\.\s+", name):
        words, after = name[:m.start()].split(), name[m.end():].split()
        if not words or words[-1].lower() not in _ABBREVIATIONS:
            return name[:m.start()]
        if after and after[0].lower() in _SENTENCE_STARTS:
            return name[:m.start() + 1]
    return name


def _labeled(pat: re.Pattern[str], text: str) -> str | None:
    m = pat.search(text)
    return m.group(1).strip() if m else None


def _first_group(pat: re.Pattern[str], text: str) -> str | None:
    m = pat.search(text)
    return m.group(1).strip() if m else None


def _clean(s: str | None) -> str | None:
    """One tidy line: a field value never runs into the next line (a city line under a header)."""
    s = next((line for line in (s or "").splitlines() if line.strip()), "")
    if not s:
        return None
    s = re.sub(r"\s+", " ", re.sub(r"\s*:?\s*https?://\S+", "", s)).strip(" *#|-–—:,.")
    return s or None


def _location_jurisdiction(location: str | None, lex: Lexicon) -> str | None:
    """A posting located only outside the US lends its country to statements that name none."""
    if not location:
        return None
    if lex.fields["location_city_state"].search(location):
        return None
    codes = [c for c in _jurisdiction(location, lex) if c != "US"]
    if codes and "US" not in _jurisdiction(location, lex):
        return "/".join(codes)
    return None
