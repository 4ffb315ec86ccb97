"""Recruiter messages about sponsorship, tailored to the user's status, the channel and a posting.

Drafts are rendered from templates in `prompts/drafts/` (no LLM needed), so every visa fact in
them is a fixed, reviewed sentence. The guidance passages behind those facts are cited beside
the draft, not inside it. Text taken from a posting is data: only its title, company and its
own sponsorship sentence (quoted verbatim) are used, never followed. An optional LLM polish is
accepted only if it keeps the limits, the status facts, the quote and the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from visapath.answer import to_citation
from visapath.config import Settings
from visapath.injection import is_instruction as planted
from visapath.models import Citation
from visapath.profile import DEGREES, NO_SPONSORSHIP_NEEDED, Profile, ProfileError, clean_text
from visapath.prompts import render
from visapath.resources import resource_path
from visapath.retrieval import Retriever, Scope

if TYPE_CHECKING:
    from visapath.workspace import PostingWorkspace

Variant = Literal["auto", "standard", "check-only"]
VARIANTS: tuple[str, ...] = ("auto", "standard", "check-only")
GUIDANCE = Scope(kinds=("guidance",))
_QUOTE = "\x00QUOTE\x00"  # stands in for the posting's sentence until the text is tidied and checked
_QUOTE_MAX = 240
_FIELD_MAX = 80
_AUTH_END_STATUSES = frozenset({"f1-opt", "f1-stem-opt", "h4-ead"})
_STEM_STATUSES = frozenset({"f1", "f1-opt"})
_LIGHT_PATHS = frozenset({"tn", "e3", "h1b1"})
_PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|#\}|\$\{[^}]*\}|\{[A-Za-z_][A-Za-z0-9_]*\}"
    r"|\[[^\]\n]{1,40}\]|<[^>\n]{1,40}>|\b(?:TODO|TBD|XXX|FIXME)\b|\x00"
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


class DraftError(ValueError):
    """A draft that cannot be made (no status, unknown channel, broken template); says what to fix."""


@dataclass(frozen=True)
class ChannelSpec:
    label: str
    limit: int  # characters of the body; enforced by choosing shorter variants, never by cutting
    template: str
    start_level: int = 0  # 0 = every optional clause, 1 = shorter, 2 = minimal
    signed: bool = False  # warn when the user's name is missing
    one_paragraph: bool = False


CHANNELS: dict[str, ChannelSpec] = {
    "linkedin-note": ChannelSpec("LinkedIn connection note", 300, "drafts/linkedin-note.txt", one_paragraph=True),
    "linkedin-message": ChannelSpec("LinkedIn message", 1900, "drafts/linkedin-message.txt", start_level=1),
    "email": ChannelSpec("email", 2500, "drafts/email.txt", signed=True),
    "application-answer": ChannelSpec("application-form answer", 600, "drafts/application-answer.txt",
                                      one_paragraph=True),
    "follow-up": ChannelSpec("post-interview follow-up", 2000, "drafts/follow-up.txt", signed=True),
}
SUBJECT_LIMIT = 90


@dataclass
class Draft:
    """A message ready to copy, with the guidance passages its visa facts rest on."""

    channel: str
    body: str
    subject: str | None = None
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    status: str = ""
    variant: str = "standard"
    form_answer: str | None = None  # "Yes"/"No" for the application-form channel
    quote: str | None = None  # the posting sentence quoted verbatim, if any
    polished: bool = False

    @property
    def chars(self) -> int:
        return len(self.body)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "subject": self.subject,
            "body": self.body,
            "chars": self.chars,
            "citations": [c.to_json() for c in self.citations],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class StatusSpec:
    form_answer: str
    keywords: tuple[str, ...]
    citations: tuple[dict[str, Any], ...]
    facts: dict[str, tuple[str, ...]]
    notes: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class DraftData:
    statuses: dict[str, StatusSpec]
    channel_citations: dict[str, tuple[dict[str, Any], ...]]
    warnings: dict[str, str]


@dataclass(frozen=True)
class PostingFacts:
    """The only things a draft takes from a posting."""

    verdict: str = "not_mentioned"
    title: str | None = None
    company: str | None = None
    sentence: str | None = None  # the evidence sentence for the verdict, verbatim
    cue: str | None = None  # its shortest justifying phrase, verbatim
    contradiction: bool = False
    clearance_required: bool = False


class Facts(dict):
    """Template-visible facts; an unknown fact reads as False rather than failing the render."""

    def __getattr__(self, name: str) -> bool:
        return bool(self.get(name, False))


@dataclass
class DraftContext:
    """Everything a template sees, as `c`."""

    status: str
    needs: bool
    variant: str
    level: int = 0
    name: str = ""
    recipient: str = ""
    role: str | None = None
    company: str | None = None
    verdict: str | None = None
    quote: str | None = None
    quote_end: str = ""
    posting_says: str | None = None
    facts: Facts = field(default_factory=Facts)
    stem_degree: bool = False
    advanced_us_degree: bool = False
    degree_label: str = ""
    auth_end: str | None = None
    runway: str | None = None

    @property
    def the_role(self) -> str:
        return f"the {_role_noun(self.role)}" if self.role else "an open role"

    @property
    def the_role_def(self) -> str:
        return f"the {_role_noun(self.role)}" if self.role else "the role"

    @property
    def the_role_subject(self) -> str:
        return f"the {_role_noun(self.role)}" if self.role else "your open role"

    @property
    def where(self) -> str:
        return f" at {self.company}" if self.company else " on your team"


# -- data --------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def load_data(prompts_dir: str) -> DraftData:
    root = Path(prompts_dir) / "drafts"
    raw = yaml.safe_load((root / "statuses.yaml").read_text(encoding="utf-8"))
    statuses = {
        token: StatusSpec(
            form_answer=str(spec["form_answer"]),
            keywords=tuple(spec.get("keywords", ())),
            citations=tuple(spec.get("citations", ())),
            facts={k: tuple(v) for k, v in (spec.get("facts") or {}).items()},
            notes=tuple(spec.get("notes", ())),
        )
        for token, spec in raw["statuses"].items()
    }
    channel_citations = {k: tuple(v) for k, v in (raw.get("channel_citations") or {}).items()}
    warnings = yaml.safe_load((root / "warnings.yaml").read_text(encoding="utf-8"))
    return DraftData(statuses, channel_citations, warnings)


_TEXT = Environment(undefined=StrictUndefined, autoescape=False)


def _warning(data: DraftData, key: str, **values: Any) -> str:
    return _TEXT.from_string(data.warnings[key]).render(**values)


# -- citations ---------------------------------------------------------------------------------

def guidance_citations(status: str, channel: str, retriever: Retriever, settings: Settings) -> list[Citation]:
    """The guidance passages behind a status's facts: best hit per query, above the floor and on topic."""
    data = load_data(str(settings.prompts_dir))
    spec = data.statuses.get(status)
    if spec is None:
        return []
    queries = [*spec.citations, *data.channel_citations.get(channel, ())]
    chosen: dict[str, Citation] = {}
    for item in queries:
        mentions = [m.lower() for m in item.get("mentions", ())]
        fitting = [h for h in retriever.search(item["query"], k=3, scope=GUIDANCE)
                   if h.score >= settings.relevance_floor
                   and (not mentions or any(m in h.chunk.text.lower() for m in mentions))]
        if fitting:
            best = max(fitting, key=lambda h: h.score)
            if best.chunk.id not in chosen:
                chosen[best.chunk.id] = to_citation(best, len(chosen) + 1)
    return list(chosen.values())


def cited_facts(spec: StatusSpec, citations: Sequence[Citation]) -> Facts:
    """A fact holds when one cited passage contains all of its phrases."""
    quotes = [c.quote.lower() for c in citations]
    return Facts({name: any(all(p.lower() in q for p in phrases) for q in quotes)
                  for name, phrases in spec.facts.items()})


# -- posting -----------------------------------------------------------------------------------

def posting_facts(posting: Any) -> PostingFacts:
    """Read a `PostingAnalysis`, its JSON form (as stored in the workspace), or posting text."""
    if posting is None:
        return PostingFacts()
    if isinstance(posting, str):
        from visapath.postings import analyze_posting

        posting = analyze_posting(posting)
    data = posting.to_json() if hasattr(posting, "to_json") else dict(posting)
    sponsorship = data.get("sponsorship") or {}
    verdict = str(sponsorship.get("verdict") or "not_mentioned")
    evidence = [e for e in sponsorship.get("evidence") or [] if isinstance(e, Mapping) and e.get("sentence")]
    best = next((e for e in evidence if e.get("label") == verdict), None)
    return PostingFacts(
        verdict=verdict,
        title=_str_or_none(data.get("title")),
        company=_str_or_none(data.get("company")),
        sentence=str(best["sentence"]) if best else None,
        cue=_str_or_none(best.get("cue")) if best else None,
        contradiction=bool(sponsorship.get("contradiction")),
        clearance_required=bool(data.get("clearance_required")),
    )


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _safe_field(value: str | None) -> str | None:
    """A posting's title or company, or None when it can't be shown as is (too long, odd characters)."""
    lines = [line for line in (value or "").splitlines() if line.strip()]
    if not lines:
        return None
    text = " ".join(lines[0].split())  # a field that ran into the next line keeps its first line
    if len(text) > _FIELD_MAX or _PLACEHOLDER.search(text) or planted(text):
        return None
    return text


def _role_noun(role: str | None) -> str:
    role = role or ""
    return role if re.search(r"\b(role|position|opening)$", role, re.IGNORECASE) else f"{role} role"


# -- the draft ---------------------------------------------------------------------------------

def make_draft(
    profile: Profile,
    channel: str = "linkedin-message",
    *,
    posting: Any = None,
    role: str | None = None,
    recipient: str | None = None,
    variant: Variant = "auto",
    citations: Sequence[Citation] | None = None,
    polish: Callable[[str], str] | None = None,
    today: date | None = None,
    prompts_dir: Path | None = None,
) -> Draft:
    """Render a draft for the profile's status.

    `posting` is a `PostingAnalysis`, its JSON form, or posting text. `role` is used when the
    posting gives no title (then the profile's target role). `citations` are shown beside the
    draft and unlock facts the guidance supports (None = not looked up). `polish` rewrites the
    body (an LLM); a rewrite that breaks a rule is discarded with a warning.
    """
    prompts_dir = Path(prompts_dir or resource_path("prompts"))
    data = load_data(str(prompts_dir))
    channel_spec, role, recipient = _validated(profile, channel, variant, role, recipient)
    spec = data.statuses[profile.status]
    warnings: list[str] = []
    facts = posting_facts(posting)
    ctx = _context(profile, facts, role, recipient, today or date.today(), data, warnings)
    ctx.facts = cited_facts(spec, citations or [])
    ctx.variant = "standard" if channel == "application-answer" else _variant(variant, ctx, facts, data, warnings)
    _posting_warnings(ctx, facts, posting is not None, channel, prompts_dir, data, warnings)

    body, subject = _render_fitting(ctx, channel, channel_spec, prompts_dir, data, warnings)
    draft = Draft(channel=channel, body=body, subject=subject, citations=list(citations or []), warnings=warnings,
                  status=ctx.status, variant=ctx.variant,
                  form_answer=spec.form_answer if channel == "application-answer" else None,
                  quote=ctx.quote if ctx.quote and ctx.quote in body else None)
    warnings.extend(_advice(spec, ctx.facts, citations, channel_spec.signed and not profile.name, data))
    return _polished(draft, polish, spec, channel_spec, data) if polish is not None else draft


def _validated(profile: Profile, channel: str, variant: str, role: str | None,
               recipient: str | None) -> tuple[ChannelSpec, str | None, str]:
    """The channel spec and cleaned free text, or a DraftError that says what to fix."""
    channel_spec = CHANNELS.get(channel)
    if channel_spec is None:
        raise DraftError(f"Unknown channel '{channel}'. Use one of: {', '.join(CHANNELS)}.")
    if not profile.status:
        raise DraftError("Your status is not set. Choose it in your profile (Profile tab, or "
                         "`visapath profile --status ...`), or pass --status (e.g. h1b, f1-stem-opt).")
    if variant not in VARIANTS:
        raise DraftError(f"Unknown variant '{variant}'. Use one of: {', '.join(VARIANTS)}.")
    try:
        return channel_spec, clean_text(role, "role", 100) or None, clean_text(recipient, "recipient name", 60)
    except ProfileError as exc:
        raise DraftError(str(exc)) from None


def _advice(spec: StatusSpec, facts: Facts, citations: Sequence[Citation] | None, unsigned: bool,
            data: DraftData) -> list[str]:
    """Status notes the citations support, plus gaps the user should know about."""
    out = [note["text"] for note in spec.notes if facts.get(note.get("requires", ""), not note.get("requires"))]
    if citations is not None and not citations:
        out.append(_warning(data, "no_citations"))
    if unsigned:
        out.append(_warning(data, "no_name"))
    return out


def _context(profile: Profile, facts: PostingFacts, role: str | None, recipient: str, today: date,
             data: DraftData, warnings: list[str]) -> DraftContext:
    """What the templates see: who the user is, which role, and what their runway is."""
    status = str(profile.status)
    ctx = DraftContext(status=status, needs=status not in NO_SPONSORSHIP_NEEDED, variant="standard",
                       name=profile.name, recipient=recipient)
    title, company = _safe_field(facts.title), _safe_field(facts.company)
    if title and company and title.lower().endswith(f" at {company.lower()}"):
        title = title[: -len(company) - 4].strip() or None
    for label, raw, clean in (("title", facts.title, title), ("company name", facts.company, company)):
        if raw and not clean:
            warnings.append(_warning(data, "field_unusual", field=label))
    ctx.role = title or role or profile.target_role or None  # the posting names its own role best
    ctx.company = company
    ctx.stem_degree = bool(profile.stem_degree)
    ctx.advanced_us_degree = bool(profile.us_degree) and profile.degree in ("master", "phd")
    ctx.degree_label = "master's degree" if profile.degree == "master" else DEGREES.get(profile.degree or "", "")
    if status in _STEM_STATUSES and profile.stem_degree is None:
        warnings.append(_warning(data, "no_stem_degree"))
    if status in _AUTH_END_STATUSES:
        months = profile.months_left(today)
        end = profile.work_authorization_end
        if end is None:
            warnings.append(_warning(data, "no_auth_end"))
        elif months is None or end < today:
            warnings.append(_warning(data, "auth_end_past", end=end.isoformat()))
        else:
            ctx.auth_end = f"{end:%B} {end.day}, {end.year}"
            ctx.runway = ("less than a month" if months < 1 else "about a month" if months == 1
                          else f"about {months} months")
    return ctx


def _variant(requested: str, ctx: DraftContext, facts: PostingFacts, data: DraftData, warnings: list[str]) -> str:
    """check-only when the posting seems to rule the user out (or when asked), else standard."""
    conflict = _conflict(ctx.status, facts.verdict)
    if requested == "check-only" and not ctx.needs and not conflict:
        warnings.append(_warning(data, "variant_not_needed"))
        return "standard"
    if requested == "auto":
        return "check-only" if conflict else "standard"
    return requested


def _conflict(status: str, verdict: str) -> str | None:
    """The warning key when a posting's verdict rules out this status, else None."""
    if verdict == "citizenship_or_clearance" and status != "citizen":
        return "conflict_citizenship_green_card" if status == "green-card" else "conflict_citizenship"
    if status in NO_SPONSORSHIP_NEEDED:
        return None
    if verdict == "no_sponsorship":
        return "conflict_no_sponsorship_light" if status in _LIGHT_PATHS else "conflict_no_sponsorship"
    if verdict == "transfer_only" and status != "h1b":
        return "conflict_transfer_only"
    return None


_POSTING_SAYS = {
    "no_sponsorship": "the posting says the role does not offer visa sponsorship",
    "citizenship_or_clearance": "the posting requires US citizenship or a security clearance",
    "transfer_only": "the posting mentions H-1B transfers only",
}


def _posting_warnings(ctx: DraftContext, facts: PostingFacts, has_posting: bool, channel: str,
                      prompts_dir: Path, data: DraftData, warnings: list[str]) -> None:
    """Choose the quote (verbatim, or none) and say plainly what the posting means for this user."""
    ctx.verdict = facts.verdict if has_posting else None
    if not has_posting:
        return
    quote = _quotable(facts, data, warnings)
    relevant = ctx.needs or facts.verdict in ("no_sponsorship", "authorization_ambiguous") or (
        ctx.status == "green-card" and facts.verdict == "citizenship_or_clearance")
    ctx.quote = quote if relevant else None
    ctx.quote_end = "" if ctx.quote and ctx.quote.rstrip()[-1:] in ".!?" else "."
    ctx.posting_says = _POSTING_SAYS.get(facts.verdict)
    conflict = _conflict(ctx.status, facts.verdict)
    if conflict:
        shown = quote or facts.cue
        quoted = f": “{shown}”{'' if shown.rstrip()[-1:] in '.!?' else '.'}" if shown else "."
        warnings.append(_warning(data, conflict, quoted=quoted,
                                 need=_render_macro(ctx, "need", prompts_dir)))
        if ctx.variant == "check-only":
            warnings.append(_warning(data, "check_only"))
        elif channel != "application-answer":
            warnings.append(_warning(data, "standard_despite_conflict"))
    if ctx.status == "citizen" and (facts.verdict == "citizenship_or_clearance" or facts.clearance_required):
        warnings.append(_warning(data, "clearance_citizen"))
    if facts.contradiction:
        warnings.append(_warning(data, "contradiction"))
    elif ctx.needs and facts.verdict == "authorization_ambiguous":
        warnings.append(_warning(data, "ambiguous"))
    elif ctx.needs and facts.verdict in ("not_mentioned", "unrelated"):
        warnings.append(_warning(data, "not_mentioned"))


def _quotable(facts: PostingFacts, data: DraftData, warnings: list[str]) -> str | None:
    """The posting's sentence if it can be quoted verbatim, its key phrase if the sentence is long."""
    sentence = facts.sentence
    if not sentence:
        return None
    if planted(sentence):
        warnings.append(_warning(data, "quote_suspicious"))
        return None
    sentence = sentence.strip()
    if "\n" in sentence:
        sentence = " ".join(sentence.split())
    if len(sentence) <= _QUOTE_MAX:
        return sentence
    cue = (facts.cue or "").strip()
    if cue and len(cue) <= _QUOTE_MAX and cue in sentence and not planted(cue):
        warnings.append(_warning(data, "quote_too_long"))
        return cue
    warnings.append(_warning(data, "quote_dropped"))
    return None


def _render_macro(ctx: DraftContext, macro: str, prompts_dir: Path) -> str:
    """One macro of the status template, e.g. `need` for warnings."""
    source = '{% import "drafts/status/" ~ c.status ~ ".j2" as s %}{{ s.' + macro + '(c) }}'
    return _env(str(prompts_dir)).from_string(source).render(c=ctx).strip()


@lru_cache(maxsize=4)
def _env(root: str) -> Environment:
    return Environment(loader=FileSystemLoader(root), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, autoescape=False)


# -- rendering within limits -------------------------------------------------------------------

_DROPS: tuple[tuple[str, ...], ...] = (
    (), ("quote",), ("quote", "role", "company"), ("quote", "role", "company", "name"),
    ("quote", "role", "company", "name", "recipient"),
)
_TEXT_FIELDS = frozenset({"name", "recipient"})  # emptied with "" rather than None


def _render_fitting(ctx: DraftContext, channel: str, spec: ChannelSpec, prompts_dir: Path, data: DraftData,
                    warnings: list[str]) -> tuple[str, str | None]:
    """The fullest rendering within the channel's limit: shorter variants first, then drop optional data."""
    attempts = [(level, ()) for level in range(spec.start_level, 3)] + [(2, d) for d in _DROPS[1:]]
    first = ""
    for level, drops in attempts:
        trial = replace(ctx, level=level)
        for name in drops:
            setattr(trial, name, "" if name in _TEXT_FIELDS else None)
        body = _render(spec.template, trial, spec, prompts_dir)
        first = first or body
        if len(body) <= spec.limit:
            dropped = _dropped(ctx, first, body)
            if dropped:
                warnings.append(_warning(data, "shortened", limit=spec.limit, label=spec.label,
                                         dropped=" and ".join(dropped)))
            ctx.level, ctx.quote = level, trial.quote
            subject = _subject(trial, prompts_dir) if channel == "email" else None
            return body, subject
    raise DraftError(f"Could not fit the {spec.label} within {spec.limit} characters ({len(body)}).")


def _dropped(ctx: DraftContext, fullest: str, body: str) -> list[str]:
    """What the fullest rendering said that the one that fits does not."""
    parts = {"the posting quote": ctx.quote, "the role": ctx.role, "the company name": ctx.company,
             "your name": ctx.name, "the recipient's name": ctx.recipient}
    return [label for label, value in parts.items() if value and value in fullest and value not in body]


def _render(template: str, ctx: DraftContext, spec: ChannelSpec, prompts_dir: Path) -> str:
    """Render with the quote masked, tidy, check for leftovers, then put the verbatim quote back."""
    quote = ctx.quote
    masked = replace(ctx, quote=_QUOTE if quote else None)
    text = tidy(render(template, root=prompts_dir, c=masked), one_paragraph=spec.one_paragraph)
    leftovers = find_placeholders(text.replace(_QUOTE, ""))
    if leftovers:
        raise DraftError(f"Template {template} left placeholders: {', '.join(leftovers)}.")
    return text.replace(_QUOTE, quote or "")


def _subject(ctx: DraftContext, prompts_dir: Path) -> str:
    for trial in (ctx, replace(ctx, role=None)):
        subject = tidy(render("drafts/email-subject.txt", root=prompts_dir, c=trial), one_paragraph=True)
        if len(subject) <= SUBJECT_LIMIT:
            return subject
    return subject


def tidy(text: str, one_paragraph: bool = False) -> str:
    """Normalise template whitespace: single spaces, at most one blank line, no space before punctuation."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    text = " ".join(l for l in lines if l) if one_paragraph else "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    return text.strip()


def find_placeholders(text: str) -> list[str]:
    """Template leftovers such as {{ x }}, [Name], <company>, TODO."""
    return [m.group(0) for m in _PLACEHOLDER.finditer(text)]


# -- optional LLM polish -----------------------------------------------------------------------

def _polished(draft: Draft, polish: Callable[[str], str], spec: StatusSpec, channel: ChannelSpec,
              data: DraftData) -> Draft:
    """The polished draft if it passes `polish_problem`, else the template draft with a warning."""
    try:
        candidate = polish(draft.body)
    except Exception as exc:  # an unreachable or failing model must never lose the draft
        draft.warnings.append(_warning(data, "polish_failed", error=type(exc).__name__))
        return draft
    candidate = (candidate or "").strip() if isinstance(candidate, str) else ""
    reason = polish_problem(draft, candidate, spec, channel.limit)
    if reason:
        draft.warnings.append(_warning(data, "polish_rejected", reason=reason))
        return draft
    return replace(draft, body=candidate, polished=True)


def polish_problem(draft: Draft, candidate: str, spec: StatusSpec, limit: int) -> str | None:
    """Why a polished body can't replace the template draft, or None if it is acceptable."""
    if not candidate:
        return "it was empty"
    if len(candidate) > limit:
        return f"it was {len(candidate)} characters, over the {limit} limit"
    missing = [k for k in spec.keywords if not has_keyword(candidate, k)]
    if missing:
        return f"it dropped the status facts ({', '.join(missing)})"
    leftovers = find_placeholders(candidate.replace(draft.quote, "") if draft.quote else candidate)
    if leftovers:
        return f"it contains placeholders ({', '.join(leftovers)})"
    if draft.quote and draft.quote not in candidate:
        return "it changed the quoted posting sentence"
    new_numbers = set(_NUMBER.findall(candidate)) - set(_NUMBER.findall(draft.body))
    if new_numbers:
        return f"it added numbers not in the draft ({', '.join(sorted(new_numbers))})"
    if draft.form_answer and not candidate.startswith(draft.form_answer):
        return f"it no longer starts with \"{draft.form_answer}\""
    return None


def has_keyword(text: str, keyword: str) -> bool:
    """`keyword` may list alternatives as 'a|b'; matched case-insensitively on word boundaries."""
    return any(re.search(rf"(?<![A-Za-z0-9]){re.escape(k.strip())}(?![A-Za-z0-9])", text, re.IGNORECASE)
               for k in keyword.split("|"))


def status_keywords(status: str, prompts_dir: Path | None = None) -> tuple[str, ...]:
    return load_data(str(prompts_dir or resource_path("prompts"))).statuses[status].keywords


def llm_polisher(model: Any, channel: str, prompts_dir: Path | None = None) -> Callable[[str], str]:
    """A polish function backed by a LangChain chat model; the draft is passed as data, not instructions."""
    from langchain_core.messages import HumanMessage, SystemMessage

    spec = CHANNELS[channel]
    system = render("drafts/polish.txt", root=prompts_dir, channel_label=spec.label, limit=spec.limit,
                    keep_first_word=channel == "application-answer")

    def polish(text: str) -> str:
        reply = model.invoke([SystemMessage(content=system), HumanMessage(content=f"<draft>\n{text}\n</draft>")])
        content = reply.content if hasattr(reply, "content") else reply
        return content if isinstance(content, str) else str(content)

    return polish


# -- the assistant's entry point ---------------------------------------------------------------


def compose(
    settings: Settings,
    saved_profile: Profile,
    retriever: Retriever,
    channel: str = "linkedin-message",
    *,
    postings: PostingWorkspace | None = None,
    status: str | None = None,
    name: str | None = None,
    role: str | None = None,
    recipient: str | None = None,
    posting: Any = None,
    posting_id: str | None = None,
    variant: Variant = "auto",
    cite: bool = True,
    polish: bool = False,
    today: date | None = None,
    filing_hint: Callable[[str | None, str | None], str | None] | None = None,
) -> Draft:
    """`Assistant.draft`: the saved profile with overrides, a posting (analysis or saved id), citations, polish.

    It receives exactly what it uses: settings, the saved profile, the guidance retriever,
    (for `posting_id`) the user's posting workspace and (for a posting's company) a note on its
    public filing history.
    """
    if channel not in CHANNELS:
        raise DraftError(f"Unknown channel '{channel}'. Use one of: {', '.join(CHANNELS)}.")
    profile = saved_profile.merged(status=status, name=name)
    if posting is None and posting_id:
        posting = _saved_analysis(postings, posting_id)
    citations = (guidance_citations(profile.status, channel, retriever, settings)
                 if cite and profile.status else None)
    notices: list[str] = []
    polisher = _polisher(settings, channel, notices) if polish else None
    draft = make_draft(profile, channel, posting=posting, role=role, recipient=recipient, variant=variant,
                       citations=citations, polish=polisher, today=today, prompts_dir=settings.prompts_dir)
    draft.warnings.extend(notices)
    if posting is not None and filing_hint is not None:  # the employer's public filings, beside the draft
        facts = posting_facts(posting)
        hint = filing_hint(facts.company, facts.title)
        if hint:
            draft.warnings.append(hint)
    return draft


def _saved_analysis(postings: PostingWorkspace | None, posting_id: str) -> dict[str, Any]:
    pid = posting_id.strip().lower()
    try:
        if postings is None:
            raise KeyError(pid)
        return postings.get(pid)[2]  # a malformed id is refused there (InvalidIdentifier, a ValueError)
    except (OSError, ValueError, KeyError):
        raise DraftError(f"No saved posting '{posting_id}'. List them with `visapath postings`.") from None


def _polisher(settings: Settings, channel: str, notices: list[str]) -> Callable[[str], str] | None:
    from visapath.llm import LLMConfigError, build_chat_model

    try:
        model = build_chat_model(settings)
    except LLMConfigError as exc:
        notices.append(f"The LLM is not usable ({exc}); this is the template draft.")
        return None
    if model is None:
        notices.append("No LLM is configured (VISAPATH_LLM_BACKEND=none); this is the template draft.")
        return None
    return llm_polisher(model, channel, settings.prompts_dir)
