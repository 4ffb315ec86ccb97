"""The posting-signal lexicon: `knowledge/lexicon/posting_signals.yaml` compiled into regexes.

The YAML holds the phrases; this module only expands `{term}` fragments and compiles them once
(cached per path and mtime, so edits are picked up without a restart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from visapath.postings.records import CUE_FAMILIES

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
    verdict_reasons: dict[str, str] = field(default_factory=dict)  # why a verdict, as templates


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
        return Path(__file__).resolve().parents[2] / "knowledge" / "lexicon" / "posting_signals.yaml"


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
        verdict_reasons=dict(data.get("verdict_reasons") or {}),
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


def lexicon_summary(lex: Lexicon | None = None) -> dict[str, int]:
    """Pattern counts per cue family (for diagnostics and the README)."""
    lex = lex or load_lexicon()
    return {fam: len(c) for fam, c in lex.cues.items()}
