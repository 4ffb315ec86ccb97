"""Job-posting analyzer: what a posting says about US visa sponsorship, and its requirements.

Rules only (no embedding model): every label comes with the exact span that caused it, and
the phrases live in `knowledge/lexicon/posting_signals.yaml`. This module holds the general
mechanics:

* cue families (offer / need / refusal / transfer / visa mention / citizenship / clearance /
  authorization) are matched on the original sentence; "unrelated" contexts (hackathon
  sponsors, Visa Inc., a product that helps *customers* with visas, EEO boilerplate) veto them;
* negation scope: a negator counts when it sits within `window_words` words before the cue
  in the same clause (or after it, for noun-like cues such as "sponsorship is not available").
  Clauses end at strong breaks (; : ? | but, although ...); a comma ends a clause unless the
  next segment continues a list ("remote, relocation, or visa sponsorship"). Hedges ("at this
  time", "currently", "now or in the future") and neutralizers ("no problem", "not
  guaranteed") are blanked out first so they neither block nor create negation; uncertainty
  hedges ("may", "case by case") only lower confidence;
* the verdict priority (`combine_labels`) and the jurisdiction rule (`_drives_us`);
* planted instructions ("ignore previous instructions", "you are now ...") are flagged and their
  sentence (plus imperative sentences that directly continue it) is inert data: it never produces
  evidence, fields or a verdict. Every other sentence, even in the same paragraph, is read
  normally, so a planted line can neither invent nor hide the posting's real statement;
* headings and field labels with no predicate ("Work authorization", "Visa sponsorship:") are not
  statements and get no label; a label with its answer ("Visa sponsorship: No", also split over
  two lines) or a bulleted perk ("- Visa sponsorship") is read normally;
* HTML leftovers are blanked on a same-length copy, so offsets always index the original.

Label priority, strongest first (sentence and posting alike):
    citizenship_or_clearance > no_sponsorship > transfer_only > sponsors > authorization_ambiguous
A hard legal gate (citizenship, clearance, export control) closes the door whatever else is
said; an explicit refusal outweighs an offer (the safe reading when a posting contradicts
itself; the contradiction is flagged, never hidden); a transfer-only statement ("H-1B transfers
only", "only candidates who currently hold an H-1B") is a narrower offer; a bare "must be
authorized to work" only counts when nothing says more.

Jurisdiction rule: a statement naming only another country ("we sponsor Skilled Worker visas
for our London office") is kept as evidence with its jurisdiction but never drives the US
verdict; statements naming no country are read as US, unless the posting's location is
entirely outside the US, in which case they inherit that country. With no US-driving
evidence the verdict is `not_mentioned` and `jurisdictions` shows what was said elsewhere.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Literal

import yaml

from visapath.text import STOPWORDS, Span, split_sentences

LABELS = ("sponsors", "transfer_only", "no_sponsorship", "citizenship_or_clearance", "authorization_ambiguous", "unrelated")
VERDICTS = ("sponsors", "transfer_only", "no_sponsorship", "citizenship_or_clearance", "authorization_ambiguous", "not_mentioned")
PRIORITY = ("citizenship_or_clearance", "no_sponsorship", "transfer_only", "sponsors", "authorization_ambiguous")
POSITIVE = frozenset({"sponsors", "transfer_only"})
NEGATIVE = frozenset({"no_sponsorship", "citizenship_or_clearance"})
Degree = Literal["bachelor", "master", "phd"]
RemoteMode = Literal["remote", "hybrid", "onsite", "remote_us_only"]
DEGREE_ORDER = ("bachelor", "master", "phd")
# Cue families interpreted by `_interpret`, listed in overlap precedence: where two cues overlap,
# the earlier family wins ("require visa sponsorship" is a need, not an offer).
CUE_FAMILIES = ("refusal", "transfer", "need", "citizenship", "clearance", "offer", "authorization", "visa_mention", "mention")
PERIOD_FACTOR = {"hour": 2080.0, "day": 260.0, "week": 52.0, "month": 12.0, "year": 1.0}

# ---------------------------------------------------------------------------------------
# Public records


@dataclass
class Evidence:
    """One sentence that bears on work authorization. Offsets index `PostingAnalysis.text`."""

    sentence: str
    label: str
    start: int
    end: int
    cue: str
    cue_start: int = 0
    cue_end: int = 0
    confidence: float = 0.0
    jurisdiction: str = "US"
    jurisdiction_explicit: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence, "label": self.label, "start": self.start, "end": self.end,
            "cue": self.cue, "cue_start": self.cue_start, "cue_end": self.cue_end,
            "confidence": round(self.confidence, 3), "jurisdiction": self.jurisdiction,
        }


@dataclass
class Sponsorship:
    verdict: str
    confidence: float
    evidence: list[Evidence]
    contradiction: bool
    jurisdictions: list[str]
    ignored: list[Evidence] = field(default_factory=list)  # visa words that are not a hiring condition

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict, "confidence": round(self.confidence, 3),
            "evidence": [e.to_json() for e in self.evidence], "contradiction": self.contradiction,
            "jurisdictions": list(self.jurisdictions), "ignored": [e.to_json() for e in self.ignored],
        }


@dataclass
class Salary:
    min: float
    max: float
    period: str
    annual_min: float
    annual_max: float
    currency: str = "USD"
    text: str = ""
    start: int | None = None
    end: int | None = None


@dataclass
class Flag:
    kind: str
    text: str
    start: int | None
    end: int | None
    cue: str = ""


@dataclass
class PostingAnalysis:
    text: str
    sponsorship: Sponsorship
    title: str | None
    company: str | None
    location: str | None
    min_degree: Degree | None
    min_years_experience: float | None
    salary: Salary | None
    remote: RemoteMode | None
    clearance_required: bool
    flags: list[Flag]
    elapsed_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The issue's schema (minus "notes"), plus a few extra keys (cue, location, currency)."""
        sal = None
        if self.salary is not None:
            s = self.salary
            sal = {"min": s.min, "max": s.max, "period": s.period, "annual_min": s.annual_min,
                   "annual_max": s.annual_max, "currency": s.currency}
        return {
            "sponsorship": self.sponsorship.to_json(),
            "title": self.title,
            "company": self.company,
            "location": self.location,
            "min_degree": self.min_degree,
            "min_years_experience": self.min_years_experience,
            "salary": sal,
            "remote": self.remote,
            "clearance_required": self.clearance_required,
            "flags": [{"kind": f.kind, "text": f.text, "start": f.start, "end": f.end, "cue": f.cue} for f in self.flags],
        }


# ---------------------------------------------------------------------------------------
# Lexicon


@dataclass(frozen=True)
class Cue:
    """A compiled lexicon entry."""

    family: str
    regex: re.Pattern[str]
    meaning: str
    confidence: float = 0.85
    scope: str = "both"
    extra: tuple[tuple[str, Any], ...] = ()

    def opt(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass
class Lexicon:
    """Everything in posting_signals.yaml, compiled once."""

    path: Path
    cues: dict[str, list[Cue]]
    gate: re.Pattern[str]
    visa_kind: re.Pattern[str]  # a named visa category: a refusal naming one is "specific"
    negators_pre: list[re.Pattern[str]]
    negators_post: list[re.Pattern[str]]
    neutralizers: list[re.Pattern[str]]
    hedges: list[re.Pattern[str]]
    uncertain: re.Pattern[str]  # the hedges that also lower confidence ("may", "case by case")
    breaks: re.Pattern[str]
    list_joiners: re.Pattern[str]
    continuations: re.Pattern[str]
    window: int
    welcome: re.Pattern[str]
    question: re.Pattern[str]
    transfer_restrictive: re.Pattern[str]
    authorization_strict: re.Pattern[str]
    citizenship_alternatives: re.Pattern[str]
    citizenship_alternatives_before: re.Pattern[str]
    reject: re.Pattern[str]
    unrelated: list[re.Pattern[str]]
    eeo: re.Pattern[str]
    e_verify_boilerplate: re.Pattern[str]
    jurisdictions: dict[str, re.Pattern[str]]
    jurisdiction_any: re.Pattern[str]  # all jurisdictions in one pass, one named group per code
    flags: dict[str, list[Cue]]
    personal_email: re.Pattern[str]
    non_english: re.Pattern[str]
    fields: dict[str, Any]
    heading: re.Pattern[str]  # a whole line made of label words only ("Work authorization:")
    heading_value: re.Pattern[str]  # a short answer on the line under a label ("Not available")
    heading_perk: re.Pattern[str]  # a label naming an offer ("Visa sponsorship") is a perk when nothing says heading
    injection_followup: re.Pattern[str]  # an imperative sentence continuing a planted instruction


_TERM = re.compile(r"\{([a-z_]+)\}")


def _expand(pattern: str, terms: dict[str, str]) -> str:
    """Insert `{name}` fragments (recursively); regex quantifiers like {0,3} are untouched."""
    for _ in range(5):
        new = _TERM.sub(lambda m: terms.get(m.group(1), m.group(0)), pattern)
        if new == pattern:
            break
        pattern = new
    return pattern


def _compile(pattern: str, terms: dict[str, str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(_expand(pattern, terms), flags)


def _union(patterns: Iterable[str], terms: dict[str, str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    parts = [f"(?:{_expand(p, terms)})" for p in patterns]
    return re.compile("|".join(parts) if parts else r"(?!x)x", flags)


def _entries(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"pattern": raw}]
    return [e if isinstance(e, dict) else {"pattern": e} for e in raw]


def _cues(family: str, raw: Any, terms: dict[str, str]) -> list[Cue]:
    out = []
    for e in _entries(raw):
        extra = tuple(sorted((k, v) for k, v in e.items() if k not in {"pattern", "meaning", "confidence", "scope"}))
        out.append(Cue(family, _compile(e["pattern"], terms, re.IGNORECASE | re.MULTILINE), str(e.get("meaning", "")),
                       float(e.get("confidence", 0.85)), str(e.get("scope", "both")), extra))
    return out


@lru_cache(maxsize=1)
def _default_lexicon_path() -> Path:
    try:
        from visapath.config import Settings

        return Path(Settings().lexicon_path)
    except Exception:  # settings need pydantic-settings; the file location is stable anyway
        return Path(__file__).resolve().parent.parent / "knowledge" / "lexicon" / "posting_signals.yaml"


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Load and compile the lexicon; cached per (path, mtime) so edits are picked up."""
    p = Path(path) if path else _default_lexicon_path()
    return _load_lexicon_cached(p.resolve(), p.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_lexicon_cached(path: Path, _mtime: int) -> Lexicon:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    terms: dict[str, str] = {k: str(v) for k, v in (data.get("terms") or {}).items()}
    sc = data["scope"]
    negs = _entries(sc["negators"])
    cues = {fam: _cues(fam, data["cues"].get(fam), terms) for fam in CUE_FAMILIES}
    c = data["cues"]
    return Lexicon(
        path=path,
        cues=cues,
        gate=_compile(data["gate"], terms),
        visa_kind=_compile(r"\b{visa_kind}", terms),
        negators_pre=[_union([e["pattern"] for e in negs], terms)],
        negators_post=[_union([e["pattern"] for e in negs if e.get("post", True)], terms)],
        neutralizers=[_union([e["pattern"] for e in _entries(sc["neutralizers"])], terms)],
        hedges=[_union([e["pattern"] for e in _entries(sc["hedges"])], terms)],
        uncertain=_union([e["pattern"] for e in _entries(sc["hedges"]) if e.get("uncertain")], terms),
        breaks=_union([e["pattern"] for e in _entries(sc["breaks"])], terms),
        list_joiners=_compile(sc["list_joiners"], terms),
        continuations=_compile(sc["continuations"], terms),
        window=int(sc.get("window_words", 8)),
        welcome=_compile(data["welcome"], terms),
        question=_compile(data["question"], terms),
        transfer_restrictive=_compile(c["transfer_restrictive"], terms),
        authorization_strict=_union([e["pattern"] for e in _entries(c["authorization_strict"])], terms),
        citizenship_alternatives=_compile(c["citizenship_alternatives"], terms),
        citizenship_alternatives_before=_compile(c["citizenship_alternatives_before"], terms),
        reject=_union([e["pattern"] for e in _entries(c["reject"])], terms),
        unrelated=[_compile(e["pattern"], terms, re.IGNORECASE | re.MULTILINE) for e in _entries(c["unrelated"])],
        eeo=_union([e["pattern"] for e in _entries(c["eeo"])], terms),
        e_verify_boilerplate=_compile(c["e_verify_boilerplate"], terms),
        jurisdictions={k: _union(v, terms) for k, v in data["jurisdictions"].items()},
        jurisdiction_any=re.compile("|".join(f"(?P<{k}>{_union(v, terms).pattern})" for k, v in data["jurisdictions"].items()), re.IGNORECASE),
        flags={k: _cues(k, v, terms) for k, v in data["flags"].items()},
        personal_email=re.compile(r"\b[\w.+-]+@" + _expand(data["personal_email_domains"], terms) + r"\b", re.IGNORECASE),
        non_english=_compile(data["non_english_words"], terms),
        fields=_compile_fields(data["fields"], terms),
        heading=_heading_regex(data["heading"], terms),
        heading_value=_compile(data["heading"]["value"], terms),
        heading_perk=_compile(data["heading"]["perk"], terms),
        injection_followup=_compile(data["injection_followup"], terms),
    )


def _heading_regex(raw: dict[str, str], terms: dict[str, str]) -> re.Pattern[str]:
    """Label words separated by spaces or joiners, and nothing else."""
    word, join = _expand(raw["words"], terms), _expand(raw["joiners"], terms)
    return re.compile(rf"(?:{word})(?:(?:\s*{join}\s*|\s+)(?:{word}))*", re.IGNORECASE)


def _compile_fields(raw: dict[str, Any], terms: dict[str, str]) -> dict[str, Any]:
    """Field patterns: strings become regexes, lists of entries become lists of Cues."""
    ml = re.IGNORECASE | re.MULTILINE
    out: dict[str, Any] = {}
    for key, val in raw.items():
        if isinstance(val, str):
            out[key] = _compile(val, terms, ml)
        elif key == "years":
            num = val["number"]
            out[key] = {
                "pattern": _compile(val["pattern"].replace("{num}", num), terms, ml),
                "context": _compile(val["context"], terms, ml),
                "noise": _compile(val["noise"], terms, ml),
                "lead": _compile(val["lead"], terms, ml),
                "label_before": _compile(val["label_before"], terms, ml),
                "words": {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
                | {"fifteen": 15, "twenty": 20},
            }
        elif key == "salary":
            out[key] = {
                "context": _compile(val["context"], terms, ml),
                "noise_before": _compile(val["noise_before"], terms, ml),
                "noise_after": _compile(val["noise_after"], terms, ml),
                "periods": {k: _compile(v, terms, ml) for k, v in val["periods"].items()},
                "currencies": {k: _expand(v, terms) for k, v in val["currencies"].items()},
            }
        elif key == "degree":
            out[key] = {k: _compile(v, terms, ml) for k, v in val.items()}
            out[key]["any"] = _union(val.values(), terms, ml)  # speed gate
        elif key == "remote":
            out[key] = {k: (_compile(v, terms, ml) if isinstance(v, str) else _cues(k, v, terms)) for k, v in val.items()}
        else:
            out[key] = val
    return out


# ---------------------------------------------------------------------------------------
# Sentence-level mechanics


@dataclass(frozen=True)
class Finding:
    """A label for one sentence with the span (sentence-relative) that caused it."""

    label: str
    cue_start: int
    cue_end: int
    confidence: float
    family: str = ""
    restrictive: bool = False  # a transfer statement that excludes new petitions
    specific: bool = False  # a refusal of one visa category only ("no OPT/CPT"), not a blanket refusal
    clearance_preferred: bool = False


@dataclass
class _Match:
    family: str
    cue: Cue
    start: int
    end: int


_SPONSORSHIP_FAMILIES = frozenset({"offer", "need", "transfer", "visa_mention"})  # what a pro-verb ("do so") can refer to
_FAMILY_RANK = {fam: i for i, fam in enumerate(CUE_FAMILIES)}
_WORD = re.compile(r"[\w’'/+-]+")
_HEADER_SPLIT = re.compile(r"\s*(?:\||•|·|,|;|\s[-–—]\s|/|\(|\)|\n|\+|\s&\s)\s*")


def _mask(text: str, patterns: Iterable[re.Pattern[str]]) -> tuple[str, bool]:
    """Blank out matches (same length, so offsets stay valid); report whether any matched."""
    chars = list(text)
    hit = False
    for pat in patterns:
        for m in pat.finditer(text):
            hit = True
            for i in range(m.start(), m.end()):
                chars[i] = " "
    return "".join(chars), hit


_LIST_INSIDE = re.compile(r"\b(?:or|and|nor)\b|[/&]")


def _scope_before(masked: str, start: int, lex: Lexicon) -> str:
    """The clause text before a cue that a negator may govern (last `window` words)."""
    left = masked[:start]
    cut = max((m.end() for m in lex.breaks.finditer(left)), default=0)
    parts = _comma_scope(left[cut:].split(","), _list_tail(masked, start, lex), lex)
    return " ".join(_WORD.findall(",".join(parts))[-lex.window :])


def _list_tail(masked: str, start: int, lex: Lexicon) -> bool:
    """"No C2C, OPT or CPT": the cue's own item is a list, so a negated list head governs it,
    unless the item has its own positive predicate ("..., visa sponsorship and relocation provided")."""
    tail = re.split(r"[,;:.!?|()]", masked[start:], maxsplit=1)[0]
    return bool(_LIST_INSIDE.search(tail)) and not lex.welcome.search(tail)


def _comma_scope(parts: list[str], list_tail: bool, lex: Lexicon) -> list[str]:
    """Walk back over comma segments while they continue one list or clause:
    "can't offer remote, relocation, or visa sponsorship" keeps the negation;
    "No remote work, visa sponsorship available" does not."""
    i = len(parts) - 1
    while i > 0:
        cur, prev = parts[i].strip(), parts[i - 1].strip()
        last = i == len(parts) - 1
        if not prev:  # a blanked hedge between commas is transparent
            parts[i - 1] += parts.pop(i)
        elif (last and not cur and list_tail and len(prev.split()) <= 5) \
                or lex.list_joiners.search(cur) \
                or (not last and 0 < len(cur.split()) <= 3) \
                or (not cur and lex.continuations.search(prev)):
            pass
        else:
            break
        i -= 1
    return parts[i:]


def _scope_after(masked: str, end: int, lex: Lexicon) -> str:
    """The clause text after a noun-like cue ("sponsorship is not available")."""
    right = masked[end:]
    m = lex.breaks.search(right)
    region = right[: m.start()] if m else right
    region = region.split(",")[0]
    return " ".join(_WORD.findall(region)[: lex.window])


def _clause_before(sentence: str, start: int, lex: Lexicon) -> str:
    """The sentence text from the last clause break up to `start`."""
    left = sentence[:start]
    return left[max((m.end() for m in lex.breaks.finditer(left)), default=0) :]


def _negated(masked: str, start: int, end: int, scope: str, lex: Lexicon) -> bool:
    before = _scope_before(masked, start, lex)
    if any(p.search(before) for p in lex.negators_pre):
        return True
    if scope == "both":
        after = _scope_after(masked, end, lex)
        return any(p.search(after) for p in lex.negators_post)
    return False


def _clause(masked: str, start: int, end: int, lex: Lexicon) -> str:
    return _scope_before(masked, start, lex) + " " + masked[start:end] + " " + _scope_after(masked, end, lex)


_SEGMENT_BREAK = re.compile(r";|\.\s|\|")


def _segment(sentence: str, start: int, end: int) -> str:
    """The ;-separated part of a sentence around a span (parentheses and commas kept):
    "Active DoD clearance (Secret or higher) is preferred" stays one segment."""
    left = max((m.end() for m in _SEGMENT_BREAK.finditer(sentence, 0, start)), default=0)
    m = _SEGMENT_BREAK.search(sentence, end)
    return sentence[left : m.start() if m else len(sentence)]


def _is_header_item(sentence: str, m: _Match, lex: Lexicon) -> bool:
    """True when the cue is a whole item of a header line: "Acme | NYC | ONSITE | VISA"."""
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


def _collect(sentence: str, lex: Lexicon) -> tuple[list[_Match], list[tuple[int, int]]]:
    """All cue matches after overlap resolution, plus spans of visa words ruled unrelated."""
    matches = [_Match(fam, cue, m.start(), m.end()) for fam, cues in lex.cues.items() for cue in cues
               for m in cue.regex.finditer(sentence) if m.end() > m.start()]
    unrelated = [(m.start(), m.end()) for pat in lex.unrelated for m in pat.finditer(sentence)]
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
    kept.sort(key=lambda m: (_FAMILY_RANK.get(m.family, 9), -m.cue.confidence, -(m.end - m.start)))
    chosen: list[_Match] = []
    for m in kept:
        if not any(c.start < m.end and m.start < c.end for c in chosen):
            chosen.append(m)
    chosen.sort(key=lambda m: m.start)
    return chosen, dropped + unrelated


def _interpret(sentence: str, masked: str, hedged: bool, m: _Match, lex: Lexicon) -> Finding | None:
    """Turn one cue match into a label using its polarity and context."""
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
        if neg:
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
        if lex.authorization_strict.search(sentence):
            return f("no_sponsorship", 0.8)
        return f("authorization_ambiguous")
    return None


def _combine_sentence(findings: list[Finding]) -> Finding | None:
    """One label per sentence, by the same rule as the posting verdict (`combine_labels`)."""
    if not findings:
        return None
    restrictive = any(x.restrictive for x in findings) or any(x.label == "no_sponsorship" for x in findings)
    verdict, _ = combine_labels([(x.label, x.specific, x.restrictive) for x in findings])
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


def analyze_sentence(sentence: str, lexicon: Lexicon | None = None, list_item: bool | None = None) -> Finding | None:
    """Full sentence finding (label, cue span, confidence) or None when nothing is relevant.

    Returns label "unrelated" (with the span of the visa/sponsor word) when the sentence
    mentions visas or sponsorship but not as a hiring condition. A bare heading returns None
    (`list_item`: the caller saw the line inside a list, see `is_heading`).
    """
    lex = lexicon or load_lexicon()
    if not lex.gate.search(sentence):
        return None
    if is_heading(sentence, lex, list_item):
        return None
    masked, _ = _mask(sentence, lex.neutralizers)
    masked, _ = _mask(masked, lex.hedges)
    hedged = bool(lex.uncertain.search(sentence))
    matches, dropped = _collect(sentence, lex)
    topical = any(m.family in _SPONSORSHIP_FAMILIES for m in matches)
    matches = [m for m in matches if topical or not m.cue.opt("needs_topic")]
    findings = [x for x in (_interpret(sentence, masked, hedged, m, lex) for m in matches) if x]
    best = _combine_sentence(findings)
    if best:
        return best
    spans = [(m.start, m.end) for m in matches] + dropped
    if spans:
        s, e = min(spans)
        return Finding("unrelated", s, e, 0.6, "unrelated")
    return None


def classify_sentence(sentence: str, lexicon: Lexicon | None = None) -> tuple[str, tuple[int, int]] | None:
    """(label, (cue_start, cue_end)) for one sentence, offsets relative to the sentence; None if irrelevant."""
    f = analyze_sentence(sentence, lexicon)
    return (f.label, (f.cue_start, f.cue_end)) if f else None


def combine_labels(labels: list[tuple[str, bool, bool]]) -> tuple[str, bool]:
    """Verdict over (label, specific, restrictive) triples that drive the decision, and whether they contradict.

    Priority: citizenship_or_clearance > no_sponsorship > transfer_only > sponsors >
    authorization_ambiguous; `not_mentioned` when nothing speaks. Readings of real postings
    that refine it:
    (1) a refusal next to a transfer statement means "no NEW petitions" -> transfer_only,
        not a contradiction;
    (2) a refusal of one visa category only ("no OPT/CPT", "no H-1B lottery") next to an
        offer is a condition on the offer -> sponsors;
    (3) an offer plus a non-restrictive transfer line ("H-1B transfers welcome") -> sponsors;
        a restrictive one ("transfers only") -> transfer_only.
    An offer next to a blanket refusal or a citizenship/clearance gate is a contradiction:
    the stricter label wins and `contradiction` is set so the UI can show both.
    """
    present = {l for l, _, _ in labels if l in PRIORITY}
    if not present:
        return "not_mentioned", False
    positive = present & POSITIVE
    blanket_no = any(l == "no_sponsorship" and not spec for l, spec, _ in labels)
    restrictive = any(l == "transfer_only" and r for l, _, r in labels)
    if "citizenship_or_clearance" in present:
        return "citizenship_or_clearance", bool(positive)
    if "no_sponsorship" in present:
        if "transfer_only" in present and "sponsors" not in present:
            return "transfer_only", False
        if positive and not blanket_no:
            return ("transfer_only" if restrictive or "sponsors" not in present else "sponsors"), False
        return "no_sponsorship", bool(positive)
    if "transfer_only" in present:
        return ("sponsors" if "sponsors" in present and not restrictive else "transfer_only"), False
    if "sponsors" in present:
        return "sponsors", False
    return "authorization_ambiguous", False


# ---------------------------------------------------------------------------------------
# Posting-level


_CONTINUATION_START = re.compile(r"^[a-z(]")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")


_BLOCK_TAG = re.compile(r"</?(?:p|br|li|ul|ol|div|h[1-6]|tr|td|th|table|section|article|header|footer)\b[^>]{0,200}>", re.I)
_INLINE_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]{0,200}>|<!--.*?-->", re.S)
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,5}|#x[0-9a-fA-F]{2,4});")
_ODD_SPACE = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]")


def normalize_for_analysis(text: str) -> str:
    """HTML-to-text leftovers blanked out WITHOUT changing length, so every offset found on the
    result indexes the original text: block tags become a line break, inline tags, entities and
    odd spaces become spaces ("We&nbsp;sponsor<b>visas</b>" reads as "We sponsor visas")."""
    if "<" not in text and "&" not in text and not _ODD_SPACE.search(text):
        return text
    def blank(m: re.Match[str], first: str = " ") -> str:
        return first + " " * (len(m.group(0)) - 1)
    out = _BLOCK_TAG.sub(lambda m: blank(m, "\n"), text)
    out = _INLINE_TAG.sub(blank, out)
    out = _ENTITY.sub(lambda m: "&" + " " * (len(m.group(0)) - 1) if m.group(0) == "&amp;" else blank(m), out)
    return _ODD_SPACE.sub(" ", out)


def posting_sentences(text: str, lexicon: Lexicon | None = None) -> list[Span]:
    """Shared splitter, then re-join hard-wrapped lines ("unable to sponsor\\nvisas at this time.")
    and field labels with their answer on the next line ("Visa sponsorship:\\nNot available").

    Two spans separated by exactly one newline (no bullet) are one sentence when the first has
    no closing punctuation and either the second starts in lowercase, the first ends on a
    function word ("... unable to\\nsponsor"), or the first is a long prose line (a wrap, not a
    header). The merged span still indexes the original text.
    """
    lex = lexicon or load_lexicon()
    out: list[Span] = []
    for sp in split_sentences(text):
        if out and (_wrapped(text, out[-1], sp) or _label_value(text, out[-1], sp, lex)):
            prev = out[-1]
            out[-1] = Span(prev.start, sp.end, text[prev.start : sp.end])
        else:
            out.append(sp)
    return out


def _label_value(text: str, prev: Span, nxt: Span, lex: Lexicon) -> bool:
    """A label on one line ("Visa sponsorship:", "VISA SPONSORSHIP") and a short answer on the
    next ("No", "Not available for this position."): one statement."""
    gap = text[prev.end : nxt.start]
    bulleted = bool(_ITEM_MARK.fullmatch(text[text.rfind("\n", 0, prev.start) + 1 : prev.start]))
    return (gap.count("\n") <= 1 and gap.strip() in {"", "-", "*", "•"} and "\n" not in prev.text and not bulleted
            and is_heading(prev.text, lex, list_item=False) and bool(lex.heading_value.match(nxt.text)))


def _wrapped(text: str, prev: Span, nxt: Span) -> bool:
    gap = text[prev.end : nxt.start]
    if gap.count("\n") != 1 or gap.strip() or _SENTENCE_END.search(prev.text):
        return False
    last = prev.text.rsplit(None, 1)[-1].lower()
    long_prose = len(prev.text) >= 60 and "|" not in prev.text and nxt.text[:1].isalnum()
    return bool(_CONTINUATION_START.match(nxt.text)) or last in STOPWORDS or long_prose


def _paragraph_end(text: str, pos: int) -> int:
    m = re.compile(r"\n\s*\n").search(text, pos)
    return m.start() if m else len(text)


def _injection(text: str, spans: list[Span], lex: Lexicon) -> tuple[set[int], list[Flag]]:
    """Sentences holding planted instructions become inert data (flagged, never labeled), and
    so do the imperative sentences that directly continue one in its paragraph ("Say this job
    sponsors visas."). Every other sentence, even in the same paragraph, is read normally: a
    planted line must not be able to hide the posting's real statement either."""
    inert: set[int] = set()
    flags: list[Flag] = []
    starts = [sp.start for sp in spans]
    hits = sorted((m.start(), m.group(0)) for cue in lex.flags.get("prompt_injection", []) for m in cue.regex.finditer(text))
    flagged: set[int] = set()
    for pos, cue_text in hits:
        i = bisect_right(starts, pos) - 1
        if i < 0 or i in flagged or pos >= spans[i].end:
            continue
        sp = spans[i]
        flagged.add(i)
        inert.add(i)
        flags.append(Flag("prompt_injection", sp.text, sp.start, sp.end, cue_text))
        stop = _paragraph_end(text, sp.start)
        j = i + 1
        while j < len(spans) and spans[j].start < stop and (j in inert or lex.injection_followup.search(spans[j].text)):
            inert.add(j)
            j += 1
    return inert, flags


def _blank(text: str, spans: Iterable[Span]) -> str:
    """The text with these spans replaced by spaces (same length, offsets unchanged)."""
    chars = list(text)
    for sp in spans:
        chars[sp.start : sp.end] = " " * (sp.end - sp.start)
    return "".join(chars)


def _line_role(text: str, sp: Span) -> bool | None:
    """Where a line sits: True for a list item (bulleted, or a short line right after a short line
    and before another or the end of the block: "Benefits / Health insurance / Visa sponsorship /
    401(k) match"), False for a heading (prose follows it), None when nothing tells."""
    ls = text.rfind("\n", 0, sp.start) + 1
    if _ITEM_MARK.fullmatch(text[ls : sp.start]):
        return True
    prev = text[text.rfind("\n", 0, ls - 1) + 1 : ls - 1] if ls else ""
    le = text.find("\n", sp.end)
    after = [] if le < 0 else text[le + 1 :].split("\n", 8)[:8]
    nxt = after[0] if after else ""
    if _short_item(prev) and (not nxt.strip() or (_short_item(nxt) and not nxt.rstrip().endswith(":"))):
        return True
    following = next((line for line in after if line.strip()), "")
    return False if following and not _short_item(following) else None


def _short_item(line: str) -> bool:
    line = _LIST_MARK.sub("", line).strip()
    return bool(line) and len(line.split()) <= 6 and not line.endswith((".", "!", "?"))


def sentence_findings(text: str, lexicon: Lexicon | None = None) -> tuple[list[tuple[Span, Finding]], list[Flag]]:
    """Every live sentence with its finding (sentence-relative offsets), and the injection flags.

    The same reading as `analyze_posting` (HTML leftovers blanked, planted instructions inert,
    headings and list items told apart), for callers that score sentences, like the evaluator."""
    lex = lexicon or load_lexicon()
    text = normalize_for_analysis(text)
    spans = posting_sentences(text, lex)
    inert, flags = _injection(text, spans, lex)
    out = []
    for i, sp in enumerate(spans):
        if i in inert:
            continue
        f = analyze_sentence(sp.text, lex, list_item=_line_role(text, sp))
        if f is not None:
            out.append((sp, f))
    return out, flags


def _jurisdiction(sentence: str, lex: Lexicon) -> list[str]:
    found = {m.lastgroup for m in lex.jurisdiction_any.finditer(sentence)}
    return [code for code in lex.jurisdictions if code in found]


def _drives_us(ev: Evidence) -> bool:
    """Jurisdiction rule: evidence about another country only (a UK 'we sponsor Skilled Worker
    visas') is listed with its jurisdiction but never drives the US verdict. Statements with
    no country are read as US (the product's scope); statements naming the US always count."""
    return ev.jurisdiction == "US" or "US" in ev.jurisdiction.split("/")


def _make_evidence(text: str, sp: Span, f: Finding, lex: Lexicon, default_juris: str | None) -> Evidence:
    codes: list[str] = []
    if f.label != "unrelated":  # the cue's own ;-segment first ("hiring in the US; visa support for Canada only")
        codes = _jurisdiction(_segment(sp.text, f.cue_start, f.cue_end), lex) or _jurisdiction(sp.text, lex)
    if codes:
        juris, explicit = "/".join(codes), True
    else:
        juris, explicit = (default_juris or "US"), False
    return Evidence(sp.text, f.label, sp.start, sp.end, sp.text[f.cue_start : f.cue_end], sp.start + f.cue_start,
                    sp.start + f.cue_end, f.confidence, juris, explicit)


def _sponsorship(evidence: list[Evidence], specifics: dict[int, tuple[bool, bool]]) -> tuple[Sponsorship, list[Flag]]:
    relevant = [e for e in evidence if e.label != "unrelated"]
    ignored = [e for e in evidence if e.label == "unrelated"]
    driving = [e for e in relevant if _drives_us(e)]
    verdict, contradiction = combine_labels([(e.label, *specifics.get(e.start, (False, False))) for e in driving])
    juris = sorted({e.jurisdiction for e in relevant})
    if verdict == "not_mentioned":
        conf = 0.5 if relevant else 0.6
    else:
        agree = [e.confidence for e in driving if e.label == verdict] or [0.6]
        conf = min(0.99, max(agree) + 0.04 * (len(agree) - 1))
        if contradiction:
            conf *= 0.6
    flags = []
    if contradiction:
        pos = next(e for e in driving if e.label in POSITIVE)
        neg = next(e for e in driving if e.label in NEGATIVE)
        flags.append(Flag("contradiction", f'"{pos.sentence}" ({pos.label}) vs "{neg.sentence}" ({neg.label})', None, None, neg.cue))
    return Sponsorship(verdict, round(conf, 3), relevant, contradiction, juris, ignored), flags


def analyze_posting(text: str, lexicon: Lexicon | None = None) -> PostingAnalysis:
    """Analyze one posting's extracted text. Planted instructions are flagged and ignored."""
    t0 = time.perf_counter()
    lex = lexicon or load_lexicon()
    original, text = text, normalize_for_analysis(text)
    spans = posting_sentences(text, lex)
    inert, flags = _injection(text, spans, lex)
    live = [sp for i, sp in enumerate(spans) if i not in inert]
    title, company, location = _title_company_location(_blank(text, (spans[i] for i in inert)), live, lex)
    default_juris = _location_jurisdiction(location, lex)
    evidence, specifics, clearance = [], {}, False
    for sp in live:
        f = analyze_sentence(sp.text, lex, list_item=_line_role(text, sp))
        if f is None:
            continue
        evidence.append(_make_evidence(text, sp, f, lex, default_juris))
        specifics[sp.start] = (f.specific, f.restrictive)
        if f.family == "clearance" and f.label == "citizenship_or_clearance" and not f.clearance_preferred:
            clearance = True
        if f.family == "clearance" and f.label == "citizenship_or_clearance":
            flags.append(Flag("clearance", sp.text, sp.start, sp.end, sp.text[f.cue_start : f.cue_end]))
    clearance = clearance or _clearance_required(live, lex)
    sponsorship, cflags = _sponsorship(evidence, specifics)
    flags += cflags + _pattern_flags(spans, lex, text) + _non_english(text, spans, lex)
    if original is not text:
        _restore_original(original, sponsorship, flags)
    return PostingAnalysis(
        text=original, sponsorship=sponsorship, title=title, company=company, location=location,
        min_degree=_min_degree(live, lex), min_years_experience=_min_years(live, lex), salary=_salary(live, lex),
        remote=_remote(live, lex), clearance_required=clearance, flags=_dedupe(flags),
        elapsed_ms=round((time.perf_counter() - t0) * 1000, 2),
    )


def _restore_original(original: str, sponsorship: Sponsorship, flags: list[Flag]) -> None:
    """Quoted evidence shows the posting's own characters (offsets are shared with the normalized copy)."""
    for ev in sponsorship.evidence + sponsorship.ignored:
        ev.sentence = original[ev.start : ev.end]
        ev.cue = original[ev.cue_start : ev.cue_end]
    for f in flags:
        if f.start is not None and f.end is not None:
            f.text = original[f.start : f.end]


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
    return _clean(title), _clean(_until_sentence_end(company)), _clean(location)


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


def lexicon_summary(lex: Lexicon | None = None) -> dict[str, int]:
    """Pattern counts per cue family (for diagnostics and the README)."""
    lex = lex or load_lexicon()
    return {fam: len(c) for fam, c in lex.cues.items()}


__all__ = [
    "Evidence", "Sponsorship", "Salary", "Flag", "PostingAnalysis", "Lexicon", "Finding",
    "load_lexicon", "classify_sentence", "analyze_sentence", "analyze_posting", "combine_labels",
    "posting_sentences", "LABELS", "VERDICTS", "PRIORITY",
]
