"""Reading stays linear in the input: long single lines, one repeated word, huge uploads.

No absolute time limits: each case compares the cost at 10x the size with the cost at 1x and
allows a generous factor (linear growth is 10x, the old quadratic scan was ~100x)."""

from __future__ import annotations

import time

import pytest

from visapath.config import get_settings
from visapath.postings import analyze_posting, load_lexicon


def _cost(text: str) -> float:
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        analyze_posting(text, classifier=None)
        best = min(best, time.perf_counter() - t0)
    return best


LINE = "We cannot sponsor visas, relocation, remote work, or CPT, and we do not offer H-1B transfers, "


@pytest.mark.parametrize("unit", [LINE, "sponsor ", "visa, "])
def test_one_long_line_grows_linearly(unit: str) -> None:
    load_lexicon()
    small = (unit * (4_000 // len(unit) + 1))[:4_000]
    big = (unit * (40_000 // len(unit) + 1))[:40_000]
    ratio = _cost(big) / _cost(small)
    assert ratio < 35, f"10x input cost {ratio:.1f}x"


def test_huge_single_line_is_read_up_to_the_bound_and_flagged() -> None:
    limit = get_settings().posting_max_chars
    huge = "We sponsor visas and " * (6_000_000 // 21)  # ~6 MB, one line
    a = analyze_posting(huge, classifier=None)
    assert a.text is huge
    cut = [f for f in a.flags if f.kind == "truncated"]
    assert cut and f"{len(huge):,}" in cut[0].text
    assert all(e.end <= limit for e in a.sponsorship.evidence)
    at_limit = "We sponsor visas and " * (limit // 21)
    assert _cost(huge) / _cost(at_limit) < 3  # the rest is never read


def test_many_short_sentences_on_one_line_grow_linearly() -> None:
    unit = "Visa sponsorship: no. "
    small, big = unit * 200, unit * 2_000
    assert _cost(big) / _cost(small) < 35
