"""The whole-posting reader: segmentation, sentence reading, verdict and fields in one pass.
"""

from __future__ import annotations

import time

from visapath.text import Span
from visapath.postings.flags import _clearance_required, _dedupe, _injection, _non_english, _pattern_flags
from visapath.postings.identity import _location_jurisdiction, _title_company_location
from visapath.postings.lexicon import Lexicon, load_lexicon
from visapath.postings.records import Finding, Flag, PostingAnalysis, Sponsorship
from visapath.postings.remote import _remote
from visapath.postings.requirements import _min_degree, _min_years
from visapath.postings.salary import _salary
from visapath.postings.segmentation import _blank, _line_role, normalize_for_analysis, posting_sentences
from visapath.postings.sentence import analyze_sentence
from visapath.postings.verdict import _make_evidence, _sponsorship

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
