"""Whole-posting verdicts on postings written for these tests: mixed statements, hard gates,
transfers, internships and their conversion, other countries; each verdict says why, quoting."""

from __future__ import annotations

import pytest

from visapath.postings import analyze_posting


@pytest.fixture(scope="module", params=["rules", "shipped"])
def reader(request):
    """Both the rules alone and the shipped combination (the classifier loads once per module)."""
    return None if request.param == "rules" else "auto"


@pytest.mark.parametrize("text,verdict,contradiction", [
    ("Software Engineer Intern\nThis internship is not eligible for visa sponsorship.\n"
     "Interns who convert to our full-time new-grad role are eligible for H-1B sponsorship.", "sponsors", True),
    ("ML Engineer\nWe do sponsor visas, but not for every role.", "sponsors", False),
    ("Backend Engineer\nWe can support H-1B transfers but will not sponsor new H-1B petitions.", "transfer_only", False),
    ("Engineer\nMust be a U.S. Person under ITAR. We sponsor H-1B visas.", "citizenship_or_clearance", True),
    ("Engineer\nYou must be a U.S. person; visa sponsorship is not available.", "citizenship_or_clearance", False),
    ("Engineer\nNo OPT, CPT, STEM OPT or visa sponsorship now or in the future.", "no_sponsorship", False),
    ("Engineer\nVisa Sponsorship Available: No", "no_sponsorship", False),
    ("Engineer\nCandidates must be authorized to work in the US. We participate in E-Verify.", "authorization_ambiguous", False),
    ("Engineer\nGreat team, apply now.", "not_mentioned", False),
])
def test_verdicts_on_mixed_statements(reader, text: str, verdict: str, contradiction: bool) -> None:
    s = analyze_posting(text, classifier=reader).sponsorship
    assert (s.verdict, s.contradiction) == (verdict, contradiction)
    assert s.reason
    if verdict != "not_mentioned":
        assert any(f'"{" ".join(e.sentence.split()).rstrip(" .;:")}"' in s.reason for e in s.evidence if e.label == s.verdict)


def test_the_reason_names_both_sides_of_a_conflict(reader) -> None:
    s = analyze_posting("Engineer\nMust be a U.S. Person under ITAR. We sponsor H-1B visas.", classifier=reader).sponsorship
    assert "Must be a U.S. Person under ITAR" in s.reason and "We sponsor H-1B visas" in s.reason
    offer = analyze_posting("Intern\nThis internship is not eligible for visa sponsorship.\n"
                            "Our full-time roles do sponsor H-1B visas.", classifier=reader).sponsorship
    assert "not eligible for visa sponsorship" in offer.reason and "full-time roles do sponsor" in offer.reason


def test_a_statement_about_another_country_keeps_its_label_and_says_where(reader) -> None:
    s = analyze_posting("Data Engineer\nLondon, UK\nWe can sponsor a Skilled Worker visa for this role.",
                        classifier=reader).sponsorship
    assert s.verdict == "sponsors" and s.jurisdictions == ["UK"] and "about UK, not the US" in s.reason
