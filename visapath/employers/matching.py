"""Finding the employer entities a name refers to, in a way the user can inspect.

A query is normalised with the same rules as the imported names (`normalize.normalize_name`),
then matched, in order of confidence: an alias (the user's table, then the shipped brand list),
an exact legal or DBA name, a FEIN, and entities sharing a FEIN with one already matched. Only
when none of those hits do names that *start with* the query count ("Optum" -> "Optum Services").
Fuzzy candidates (rapidfuzz: a fast edit-distance pass over every name, then WRatio, which handles
word order and partial names, on the best 50) are only ever suggestions with their scores: they are
never added to the figures silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
from rapidfuzz import fuzz, process

from visapath.employers.lexicon import read_yaml
from visapath.employers.normalize import normalize_fein, normalize_name

CONFIDENT = ("alias", "exact", "dba", "fein", "same_fein")


@dataclass
class Candidate:
    name: str
    employer_norm: str
    fein: str | None
    filings: int  # LCA cases after de-duplication
    uscis_rows: int
    match: str  # alias | exact | dba | fein | same_fein | prefix | fuzzy
    score: float = 100.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["score"] = round(self.score, 1)
        return out


def load_shipped_aliases(path: Path) -> dict[str, list[str]]:
    """Brand -> legal names as shipped in the lexicon (normalised keys and values)."""
    data = read_yaml(path)
    out: dict[str, list[str]] = {}
    for brand, names in (data.get("aliases") or {}).items():
        out[normalize_name(brand)] = [normalize_name(n) for n in (names if isinstance(names, list) else [names])]
    return out


class Matcher:
    def __init__(self, con: duckdb.DuckDBPyConnection, shipped_aliases: dict[str, list[str]] | None = None) -> None:
        self.con = con
        self.shipped = shipped_aliases or {}
        self._choices: list[str] | None = None
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value about the database that only an import changes (this matcher lives as long as its
        read-only connection, which is reopened after an import)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _entities(self, norms: list[str], match: str, score: float = 100.0) -> list[Candidate]:
        if not norms:
            return []
        rows = self.con.execute(
            "SELECT name, employer_norm, fein, lca_filings, uscis_rows FROM employers WHERE employer_norm IN "
            "(SELECT unnest(?)) ORDER BY lca_filings + uscis_rows DESC", [list(norms)]).fetchall()
        return [Candidate(r[0], r[1], r[2], int(r[3]), int(r[4]), match, score) for r in rows]

    def user_aliases(self, q: str) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT employer_norm FROM aliases WHERE alias_norm = ?", [q]).fetchall()]

    def resolve(self, query: str, allow_prefix: bool = True) -> list[Candidate]:
        """The entities the figures for `query` are computed over (possibly empty)."""
        q = normalize_name(query)
        found: dict[str, Candidate] = {}

        def add(cands: list[Candidate]) -> None:
            for c in cands:
                found.setdefault(c.employer_norm, c)

        fein = normalize_fein(query) if re.fullmatch(r"\s*\d{2}-?\d{7}\s*", query or "") else None
        if fein:
            add(self._entities([r[0] for r in self.con.execute(
                "SELECT employer_norm FROM employers WHERE fein = ?", [fein]).fetchall()], "fein"))
        if q:  # aliases (the user's, then shipped), the exact name and DBA names, in one query
            rows = self.con.execute("""
                WITH hits AS (
                    SELECT employer_norm, 'alias' AS how, 0 AS rank FROM aliases WHERE alias_norm = ?
                    UNION ALL SELECT unnest(?), 'alias', 1
                    UNION ALL SELECT ?, 'exact', 2
                    UNION ALL SELECT employer_norm, 'dba', 3 FROM employer_names WHERE name_norm = ? AND kind = 'dba')
                SELECT e.name, e.employer_norm, e.fein, e.lca_filings, e.uscis_rows, min_by(h.how, h.rank)
                FROM hits h JOIN employers e USING (employer_norm)
                GROUP BY 1, 2, 3, 4, 5 ORDER BY min(h.rank), e.lca_filings + e.uscis_rows DESC""",
                [q, list(self.shipped.get(q, [])), q, q]).fetchall()
            add([Candidate(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in rows])
        feins = sorted({c.fein for c in found.values() if c.fein})
        if feins:
            add(self._entities([r[0] for r in self.con.execute(
                "SELECT employer_norm FROM employers WHERE fein IN (SELECT unnest(?))", [feins]).fetchall()], "same_fein"))
        if not found and q and allow_prefix:
            add(self._entities([r[0] for r in self.con.execute(
                "SELECT employer_norm FROM employers WHERE starts_with(employer_norm, ?) "
                "ORDER BY lca_filings + uscis_rows DESC LIMIT 25", [q + " "]).fetchall()], "prefix"))
        return list(found.values())

    def nearest(self, query: str, limit: int = 5, exclude: set[str] | None = None, cutoff: float = 55.0) -> list[Candidate]:
        """Fuzzy suggestions with their scores (0-100), best first."""
        q = normalize_name(query)
        if not q:
            return []
        if self._choices is None:
            self._choices = [r[0] for r in self.con.execute("SELECT employer_norm FROM employers").fetchall()]
        # Two stages: plain edit-distance ratio (bit-parallel, ~7x faster) picks 50 candidates over all
        # names, then WRatio (word order, partial names) ranks those.
        pool = [c for c, _, _ in process.extract(q, self._choices, scorer=fuzz.QRatio, limit=50, score_cutoff=30)]
        hits = process.extract(q, pool, scorer=fuzz.WRatio, limit=limit + len(exclude or ()), score_cutoff=cutoff)
        scores = {norm: float(score) for norm, score, _ in hits if not (exclude and norm in exclude)}
        found = {c.employer_norm: c for c in self._entities(list(scores), "fuzzy")}  # one query for all hits
        out = [found[n] for n in scores if n in found][:limit]
        for c in out:
            c.score = scores[c.employer_norm]
        return out

    def search(self, query: str, limit: int = 10) -> list[Candidate]:
        """Confident matches first, then names starting with the query, then fuzzy candidates."""
        confident = self.resolve(query, allow_prefix=False)
        seen = {c.employer_norm for c in confident}
        q = normalize_name(query)
        prefix = [c for c in self._entities([r[0] for r in self.con.execute(
            "SELECT employer_norm FROM employers WHERE starts_with(employer_norm, ?) "
            "ORDER BY lca_filings + uscis_rows DESC LIMIT ?", [q + " ", limit]).fetchall()], "prefix", 90.0)
            if c.employer_norm not in seen] if q else []
        seen |= {c.employer_norm for c in prefix}
        fuzzy = self.nearest(query, limit=max(0, limit - len(confident) - len(prefix)), exclude=seen)
        return (confident + prefix + fuzzy)[:max(limit, len(confident))]


def add_alias(con: duckdb.DuckDBPyConnection, alias: str, employer: str) -> str:
    """Record that `alias` (a brand) means the employer named `employer`; returns the alias key."""
    key, target = normalize_name(alias), normalize_name(employer)
    if not key or not target:
        raise ValueError("both the alias and the employer name need letters or digits")
    con.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?, ?)",
                [key, alias, employer, target, datetime.now(timezone.utc).replace(tzinfo=None)])
    return key


def remove_alias(con: duckdb.DuckDBPyConnection, alias: str, employer: str | None = None) -> int:
    key = normalize_name(alias)
    if employer:
        n = con.execute("SELECT count(*) FROM aliases WHERE alias_norm = ? AND employer_norm = ?",
                        [key, normalize_name(employer)]).fetchone()[0]
        con.execute("DELETE FROM aliases WHERE alias_norm = ? AND employer_norm = ?", [key, normalize_name(employer)])
    else:
        n = con.execute("SELECT count(*) FROM aliases WHERE alias_norm = ?", [key]).fetchone()[0]
        con.execute("DELETE FROM aliases WHERE alias_norm = ?", [key])
    return int(n)


def list_aliases(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    return [{"alias": a, "employer": e, "added_at": str(t)[:19]}
            for a, e, t in con.execute("SELECT alias, employer, added_at FROM aliases ORDER BY alias_norm").fetchall()]
