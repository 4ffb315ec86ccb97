"""Release a model's streamed text one verified sentence at a time.

A model streams tokens; the verifier judges sentences. Showing tokens as they arrive would put a
sentence on screen before the verifier could remove it (a hallucination, or an obeyed
instruction planted in a posting). So the stream is buffered until a sentence is complete, that
sentence is verified against the numbered sources, and only a kept sentence is released. What
the reader sees while the answer is written is therefore always a prefix of the final, verified
answer.

A sentence counts as complete when the splitter (`visapath.text.split_sentences`, the same one
the verifier uses) puts a boundary after it and the text that follows already holds two words:
by then a trailing citation ("... fee. [2]") has been moved inside the sentence and an
abbreviation ("the U.S. Citizens ...") is no longer mistaken for an ending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from visapath.text import Span, split_sentences
from visapath.verify import Verification, Verifier, normalize_markers

_WORDS = re.compile(r"[A-Za-z]{2,}")
_MAY_END = re.compile(r"[.!?\n\]]")  # a sentence boundary, or a citation closing after one
MAX_SENTENCE_CHARS = 4_000  # longer than any real answer sentence; bounds the re-splitting


class VerifiedSentences:
    """Buffer streamed text; `feed` and `close` return only the text of verified sentences."""

    def __init__(self, verifier: Verifier, sources: Mapping[int, str]) -> None:
        self.verifier = verifier
        self.sources = sources
        self.verification = Verification(answer="")
        self._pending = ""  # text after the last sentence handed to the verifier
        self._held = False  # a boundary is in `_pending`, waiting for the next sentence's first words
        self._raw: list[str] = []

    @property
    def raw(self) -> str:
        """Everything the model wrote, verified or not (never shown; used to read a refusal)."""
        return "".join(self._raw)

    def feed(self, text: str) -> str:
        """Add a streamed delta; returns the verified text it completed ('' while a sentence is open).

        The open sentence is split again only when a delta could end it (or one was seen ending
        and the next words are awaited), and one that runs past `MAX_SENTENCE_CHARS` is judged as
        it stands: the work per delta stays bounded however the model streams."""
        self._raw.append(text)
        self._pending += text
        runaway = len(self._pending) > MAX_SENTENCE_CHARS
        if not (self._held or runaway or _MAY_END.search(text)):
            return ""
        self._pending = normalize_markers(self._pending)
        if runaway:
            return self.close()
        spans = split_sentences(self._pending)
        self._held = len(spans) >= 2
        if len(spans) < 2 or len(_WORDS.findall(spans[-1].text)) < 2:
            return ""
        released = self._release(spans[:-1])
        self._pending = self._pending[spans[-2].end:]
        self._held = False
        return released

    def close(self) -> str:
        """The stream ended: verify what is left; `verification` then holds the whole answer."""
        released = self._release(split_sentences(self._pending))
        self._pending = ""
        return released

    def _release(self, spans: list[Span]) -> str:
        out, previous_end = "", 0
        for span in spans:
            out += self._check(self._pending[previous_end:span.start], span.text)
            previous_end = span.end
        return out

    def _check(self, before: str, sentence: str) -> str:
        """Verify one sentence; its display text (with separator) if kept, else ''."""
        result = self.verifier.verify(sentence, self.sources)
        self.verification.checks.extend(result.checks)
        self.verification.invalid_refs.extend(result.invalid_refs)
        if not result.answer:
            return ""
        shown = self.verification.answer
        separator = ("\n" if "\n" in before else " ") if shown else ""
        piece = separator + result.answer
        self.verification.answer = shown + piece
        return piece
