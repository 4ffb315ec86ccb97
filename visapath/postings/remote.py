"""Work mode: remote, remote within the US, hybrid or onsite.
"""

from __future__ import annotations


from visapath.text import Span
from visapath.postings.lexicon import Lexicon
from visapath.postings.records import RemoteMode
from visapath.postings.scope import _mask

# ---------------------------------------------------------------------------------------
# Remote mode


def _remote(spans: list[Span], lex: Lexicon) -> RemoteMode | None:
    """remote_us_only > hybrid > remote > onsite. "must reside in the US" only upgrades a
    remote posting; "no remote" counts as onsite; "remote teammates" is not a mode."""
    R = lex.fields["remote"]
    seen: set[str] = set()
    for sp in spans:
        text = sp.text
        if not R["gate"].search(text):
            continue
        clean, _ = _mask(text, [R["remote_noise"]])
        if R["remote_negation"].search(clean):
            seen.add("onsite")
            clean, _ = _mask(clean, [R["remote_negation"]])
        for mode in ("remote_us_only", "hybrid", "remote", "onsite"):
            for cue in R[mode]:
                if cue.regex.search(clean):
                    seen.add("us_upgrade" if cue.opt("upgrade") else mode)
    if "remote_us_only" in seen:
        return "remote_us_only"
    if "hybrid" in seen:
        return "hybrid"
    if "remote" in seen:
        return "remote_us_only" if "us_upgrade" in seen else "remote"
    if "onsite" in seen:
        return "onsite"
    return None
