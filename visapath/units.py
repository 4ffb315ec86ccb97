"""Answer units: the smallest pieces of a passage that can be quoted without losing their meaning.

A lone sentence torn from its passage drops the conditions around it ("...unless the petition
was filed first"), and a list lead-in without its items says nothing. A unit is therefore a
sentence together with the sentences that lean on it: a lead-in ending in ":" with its list
items, and a following sentence that opens with a qualifier or a pointer back ("However",
"Unless", "This", "The exception"). Units are verbatim slices of the passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from visapath.text import split_sentences

# A sentence opening like this continues the one before it (a condition, exception or pointer).
_LEANS_BACK = re.compile(
    r"^(?:however|but|unless|except|otherwise|instead|even so|still|only|until|if so|if not|in that case|in either case|"
    r"that|this|these|those|it|they|such|the exception|the same|then|there is one exception|one exception|"
    r"note|keep in mind|either way|in both cases|for that|because of this|as a result)\b", re.I)


@dataclass(frozen=True)
class Unit:
    start: int  # offsets into the passage text
    end: int
    text: str  # the verbatim slice, list markers and line breaks kept
    sentences: tuple[str, ...]

    @property
    def is_list(self) -> bool:
        return "\n" in self.text

    @property
    def words(self) -> int:
        return len(self.text.split())


def units(text: str) -> list[Unit]:
    """Group a passage's sentences into self-contained units, in reading order."""
    spans = split_sentences(text)
    groups: list[list] = []
    for span in spans:
        is_item = _starts_item(text, span.start)
        if groups and (_opens_list(groups[-1][-1].text) or (is_item and _in_list(groups[-1], text))
                       or _LEANS_BACK.match(span.text)):
            groups[-1].append(span)
        else:
            groups.append([span])
    return [Unit(g[0].start, g[-1].end, text[g[0].start:g[-1].end], tuple(s.text for s in g)) for g in groups]


def _opens_list(sentence: str) -> bool:
    return sentence.rstrip().endswith(":")


def _starts_item(text: str, start: int) -> bool:
    """The span sits right after a bullet or number marker at the start of a line."""
    line_start = text.rfind("\n", 0, start) + 1
    return bool(re.fullmatch(r"\s*(?:[-*•·▪◦‣●]|\d+[.)])\s+", text[line_start:start]))


def _in_list(group: list, text: str) -> bool:
    """The group is a list (its lead-in ends with ':' or its last member is an item)."""
    return _opens_list(group[0].text) or _starts_item(text, group[-1].start)
