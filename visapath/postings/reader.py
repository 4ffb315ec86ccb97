"""The whole-posting reader: segmentation, sentence reading, verdict and fields in one pass.

Each live sentence is read by the rules (`read_sentence`); the sentences that pass the lexicon's
gate are then labelled by the learned classifier in one embedding batch (`classifier`), which
keeps the rules' evidence spans and hard gates. `classifier=None` reads with the rules alone.
"""

from __future__ import annotations

import time

from visapath.budget import checkpoint
from visapath.text import Span
from visapath.postings.flags import _clearance_required, _dedupe, _injection, _non_english, _pattern_flags, _roles
from visapath.postings.identity import _location_jurisdiction, _title_company_location
from visapath.postings.lexicon import Lexicon, load_lexicon
from visapath.postings.records import Finding, Flag, PostingAnalysis, Sponsorship
from visapath.postings.remote import _remote, _remote_scope
from visapath.postings.requirements import _min_degree, _min_years
from visapath.postings.salary import _salary
from visapath.postings.segmentation import _blank, _line_role, normalize_for_analysis, posting_sentences
from visapath.postings.classifier import SentenceClassifier, default_classifier
from visapath.postings.sentence import read_sentence
from visapath.postings.verdict import _make_evidence, _sponsorship

AUTO = "auto"  # the shipped classifier when its weights and the embedding model are present


def _resolve(classifier: SentenceClassifier | str | None) -> SentenceClassifier | None:
    return default_classifier() if classifier == AUTO else classifier  # type: ignore[return-value]


def read_spans(text: str, spans: list[Span], lex: Lexicon, classifier: SentenceClassifier | None) -> list[Finding | None]:
    """One finding (or None) per span: the rules' reading, relabelled by the classifier if any."""
    readings = [read_sentence(sp.text, lex, list_item=_line_role(text, sp)) for sp in spans]
    if classifier is None:
        return [r.best for r in readings]
    return classifier.classify([sp.text for sp in spans], readings, lex)


def sentence_findings(text: str, lexicon: Lexicon | None = None,
                      classifier: SentenceClassifier | str | None = AUTO) -> tuple[list[tuple[Span, Finding]], list[Flag]]:
    """Every live sentence with its finding (sentence-relative offsets), and the injection flags.

    The same reading as `analyze_posting` (HTML leftovers blanked, planted instructions inert,
    headings and list items told apart), for callers that score sentences, like the evaluator."""
    lex = lexicon or load_lexicon()
    text = normalize_for_analysis(text)
    spans = posting_sentences(text, lex)
    inert, flags = _injection(text, spans, lex)
    live = [sp for i, sp in enumerate(spans) if i not in inert]
    found = read_spans(text, live, lex, _resolve(classifier))
    return [(sp, f) for sp, f in zip(live, found) if f is not None], flags


def analyze_posting(text: str, lexicon: Lexicon | None = None,
                    classifier: SentenceClassifier | str | None = AUTO) -> PostingAnalysis:
    """Analyze one posting's extracted text. Planted instructions are flagged and ignored.

    `classifier`: "auto" (the shipped model), a `SentenceClassifier`, or None for rules alone."""
    t0 = time.perf_counter()
    lex = lexicon or load_lexicon()
    full, text, cut_flag = text, *_bounded(text)
    original, text = text, normalize_for_analysis(text)
    spans = posting_sentences(text, lex)
    checkpoint(f"reading {len(spans):,} sentences")  # a time budget or a closed session stops here
    inert, flags = _injection(text, spans, lex)
    flags += cut_flag
    live = [sp for i, sp in enumerate(spans) if i not in inert]
    title, company, location = _title_company_location(_blank(text, (spans[i] for i in inert)), live, lex)
    default_juris = _location_jurisdiction(location, lex)
    evidence, specifics, clearance = [], {}, False
    for sp, f in zip(live, read_spans(text, live, lex, _resolve(classifier))):
        if f is None:
            continue
        evidence.append(_make_evidence(text, sp, f, lex, default_juris))
        specifics[sp.start] = (f.specific, f.restrictive)
        if f.family == "clearance" and f.label == "citizenship_or_clearance" and not f.clearance_preferred:
            clearance = True
        if f.family == "clearance" and f.label == "citizenship_or_clearance":
            flags.append(Flag("clearance", sp.text, sp.start, sp.end, sp.text[f.cue_start : f.cue_end]))
    checkpoint()
    clearance = clearance or _clearance_required(live, lex)
    sponsorship, cflags = _sponsorship(evidence, specifics, lex.verdict_reasons)
    flags += cflags + _pattern_flags(spans, lex, text) + _non_english(text, spans, lex)
    roles = _roles(_blank(text, (spans[i] for i in inert)), lex)
    if roles:
        note = f"this posting lists {len(roles)} roles: " + "; ".join(roles)
        flags.append(Flag("multiple_roles", note, None, None, note))
    if original is not text:
        _restore_original(original, sponsorship, flags)
    remote = _remote(live, lex)
    scope = _remote_scope(live, lex, remote, location)
    if remote == "remote" and scope and scope.startswith("US states"):
        remote = "remote_us_only"  # remote within a list of US states
    return PostingAnalysis(
        text=full, sponsorship=sponsorship, title=title, company=company, location=location,
        min_degree=_min_degree(live, lex), min_years_experience=_min_years(live, lex), salary=_salary(live, lex),
        remote=remote, clearance_required=clearance, flags=_dedupe(flags),
        elapsed_ms=round((time.perf_counter() - t0) * 1000, 2), remote_scope=scope, roles=roles,
    )


def _bounded(text: str) -> tuple[str, list[Flag]]:
    """The part of a posting that is read: at most `posting_max_chars` characters, cut at a line
    or word end. Time and memory stay bounded on a huge or hostile upload; the cut is flagged."""
    from visapath.config import get_settings

    limit = get_settings().posting_max_chars
    if len(text) <= limit:
        return text, []
    cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
    cut = cut if cut > limit // 2 else limit
    note = f"only the first {cut:,} of {len(text):,} characters were read"
    return text[:cut], [Flag("truncated", note, None, None, note)]


def _restore_original(original: str, sponsorship: Sponsorship, flags: list[Flag]) -> None:
    """Quoted evidence shows the posting's own characters (offsets are shared with the normalized copy)."""
    for ev in sponsorship.evidence + sponsorship.ignored:
        ev.sentence = original[ev.start : ev.end]
        ev.cue = original[ev.cue_start : ev.cue_end]
    for f in flags:
        if f.start is not None and f.end is not None:
            f.text = original[f.start : f.end]
