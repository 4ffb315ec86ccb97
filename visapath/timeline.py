"""The user's own visa dates, computed from their profile: work authorization end, the STEM
OPT filing window and extension, grace periods, the next H-1B registration window and petition
filing, how far cap-gap can reach, and the six-year H-1B limit.

Durations and the guidance passage behind each date are data (`prompts/timeline/rules.yaml`);
this module only does date arithmetic, so it is pure and unit-tested. The Profile page draws
the result and the chat points to it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from visapath.profile import Profile

RULES_FILE = Path("timeline") / "rules.yaml"


@dataclass(frozen=True)
class SourceRef:
    """The guidance passage a date comes from: document path and section heading."""

    source: str
    section: str


@dataclass(frozen=True)
class TimelineEvent:
    """One date (`end` is None) or window (`start`..`end`, inclusive) on the user's timeline."""

    key: str
    label: str
    start: date
    end: date | None
    kind: str  # "authorization" | "grace" | "window" | "limit" | "option"
    note: str
    ref: SourceRef

    @property
    def last_day(self) -> date:
        return self.end or self.start


@dataclass(frozen=True)
class TimelineRules:
    grace_days: int
    stem_extension_months: int
    stem_filing_days_before_end: int
    registration_month: int
    petition_filing: tuple[tuple[int, int], tuple[int, int]]
    cap_gap_end: tuple[int, int]
    h1b_max_years: int
    sources: dict[str, SourceRef]
    needs_cap_registration: frozenset[str]
    work_grace_statuses: frozenset[str]

    @classmethod
    def load(cls, prompts_dir: Path) -> "TimelineRules":
        data: dict[str, Any] = yaml.safe_load((Path(prompts_dir) / RULES_FILE).read_text(encoding="utf-8"))
        filing = data["petition_filing"]
        return cls(
            grace_days=int(data["grace_days"]),
            stem_extension_months=int(data["stem_extension_months"]),
            stem_filing_days_before_end=int(data["stem_filing_days_before_end"]),
            registration_month=int(data["registration_month"]),
            petition_filing=(tuple(filing["start"]), tuple(filing["end"])),  # type: ignore[arg-type]
            cap_gap_end=tuple(data["cap_gap_end"]),  # type: ignore[arg-type]
            h1b_max_years=int(data["h1b_max_years"]),
            sources={k: SourceRef(v["source"], v["section"]) for k, v in data["sources"].items()},
            needs_cap_registration=frozenset(data["needs_cap_registration"]),
            work_grace_statuses=frozenset(data["work_grace_statuses"]),
        )


@dataclass
class Timeline:
    today: date
    events: list[TimelineEvent] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # profile fields that would add dates

    def upcoming(self) -> list[TimelineEvent]:
        """Events not yet over, soonest first."""
        return sorted((e for e in self.events if e.last_day >= self.today), key=lambda e: e.start)


def add_months(day: date, months: int) -> date:
    """Same day of the month `months` later (the month's last day when it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def next_registration(today: date, month: int) -> tuple[date, date]:
    """The next registration month still ahead (or under way): its first and last day."""
    year = today.year if today <= date(today.year, month, calendar.monthrange(today.year, month)[1]) else today.year + 1
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def build_timeline(profile: Profile, rules: TimelineRules, today: date | None = None) -> Timeline:
    """The dates that follow from this profile; `missing` names what to fill in for more."""
    today = today or date.today()
    tl = Timeline(today)
    status, end = profile.status, profile.work_authorization_end
    src = rules.sources
    grace = timedelta(days=rules.grace_days)
    if not status:
        tl.missing.append("status")
        return tl

    if status in ("f1-opt", "f1-stem-opt", "h4-ead"):
        if end is None:
            tl.missing.append("work_authorization_end")
        else:
            label = {"f1-opt": "OPT work authorization ends", "f1-stem-opt": "STEM OPT work authorization ends",
                     "h4-ead": "H-4 EAD ends"}[status]
            key = {"f1-opt": "opt_end", "f1-stem-opt": "stem_end", "h4-ead": "ead_end"}[status]
            tl.events.append(TimelineEvent(key, label, end, None, "authorization",
                                           "The last day on your EAD card.", src[key]))
    if status == "f1-opt" and end is not None and profile.stem_degree:
        opens = end - timedelta(days=rules.stem_filing_days_before_end)
        tl.events.append(TimelineEvent("stem_filing", "STEM OPT application window", opens, end, "window",
                                       f"File Form I-765 up to {rules.stem_filing_days_before_end} days before "
                                       "your OPT ends, and before it ends.", src["stem_filing"]))
        tl.events.append(TimelineEvent("stem_window", "STEM OPT extension (if approved)", end + timedelta(days=1),
                                       add_months(end, rules.stem_extension_months), "option",
                                       f"{rules.stem_extension_months} more months of work authorization.",
                                       src["stem_window"]))
    if status in ("f1-opt", "f1-stem-opt") and end is not None:
        tl.events.append(TimelineEvent("f1_grace", f"{rules.grace_days}-day period after OPT ends",
                                       end + timedelta(days=1), end + grace, "grace",
                                       "Time to leave, change status or transfer; no work.", src["f1_grace"]))
    if status in rules.work_grace_statuses:
        tl.events.append(TimelineEvent("work_grace", f"Grace period if your job ended today", today,
                                       today + grace, "grace",
                                       f"Up to {rules.grace_days} days (or until your I-94 ends, if sooner) to "
                                       "find a new employer, change status or leave.", src["work_grace"]))
    if status in rules.needs_cap_registration:
        reg_start, reg_end = next_registration(today, rules.registration_month)
        tl.events.append(TimelineEvent("registration", "Next H-1B registration window", reg_start, reg_end, "window",
                                       "Your employer registers you; USCIS announces the exact days each year.",
                                       src["registration"]))
        (fm, fd), (tm, td) = rules.petition_filing
        if status in ("f1-opt", "f1-stem-opt"):
            gap_end = date(reg_start.year + 1, *rules.cap_gap_end)
            filed = date(reg_start.year, fm, fd)
            note = ("If you are selected and the petition is filed while your OPT is valid, cap-gap keeps "
                    f"your status and work authorization up to April 1, {gap_end.year}.")
            if end is not None and end < filed:
                note = (f"Your OPT ends before petitions can be filed ({filed.isoformat()}), so cap-gap "
                        "would keep only your status, not work authorization, and only if still in your 60 days.")
            tl.events.append(TimelineEvent("cap_gap", "Cap-gap can reach", gap_end, None, "limit", note,
                                           src["cap_gap"]))
    if status == "h1b":
        if profile.h1b_start is None:
            tl.missing.append("h1b_start")
        else:
            limit = add_years(profile.h1b_start, rules.h1b_max_years)
            tl.events.append(TimelineEvent("six_years", "Six-year H-1B limit (before recapture)", limit, None, "limit",
                                           "Later only with an AC21 green-card-based extension, or after a year "
                                           "outside the US; time spent abroad can be recaptured.", src["six_years"]))
    return tl
