"""Presentation helpers for the Streamlit app: pure functions from results to display values.

Kept out of `app.py` so the markup can be unit-tested without a browser. Everything that
reaches the page as HTML is escaped here first: posting and guidance text is data, never markup.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from visapath.models import Answer, Citation
from visapath.references import Link, SourceInfo
from visapath.ui.state import Turn

# -- sponsorship verdicts --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictStyle:
    """How one sponsorship verdict is shown: a short label, a colour, an icon and a one-line gloss."""

    label: str
    hex: str  # accent colour for the verdict banner and evidence marks
    icon: str  # a Material icon for labels (e.g. the posting's expander)
    gloss: str


VERDICTS: dict[str, VerdictStyle] = {
    "sponsors": VerdictStyle("Sponsors visas", "#1a7f37", ":material/verified:",
                             "The posting says the employer sponsors work visas."),
    "transfer_only": VerdictStyle("H-1B transfers only", "#b35900", ":material/swap_horiz:",
                                  "Only people who already hold an H-1B (a transfer) are considered."),
    "no_sponsorship": VerdictStyle("No sponsorship", "#c62828", ":material/block:",
                                   "The posting says the employer will not sponsor a visa."),
    "citizenship_or_clearance": VerdictStyle("Citizenship or clearance required", "#6a3fb5",
                                             ":material/shield:",
                                             "US citizenship, permanent residence or a clearance is required."),
    "authorization_ambiguous": VerdictStyle("Work authorization unclear", "#9a6700", ":material/help:",
                                            "It asks about work authorization without saying whether it sponsors."),
    "unrelated": VerdictStyle("No sponsorship statement", "#57606a", ":material/remove:",
                              "Visa wording appears, but not about sponsoring this role."),
    "not_mentioned": VerdictStyle("Sponsorship not mentioned", "#57606a", ":material/remove:",
                                  "The posting does not say whether it sponsors; ask the recruiter."),
}


def verdict_style(verdict: str | None) -> VerdictStyle:
    """The style for a verdict; an unknown label still gets a readable, neutral badge."""
    key = str(verdict or "not_mentioned")
    if key in VERDICTS:
        return VERDICTS[key]
    return VerdictStyle(humanize(key), "#57606a", ":material/remove:", "")


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


def answer_html(answer: str, anchor: str = "") -> str:
    """The answer as escaped HTML, with `[n]` markers as small reference chips.

    With an `anchor` (one per answer on the page) each chip links to its source card
    (`#<anchor>-s<n>`); following the link opens the collapsed card and scrolls to it.
    """
    out: list[str] = []
    pos = 0
    for match in _NUMBER.finditer(answer):
        out.append(_html(answer[pos:match.start()]))
        n = int(match.group(1))
        if anchor:
            out.append(f'<a class="vp-ref" href="#{card_id(anchor, n)}" title="Open source {n}">{n}</a>')
        else:
            out.append(f'<span class="vp-ref">{n}</span>')
        pos = match.end()
    out.append(_html(answer[pos:]))
    return _lines("".join(out))


def card_id(anchor: str, n: int) -> str:
    """The element id of source card `n` of the answer `anchor` (letters, digits and dashes only)."""
    return f"vp-{_css_token(anchor)}-s{int(n)}"


def answer_plain_text(answer: Answer) -> str:
    """What Copy answer puts on the clipboard: the answer, then its numbered sources with links."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"[{c.n}] {citation_heading(c.title, c.section, c.page)}")
    return "\n".join(lines)


def question_html(question: str) -> str:
    return f'<div class="vp-question">{_lines(escape(question))}</div>'


def citation_from_json(data: Mapping[str, Any]) -> Citation:
    """A stored citation (`Citation.to_json()`) back as a Citation; postings are told by their source."""
    source = str(data.get("source") or "")
    page = data.get("page")
    return Citation(n=int(data.get("n") or 0), source=source, title=str(data.get("title") or ""),
                    section=data.get("section") or None, page=int(page) if page is not None else None,
                    quote=str(data.get("quote") or ""), score=float(data.get("score") or 0.0),
                    kind=str(data.get("kind") or ("posting" if source.startswith("posting:") else "guidance")))


def answer_from_record(text: str, record: Mapping[str, Any] | None) -> Answer:
    """A stored assistant turn (the answer's extended JSON) as an Answer to display."""
    record = record or {}
    return Answer(answer=str(record.get("answer") or text), declined=bool(record.get("declined", False)),
                  citations=[citation_from_json(c) for c in record.get("citations") or []],
                  backend=str(record.get("backend") or "grounded"), notice=record.get("notice") or None)


def turns_from_records(records: Iterable[Mapping[str, Any]]) -> list[Turn]:
    """Stored conversation messages (user, assistant, user, …) as the chat's turns."""
    turns: list[Turn] = []
    question: str | None = None
    for r in records:
        if r.get("role") == "user":
            question = str(r.get("content") or "")
        elif question is not None:
            record = r.get("answer") or {}
            feedback = record.get("feedback") if isinstance(record, Mapping) else None
            turns.append(Turn(question, answer_from_record(str(r.get("content") or ""), record),
                              feedback if feedback in (0, 1) else None))
            question = None
    return turns


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
    if kind == "posting" or source.startswith("posting:"):
        return "Your saved posting"
    if kind == "data":
        return f"Public filing data · {source}" if source else "Public filing data"
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
        out.append(_html(text[pos:start]))
        title = f' title="{_html(mark.title)}"' if mark.title else ""
        out.append(f'<mark class="{_html(mark.css)}"{title}>{_bold_inside(text, start, end, mark.bold)}</mark>')
        pos = end
    out.append(_html(text[pos:]))
    return "".join(out)


def _bold_inside(text: str, start: int, end: int, bold: Sequence[tuple[int, int]]) -> str:
    parts: list[str] = []
    pos = start
    for b_start, b_end in sorted(bold):
        b_start, b_end = max(b_start, pos), min(b_end, end)
        if b_start >= b_end:
            continue
        parts.append(_html(text[pos:b_start]))
        parts.append(f"<b>{_html(text[b_start:b_end])}</b>")
        pos = b_end
    parts.append(_html(text[pos:end]))
    return "".join(parts)


def evidence_marks(text: str, evidence: Iterable[Mapping[str, Any]], ignored: bool = False) -> list[Mark]:
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
        bold = _cue_range(text, ev, start, end)
        css = f"vp-ev vp-ev-{_css_token(label)}" if not ignored else "vp-ev vp-ev-ignored"
        tip = verdict_style(label).label if not ignored else "Mentions visas, but not as a hiring condition"
        marks.append(Mark(start, end, css, tip, (bold,) if bold else ()))
    return marks


def _cue_range(text: str, ev: Mapping[str, Any], start: int, end: int) -> tuple[int, int] | None:
    """The cue's absolute range inside the sentence: the given offsets if they hold, else a search."""
    cue = str(ev.get("cue") or "")
    try:
        c_start, c_end = int(ev.get("cue_start")), int(ev.get("cue_end"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        c_start = c_end = -1
    if start <= c_start < c_end <= end and (not cue or text[c_start:c_end].lower() == cue.lower()):
        return c_start, c_end
    found = _find_casefold(text[start:end], cue) if cue else None
    return (start + found[0], start + found[1]) if found else None


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
        "Where": analysis.get("remote_scope"),
        "Roles in this posting": "; ".join(analysis.get("roles") or []) or None,
        "Security clearance": None if clearance is None else ("Required" if clearance else "Not required"),
    }
    optional = {"Where", "Roles in this posting"}  # shown only when the posting says
    return [{"Requirement": k, "Value": str(v) if v not in (None, "") else "—"} for k, v in rows.items()
            if v not in (None, "") or k not in optional]


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


def copy_button_html(text: str, key: str, label: str = "Copy") -> str:
    """A button that copies `text` to the clipboard (for `st.html(..., unsafe_allow_javascript=True)`).

    The text is embedded as a JSON string with <, > and & escaped, so nothing in a draft (which
    may quote a posting) can close the script or add markup.
    """
    payload = json.dumps(str(text)).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    bid = f"vp-copy-{_css_token(key)}"
    name = json.dumps(label)
    return (
        f'<button class="vp-copy" id="{bid}" type="button">{escape(label)}</button>'
        "<script>(() => {"
        f"const b = document.getElementById({json.dumps(bid)}); if (!b) return; const text = {payload};"
        "b.onclick = async () => {"
        " try { await navigator.clipboard.writeText(text); }"
        " catch (e) { const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t);"
        " t.select(); document.execCommand('copy'); t.remove(); }"
        f" b.textContent = 'Copied'; setTimeout(() => {{ b.textContent = {name}; }}, 1500); }};"
        "})();</script>"
    )


def conversation_label(title: str | None, limit: int = 38) -> str:
    """A conversation title that fits the sidebar."""
    text = " ".join(str(title or "New conversation").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def escape(text: str) -> str:
    """HTML-escape user or document text before it goes into markup."""
    return _html(str(text))


def _html(text: str) -> str:
    """`html.escape`, and `:material/` broken up: Streamlit turns it into an icon even inside HTML."""
    return html.escape(text).replace(":material/", "&#58;material/")


_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]#!|~<>&:@$]|^[-+]|(?<=^\d)\.|(?<=^\d\d)\.")
_AUTOLINK = re.compile(r"(?i)(?<=https:)(?=//)|(?<=http:)(?=//)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def escape_markdown(text: object) -> str:
    """Text for a place Streamlit renders as markdown (labels, expanders, toasts, captions, alerts).

    Every character markdown, HTML or Streamlit gives a meaning (links, images, emphasis, tags,
    `:material/…:` icons, `:red[…]` colours, `$` maths, a list or heading at the start) becomes a
    numeric character reference, which markdown shows as that plain character. Bare URLs and
    e-mail addresses are turned into links after references are decoded (GFM autolinks), so an
    invisible word joiner is put inside `http://`, `www.` and after `@`. Line breaks become spaces.
    """
    flat = _AUTOLINK.sub(WORD_JOINER, " ".join(str(text).split()))
    return _MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group(0))};", flat)


# -- HTML blocks -----------------------------------------------------------------------------------


def source_card_html(citation: Citation, sentences: Sequence[str], references: SourceInfo | None = None,
                     anchor: str = "") -> str:
    """One source card, collapsed: number, title › section, official links and review date (or, for
    a saved posting, its company and a link to open it); opened, the quoted passage with the
    answer sentences that cite it (`sentences`) highlighted.
    """
    c = citation
    heading = escape(citation_heading(c.title, c.section, c.page))
    passage = _lines(highlight_cited(c.quote, sentences) if sentences else escape(c.quote))
    ident = f' id="{card_id(anchor, c.n)}"' if anchor else ""
    return (
        f'<details class="vp-card"{ident} data-source="{escape(c.source)}">'
        f'<summary><div class="vp-card-head"><span class="vp-num">{int(c.n)}</span>'
        f'<span class="vp-card-title">{heading}</span></div>'
        f'<div class="vp-card-meta">{_card_meta(c, references)}</div></summary>'
        f'<div class="vp-passage">{passage}</div></details>'
    )


def _card_meta(c: Citation, info: SourceInfo | None) -> str:
    """Where the passage is from: official pages and review date, or the user's posting."""
    if c.kind == "posting" or c.source.startswith("posting:"):
        company = f" · {escape(info.company)}" if info and info.company else ""
        pid = info.posting_id if info else c.source.removeprefix("posting:")
        link = (f' · <a class="vp-open-posting" href="postings?posting={escape(_css_token(pid))}" target="_self">'
                "Open posting</a>") if pid else ""
        return f"Your saved posting{company}{link}"
    parts = []
    if info and info.links:
        parts.append(" · ".join(
            f'<a class="vp-official" href="{escape(link.url)}" target="_blank" rel="noopener noreferrer" '
            f'title="{escape(link.title)}">{escape(label)}</a>' for link, label in link_labels(info.links)))
    else:
        parts.append(escape(source_kind_label(c.kind, c.source)))
    if info and info.last_reviewed:
        parts.append(f'<span class="vp-reviewed">reviewed {escape(info.last_reviewed)}</span>')
    return " · ".join(parts)


def link_labels(links: Sequence[Link]) -> list[tuple[Link, str]]:
    """Short, distinct link texts for a card: the site ('uscis.gov'), numbered when a site repeats."""
    seen: dict[str, int] = {}
    out = []
    for link in dict.fromkeys(links):
        host = link.host or link.url
        seen[host] = seen.get(host, 0) + 1
        out.append((link, host if seen[host] == 1 else f"{host} ({seen[host]})"))
    return out


CHIP_SCRIPT = """<script>(() => {
  // [n] chips link to their card's id: open that collapsed source card and scroll it into view.
  if (window.__vpChips) return; window.__vpChips = true;
  const openCard = (id) => {
    const card = id && document.getElementById(id);
    if (!card || card.tagName !== 'DETAILS') return false;
    card.open = true; card.scrollIntoView({ behavior: 'smooth', block: 'center' }); return true;
  };
  document.addEventListener('click', (e) => {
    const chip = e.target.closest && e.target.closest('a.vp-ref');
    if (!chip) return;
    const id = decodeURIComponent((chip.getAttribute('href') || '').slice(1));
    if (openCard(id)) { e.preventDefault(); history.replaceState(null, '', '#' + id); }
  });
})();</script>"""


def answer_block_html(answer: Answer, anchor: str = "",
                      references: Callable[[str], SourceInfo] | None = None) -> str:
    """An answer, then its collapsed source cards, as one HTML block (one element per message keeps
    reruns light). `anchor` makes the `[n]` chips link to the cards; `references` looks up what
    each card shows about its source."""
    css = "vp-answer vp-declined" if answer.declined else "vp-answer"
    parts = [f'<div class="{css}">{answer_html(answer.answer, anchor)}</div>']
    if answer.citations:
        parts.append(f'<div class="vp-sources-label">Sources ({len(answer.citations)})</div>')
        parts.extend(source_card_html(c, cited_sentences(answer.answer, c.n),
                                      references(c.source) if references else None, anchor)
                     for c in answer.citations)
    return f'<div class="vp-answer-block">{"".join(parts)}</div>'


def verdict_html(sponsorship: Mapping[str, Any]) -> str:
    """The coloured verdict banner of a posting: label, gloss, confidence, contradiction warning."""
    verdict = str(sponsorship.get("verdict") or "not_mentioned")
    style = verdict_style(verdict)
    confidence = sponsorship.get("confidence")
    conf = f'<span class="vp-conf">confidence {float(confidence):.0%}</span>' if confidence is not None else ""
    extra = ""
    if sponsorship.get("reason"):
        extra += f'<div class="vp-verdict-gloss vp-verdict-reason">{escape(str(sponsorship["reason"]))}</div>'
    if sponsorship.get("contradiction"):
        extra += ('<div class="vp-contradiction">The posting contradicts itself about sponsorship; '
                  "ask the recruiter which statement holds.</div>")
    places = [str(j) for j in sponsorship.get("jurisdictions") or []]
    if any(p != "US" for p in places):
        extra += f'<div class="vp-verdict-gloss">Statements refer to: {escape(", ".join(places))}</div>'
    return (
        f'<div class="vp-verdict vp-verdict-{_css_token(verdict)}" style="border-left-color:{style.hex}">'
        f'<div class="vp-verdict-label" style="color:{style.hex}">{escape(style.label)}{conf}</div>'
        f'<div class="vp-verdict-gloss">{escape(style.gloss)}</div>{extra}</div>'
    )


def posting_html(text: str, sponsorship: Mapping[str, Any]) -> str:
    """The posting text, escaped, with its sponsorship evidence highlighted (visa words that are
    not a hiring condition get a faint mark, so the user sees they were read and set aside)."""
    marks = evidence_marks(text, sponsorship.get("evidence") or [])
    marks += evidence_marks(text, sponsorship.get("ignored") or [], ignored=True)
    return f'<div class="vp-posting">{_lines(mark_html(text, marks))}</div>'


def _lines(markup: str) -> str:
    """Line breaks as <br>: a blank line would end the HTML block when Streamlit parses markdown
    (and what follows would be read as markdown), so no CR or LF may remain."""
    return re.sub(r"\r\n|\r|\n", "<br>", markup)


@dataclass(frozen=True)
class FlagStyle:
    label: str
    meaning: str
    level: str  # "info" | "warn" | "danger"


FLAGS: dict[str, FlagStyle] = {
    "e_verify": FlagStyle("E-Verify employer", "STEM OPT extensions need an E-Verify employer.", "info"),
    "staffing_agency": FlagStyle("Staffing or third-party role",
                                 "Ask who would employ you and file any petition: the agency or the client.", "warn"),
    "scam_fee": FlagStyle("Fee charged to the candidate",
                          "Employers pay H-1B costs; asking you to pay is a common scam sign.", "danger"),
    "scam_guarantee": FlagStyle("Guaranteed visa or selection",
                                "No employer can guarantee an H-1B selection or approval.", "danger"),
    "scam_payment": FlagStyle("Unusual payment method", "Wire transfers, gift cards or crypto are scam signs.",
                              "danger"),
    "prompt_injection": FlagStyle("Text aimed at AI tools",
                                  "The posting contains instructions addressed to AI; visapath treats them as "
                                  "plain text and ignores them.", "warn"),
    "clearance": FlagStyle("Security clearance", "Clearances generally require US citizenship.", "warn"),
    "itar": FlagStyle("Export control (ITAR/EAR)", "The role may be limited to US persons.", "warn"),
    "contradiction": FlagStyle("Contradictory statements",
                               "The posting says different things about sponsorship; ask the recruiter.", "warn"),
    "personal_email": FlagStyle("Personal email contact",
                                "Recruiters usually write from a company domain; verify the sender.", "warn"),
    "non_english": FlagStyle("Partly not in English", "Some of the posting was not analyzed in English.", "info"),
}


def flag_style(kind: str) -> FlagStyle:
    return FLAGS.get(kind, FlagStyle(humanize(kind), "", "info"))


def flag_html(flag: Mapping[str, Any]) -> str:
    """A flag raised on a posting: what it is, why it matters, and the posting's words (escaped)."""
    style = flag_style(str(flag.get("kind") or "note"))
    text = str(flag.get("text") or "")
    cue = str(flag.get("cue") or "")
    quoted = ""
    if text:
        found = _find_casefold(text, cue) if cue else None
        inner = (mark_html(text, [Mark(found[0], found[1], "vp-flag-cue")]) if found else escape(text))
        quoted = f'<div class="vp-flag-quote">“{_lines(inner)}”</div>'
    meaning = f" {escape(style.meaning)}" if style.meaning else ""
    return (f'<div class="vp-flag vp-flag-{style.level}"><span class="vp-flag-kind">{escape(style.label)}.</span>'
            f"{meaning}{quoted}</div>")


def timeline_event_html(event: Any, n: int | None) -> str:
    """One timeline row: the date(s), what it is, a short note and a chip to its guidance card."""
    when = event.start.isoformat() + (f" → {event.end.isoformat()}" if event.end else "")
    chip = f' <a class="vp-ref" href="#{card_id("timeline", n)}" title="Open source {n}">{n}</a>' if n else ""
    return (f'<div class="vp-tl vp-tl-{_css_token(event.kind)}"><span class="vp-tl-when">{escape(when)}</span>'
            f'<span class="vp-tl-what"><b>{escape(event.label)}</b> · {escape(event.note)}{chip}</span></div>')


def note_html(text: str, refs: Sequence[int], anchor: str = "") -> str:
    """A posting note for the user's status, with chips to its guidance cards (links with `anchor`)."""
    chips = "".join(f'<a class="vp-ref" href="#{card_id(anchor, n)}" title="Open source {int(n)}">{int(n)}</a>'
                    if anchor else f'<span class="vp-ref">{int(n)}</span>' for n in refs)
    return f'<div class="vp-note">{escape(text)} {chips}</div>'


def profile_summary_html(name: str, status_label: str | None, role: str) -> str:
    """The sidebar's 'who am I' block; points to the Profile tab when the status is missing."""
    if not status_label:
        return '<div class="vp-profile vp-profile-empty">Set your status on the <b>Profile</b> page for personal notes.</div>'
    who = escape(name) if name else "You"
    role_line = f"<div>{escape(role)}</div>" if role else ""
    return f'<div class="vp-profile"><b>{who}</b><div>{escape(status_label)}</div>{role_line}</div>'


def backend_label(backend: str) -> str:
    return "Grounded" if backend in ("none", "", None) else f"LLM · {backend}"


def document_rows(documents: Mapping[str, str], stale: Iterable[str]) -> list[dict[str, str]]:
    """Rows for the knowledge panel: topic folder, document, last reviewed, status."""
    stale_set = set(stale)
    rows = []
    for source, reviewed in sorted(documents.items()):
        folder, _, name = source.rpartition("/")
        rows.append({"Topic": humanize(folder) if folder else "—", "Document": name or source,
                     "Last reviewed": reviewed or "—",
                     "Status": "Needs review" if source in stale_set else "Current"})
    return rows


# -- starter questions -----------------------------------------------------------------------------

STARTERS: tuple[str, ...] = (
    "Can I change H-1B employers before 180 days?",
    "How long is the STEM OPT extension?",
    "How does the H-1B lottery work now?",
    "What should I say when a recruiter asks about sponsorship?",
)
STATUS_STARTERS: dict[str, str] = {
    "f1": "When can I work on CPT or OPT as an F-1 student?",
    "f1-opt": "What is the cap-gap extension?",
    "f1-stem-opt": "What happens if I lose my job on STEM OPT?",
    "h1b": "Can I start at a new employer before my H-1B transfer is approved?",
    "h4-ead": "Can I work on an H-4 EAD?",
    "l1": "Can I switch from L-1 to H-1B?",
    "o1": "What does an O-1A petition need?",
    "tn": "How is TN different from H-1B?",
    "e3": "How does the E-3 visa work for Australians?",
    "h1b1": "How does the H-1B1 visa work for Chile and Singapore?",
    "none": "What are my options if I am outside the US?",
    "green-card": "Do I need sponsorship with a green card?",
}


def starter_questions(status: str | None, limit: int = 4) -> list[str]:
    """Suggested first questions; the user's status puts a question about their path first."""
    first = [STATUS_STARTERS[status]] if status in STATUS_STARTERS else []
    return (first + [q for q in STARTERS if q not in first])[:limit]


# -- styles ----------------------------------------------------------------------------------------

APP_CSS = """<style>
.vp-brand { font-size: 1.6rem; font-weight: 700; letter-spacing: -0.02em; color: #0b3d91; }
.vp-answer { font-size: 1rem; line-height: 1.6; }
.vp-declined { color: #57606a; font-style: italic; }
.vp-ref { display: inline-block; min-width: 1.2em; padding: 0 0.35em; margin: 0 0.1em; border-radius: 0.5em;
  background: #e6eefb; color: #0b3d91 !important; font-size: 0.72em; font-weight: 600; text-align: center;
  vertical-align: 0.35em; line-height: 1.5; text-decoration: none !important; }
a.vp-ref:hover { background: #0b3d91; color: #fff !important; }
.vp-sources-label { margin: 0.7rem 0 0.25rem; font-size: 0.72rem; font-weight: 600; letter-spacing: 0.04em;
  text-transform: uppercase; color: #57606a; }
.vp-card { border: 1px solid #d8dee4; border-radius: 0.5rem; padding: 0.3rem 0.6rem; margin-bottom: 0.3rem;
  background: #ffffff; scroll-margin-top: 4rem; }
.vp-card > summary { list-style: none; cursor: pointer; }
.vp-card > summary::-webkit-details-marker { display: none; }
.vp-card > summary .vp-card-head::after { content: "▸"; margin-left: auto; color: #8c959f; }
.vp-card[open] > summary .vp-card-head::after { content: "▾"; }
.vp-card:target { border-color: #0b3d91; box-shadow: 0 0 0 2px #e6eefb; }
.vp-card-head { display: flex; gap: 0.5rem; align-items: baseline; font-weight: 600; color: #1f2328;
  font-size: 0.88rem; }
.vp-card-title { overflow-wrap: anywhere; }
.vp-num { flex: none; display: inline-block; min-width: 1.5em; text-align: center; border-radius: 0.5em;
  background: #0b3d91; color: #fff; font-size: 0.8em; }
.vp-card-meta { font-size: 0.75rem; color: #57606a; margin: 0.05rem 0 0.1rem 2rem; overflow-wrap: anywhere; }
.vp-card-meta a { color: #0b3d91; }
.vp-official::after { content: " ↗"; }
.vp-passage { font-size: 0.86rem; line-height: 1.55; color: #24292f; max-height: 14rem; overflow-y: auto;
  margin: 0.3rem 0 0.2rem 2rem; }
mark.vp-hl { background: #fff1a6; padding: 0 0.1em; border-radius: 0.15em; }
mark.vp-hl-word { background: #fff7d1; }
.vp-verdict { border-left: 5px solid #57606a; background: #f6f8fa; border-radius: 0.4rem;
  padding: 0.6rem 0.9rem; margin-bottom: 0.4rem; }
.vp-verdict-label { font-size: 1.15rem; font-weight: 700; }
.vp-verdict-gloss { color: #424a53; font-size: 0.9rem; }
.vp-conf { font-size: 0.75rem; font-weight: 500; color: #57606a; margin-left: 0.6rem; }
.vp-contradiction { color: #9a6700; font-size: 0.9rem; font-weight: 600; margin-top: 0.2rem; }
.vp-posting { font-size: 0.86rem; line-height: 1.55; max-height: 26rem; overflow-y: auto;
  border: 1px solid #d8dee4; border-radius: 0.5rem; padding: 0.7rem 0.9rem; background: #fcfcfd; }
mark.vp-ev { color: inherit; padding: 0 0.1em; border-radius: 0.15em; }
.vp-flag { font-size: 0.86rem; padding: 0.4rem 0.65rem; border-radius: 0.4rem; margin-bottom: 0.35rem;
  border-left: 3px solid #9a6700; background: #fff8e6; }
.vp-flag-info { border-left-color: #0b3d91; background: #f3f7fd; }
.vp-flag-danger { border-left-color: #c62828; background: #fdecec; }
.vp-flag-kind { font-weight: 600; }
.vp-flag-quote { color: #57606a; font-size: 0.8rem; margin-top: 0.2rem; }
mark.vp-flag-cue { background: transparent; font-weight: 600; color: inherit; }
mark.vp-ev-ignored { background: transparent; border-bottom: 1px dashed #8c959f; }
.vp-note { padding: 0.45rem 0.7rem; border-left: 3px solid #0b3d91; background: #f3f7fd; border-radius: 0.3rem;
  margin-bottom: 0.35rem; }
.vp-profile { font-size: 0.88rem; padding: 0.5rem 0.7rem; background: #f3f7fd; border-radius: 0.5rem; }
.vp-profile-empty { background: #fff8e6; }
.vp-question { font-weight: 500; }
.vp-side-label { font-size: 0.75rem; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase;
  color: #57606a; margin: 0.6rem 0 0.2rem; }
.vp-streaming { color: #424a53; }
.vp-copy { font: inherit; font-size: 0.875rem; padding: 0.3rem 0.85rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.2); background: #fff; color: #1f2328; cursor: pointer; min-height: 2.4rem; }
.vp-copy:hover { border-color: #0b3d91; color: #0b3d91; }
.vp-tl { display: flex; flex-wrap: wrap; gap: 0.2rem 0.8rem; font-size: 0.88rem; padding: 0.3rem 0.6rem;
  border-left: 3px solid #0b3d91; margin-bottom: 0.3rem; background: #f6f8fa; border-radius: 0.3rem; }
.vp-tl-authorization { border-left-color: #c62828; } .vp-tl-grace { border-left-color: #b35900; }
.vp-tl-option { border-left-color: #1a7f37; } .vp-tl-limit { border-left-color: #6a3fb5; }
.vp-tl-when { font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
[class*="st-key-conv-row-"] { flex-wrap: nowrap !important; }
[class*="st-key-conv-row-"] > div:first-child { flex: 1 1 auto; min-width: 0; }
[class*="st-key-conv-row-"] > div:first-child button { max-width: 100%; overflow: hidden; }
[class*="st-key-actions-"] { flex-wrap: wrap; }
.vp-count { font-size: 0.8rem; color: #57606a; margin-top: -0.6rem; }
""" + evidence_legend_css() + "\n</style>"
