"""What the user's profile changes in an answer: their status first, their own dates, and the
guidance's sample dates marked as samples.

The guidance explains rules with sample dates ("authorized to work through June 2028"). A user
whose profile says her STEM OPT ends June 30, 2027 must not read that date as hers, and when she
asks "how long can I stay after my STEM OPT ends?" the answer should give her own dates. Those
come from `visapath.timeline` (date arithmetic on the profile), each citing the guidance passage
its rule rests on. A user who already holds a status is not told how to apply for it unless
they ask. Which topics each status leads with or already holds is data (composition.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from visapath.models import Hit
from visapath.profile import Profile
from visapath.timeline import Timeline, TimelineEvent, TimelineRules, build_timeline

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
DATE = re.compile(rf"\b(?:{_MONTHS})\.?(?:\s+\d{{1,2}},?)?\s+20\d\d\b|\b20\d\d-\d\d-\d\d\b")
_QUOTED = re.compile(r"[\"“]([^\"”]{8,})[\"”]")
_EXAMPLE_CUE = re.compile(r"\b(?:for example|for instance|e\.g\.|suppose|say|such as|sample)\b", re.I)
PERSONAL = re.compile(r"\b(?:i|my|me|mine|i'm|i've|i'd|i'll)\b", re.I)
# A section on how to get a status ("When and how do I apply for STEM OPT?", "Who qualifies ...").
HOW_TO_GET = re.compile(r"\b(?:apply for|how do i apply|how to apply|when (?:and how )?(?:should|do|can) i apply|"
                        r"qualif\w*|eligib\w*|who can get)\b", re.I)
ASKS_TO_GET = re.compile(r"\b(?:apply|application|qualif\w*|eligib\w*|get (?:an? )?|obtain|renew\w*)\b", re.I)
# Dates that follow from "today" rather than from the profile are hypothetical; never shown as the user's.
HYPOTHETICAL = frozenset({"work_grace"})
# A sample date stays a sample only when the user has dates of their own to confuse it with.
AUTHORIZATION_KEYS = ("opt_end", "stem_end", "ead_end", "six_years")


@dataclass(frozen=True)
class Personal:
    """The profile as composition reads it."""

    status: str | None = None
    topics: frozenset[str] = frozenset()  # guidance topics that apply to the status: lead with them
    held: frozenset[str] = frozenset()  # topics of the status already held: not how to apply for it
    events: tuple[TimelineEvent, ...] = ()  # the user's own dates, soonest first
    own_date: str = ""  # "STEM OPT work authorization ends June 30, 2027", for sample-date notes


def personal_context(profile: Profile | None, topics: dict[str, list[str]], held: dict[str, list[str]],
                     rules: TimelineRules, today: date | None = None) -> Personal:
    status = getattr(profile, "status", None) if profile is not None else None
    if not status:
        return Personal()
    timeline: Timeline = build_timeline(profile, rules, today)
    events = tuple(e for e in timeline.upcoming() if e.key not in HYPOTHETICAL)
    authorization = next((e for e in timeline.events if e.key in AUTHORIZATION_KEYS), None)
    own = f"{authorization.label} {when(authorization)}" if authorization is not None else ""
    return Personal(status, frozenset(topics.get(status, ())), frozenset(held.get(status, ())), events, own)


def day(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def when(event: TimelineEvent) -> str:
    return day(event.start) if event.end is None else f"{day(event.start)} to {day(event.end)}"


def is_personal(ask: str) -> bool:
    return bool(PERSONAL.search(ask))


def sample_date(text: str) -> bool:
    """The text shows a date as a sample: inside a quoted sample phrasing, or after "for example"."""
    if any(DATE.search(m.group(1)) for m in _QUOTED.finditer(text)):
        return True
    cue = _EXAMPLE_CUE.search(text)
    return bool(cue and DATE.search(text, cue.end()))


def about_getting_held_status(personal: Personal, hit: Hit, ask: str) -> bool:
    """A section on applying for, or qualifying for, a status the user already holds, not asked for."""
    return (bool(personal.held) and hit.chunk.topic in personal.held
            and bool(HOW_TO_GET.search((hit.chunk.section or "").split(" > ")[-1]))
            and not ASKS_TO_GET.search(ask))


def section_of(event: TimelineEvent, hit: Hit) -> bool:
    """The passage is the one the event's rule comes from (same document and heading)."""
    chunk = hit.chunk
    return chunk.source == event.ref.source and (chunk.section or "").split(" > ")[-1].strip() == event.ref.section
