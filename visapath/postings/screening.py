"""What an upload must be before it is kept: a job posting, and one not saved already.

* `content_key`: the same posting uploaded as a PDF and pasted as text gives slightly different
  text (line breaks, hyphenation, ligatures, bullets, curly quotes). The key is a hash of the
  text reduced to its letters and digits after NFKC and case folding, so both land on one
  saved posting while any change of wording is a new one.
* `not_a_posting`: a single word, a recipe or a letter has none of a posting's vocabulary and no
  work-authorization statement; it gets a message that says so instead of an empty analysis and
  is never saved. The vocabulary is data (`fields.posting_markers` in the lexicon).
"""

from __future__ import annotations

import hashlib
import unicodedata

from visapath.postings.lexicon import Lexicon, load_lexicon
from visapath.postings.records import PostingAnalysis

MIN_MARKERS = 3  # distinct posting words; a short posting ("Senior engineer, remote, apply here") has them
_SCAN_CHARS = 20_000  # the vocabulary shows in the first pages; a huge upload is not scanned whole


def content_key(text: str) -> str:
    """A 12-hex key of the posting's wording: equal for the PDF and the text copy of one posting."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    core = "".join(ch for ch in folded if ch.isalnum())
    return hashlib.sha256(core.encode("utf-8")).hexdigest()[:12]


def posting_markers(text: str, lex: Lexicon | None = None) -> set[str]:
    lex = lex or load_lexicon()
    return {m.group(0).lower() for m in lex.fields["posting_markers"].finditer(text[:_SCAN_CHARS])}


def not_a_posting(text: str, analysis: PostingAnalysis, lex: Lexicon | None = None) -> str | None:
    """A user-facing message when the text is not a job posting, else None."""
    if any(e.label != "unrelated" for e in analysis.sponsorship.evidence):
        return None  # a single sponsorship line is worth reading ("We sponsor H-1B visas.")
    if analysis.salary is not None or len(posting_markers(text, lex)) >= MIN_MARKERS:
        return None
    words = len(text.split())
    what = "a single word" if words <= 1 else f"{words} words"
    return (f"This doesn't look like a job posting ({what}, with no role, requirements or work-authorization "
            "statement), so it was not analysed or saved. Upload or paste the posting's own text.")
