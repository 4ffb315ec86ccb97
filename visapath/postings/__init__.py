"""Job-posting reader: what a posting says about US visa sponsorship, and its requirements.

Rules first: every label comes with the exact span that caused it, and
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

Label priority for a posting, strongest first (the shared labelling scheme):
    citizenship_or_clearance > transfer_only / sponsors > no_sponsorship > authorization_ambiguous
A hard legal gate (citizenship, clearance, export control) closes the door whatever else is
said; an offer beside a refusal is an offer with a condition (the contradiction is flagged with
both quotes, never hidden); a transfer-only statement is a narrower offer; a bare "must be
authorized to work" only counts when nothing says more. Inside one sentence a blanket refusal
still beats an offer cue, which there is usually its object ("visa sponsorship is not available").

Jurisdiction rule: a statement naming only another country is kept with its jurisdiction and
does not drive the verdict while US statements exist; statements naming no country are read as
US unless the posting's location is entirely outside the US. A posting that speaks only about
other countries keeps their verdict, with the countries in `jurisdictions`.

The learned classifier (`classifier`, trained by `training`) relabels the sentences the rules'
gate lets through; the rules keep spans, gates and explanations.

Modules, one concept each: `records` (public dataclasses), `lexicon` (the YAML compiled),
`segmentation` (sentences), `scope` (negation), `sentence` (one sentence's rule label),
`verdict` (sentence labels to a posting verdict, jurisdictions), `flags`, `identity`
(title/company/location), `requirements` (degree, years), `salary`, `remote`, `reader`
(the whole posting), `classifier` and `training` (the learned sentence model).
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
