"""The profile shapes chat answers: the user's own dates, sample dates marked as samples, and no
instructions for getting a status the user already holds. Through a real index and the real model."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from visapath.compose import without_yes_no
from visapath.personal import day, sample_date
from visapath.service import Assistant
from visapath.units import units

STEM = """---
title: STEM OPT
topic: stem-opt
last_reviewed: 2026-11
sources:
  - title: STEM OPT Hub
    url: https://studyinthestates.dhs.gov/stem-opt-hub
---

## What is the STEM OPT extension?
The STEM OPT extension adds 24 months of work authorization to post-completion OPT for graduates with a STEM degree.

## When and how do I apply for STEM OPT?
File Form I-765 up to 90 days before the OPT card expires, after the school official recommends the extension.

## What does my employer need to do for STEM OPT?
The employer must use E-Verify and sign the Form I-983 training plan with the student.
"""
GRACE = """---
title: Grace periods
topic: layoffs
last_reviewed: 2026-11
sources:
  - title: 8 CFR 214.2(f)
    url: https://www.ecfr.gov/current/title-8/part-214/section-214.2
---

## Does the 60-day grace period apply to F-1 students on OPT or STEM OPT?
No, F-1 students follow their own rule. After OPT or STEM OPT ends, an F-1 student has 60 days to leave the United States, change status or transfer to a new school.
"""
RECRUITERS = """---
title: Talking to recruiters
topic: job-search
last_reviewed: 2026-11
sources:
  - title: USCIS OPT
    url: https://www.uscis.gov/opt
---

## How should a STEM OPT student describe work authorization to a recruiter?
A student on STEM OPT can say: "I'm on STEM OPT, authorized to work through June 2028, and would need H-1B sponsorship later." Keep it to two sentences.
"""


@pytest.fixture
def profile_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "visas").mkdir(parents=True)
    (root / "job-search").mkdir()
    (root / "visas" / "f1-stem-opt.md").write_text(STEM, encoding="utf-8")
    (root / "visas" / "grace-period-60-day.md").write_text(GRACE, encoding="utf-8")
    (root / "job-search" / "talking-to-recruiters.md").write_text(RECRUITERS, encoding="utf-8")
    return root


@pytest.fixture
def stem_user(settings_factory, profile_kb) -> tuple[Assistant, date]:
    a = Assistant(settings_factory(knowledge_dir=profile_kb))
    a.ingest([profile_kb])
    end = date.today() + timedelta(days=200)
    a.profiles.update(status="f1-stem-opt", work_authorization_end=end)
    return a, end


def test_sample_dates_and_yes_no_openings():
    assert sample_date('You can say: "I am authorized to work through June 2028."')
    assert sample_date("For example, an EAD that ends March 3, 2027 can be renewed 180 days earlier.")
    assert not sample_date("Renewals filed on or after October 30, 2025 get no automatic extension.")
    opening = units("No, F-1 students follow their own rule. They have 60 days.")[0]
    assert without_yes_no(opening).text == "F-1 students follow their own rule. They have 60 days."
    assert without_yes_no(units("No. The 180-day rule is separate.")[0]).sentences == ("The 180-day rule is separate.",)
    assert without_yes_no(units("Nobody files twice.")[0]).text == "Nobody files twice."


def test_a_personal_ask_gets_the_users_own_dates_first(stem_user):
    a, end = stem_user
    answer = a.ask("How long can I stay in the US after my STEM OPT ends?")
    first = answer.answer.split(" [")[0]
    assert first == f"From your profile — 60-day period after OPT ends: {day(end + timedelta(days=1))} to " \
                    f"{day(end + timedelta(days=60))}."
    grace = next(c for c in answer.citations if c.n == 1)
    assert grace.source == "visas/grace-period-60-day.md"
    # The section's "No," answers its own heading, not "how long": the quote starts after it.
    assert "No, F-1" not in answer.answer and "F-1 students follow their own rule." in answer.answer


def test_a_sample_date_in_guidance_is_never_presented_as_the_users(stem_user, settings_factory, profile_kb):
    a, end = stem_user
    answer = a.ask("What should I tell a recruiter about my STEM OPT?")
    assert "authorized to work through June 2028" in answer.answer  # the guidance's own sample, quoted
    assert (f"The date in that sample is only an example; by your profile, STEM OPT work authorization ends "
            f"{day(end)}.") in answer.answer
    plain = Assistant(settings_factory(knowledge_dir=profile_kb, data_dir=a.settings.data_dir.parent / "other"))
    plain.ingest([profile_kb])
    plain.profiles.update(status="f1-stem-opt")  # a status without dates
    assert "only an example; use your own." in plain.ask("What should I tell a recruiter about my STEM OPT?").answer


def test_no_instructions_for_getting_the_status_already_held(stem_user, settings_factory, profile_kb):
    a, _ = stem_user
    question = "What do I need to know about STEM OPT?"
    held = a.ask(question)
    assert "File Form I-765" not in held.answer
    assert "E-Verify" in held.answer or "24 months" in held.answer
    # Asked for, it is answered.
    assert "File Form I-765" in a.ask("How do I apply for STEM OPT?").answer
    # Someone on plain OPT, who would apply for it next, is told.
    opt = Assistant(settings_factory(knowledge_dir=profile_kb, data_dir=a.settings.data_dir.parent / "opt"))
    opt.ingest([profile_kb])
    opt.profiles.update(status="f1-opt")
    assert "File Form I-765" in opt.ask(question).answer


def test_with_no_class_asked_the_users_own_status_leads():
    from visapath.compose import rank
    from visapath.models import Chunk, Hit
    from visapath.personal import Personal

    def hit(cid: str, topic: str) -> Hit:
        return Hit(Chunk(id=cid, text="Sixty days to find a new job.", source=f"{cid}.md", title=cid,
                         section="How long is the grace period?", page=None, start=0, end=29, topic=topic), 0.5)

    hits = [hit("h1b", "layoffs"), hit("opt", "opt")]
    ask = "How long do I have to find a new job after a layoff?"
    generic = rank(hits, {}, set(), ask)
    assert generic[0].hit.chunk.id == "h1b"  # retrieval order decides for an unknown status
    mine = rank(hits, {}, set(), ask, Personal(status="f1-opt", topics=frozenset({"opt"})))
    assert mine[0].hit.chunk.id == "opt"
    named = rank(hits, {}, {"h-1b"}, "How long do I have after an H-1B layoff?",
                 Personal(status="f1-opt", topics=frozenset({"opt"})))
    assert named[0].hit.chunk.id == "h1b"  # the class the ask names wins over the profile
