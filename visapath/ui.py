"""Presentation helpers for the Streamlit app: pure functions from results to display values.

Kept out of `app.py` so the markup can be unit-tested without a browser. Everything that
reaches the page as HTML is escaped here first: posting and guidance text is data, never markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# -- sponsorship verdicts --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictStyle:
    """How one sponsorship verdict is shown: a short label, a badge colour and a one-line gloss."""

    label: str
    color: str  # an `st.badge` colour name
    hex: str  # accent colour for cards and evidence marks
    icon: str  # a Material icon for `st.badge`
    gloss: str


VERDICTS: dict[str, VerdictStyle] = {
    "sponsors": VerdictStyle("Sponsors visas", "green", "#1a7f37", ":material/verified:",
                             "The posting says the employer sponsors work visas."),
    "transfer_only": VerdictStyle("H-1B transfers only", "orange", "#b35900", ":material/swap_horiz:",
                                  "Only people who already hold an H-1B (a transfer) are considered."),
    "no_sponsorship": VerdictStyle("No sponsorship", "red", "#c62828", ":material/block:",
                                   "The posting says the employer will not sponsor a visa."),
    "citizenship_or_clearance": VerdictStyle("Citizenship or clearance required", "violet", "#6a3fb5",
                                             ":material/shield:",
                                             "US citizenship, permanent residence or a clearance is required."),
    "authorization_ambiguous": VerdictStyle("Work authorization unclear", "yellow", "#9a6700", ":material/help:",
                                            "It asks about work authorization without saying whether it sponsors."),
    "unrelated": VerdictStyle("No sponsorship statement", "gray", "#57606a", ":material/remove:",
                              "Visa wording appears, but not about sponsoring this role."),
    "not_mentioned": VerdictStyle("Sponsorship not mentioned", "gray", "#57606a", ":material/remove:",
                                  "The posting does not say whether it sponsors; ask the recruiter."),
}


def verdict_style(verdict: str | None) -> VerdictStyle:
    """The style for a verdict; an unknown label still gets a readable, neutral badge."""
    key = str(verdict or "not_mentioned")
    if key in VERDICTS:
        return VERDICTS[key]
    return VerdictStyle(humanize(key), "gray", "#57606a", ":material/remove:", "")


def humanize(token: str) -> str:
    """'transfer_only' -> 'Transfer only'."""
    words = re.sub(r"[_\-]+", " ", str(token)).strip()
    return words[:1].upper() + words[1:] if words else ""


# -- answers and citations -------------------------------------------------------------------------

_MARKERS = re.compile(r"\s*((?:\[\d+\]\s*)+)")
_NUMBER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class AnswerSentence:
    """A run of answer text and the source numbers cited right after it."""

    text: str
    refs: tuple[int, ...]


def split_answer(answer: str) -> list[AnswerSentence]:
    """Split an answer at its `[n]` markers: each piece is the text those markers cite."""
    pieces: list[AnswerSentence] = []
    pos = 0
    for match in _MARKERS.finditer(answer):
        text = answer[pos:match.start()].strip()
        refs = tuple(int(n) for n in _NUMBER.findall(match.group(1)))
        if text:
            pieces.append(AnswerSentence(text, refs))
        elif pieces:  # markers with no text of their own extend the previous sentence's refs
            pieces[-1] = AnswerSentence(pieces[-1].text, pieces[-1].refs + refs)
        pos = match.end()
    tail = answer[pos:].strip()
    if tail:
        pieces.append(AnswerSentence(tail, ()))
    return pieces


def cited_sentences(answer: str, n: int) -> list[str]:
    """The answer sentences that cite source `[n]` (for highlighting them in that source)."""
    return [s.text for s in split_answer(answer) if n in s.refs]


def answer_html(answer: str) -> str:
    """The answer as escaped HTML, with `[n]` markers as small reference chips."""
    out: list[str] = []
    pos = 0
    for match in _NUMBER.finditer(answer):
        out.append(html.escape(answer[pos:match.start()]))
        out.append(f'<span class="vp-ref">{int(match.group(1))}</span>')
        pos = match.end()
    out.append(html.escape(answer[pos:]))
    return "".join(out).replace("\n", "<br>")


def citation_heading(title: str, section: str | None = None, page: int | None = None) -> str:
    """'Title › Section · p. 3' (plain text)."""
    parts = [title.strip() or "Untitled source"]
    if section and section.strip() and section.strip() != title.strip():
        parts.append(f"› {section.strip()}")
    text = " ".join(parts)
    return f"{text} · p. {page}" if page is not None else text


def score_label(score: float) -> str:
    """Relevance as shown on a source card."""
    return f"relevance {float(score):.2f}"


def source_kind_label(kind: str, source: str) -> str:
    if kind == "posting":
        return "Your saved posting"
    return f"Guidance · {source}" if source else "Guidance"


# -- highlighting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A highlighted range of a text: `[start, end)` with a CSS class and a tooltip."""

    start: int
    end: int
    css: str = "vp-hl"
    title: str = ""
    bold: tuple[tuple[int, int], ...] = ()  # absolute ranges inside the mark to embolden (cue words)


def find_phrase(text: str, phrase: str, start: int = 0) -> tuple[int, int] | None:
    """Where `phrase` occurs in `text`, tolerant of whitespace differences (line breaks, double spaces)."""
    words = phrase.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.compile(pattern).search(text, start)
    return (match.start(), match.end()) if match else None


def marks_for_phrases(text: str, phrases: Iterable[str], css: str = "vp-hl") -> list[Mark]:
    """Marks over every verbatim occurrence of each phrase (the grounded answer's sentences)."""
    marks: list[Mark] = []
    for phrase in dict.fromkeys(p for p in phrases if p and p.strip()):
        pos = 0
        while (found := find_phrase(text, phrase, pos)) is not None:
            marks.append(Mark(found[0], found[1], css))
            pos = found[1]
    return marks


_STOP = frozenset(
    "a an and are as at be by can for from has have if in into is it its may not of on or that the their "
    "there these this to under was were when which while who will with without you your they than then "
    "also any each must should would could been being does do did".split()
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")


def marks_for_words(text: str, sentences: Iterable[str], css: str = "vp-hl-word") -> list[Mark]:
    """Fallback for paraphrased answers (LLM backends): mark the content words they share with the text."""
    wanted = {w.lower() for s in sentences for w in _WORD.findall(s) if len(w) > 2 and w.lower() not in _STOP}
    return [Mark(m.start(), m.end(), css) for m in _WORD.finditer(text) if m.group(0).lower() in wanted]


def highlight_cited(passage: str, sentences: Sequence[str]) -> str:
    """The passage as escaped HTML with the sentences that cite it highlighted.

    The grounded answerer quotes passages verbatim, so exact matches are marked; sentences that
    were paraphrased (a generative backend) fall back to marking the words they share.
    """
    exact = marks_for_phrases(passage, sentences)
    found = {passage[m.start:m.end] for m in exact}
    missing = [s for s in sentences if not any(" ".join(s.split()) == " ".join(f.split()) for f in found)]
    return mark_html(passage, exact + (marks_for_words(passage, missing) if missing else []))


def mark_html(text: str, marks: Iterable[Mark]) -> str:
    """Escape `text` and wrap the marked ranges in `<mark>`; overlapping marks keep the earliest one."""
    out: list[str] = []
    pos = 0
    for mark in sorted(marks, key=lambda m: (m.start, -(m.end - m.start))):
        start, end = max(mark.start, 0), min(mark.end, len(text))
        if start < pos or start >= end:
            continue
        out.append(html.escape(text[pos:start]))
        title = f' title="{html.escape(mark.title)}"' if mark.title else ""
        out.append(f'<mark class="{html.escape(mark.css)}"{title}>{_bold_inside(text, start, end, mark.bold)}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _bold_inside(text: str, start: int, end: int, bold: Sequence[tuple[int, int]]) -> str:
    parts: list[str] = []
    pos = start
    for b_start, b_end in sorted(bold):
        b_start, b_end = max(b_start, pos), min(b_end, end)
        if b_start >= b_end:
            continue
        parts.append(html.escape(text[pos:b_start]))
        parts.append(f"<b>{html.escape(text[b_start:b_end])}</b>")
        pos = b_end
    parts.append(html.escape(text[pos:end]))
    return "".join(parts)


def evidence_marks(text: str, evidence: Iterable[Mapping[str, Any]]) -> list[Mark]:
    """Marks for a posting's evidence sentences, coloured by label, their cue words in bold.

    `start`/`end` index the posting text; if they do not match the sentence (an analysis of a
    differently normalised text), the sentence is searched for instead, and skipped if absent.
    """
    marks: list[Mark] = []
    for ev in evidence:
        sentence = str(ev.get("sentence") or "")
        label = str(ev.get("label") or "")
        span = _evidence_span(text, ev, sentence)
        if span is None:
            continue
        start, end = span
        cue = str(ev.get("cue") or "")
        bold: tuple[tuple[int, int], ...] = ()
        if cue:
            found = _find_casefold(text[start:end], cue)
            if found is not None:
                bold = ((start + found[0], start + found[1]),)
        marks.append(Mark(start, end, f"vp-ev vp-ev-{_css_token(label)}", verdict_style(label).label, bold))
    return marks


def _evidence_span(text: str, ev: Mapping[str, Any], sentence: str) -> tuple[int, int] | None:
    try:
        start, end = int(ev.get("start")), int(ev.get("end"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        start = end = -1
    if 0 <= start < end <= len(text) and (not sentence or " ".join(text[start:end].split()) == " ".join(sentence.split())):
        return start, end
    return find_phrase(text, sentence) if sentence else None


def _find_casefold(text: str, phrase: str) -> tuple[int, int] | None:
    words = phrase.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(w) for w in words), text, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def _css_token(value: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-") or "none"


def evidence_legend_css() -> str:
    """CSS rules colouring evidence marks by verdict label (generated from VERDICTS)."""
    rules = [f".vp-ev-{_css_token(k)} {{ background: {v.hex}22; border-bottom: 2px solid {v.hex}; }}"
             for k, v in VERDICTS.items()]
    return "\n".join(rules)


# -- postings --------------------------------------------------------------------------------------


def format_salary(salary: Mapping[str, Any] | None) -> str | None:
    """'$150,000 – $190,000 a year' (with the posted period when it was not annual)."""
    if not salary:
        return None
    low, high = salary.get("annual_min"), salary.get("annual_max")
    if low is None and high is None:
        return None
    if low is not None and high is not None and float(low) != float(high):
        amount = f"${float(low):,.0f} – ${float(high):,.0f}"
    else:
        amount = f"${float(low if low is not None else high):,.0f}"
    period = str(salary.get("period") or "")
    suffix = f" (posted as {period.replace('_', ' ')} pay)" if period and period not in ("year", "annual", "yearly") else ""
    return f"{amount} a year{suffix}"


_DEGREE_LABELS = {"bachelor": "Bachelor's", "master": "Master's", "phd": "PhD", "associate": "Associate",
                  "high_school": "High school"}
_REMOTE_LABELS = {"remote": "Remote", "hybrid": "Hybrid", "onsite": "On-site", "remote_us_only": "Remote (US only)"}


def requirement_rows(analysis: Mapping[str, Any]) -> list[dict[str, str]]:
    """The requirements table of a posting analysis (JSON form): field / value rows, '—' when unknown."""
    years = analysis.get("min_years_experience")
    degree = analysis.get("min_degree")
    remote = analysis.get("remote")
    clearance = analysis.get("clearance_required")
    rows = {
        "Role": analysis.get("title"),
        "Company": analysis.get("company"),
        "Location": analysis.get("location"),
        "Minimum degree": _DEGREE_LABELS.get(str(degree), humanize(str(degree))) if degree else None,
        "Experience": f"{float(years):g}+ years" if years is not None else None,
        "Salary": format_salary(analysis.get("salary")),
        "Work arrangement": _REMOTE_LABELS.get(str(remote), humanize(str(remote))) if remote else None,
        "Security clearance": None if clearance is None else ("Required" if clearance else "Not required"),
    }
    return [{"Requirement": k, "Value": str(v) if v not in (None, "") else "—"} for k, v in rows.items()]


def flag_label(kind: str) -> str:
    return humanize(kind)


def posting_caption(filename: str, created: str, chars: int) -> str:
    """'offer.pdf · saved 2026-11-22 · 3,120 characters'."""
    day = created[:10] if created else ""
    parts = [p for p in (filename, f"saved {day}" if day else "", f"{chars:,} characters") if p]
    return " · ".join(parts)


# -- drafts and misc -------------------------------------------------------------------------------


def char_count(text: str, limit: int | None = None) -> str:
    """'245 characters' or '245 / 300 characters (over the limit)'."""
    n = len(text or "")
    if limit is None:
        return f"{n:,} characters"
    over = " — over the limit" if n > limit else ""
    return f"{n:,} / {limit:,} characters{over}"


def download_name(channel: str, title: str | None = None) -> str:
    """A safe file name for a downloaded draft."""
    stem = "-".join(p for p in (channel, title or "") if p)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()[:60] or "draft"
    return f"{stem}.txt"


def draft_text(draft: Mapping[str, Any]) -> str:
    """Subject and body as one copyable/downloadable text."""
    subject = str(draft.get("subject") or "").strip()
    body = str(draft.get("body") or "")
    return f"Subject: {subject}\n\n{body}" if subject else body


def conversation_label(title: str | None, when: str | None = None, limit: int = 38) -> str:
    text = " ".join(str(title or "New conversation").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def review_age(last_reviewed: str, today: str) -> str:
    """'reviewed 2026-11' plus nothing else; kept separate so the panel text stays consistent."""
    return f"reviewed {last_reviewed}" if last_reviewed else "no review date"
