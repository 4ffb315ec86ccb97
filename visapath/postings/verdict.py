"""The verdict rule and jurisdictions: many sentence labels become one posting verdict.

Kept apart from sentence reading so the rules and the learned classifier share one priority.
"""

from __future__ import annotations


from visapath.text import Span
from visapath.postings.lexicon import Lexicon
from visapath.postings.records import Evidence, Finding, Flag, NEGATIVE, POSITIVE, PRIORITY, Sponsorship
from visapath.postings.scope import _segment

def combine_labels(labels: list[tuple[str, bool, bool]], offer_wins: bool = True) -> tuple[str, bool]:
    """Verdict over (label, specific, restrictive) triples that drive the decision, and whether they contradict.

    Priority (the shared labelling scheme): citizenship_or_clearance > transfer_only / sponsors >
    no_sponsorship > authorization_ambiguous; `not_mentioned` when nothing speaks.
    * A hard legal gate (citizenship, clearance, export control) closes the door whatever else
      is said; an offer beside it is a contradiction.
    * An offer beside a refusal is an offer with a condition ("we sponsor visas, but not for
      this internship"; "no OPT/CPT"): sponsors. A blanket refusal beside it is flagged as a
      contradiction so both quotes are shown, never hidden.
    * A refusal next to a transfer statement means "no NEW petitions" -> transfer_only, not a
      contradiction; an offer plus a non-restrictive transfer line ("H-1B transfers welcome")
      -> sponsors, a restrictive one ("transfers only") -> transfer_only.
    `offer_wins=False` (inside one sentence) lets a blanket refusal beat an offer cue: there the
    offer cue is usually the object of the refusal ("visa sponsorship is not available").
    """
    present = {l for l, _, _ in labels if l in PRIORITY}
    if not present:
        return "not_mentioned", False
    positive = present & POSITIVE
    blanket_no = any(l == "no_sponsorship" and not spec for l, spec, _ in labels)
    restrictive = any(l == "transfer_only" and r for l, _, r in labels)
    if "citizenship_or_clearance" in present:
        return "citizenship_or_clearance", bool(positive)
    if positive and not offer_wins and blanket_no and "sponsors" in present:
        return "no_sponsorship", True
    if positive:
        if "transfer_only" in present and ("sponsors" not in present or restrictive):
            return "transfer_only", False
        return "sponsors", blanket_no and "sponsors" in present
    if "no_sponsorship" in present:
        return "no_sponsorship", False
    return "authorization_ambiguous", False


def _jurisdiction(sentence: str, lex: Lexicon) -> list[str]:
    found = {m.lastgroup for m in lex.jurisdiction_any.finditer(sentence)}
    return [code for code in lex.jurisdictions if code in found]


def _drives_us(ev: Evidence) -> bool:
    """Jurisdiction rule: evidence about another country only (a UK 'we sponsor Skilled Worker
    visas') does not drive the verdict while US statements exist. Statements with no country are
    read as US (the product's scope); statements naming the US always count. A posting that
    speaks only about other countries keeps their verdict, with the countries in `jurisdictions`."""
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


def _reason(verdict: str, driving: list[Evidence], templates: dict[str, str]) -> str:
    """One sentence saying why: the strongest deciding quote, and the statement it outranks or
    contradicts (a refusal beside an offer, an offer beside a legal gate)."""
    if not templates:
        return ""
    deciding = [e for e in driving if e.label == verdict]
    if verdict == "not_mentioned" or not deciding:
        return templates.get("not_mentioned", "")
    top = max(deciding, key=lambda e: e.confidence)
    others = [e for e in driving if e.label != verdict and e.label != "unrelated"]
    if verdict == "sponsors":
        others = [e for e in others if e.label in NEGATIVE]
    elif verdict == "citizenship_or_clearance":
        others = [e for e in others if e.label in POSITIVE]
    else:
        others = []
    key = f"{verdict}+other" if others and f"{verdict}+other" in templates else verdict
    text = templates.get(key, "").format(quote=_quote(top.sentence), other=_quote(others[0].sentence) if others else "")
    abroad = sorted({e.jurisdiction for e in driving if not _drives_us(e)})
    if abroad and all(not _drives_us(e) for e in deciding):
        text += templates.get("abroad", "").format(where=", ".join(abroad))
    return text


def _quote(sentence: str, limit: int = 220) -> str:
    one = " ".join(sentence.split()).rstrip(" .;:")
    return one if len(one) <= limit else one[: limit - 1].rsplit(" ", 1)[0] + "…"


def _sponsorship(evidence: list[Evidence], specifics: dict[int, tuple[bool, bool]],
                 reasons: dict[str, str] | None = None) -> tuple[Sponsorship, list[Flag]]:
    relevant = [e for e in evidence if e.label != "unrelated"]
    ignored = [e for e in evidence if e.label == "unrelated"]
    driving = [e for e in relevant if _drives_us(e)] or relevant
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
        neg = next((e for e in driving if e.label in NEGATIVE and e.label != verdict), None) \
            or next(e for e in driving if e.label in NEGATIVE)
        flags.append(Flag("contradiction", f'"{pos.sentence}" ({pos.label}) vs "{neg.sentence}" ({neg.label})', None, None, neg.cue))
    reason = _reason(verdict, driving, reasons or {})
    return Sponsorship(verdict, round(conf, 3), relevant, contradiction, juris, ignored, reason), flags
