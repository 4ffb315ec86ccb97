"""Identifiers that reach the file system or the database, checked where they enter.

A posting id, a conversation id or a user name typed on the command line, sent by the app or
read from `VISAPATH_USER` is joined into paths and keys. Anything but the expected shape is
refused here with a message fit to show, so `../../profiles/local` can never name a file.
"""

from __future__ import annotations

import re

POSTING_ID = re.compile(r"[0-9a-f]{12}")
"""First 12 hex digits of the posting text's SHA-256 (see `visapath.workspace.posting_id`)."""

CONVERSATION_ID = re.compile(r"[0-9a-f]{12}")
"""First 12 hex digits of a random UUID."""

USER_NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,127}")
"""Lower-case letters, digits and `._@+-`, not starting with a dot: a local name or an e-mail."""

DEFAULT_USER = "local"


class InvalidIdentifier(ValueError):
    """An id or user name of the wrong shape; the message is fit to show the user."""


def posting_id(value: str) -> str:
    """The id itself when it is a posting id, else InvalidIdentifier."""
    return _check(value, POSTING_ID, "posting id", "12 hex digits; `visapath postings list` shows them")


def conversation_id(value: str) -> str:
    return _check(value, CONVERSATION_ID, "conversation id", "12 hex digits; `visapath conversations list` shows them")


def user_name(value: str | None) -> str:
    """A user name folded to lower case (so `Ana` and `ana` are one person on every file system).

    Empty means the single local user. Path separators, a leading dot, control characters and
    anything else outside the allowed set are refused rather than rewritten, so two different names can
    never end up sharing one folder.
    """
    text = (value or "").strip().lower()
    if not text:
        return DEFAULT_USER
    return _check(text, USER_NAME, "user name",
                  "1-128 of a-z, 0-9 and . _ @ + -, starting with a letter or digit")


def _check(value: str, pattern: re.Pattern[str], what: str, hint: str) -> str:
    text = value if isinstance(value, str) else ""
    if not pattern.fullmatch(text):
        shown = repr(value) if len(str(value)) <= 80 else repr(str(value)[:77] + "...")
        raise InvalidIdentifier(f"{shown} is not a valid {what} ({hint}).")
    return text
