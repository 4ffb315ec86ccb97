"""The personal timeline: dates computed from a profile with the rules in prompts/timeline."""

from __future__ import annotations

from datetime import date

import pytest

from visapath.config import PROJECT_ROOT
from visapath.profile import Profile
from visapath.timeline import TimelineRules, add_months, build_timeline, next_registration

RULES = TimelineRules.load(PROJECT_ROOT / "prompts")
TODAY = date(2026, 12, 1)


def events(profile: Profile, today: date = TODAY) -> dict[str, tuple[date, date | None]]:
    return {e.key: (e.start, e.end) for e in build_timeline(profile, RULES, today).events}


def test_opt_with_stem_degree_gets_filing_window_extension_grace_registration_and_cap_gap() -> None:
    got = events(Profile(status="f1-opt", stem_degree=True, work_authorization_end=date(2027, 6, 30)))
    assert got["opt_end"] == (date(2027, 6, 30), None)
    assert got["stem_filing"] == (date(2027, 4, 1), date(2027, 6, 30))  # 90 days before the end
    assert got["stem_window"] == (date(2027, 7, 1), date(2029, 6, 30))  # 24 months
    assert got["f1_grace"] == (date(2027, 7, 1), date(2027, 8, 29))  # 60 days
    assert got["registration"] == (date(2027, 3, 1), date(2027, 3, 31))
    assert got["cap_gap"] == (date(2028, 4, 1), None)  # April 1 of the fiscal year requested


def test_opt_ending_before_petitions_can_be_filed_says_cap_gap_gives_no_work_authorization() -> None:
    tl = build_timeline(Profile(status="f1-opt", work_authorization_end=date(2027, 2, 15)), RULES, TODAY)
    cap_gap = next(e for e in tl.events if e.key == "cap_gap")
    assert "not work authorization" in cap_gap.note
    assert "stem_filing" not in {e.key for e in tl.events}  # no STEM degree, no STEM window


def test_h1b_gets_six_year_limit_and_grace_from_today_and_no_registration() -> None:
    got = events(Profile(status="h1b", h1b_start=date(2024, 2, 29)))
    assert got["six_years"] == (date(2030, 2, 28), None)
    assert got["work_grace"] == (TODAY, date(2027, 1, 30))
    assert "registration" not in got and "cap_gap" not in got


def test_missing_dates_are_named_instead_of_guessed() -> None:
    assert build_timeline(Profile(), RULES, TODAY).missing == ["status"]
    assert build_timeline(Profile(status="h1b"), RULES, TODAY).missing == ["h1b_start"]
    tl = build_timeline(Profile(status="f1-stem-opt"), RULES, TODAY)
    assert tl.missing == ["work_authorization_end"] and [e.key for e in tl.events] == ["registration", "cap_gap"]


@pytest.mark.parametrize(("today", "expected"), [(date(2026, 12, 1), 2027), (date(2027, 3, 31), 2027),
                                                 (date(2027, 4, 1), 2028), (date(2027, 1, 1), 2027)])
def test_next_registration_is_this_march_until_it_is_over(today: date, expected: int) -> None:
    assert next_registration(today, 3) == (date(expected, 3, 1), date(expected, 3, 31))


def test_add_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2027, 1, 15), 24) == date(2029, 1, 15)


def test_every_cited_section_exists_in_the_knowledge_base() -> None:
    for ref in RULES.sources.values():
        text = (PROJECT_ROOT / "knowledge" / ref.source).read_text(encoding="utf-8")
        assert f"## {ref.section}\n" in text, ref
