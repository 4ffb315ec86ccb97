"""Posting fields on postings written for these tests: required vs preferred degree and years,
remote scope, company and location apart, salaries in any unit annualized, several roles."""

from __future__ import annotations

import pytest

from visapath.postings import analyze_posting


def read(text: str):
    return analyze_posting(text, classifier=None)


def test_a_preferred_masters_is_not_the_required_degree() -> None:
    a = read("ML Engineer\nAcme AI - Boston, MA\nRequirements: Bachelor's degree in CS. A Master's degree is preferred.\n"
             "3+ years of experience required; 5+ years preferred.")
    assert a.min_degree == "bachelor" and a.min_years_experience == 3
    assert read("Data Scientist\nMaster's degree preferred. Experience with Python.").min_degree is None


def test_years_come_from_the_required_list_not_the_preferred_one() -> None:
    a = read("Engineer\nPreferred qualifications:\n- 7+ years of experience in distributed systems\n"
             "Minimum qualifications:\n- 2+ years of experience with Go")
    assert a.min_years_experience == 2


@pytest.mark.parametrize("text,mode,scope", [
    ("Backend Engineer\nAcme - Remote\nThis role is remote anywhere in the US.", "remote_us_only", "anywhere in the US"),
    ("Backend Engineer\nRemote, but you must live in one of these states: CA, NY, TX, WA.", "remote_us_only",
     "US states: CA, NY, TX, WA"),
    ("Backend Engineer\nHybrid: three days a week in our Austin, TX office.", "hybrid",
     "hybrid, three days a week in the office (Austin, TX)"),
    ("Backend Engineer\nBrightline Labs | Denver, CO (Hybrid)\nHybrid role with our Denver team.", "hybrid",
     "hybrid, office in Denver, CO"),
    ("Backend Engineer\nThis is an onsite role in Chicago, IL.", "onsite", None),
])
def test_remote_scope(text: str, mode: str, scope: str | None) -> None:
    a = read(text)
    assert (a.remote, a.remote_scope) == (mode, scope)
    assert a.location not in ("CA, NY", "CA, NY, TX, WA")  # a list of states is not a city


@pytest.mark.parametrize("text,company,location,title", [
    ("Senior Data Engineer\nGlobex Corporation, San Francisco, CA\nWe build data platforms.",
     "Globex Corporation", "San Francisco, CA", "Senior Data Engineer"),
    ("Senior Data Engineer at Globex Corporation (New York, NY)\nWe build data platforms.",
     "Globex Corporation", "New York, NY", "Senior Data Engineer"),
    ("Platform Engineer\nLocation: Seattle, WA\nAbout Initech\nWe make payroll software.", "Initech", "Seattle, WA",
     "Platform Engineer"),
])
def test_company_and_location_are_parsed_apart(text: str, company: str, location: str, title: str) -> None:
    a = read(text)
    assert (a.company, a.location, a.title) == (company, location, title)


@pytest.mark.parametrize("pay,low,high,period", [
    ("$55 - $70 per hour", 55 * 2080, 70 * 2080, "hour"),
    ("$120k-$150k base", 120_000, 150_000, "year"),
    ("$9,000 - $11,000 per month", 108_000, 132_000, "month"),
    ("$600 per day", 600 * 260, 600 * 260, "day"),
    ("$2,000/week", 104_000, 104_000, "week"),
])
def test_salary_in_any_unit_is_annualized(pay: str, low: float, high: float, period: str) -> None:
    s = read(f"Engineer\nAcme\nPay: {pay}.").salary
    assert s is not None and (s.annual_min, s.annual_max, s.period) == (low, high, period)


def test_a_posting_with_several_roles_says_so() -> None:
    a = read("We are hiring for several roles:\n- Senior Backend Engineer\n- Staff ML Engineer\n- Product Designer\n"
             "All roles are remote in the US.")
    assert a.roles == ["Senior Backend Engineer", "Staff ML Engineer", "Product Designer"]
    flag = [f for f in a.flags if f.kind == "multiple_roles"]
    assert flag and "3 roles" in flag[0].text
    one = read("Senior Backend Engineer\nAcme\nYou will work with our Data Scientist and Product Designer.\n- Python\n- Go")
    assert one.roles == [] and not any(f.kind == "multiple_roles" for f in one.flags)
    assert "roles" in a.to_json() and a.to_json()["remote_scope"] == "anywhere in the US"
