"""`EmployerData`: the one object the CLI, the app and the assistant use for employer filings.

It owns the database path and opens DuckDB connections for the shortest useful time: queries
share one read-only connection (reopened when the file changes, so an import by another process
is seen), and an import takes a writable one and closes the reader first, because DuckDB lets one
process write a file only while no other holds it open.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from visapath.config import Settings
from visapath.employers import history, matching, soc, wages
from visapath.employers.database import FileSummary, Importer, ProgressFn, connect, vintage
from visapath.employers.errors import EmployerDataError
from visapath.employers.places import Places
from visapath.employers.sources import expand


class EmployerData:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path: Path = settings.employers_db_path
        self._reader: duckdb.DuckDBPyConnection | None = None
        self._reader_stamp: tuple[float, int] | None = None
        self._matcher: matching.Matcher | None = None
        self._lock = threading.RLock()

    # -- connections -----------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def _stamp(self) -> tuple[float, int]:
        st = os.stat(self.path)
        wal = self.path.with_name(self.path.name + ".wal")
        return (st.st_mtime, st.st_size + (wal.stat().st_size if wal.exists() else 0))

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (shared; one query at a time)."""
        if not self.exists():
            raise EmployerDataError("no employer data imported yet: run `visapath employers import PATH` with the "
                                    "DOL LCA disclosure, USCIS H-1B Data Hub or OFLC wage files you downloaded")
        with self._lock:
            stamp = self._stamp()
            if self._reader is None or stamp != self._reader_stamp:
                self.close()
                self._reader = connect(self.path, read_only=True)
                self._reader_stamp = stamp
                self._matcher = matching.Matcher(self._reader, self.shipped_aliases)
            yield self._reader

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
            self._reader, self._matcher = None, None

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            self.close()
            con = connect(self.path, memory_limit=self.settings.employers_memory_limit)
            try:
                yield con
            finally:
                con.close()

    @property
    def shipped_aliases(self) -> dict[str, list[str]]:
        return matching.load_shipped_aliases(self.settings.employer_aliases_path)

    def places(self) -> Places:
        return Places.load(self.settings.places_path)

    def matcher(self) -> matching.Matcher:
        assert self._matcher is not None
        return self._matcher

    # -- import ----------------------------------------------------------------------------------
    def import_paths(self, paths: list[Path], progress: ProgressFn | None = None) -> list[FileSummary]:
        """Import every file under `paths`; one summary per file, failures included (nothing is lost)."""
        limit = int(self.settings.employers_max_member_mb * 1_000_000)
        summaries: list[FileSummary] = []
        with expand(list(paths), limit) as files, self.writer() as con:
            importer = Importer(con, progress)
            for f in files:
                if f.error:
                    summaries.append(FileSummary(source=f.source, status="failed", error=f"not imported: {f.error}"))
                    continue
                summaries.append(importer.import_file(f.path, f.source))
            con.execute("CHECKPOINT")
        return summaries

    # -- queries ---------------------------------------------------------------------------------
    def search(self, query: str, limit: int = 10) -> list[matching.Candidate]:
        with self.reader():
            return self.matcher().search(query, limit)

    def filters(self, title: str | None = None, soc_code: str | None = None, state: str | None = None,
                years: int | None = None) -> history.Filters:
        _, abbreviations = soc.load_mapping(self.settings.title_soc_path)
        return history.Filters(title or None, soc_code or None, state or None, years or None, abbreviations)

    def show(self, name: str, title: str | None = None, soc_code: str | None = None, state: str | None = None,
             years: int | None = None, exact: bool = False) -> dict[str, Any]:
        with self.reader() as con:
            return history.show(con, self.matcher(), name, self.filters(title, soc_code, state, years), exact=exact)

    def wage_level(self, soc_code: str, salaries: list[float], unit: str = "year", area: str | None = None,
                   county: str | None = None, state: str | None = None) -> dict[str, Any]:
        with self.reader() as con:
            return wages.wage_level(con, soc_code, salaries, unit, area, county, state)

    def estimate_soc(self, title: str, employer: str | None = None) -> soc.SocEstimate | None:
        if not self.exists():
            return soc.estimate(title, self.settings.title_soc_path)
        with self.reader() as con:
            norms = [c.employer_norm for c in self.matcher().resolve(employer)] if employer else None
            return soc.estimate(title, self.settings.title_soc_path, con, norms)

    def vintage(self) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        with self.reader() as con:
            return vintage(con)

    def counts(self) -> dict[str, int]:
        if not self.exists():
            return {"lca": 0, "uscis": 0, "wages": 0, "geography": 0, "employers": 0}
        with self.reader() as con:
            return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                    for t in ("lca", "uscis", "wages", "geography", "employers")}

    # -- aliases ---------------------------------------------------------------------------------
    def add_alias(self, alias: str, employer: str) -> str:
        with self.writer() as con:
            return matching.add_alias(con, alias, employer)

    def remove_alias(self, alias: str, employer: str | None = None) -> int:
        with self.writer() as con:
            return matching.remove_alias(con, alias, employer)

    def aliases(self) -> list[dict[str, str]]:
        if not self.exists():
            return []
        with self.reader() as con:
            return matching.list_aliases(con)
