"""The verdict rule and jurisdictions: many sentence labels become one posting verdict.

Kept apart from sentence reading so the rules and the learned classifier share one priority.
"""

from __future__ import annotations


from visapath.text import Span
from visapath.postings.lexicon import Lexicon
from visapath.postings.records import Evidence, Finding, Flag, NEGATIVE, POSITIVE, PRIORITY, Sponsorship
from visapath.postings.scope import _segment

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
