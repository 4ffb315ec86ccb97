"""The user's profile (status, degree, target role, name), one row per user in the app database.

Drafts, the posting explainer's notes and chat all read the status from here, so the user
states it once. Writes are one transaction: a crash mid-save leaves the previous profile intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import text

from visapath.config import Settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from visapath.database import Database

STATUSES: dict[str, str] = {
    "none": "Outside the US / no US status",
    "f1": "F-1 student",
    "f1-opt": "F-1 OPT",
    "f1-stem-opt": "F-1 STEM OPT extension",
    "h1b": "H-1B",
    "h4-ead": "H-4 with EAD",
    "l1": "L-1 (intracompany transfer)",
    "o1": "O-1",
    "tn": "TN-eligible (Canadian or Mexican citizen)",
    "e3": "E-3-eligible (Australian citizen)",
    "h1b1": "H-1B1-eligible (Chilean or Singaporean citizen)",
    "green-card": "Green card (permanent resident)",
    "citizen": "US citizen",
}
"""Status token -> human label, in the order the UI and CLI list them."""

NO_SPONSORSHIP_NEEDED = frozenset({"green-card", "citizen"})

DEGREES: dict[str, str] = {"bachelor": "Bachelor's", "master": "Master's", "phd": "PhD", "other": "Other"}

# Common spellings people type, mapped to tokens ("H-1B" -> "h1b", "stem opt" -> "f1-stem-opt").
_ALIASES = {
    "outside": "none", "outside-us": "none", "no-status": "none",
    "f-1": "f1", "student": "f1",
    "opt": "f1-opt", "f-1-opt": "f1-opt",
    "stem-opt": "f1-stem-opt", "f-1-stem-opt": "f1-stem-opt", "stemopt": "f1-stem-opt",
    "h-1b": "h1b", "h4ead": "h4-ead", "h-4-ead": "h4-ead", "h4": "h4-ead",
    "l-1": "l1", "l1a": "l1", "l1b": "l1", "l-1a": "l1", "l-1b": "l1",
    "o-1": "o1", "o1a": "o1", "o-1a": "o1",
    "e-3": "e3", "h-1b1": "h1b1",
    "greencard": "green-card", "gc": "green-card", "lpr": "green-card", "permanent-resident": "green-card",
    "us-citizen": "citizen",
}
_NAME_MAX, _ROLE_MAX = 80, 100
_BRACKETS = re.compile(r"[<>\[\]{}]")


class ProfileError(ValueError):
    """A profile value or file we cannot use; the message is fit to show the user."""


def normalize_status(value: str) -> str:
    """A status token from what the user typed; raises ProfileError listing the valid tokens."""
    key = re.sub(r"[\s_]+", "-", str(value).strip().lower())
    key = _ALIASES.get(key, key)
    if key not in STATUSES:
        raise ProfileError(f"Unknown status '{value}'. Use one of: {', '.join(STATUSES)}.")
    return key


def needs_sponsorship(status: str) -> bool:
    """True when an employer must file or support something now or later (everyone but GC holders and citizens)."""
    return normalize_status(status) not in NO_SPONSORSHIP_NEEDED


def status_label(status: str | None) -> str:
    return STATUSES.get(status or "", "Not set")


def clean_text(value: Any, what: str, limit: int) -> str:
    """One-line user text without template-like brackets, or ProfileError."""
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        raise ProfileError(f"The {what} is too long ({len(text)} characters); keep it under {limit}.")
    if _BRACKETS.search(text):
        raise ProfileError(f"The {what} can't contain <, >, [, ], {{ or }}.")
    return text


class Profile(BaseModel):
    """What drafts and notes need to know about the user. Every field is optional."""

    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    name: str = ""
    status: str | None = None
    degree: Literal["bachelor", "master", "phd", "other"] | None = None
    us_degree: bool | None = None
    stem_degree: bool | None = None  # decides whether OPT drafts mention the STEM extension
    target_role: str = ""
    work_authorization_end: date | None = None  # OPT/STEM OPT/EAD end; drafts state the runway
    h1b_start: date | None = None  # first day in H-1B status; the timeline shows the six-year limit

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str | None:
        return None if value in (None, "") else normalize_status(value)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return clean_text(value, "name", _NAME_MAX)

    @field_validator("target_role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> str:
        return clean_text(value, "target role", _ROLE_MAX)

    @field_validator("degree", mode="before")
    @classmethod
    def _degree(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        key = str(value).strip().lower().replace("'", "").rstrip("s")
        key = {"bachelor": "bachelor", "ba": "bachelor", "b": "bachelor", "bs": "bachelor", "bsc": "bachelor",
               "master": "master", "ma": "master", "m": "master", "ms": "master", "msc": "master",
               "phd": "phd", "ph.d.": "phd", "ph.d": "phd", "doctorate": "phd", "other": "other"}.get(key)
        if key is None:
            raise ProfileError(f"Unknown degree '{value}'. Use one of: {', '.join(DEGREES)}.")
        return key

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    def needs_sponsorship(self) -> bool | None:
        return None if self.status is None else needs_sponsorship(self.status)

    def months_left(self, today: date | None = None) -> int | None:
        """Whole months of work authorization left, or None when no end date is saved."""
        if self.work_authorization_end is None:
            return None
        today = today or date.today()
        end = self.work_authorization_end
        months = (end.year - today.year) * 12 + (end.month - today.month) - (1 if end.day < today.day else 0)
        return months

    def merged(self, clear: Iterable[str] = (), **changes: Any) -> "Profile":
        """A copy with the given non-None fields replaced and the `clear` fields emptied (validated)."""
        values = self.model_dump()
        values.update({k: v for k, v in changes.items() if v is not None})
        for name in clear:
            values[name] = "" if name in ("name", "target_role") else None
        return make_profile(**values)

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["status_label"] = self.status_label
        return data


def make_profile(**values: Any) -> Profile:
    """Build a Profile, turning validation failures into one ProfileError with a readable message."""
    try:
        return Profile(**values)
    except ValidationError as exc:
        raise ProfileError(_readable(exc)) from None


def _readable(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        cause = err.get("ctx", {}).get("error")
        message = str(cause) if isinstance(cause, ProfileError) else err.get("msg", "invalid value")
        field = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(message if isinstance(cause, ProfileError) else f"{field}: {message}")
    return " ".join(parts)


class ProfileStore:
    """One user's profile: a row of the app database keyed by the user (`visapath.database`).

    Earlier versions kept `data_dir/profiles/<user>.json`; such a file is moved into the
    database the first time its user's profile is read (a damaged one is left as is and reported).
    """

    def __init__(self, settings: Settings, database: "Database | None" = None) -> None:
        from visapath.database import open_database

        self.settings = settings
        self.owner = settings.user  # validated by Settings
        self.db = database or open_database(settings.app_database_url)
        self.legacy_path = settings.data_dir / "profiles" / f"{settings.user}.json"

    def exists(self) -> bool:
        self._import_legacy()
        with self.db.begin() as conn:
            return conn.execute(text("SELECT 1 FROM profiles WHERE owner = :o"), {"o": self.owner}).first() is not None

    def load(self) -> Profile:
        """The saved profile, or an empty one. A damaged record raises ProfileError and is left as is."""
        self._import_legacy()
        with self.db.begin() as conn:
            data = conn.execute(text("SELECT data FROM profiles WHERE owner = :o"), {"o": self.owner}).scalar()
        if data is None:
            return Profile()
        return _parse(data, "Your saved profile")

    def save(self, profile: Profile) -> Profile:
        """Insert or replace this user's row in one transaction: a failure keeps the previous profile."""
        data = json.dumps(profile.model_dump(mode="json"), ensure_ascii=False)
        with self.db.begin(immediate=True) as conn:
            _upsert_profile(conn, self.owner, data)
        return profile

    def update(self, clear: Iterable[str] = (), **changes: Any) -> Profile:
        """Apply the non-None changes (and clears) to the saved profile; nothing is saved if one is invalid."""
        return self.save(self.load().merged(clear, **changes))

    def delete(self) -> bool:
        """Erase this user's profile (and an old profile file); True when there was one."""
        with self.db.begin(immediate=True) as conn:
            removed = conn.execute(text("DELETE FROM profiles WHERE owner = :o"), {"o": self.owner}).rowcount
        had_file = self.legacy_path.exists()
        self.legacy_path.unlink(missing_ok=True)
        return bool(removed) or had_file

    def _import_legacy(self) -> None:
        """Move an old `profiles/<user>.json` into the database, then remove the file.

        A file that can't be read or validated stays where it is and its error is raised, as the
        file-based store did, so nothing the user saved is dropped silently.
        """
        path = self.legacy_path
        if not path.exists():
            return
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"Your profile file {path} can't be read ({exc}). "
                               "Fix it or delete it to start over.") from None
        profile = _parse(raw, f"Your profile file {path}")
        with self.db.begin(immediate=True) as conn:
            present = conn.execute(text("SELECT 1 FROM profiles WHERE owner = :o"), {"o": self.owner}).first()
            if present is None:  # the database wins when both exist: it is newer
                _upsert_profile(conn, self.owner, json.dumps(profile.model_dump(mode="json"), ensure_ascii=False))
        path.unlink(missing_ok=True)


def _parse(raw: str, what: str) -> Profile:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ProfileError(f"{what} can't be read ({exc}). Fix it or delete it to start over.") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{what} is not a JSON object. Fix it or delete it.")
    return make_profile(**data)


def _upsert_profile(conn: "Connection", owner: str, data: str) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    conn.execute(text("INSERT INTO profiles (owner, data, updated) VALUES (:o, :d, :now) ON CONFLICT (owner) "
                      "DO UPDATE SET data = excluded.data, updated = excluded.updated"),
                 {"o": owner, "d": data, "now": now})
