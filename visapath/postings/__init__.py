"""Job-posting reader: what a posting says about US visa sponsorship, and its requirements.

Rules only (no embedding model): every label comes with the exact span that caused it, and
the phrases live in `knowledge/lexicon/posting_signals.yaml`. This module holds the general
mechanics:

* cue families (offer / need / refusal / transfer / visa mention / citizenship / clearance /
  authorization) are matched on the original sentence; "unrelated" contexts (hackathon
  sponsors, Visa Inc., a product that helps *customers* with visas, EEO boilerplate) veto them;
* negation scope: a negator counts when it sits within `window_words` words before the cue
  in the same clause (or after it, for noun-like cues such as "sponsorship is not available").
  Clauses end at strong breaks (; : ? | but, although ...); a comma ends a clause unless the
  next segment continues a list ("remote, relocation, or visa sponsorship"). Hedges ("at this
  time", "currently", "now or in the future") and neutralizers ("no problem", "not
  guaranteed") are blanked out first so they neither block nor create negation; uncertainty
  hedges ("may", "case by case") only lower confidence;
* the verdict priority (`combine_labels`) and the jurisdiction rule (`_drives_us`);
* planted instructions ("ignore previous instructions", "you are now ...") are flagged and their
  sentence (plus imperative sentences that directly continue it) is inert data: it never produces
  evidence, fields or a verdict. Every other sentence, even in the same paragraph, is read
  normally, so a planted line can neither invent nor hide the posting's real statement;
* headings and field labels with no predicate ("Work authorization", "Visa sponsorship:") are not
  statements and get no label; a label with its answer ("Visa sponsorship: No", also split over
  two lines) or a bulleted perk ("- Visa sponsorship") is read normally;
* HTML leftovers are blanked on a same-length copy, so offsets always index the original.

Label priority, strongest first (sentence and posting alike):
    citizenship_or_clearance > no_sponsorship > transfer_only > sponsors > authorization_ambiguous
A hard legal gate (citizenship, clearance, export control) closes the door whatever else is
said; an explicit refusal outweighs an offer (the safe reading when a posting contradicts
itself; the contradiction is flagged, never hidden); a transfer-only statement ("H-1B transfers
only", "only candidates who currently hold an H-1B") is a narrower offer; a bare "must be
authorized to work" only counts when nothing says more.

Jurisdiction rule: a statement naming only another country ("we sponsor Skilled Worker visas
for our London office") is kept as evidence with its jurisdiction but never drives the US
verdict; statements naming no country are read as US, unless the posting's location is
entirely outside the US, in which case they inherit that country. With no US-driving
evidence the verdict is `not_mentioned` and `jurisdictions` shows what was said elsewhere.

Modules, one concept each: `records` (public dataclasses), `lexicon` (the YAML compiled),
`segmentation` (sentences), `scope` (negation), `sentence` (one sentence's rule label),
`verdict` (sentence labels to a posting verdict, jurisdictions), `flags`, `identity`
(title/company/location), `requirements` (degree, years), `salary`, `remote`, `reader`
(the whole posting).
"""

from __future__ import annotations

from visapath.postings.lexicon import Cue, Lexicon, lexicon_summary, load_lexicon
from visapath.postings.reader import analyze_posting, sentence_findings
from visapath.postings.records import (
    CUE_FAMILIES, DEGREE_ORDER, LABELS, NEGATIVE, POSITIVE, PRIORITY, VERDICTS, Evidence, Finding, Flag,
    PostingAnalysis, Salary, Sponsorship,
)
from visapath.postings.segmentation import normalize_for_analysis, posting_sentences
from visapath.postings.sentence import _collect, analyze_sentence, classify_sentence, is_heading
from visapath.postings.verdict import combine_labels

__all__ = [
    "Evidence", "Sponsorship", "Salary", "Flag", "PostingAnalysis", "Lexicon", "Cue", "Finding",
    "load_lexicon", "lexicon_summary", "classify_sentence", "analyze_sentence", "analyze_posting", "combine_labels",
    "posting_sentences", "sentence_findings", "normalize_for_analysis", "is_heading",
    "LABELS", "VERDICTS", "PRIORITY", "POSITIVE", "NEGATIVE", "CUE_FAMILIES", "DEGREE_ORDER", "_collect",
]
