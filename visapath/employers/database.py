"""The embedded DuckDB database of imported filings, and the import itself.

Import is one transaction per file, so a failure (a killed process, a damaged file) leaves the
database as it was. Each file is fingerprinted (SHA-256): importing the same bytes again changes
nothing. LCA cases are de-duplicated on CASE_NUMBER keeping the latest DECISION_DATE, within a file
and across files, so quarterly files and cumulative ones can be mixed; a cumulative file (one whose
decisions start at the beginning of a fiscal year) also replaces what older files held for the
period it covers. Hub and wage files replace the fiscal years (or the whole table) they cover.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from visapath.employers import formats
from visapath.employers.errors import EmployerDataError
from visapath.employers.formats import LCA, OFLC_GEOGRAPHY, OFLC_WAGES, USCIS_HUB, Detected
from visapath.employers.normalize import (
    normalize_name, split_dba, sql_annualize, sql_date, sql_fein, sql_fiscal_year, sql_flag, sql_level, sql_money,
    sql_soc, sql_status, sql_unit, sql_unwrap,
)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS file_ids START 1;
CREATE TABLE IF NOT EXISTS files (
    file_id INTEGER PRIMARY KEY, sha256 VARCHAR, name VARCHAR, path VARCHAR, format VARCHAR,
    imported_at TIMESTAMP, rows_read BIGINT, blank BIGINT, duplicate BIGINT, rejected BIGINT, kept BIGINT,
    fiscal_years VARCHAR, quarters VARCHAR, decision_min DATE, decision_max DATE, cumulative BOOLEAN,
    replaced BIGINT, superseded_by INTEGER, rejects VARCHAR);
CREATE TABLE IF NOT EXISTS lca (
    case_number VARCHAR, status VARCHAR, received_date DATE, decision_date DATE, fiscal_year INTEGER,
    visa_class VARCHAR, job_title VARCHAR, soc_code VARCHAR, soc_title VARCHAR, full_time BOOLEAN,
    total_workers INTEGER, new_employment BOOLEAN, continued_employment BOOLEAN,
    change_previous_employment BOOLEAN, new_concurrent_employment BOOLEAN, change_employer BOOLEAN,
    amended_petition BOOLEAN, employer_name VARCHAR, trade_name_dba VARCHAR, employer_fein VARCHAR,
    employer_norm VARCHAR, naics_code VARCHAR, worksite_city VARCHAR, worksite_county VARCHAR,
    worksite_state VARCHAR, worksite_postal_code VARCHAR, wage_from DOUBLE, wage_to DOUBLE, wage_unit VARCHAR,
    annual_wage_from DOUBLE, prevailing_wage DOUBLE, pw_unit VARCHAR, pw_wage_level VARCHAR,
    h1b_dependent BOOLEAN, willful_violator BOOLEAN, file_id INTEGER);
CREATE TABLE IF NOT EXISTS uscis (
    fiscal_year INTEGER, employer_name VARCHAR, employer_norm VARCHAR, tax_id VARCHAR, naics_code VARCHAR,
    city VARCHAR, state VARCHAR, zip VARCHAR,
    initial_approval INTEGER, initial_denial INTEGER, continuing_approval INTEGER, continuing_denial INTEGER,
    new_employment_approval INTEGER, new_employment_denial INTEGER, continuation_approval INTEGER,
    continuation_denial INTEGER, change_same_employer_approval INTEGER, change_same_employer_denial INTEGER,
    new_concurrent_approval INTEGER, new_concurrent_denial INTEGER, change_of_employer_approval INTEGER,
    change_of_employer_denial INTEGER, amended_approval INTEGER, amended_denial INTEGER, file_id INTEGER);
CREATE TABLE IF NOT EXISTS wages (
    area VARCHAR, soc_code VARCHAR, geo_level INTEGER, level1 DOUBLE, level2 DOUBLE, level3 DOUBLE,
    level4 DOUBLE, average DOUBLE, label VARCHAR, file_id INTEGER);
CREATE TABLE IF NOT EXISTS geography (
    area VARCHAR, area_name VARCHAR, state_ab VARCHAR, state VARCHAR, county_town_name VARCHAR, file_id INTEGER);
CREATE TABLE IF NOT EXISTS employers (
    employer_norm VARCHAR, name VARCHAR, fein VARCHAR, lca_filings BIGINT, uscis_rows BIGINT);
CREATE TABLE IF NOT EXISTS employer_names (name_norm VARCHAR, employer_norm VARCHAR, kind VARCHAR);
CREATE TABLE IF NOT EXISTS aliases (alias_norm VARCHAR, alias VARCHAR, employer VARCHAR,
    employer_norm VARCHAR, added_at TIMESTAMP, PRIMARY KEY (alias_norm, employer_norm));
"""

HUB_COUNTS = [c for c in formats.COLUMNS[USCIS_HUB] if c.endswith(("_approval", "_denial"))]
LCA_COLUMNS = ["case_number", "status", "received_date", "decision_date", "fiscal_year", "visa_class", "job_title",
               "soc_code", "soc_title", "full_time", "total_workers", "new_employment", "continued_employment",
               "change_previous_employment", "new_concurrent_employment", "change_employer", "amended_petition",
               "employer_name", "trade_name_dba", "employer_fein", "employer_norm", "naics_code", "worksite_city",
               "worksite_county", "worksite_state", "worksite_postal_code", "wage_from", "wage_to", "wage_unit",
               "annual_wage_from", "prevailing_wage", "pw_unit", "pw_wage_level", "h1b_dependent", "willful_violator",
               "file_id"]  # the order of the `lca` table's columns


def lca_typed_sql(stage: str) -> str:
    """SELECT that turns the raw text rows of an LCA file into typed rows in one pass: every value
    unwrapped, each rule of `normalize` applied as SQL, plus `blank` (no value at all) and `reason`
    (why a row is not kept: 'blank' for a padding row, the reject reason otherwise; NULL when it is
    kept). `employer_norm` is filled in later, from the distinct names."""
    cols = formats.COLUMNS[LCA]
    unwrapped = ", ".join(f"{sql_unwrap(c)} AS {c}" for c in cols)
    blank = " AND ".join(f"{c} IS NULL" for c in cols)
    return f"""
        WITH raw AS (SELECT {unwrapped} FROM {stage}),
             parsed AS (SELECT *, {sql_date('decision_date')} AS d_decision, {sql_date('received_date')} AS d_received,
                               {sql_status('case_status')} AS s_status, {sql_unit('wage_unit')} AS u_wage,
                               {sql_unit('pw_unit')} AS u_pw, {sql_money('wage_from')} AS m_wage_from,
                               ({blank}) AS blank
                        FROM raw)
        SELECT blank,
               CASE WHEN blank THEN 'blank'
                    WHEN case_number IS NULL THEN 'no CASE_NUMBER'
                    WHEN employer_name IS NULL THEN 'no EMPLOYER_NAME'
                    WHEN decision_date IS NULL THEN 'no DECISION_DATE'
                    WHEN d_decision IS NULL THEN 'DECISION_DATE is not a date'
                    WHEN s_status IS NULL THEN 'CASE_STATUS not recognised: ' || COALESCE(case_status, '(blank)')
               END AS reason,
               case_number, s_status AS status, d_received AS received_date, d_decision AS decision_date,
               {sql_fiscal_year('d_decision')} AS fiscal_year, upper(visa_class) AS visa_class, job_title,
               {sql_soc('soc_code')} AS soc_code, soc_title,
               upper(COALESCE(full_time, '')) IN ('Y', 'YES', 'TRUE', '1') AS full_time,
               TRY_CAST(TRY_CAST(total_workers AS DOUBLE) AS INTEGER) AS total_workers,
               {sql_flag('new_employment')} AS new_employment,
               {sql_flag('continued_employment')} AS continued_employment,
               {sql_flag('change_previous_employment')} AS change_previous_employment,
               {sql_flag('new_concurrent_employment')} AS new_concurrent_employment,
               {sql_flag('change_employer')} AS change_employer,
               {sql_flag('amended_petition')} AS amended_petition,
               employer_name, trade_name_dba, {sql_fein('employer_fein')} AS employer_fein, naics_code,
               worksite_city, worksite_county, upper(worksite_state) AS worksite_state, worksite_postal_code,
               m_wage_from AS wage_from, {sql_money('wage_to')} AS wage_to, u_wage AS wage_unit,
               {sql_annualize('m_wage_from', 'u_wage')} AS annual_wage_from,
               {sql_money('prevailing_wage')} AS prevailing_wage, u_pw AS pw_unit,
               {sql_level('pw_wage_level')} AS pw_wage_level,
               {sql_flag('h1b_dependent')} AS h1b_dependent, {sql_flag('willful_violator')} AS willful_violator
        FROM parsed"""


@dataclass
class FileSummary:
    """What one import did to one file: the per-file report the CLI and app print."""

    source: str
    format: str | None = None
    status: str = "imported"  # imported | unchanged | failed
    rows_read: int = 0
    blank: int = 0
    duplicate: int = 0
    rejected: int = 0
    kept: int = 0
    replaced: int = 0
    rejects: dict[str, int] = field(default_factory=dict)
    fiscal_years: list[int] = field(default_factory=list)
    quarters: list[str] = field(default_factory=list)
    decision_min: str | None = None
    decision_max: str | None = None
    cumulative: bool | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return formats.FORMAT_LABELS.get(self.format or "", self.format or "unknown")

    def vintage(self) -> str:
        parts = []
        if self.fiscal_years:
            parts.append("FY " + ", ".join(str(y) for y in self.fiscal_years))
        if self.quarters:
            parts.append(("cumulative " if self.cumulative else "") + "quarters " + ", ".join(self.quarters))
        if self.decision_min:
            parts.append(f"decisions {self.decision_min} to {self.decision_max}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["label"] = self.label
        out["vintage"] = self.vintage()
        out["seconds"] = round(self.seconds, 3)
        return out


ProgressFn = Callable[[str, float | None, str], None]  # (source, fraction done or None, message)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple],
                types: dict[str, str] | None = None) -> None:
    """Bulk insert through Arrow (DuckDB's executemany runs one statement per row); columns are text
    unless `types` names another Arrow type."""
    import pyarrow as pa

    if not rows:
        return
    cols = list(zip(*rows))
    types = types or {}
    batch = pa.table({c: pa.array(list(v), getattr(pa, types.get(c, "string"))()) for c, v in zip(columns, cols)})
    con.register("_rows_batch", batch)
    try:
        con.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM _rows_batch")
    finally:
        con.unregister("_rows_batch")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def connect(path: Path, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database (creating the schema when writable); a lock held elsewhere is explained.
    With `memory_limit`, DuckDB spills the import's working tables to disk beyond it (next to the file)."""
    try:
        if read_only:
            return duckdb.connect(str(path), read_only=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {"memory_limit": memory_limit, "temp_directory": str(path.with_name(path.name + ".tmp"))} if memory_limit else {}
        con = duckdb.connect(str(path), config=config)
        con.execute(SCHEMA)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        return con
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise EmployerDataError(
                f"the employer database {path} is in use by another visapath process (the app or an import); "
                "close it and try again") from exc
        raise EmployerDataError(f"cannot open the employer database {path}: {exc}") from exc
    except duckdb.Error as exc:
        raise EmployerDataError(f"the employer database {path} is damaged or not a DuckDB file ({exc}); "
                                "move it away and import the files again") from exc


class Importer:
    """Imports detected files into an open, writable connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, progress: ProgressFn | None = None) -> None:
        self.con = con
        self.progress = progress or (lambda source, frac, msg: None)

    # -- entry point -------------------------------------------------------------------------------
    def import_file(self, path: Path, source: str | None = None) -> FileSummary:
        source = source or str(path)
        started = time.perf_counter()
        summary = FileSummary(source=source)
        try:
            det = formats.detect(path)
            summary.format = det.format
            digest = sha256_file(path)
            if self.con.execute("SELECT 1 FROM files WHERE sha256 = ?", [digest]).fetchone():
                summary.status = "unchanged"
                self._fill_from_previous(summary, digest)
                return summary
            # Read (stage) before the transaction: rows a transaction appends to a temporary table are
            # held in memory until it commits, while outside one DuckDB can spill them to disk; a
            # million-row workbook staged inside the transaction took over 3 GB.
            staged = self._stage(det, source)
            self.con.execute("BEGIN TRANSACTION")
            try:
                file_id = int(self.con.execute("SELECT nextval('file_ids')").fetchone()[0])
                {LCA: self._import_lca, USCIS_HUB: self._import_hub, OFLC_WAGES: self._import_wages,
                 OFLC_GEOGRAPHY: self._import_geography}[det.format](det, file_id, summary, staged)
                self._record(file_id, digest, path, source, summary)
                self._rebuild_employers()
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        except formats.FormatError as exc:
            summary.status, summary.error = "failed", f"not imported: {exc}"
        except (duckdb.Error, OSError, UnicodeError, ValueError) as exc:
            summary.status, summary.error = "failed", f"not imported: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            summary.seconds = time.perf_counter() - started
            stop = getattr(self, "_stop_watch", None)
            if stop:
                stop()
                self._stop_watch = None
            for kind, name in (("VIEW", "_stage"), ("TABLE", "_stage"), ("TABLE", "_typed"), ("TABLE", "_names")):
                try:
                    self.con.execute(f"DROP {kind} IF EXISTS {name}")
                except duckdb.Error:  # the other kind of object under that name
                    pass
        return summary

    # -- staging -----------------------------------------------------------------------------------
    def _stage(self, det: Detected, source: str) -> tuple[int, list[tuple[int, str]]]:
        if det.container == "xlsx":
            self.progress(source, 0.0, "reading workbook")
            n = formats.stage_xlsx(self.con, det, "_stage",
                                   on_rows=lambda rows: self.progress(source, None, f"{rows:,} rows read"))
            return n, []
        self.progress(source, 0.0, "reading CSV")
        stop = threading.Event()

        def poll() -> None:  # DuckDB reports a running query's progress to another thread
            while not stop.wait(0.5):
                try:
                    frac = self.con.query_progress()
                except Exception:
                    return
                if frac is not None and frac >= 0:
                    self.progress(source, min(frac / 100.0, 1.0), "reading CSV")

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        self._stop_watch = lambda: (stop.set(), watcher.join())
        return formats.stage_csv(self.con, det, "_stage"), None

    def _count_rows(self, summary: FileSummary) -> None:
        """Rows read, once the staged rows are typed (for CSV that is when the file is actually scanned)."""
        stop = getattr(self, "_stop_watch", None)
        if stop:
            stop()
            self._stop_watch = None
        summary.rows_read = int(self.con.execute("SELECT count(*) FROM _typed").fetchone()[0])

    def _check(self, fmt: str, summary: FileSummary, reasons_sql: str,
               parse_rejects: list[tuple[int, str]] | None) -> list[tuple[int, str]]:
        """Count rows, blanks and rejects of the typed staging table; returns the reader's own rejects."""
        self._count_rows(summary)
        parse_rejects = formats.csv_rejects(self.con) if parse_rejects is None else parse_rejects
        self._blank_and_rejects(fmt, summary, reasons_sql, parse_rejects)
        return parse_rejects

    @staticmethod
    def _valid(summary: FileSummary, parse_rejects: list[tuple[int, str]]) -> int:
        """Rows that passed every check (before de-duplication)."""
        return summary.rows_read - summary.blank - summary.rejected

    @staticmethod
    def _add_parse_rejects(summary: FileSummary, parse_rejects: list[tuple[int, str]]) -> None:
        """Lines the reader could not parse count as read and rejected, with the reader's reason."""
        for _, msg in parse_rejects:
            key = f"unreadable line ({msg})"
            summary.rejects[key] = summary.rejects.get(key, 0) + 1
        summary.rejected = sum(summary.rejects.values())
        summary.rows_read += len(parse_rejects)

    def _blank_and_rejects(self, fmt: str, summary: FileSummary, reasons_sql: str, parse_rejects: list[tuple[int, str]]) -> None:
        cols = [c for c in formats.COLUMNS[fmt]]
        all_null = " AND ".join(f"{c} IS NULL" for c in cols)
        summary.blank = int(self.con.execute(f"SELECT count(*) FROM _typed WHERE {all_null}").fetchone()[0])
        rows = self.con.execute(
            f"SELECT reason, count(*) FROM (SELECT {reasons_sql} AS reason FROM _typed WHERE NOT ({all_null})) "
            "WHERE reason IS NOT NULL GROUP BY reason ORDER BY 2 DESC").fetchall()
        summary.rejects = {str(r): int(n) for r, n in rows}
        self._add_parse_rejects(summary, parse_rejects)

    # -- LCA ---------------------------------------------------------------------------------------
    def _import_lca(self, det: Detected, file_id: int, summary: FileSummary, staged: tuple) -> None:
        """Set-based from end to end: one parallel pass types every row (unwrapping, dates, statuses,
        units, annual wages, FEINs, flags and the reject reason are all SQL), a narrow aggregate picks
        each case's latest decision, and the kept rows are written once, sorted by employer. Python
        only normalises the distinct employer names (tens of thousands, not a million rows)."""
        con = self.con
        summary.rows_read, parse_rejects = staged
        self.progress(summary.source, None, "reading and checking rows")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS {lca_typed_sql('_stage')}")
        if det.container == "xlsx":  # the raw cells are no longer needed: free them before the sorted write
            con.execute("DROP TABLE _stage")
        self._count_rows(summary)
        parse_rejects = formats.csv_rejects(self.con) if parse_rejects is None else parse_rejects
        counts = con.execute("SELECT reason, count(*) FROM _typed WHERE reason IS NOT NULL GROUP BY 1 "
                             "ORDER BY 2 DESC, 1").fetchall()
        summary.blank = sum(int(n) for r, n in counts if r == "blank")
        summary.rejects = {str(r): int(n) for r, n in counts if r != "blank"}
        self._add_parse_rejects(summary, parse_rejects)
        # Employer names: normalised once per distinct name in Python (the rules are shared with queries);
        # `ord` is the name's place in sorted order, the cheap integer the rows are stored by.
        names = con.execute("SELECT DISTINCT employer_name, trade_name_dba FROM _typed WHERE reason IS NULL").fetchall()
        rows = []
        for name, dba in names:
            legal, folded = split_dba(name)
            rows.append((name, dba or "", normalize_name(legal), normalize_name(dba or folded) or None))
        rows.sort(key=lambda r: (r[2], r[0], r[1]))
        con.execute("CREATE OR REPLACE TEMP TABLE _names (employer_name VARCHAR, dba_key VARCHAR, employer_norm VARCHAR, "
                    "dba_norm VARCHAR, ord BIGINT)")
        insert_rows(con, "_names", ["employer_name", "dba_key", "employer_norm", "dba_norm", "ord"],
                    [(*r, i) for i, r in enumerate(rows)], types={"ord": "int64"})
        self.progress(summary.source, None, "keeping each case's latest decision")
        before = int(con.execute("SELECT count(*) FROM lca").fetchone()[0])
        cols = ", ".join(f"n.employer_norm" if c == "employer_norm" else f"t.{c}" for c in LCA_COLUMNS if c != "file_id")
        # Written straight into `lca` in employer order (a lookup then reads only the row groups whose
        # zone maps can hold the name), then reconciled with earlier files there: no second copy.
        con.execute(f"""
            INSERT INTO lca
            SELECT {cols}, {file_id} AS file_id
            FROM _typed t JOIN _names n ON n.employer_name = t.employer_name AND n.dba_key = COALESCE(t.trade_name_dba, '')
            WHERE t.rowid IN (SELECT arg_max(rowid, (decision_date, rowid)) FROM _typed WHERE reason IS NULL
                              GROUP BY case_number)
            ORDER BY n.ord""")
        con.execute("DROP TABLE _typed")
        summary.kept = int(con.execute("SELECT count(*) FROM lca WHERE file_id = ?", [file_id]).fetchone()[0])
        summary.duplicate = self._valid(summary, parse_rejects) - summary.kept
        self._vintage(summary, file_id)
        if before:
            self.progress(summary.source, None, "merging with earlier files")
            self._merge_lca(summary, file_id)
        after = int(con.execute("SELECT count(*) FROM lca").fetchone()[0])
        summary.replaced = before + summary.kept - after

    def _merge_lca(self, summary: FileSummary, file_id: int) -> None:
        """Reconcile the rows just written (`file_id`) with those of earlier files."""
        con = self.con
        new = "SELECT case_number FROM lca WHERE file_id = $cur"
        if summary.cumulative:
            # A cumulative file is the agency's full record for its period: cases that older files
            # held inside that period and that it no longer lists go with the older files.
            for year in summary.fiscal_years:
                con.execute(f"""DELETE FROM lca WHERE fiscal_year = $year AND decision_date <= $dmax AND file_id <> $cur
                                  AND file_id IN (SELECT file_id FROM files WHERE decision_max <= $dmax)
                                  AND case_number NOT IN ({new})""",
                            {"year": year, "dmax": summary.decision_max, "cur": file_id})
        # Across files the latest decision wins (ties: the file imported now).
        con.execute("""DELETE FROM lca WHERE file_id <> $cur AND case_number IN (
                           SELECT o.case_number FROM lca o JOIN lca n USING (case_number)
                           WHERE n.file_id = $cur AND o.file_id <> $cur AND n.decision_date >= o.decision_date)""",
                    {"cur": file_id})
        con.execute("DELETE FROM lca WHERE file_id = $cur AND case_number IN "
                    "(SELECT case_number FROM lca WHERE file_id <> $cur)", {"cur": file_id})

    def _vintage(self, summary: FileSummary, file_id: int) -> None:
        con = self.con
        row = con.execute("SELECT min(decision_date), max(decision_date), count(*) FROM lca WHERE file_id = ?",
                          [file_id]).fetchone()
        if not row or not row[2]:
            return
        summary.decision_min, summary.decision_max = str(row[0]), str(row[1])
        total = int(row[2])
        quarter = "((month(decision_date) + 2) % 12) // 3 + 1"  # October-December = Q1
        rows = con.execute(f"SELECT fiscal_year, {quarter} AS q, count(*) FROM lca WHERE file_id = ? GROUP BY 1, 2 "
                           "ORDER BY 1, 2", [file_id]).fetchall()
        summary.fiscal_years = sorted({int(fy) for fy, _, n in rows if n >= max(1, total * 0.01)})
        present = [(int(fy), int(q)) for fy, q, n in rows if n >= max(1, total * 0.01)]
        summary.quarters = [f"FY{fy} Q{q}" for fy, q in present]
        summary.cumulative = any(q == 1 for _, q in present) and len(present) > 1

    # -- USCIS Employer Data Hub -------------------------------------------------------------------
    def _import_hub(self, det: Detected, file_id: int, summary: FileSummary, staged: tuple) -> None:
        con = self.con
        summary.rows_read, parse_rejects = staged
        cols = formats.COLUMNS[USCIS_HUB]
        con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT {', '.join(f'{sql_unwrap(c)} AS {c}' for c in cols)} FROM _stage")
        reasons = """CASE WHEN employer_name IS NULL THEN 'no employer name'
                          WHEN TRY_CAST(fiscal_year AS INTEGER) IS NULL THEN 'no fiscal year' END"""
        parse_rejects = self._check(USCIS_HUB, summary, reasons, parse_rejects)
        valid = "employer_name IS NOT NULL AND TRY_CAST(fiscal_year AS INTEGER) IS NOT NULL"
        names = con.execute(f"SELECT DISTINCT employer_name FROM _typed WHERE {valid}").fetchall()
        con.execute("CREATE OR REPLACE TEMP TABLE _names (employer_name VARCHAR, employer_norm VARCHAR)")
        insert_rows(con, "_names", ["employer_name", "employer_norm"], [(n, normalize_name(n)) for (n,) in names])
        counts = ", ".join(f"TRY_CAST(replace({c}, ',', '') AS INTEGER) AS {c}" for c in HUB_COUNTS)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _new AS SELECT DISTINCT
                CAST(fiscal_year AS INTEGER) AS fiscal_year, t.employer_name, n.employer_norm, tax_id, naics_code,
                city, upper(state) AS state, zip, {counts}, {file_id} AS file_id
            FROM _typed t JOIN _names n USING (employer_name) WHERE {valid}""")
        summary.kept = int(con.execute("SELECT count(*) FROM _new").fetchone()[0])
        summary.duplicate = self._valid(summary, parse_rejects) - summary.kept
        summary.fiscal_years = [int(r[0]) for r in con.execute("SELECT DISTINCT fiscal_year FROM _new ORDER BY 1").fetchall()]
        before = int(con.execute("SELECT count(*) FROM uscis").fetchone()[0])
        con.execute("DELETE FROM uscis WHERE fiscal_year IN (SELECT fiscal_year FROM _new)")
        summary.replaced = before - int(con.execute("SELECT count(*) FROM uscis").fetchone()[0])
        insert_cols = ["fiscal_year", "employer_name", "employer_norm", "tax_id", "naics_code", "city", "state", "zip",
                       *HUB_COUNTS, "file_id"]
        con.execute(f"INSERT INTO uscis ({', '.join(insert_cols)}) SELECT {', '.join(insert_cols)} FROM _new")
        con.execute("DROP TABLE _new")

    # -- OFLC wage files ---------------------------------------------------------------------------
    def _import_wages(self, det: Detected, file_id: int, summary: FileSummary, staged: tuple) -> None:
        self._import_table(det, file_id, summary, staged, "wages", key=("area", "soc_code"), select=f"""
            area, {sql_soc('soc_code')} AS soc_code, TRY_CAST(geo_level AS INTEGER) AS geo_level,
            {sql_money('level1')} AS level1, {sql_money('level2')} AS level2, {sql_money('level3')} AS level3,
            {sql_money('level4')} AS level4, {sql_money('average')} AS average, label""",
            reasons="CASE WHEN area IS NULL THEN 'no Area' WHEN soc_code IS NULL THEN 'no SocCode' "
                    "WHEN TRY_CAST(level1 AS DOUBLE) IS NULL AND level1 IS NOT NULL THEN 'Level1 is not a number' END")

    def _import_geography(self, det: Detected, file_id: int, summary: FileSummary, staged: tuple) -> None:
        self._import_table(det, file_id, summary, staged, "geography", key=("area", "county_town_name", "state_ab"),
                           select="area, area_name, upper(state_ab) AS state_ab, state, county_town_name",
                           reasons="CASE WHEN area IS NULL THEN 'no Area' END")

    def _import_table(self, det: Detected, file_id: int, summary: FileSummary, staged: tuple, table: str,
                      key: tuple[str, ...], select: str, reasons: str) -> None:
        """A reference table that a newer file replaces as a whole."""
        con = self.con
        summary.rows_read, parse_rejects = staged
        cols = formats.COLUMNS[det.format]
        con.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT {', '.join(f'{sql_unwrap(c)} AS {c}' for c in cols)} FROM _stage")
        parse_rejects = self._check(det.format, summary, reasons, parse_rejects)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _new AS SELECT {select}, {file_id} AS file_id FROM _typed
                        WHERE ({reasons}) IS NULL AND NOT ({' AND '.join(f'{c} IS NULL' for c in cols)})
                        QUALIFY row_number() OVER (PARTITION BY {', '.join(key)} ORDER BY rowid DESC) = 1""")
        summary.kept = int(con.execute("SELECT count(*) FROM _new").fetchone()[0])
        summary.duplicate = self._valid(summary, parse_rejects) - summary.kept
        summary.replaced = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} SELECT * FROM _new")
        con.execute("DROP TABLE _new")

    # -- bookkeeping -------------------------------------------------------------------------------
    def _record(self, file_id: int, digest: str, path: Path, source: str, s: FileSummary) -> None:
        self.con.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            [file_id, digest, Path(source.split("!")[-1]).name, source, s.format, datetime.now(timezone.utc).replace(tzinfo=None),
             s.rows_read, s.blank, s.duplicate, s.rejected, s.kept, json.dumps(s.fiscal_years), json.dumps(s.quarters),
             s.decision_min, s.decision_max, s.cumulative, s.replaced, json.dumps(s.rejects)])
        # Files whose every row has been replaced by later ones are marked, so the vintage shows them as such.
        table = {LCA: "lca", USCIS_HUB: "uscis", OFLC_WAGES: "wages", OFLC_GEOGRAPHY: "geography"}[s.format or LCA]
        self.con.execute(f"""UPDATE files SET superseded_by = ? WHERE format = ? AND file_id <> ? AND superseded_by IS NULL
                              AND kept > 0 AND file_id NOT IN (SELECT DISTINCT file_id FROM {table})""",
                         [file_id, s.format, file_id])

    def _fill_from_previous(self, summary: FileSummary, digest: str) -> None:
        row = self.con.execute("SELECT rows_read, blank, duplicate, rejected, kept, fiscal_years, quarters, "
                               "decision_min, decision_max, cumulative FROM files WHERE sha256 = ? ORDER BY file_id DESC LIMIT 1",
                               [digest]).fetchone()
        (summary.rows_read, summary.blank, summary.duplicate, summary.rejected, summary.kept, fys, qs,
         dmin, dmax, summary.cumulative) = row
        summary.fiscal_years, summary.quarters = json.loads(fys or "[]"), json.loads(qs or "[]")
        summary.decision_min = str(dmin) if dmin else None
        summary.decision_max = str(dmax) if dmax else None
        summary.kept = 0

    def _rebuild_employers(self) -> None:
        """The employer entities search runs over: one per normalised name, with its most common
        spelling and FEIN, and every name (legal, DBA) that leads to it. Ties are broken the same way
        every time (a mixed-case spelling over an all-caps one, then alphabetically), so a name never
        changes between imports of the same files."""
        con = self.con
        con.execute("DELETE FROM employers")
        con.execute("""
            INSERT INTO employers
            WITH ln AS (SELECT employer_norm, employer_name AS name FROM (
                            SELECT employer_norm, employer_name, row_number() OVER (
                                PARTITION BY employer_norm ORDER BY count(*) DESC,
                                (employer_name = upper(employer_name)) ASC, employer_name ASC) AS rn
                            FROM lca GROUP BY 1, 2) WHERE rn = 1),
                 lf AS (SELECT employer_norm, employer_fein AS fein FROM (
                            SELECT employer_norm, employer_fein, row_number() OVER (
                                PARTITION BY employer_norm ORDER BY count(*) DESC, employer_fein ASC) AS rn
                            FROM lca WHERE employer_fein IS NOT NULL GROUP BY 1, 2) WHERE rn = 1),
                 l AS (SELECT c.employer_norm, ln.name, lf.fein, c.n
                       FROM (SELECT employer_norm, count(*) AS n FROM lca GROUP BY 1) c
                       JOIN ln USING (employer_norm) LEFT JOIN lf USING (employer_norm)),
                 u AS (SELECT employer_norm, name, n FROM (
                            SELECT employer_norm, employer_name AS name, sum(count(*)) OVER (PARTITION BY employer_norm) AS n,
                                   row_number() OVER (PARTITION BY employer_norm ORDER BY count(*) DESC,
                                   (employer_name = upper(employer_name)) ASC, employer_name ASC) AS rn
                            FROM uscis GROUP BY 1, 2) WHERE rn = 1)
            SELECT COALESCE(l.employer_norm, u.employer_norm), COALESCE(l.name, u.name), l.fein,
                   COALESCE(l.n, 0), COALESCE(u.n, 0)
            FROM l FULL OUTER JOIN u ON l.employer_norm = u.employer_norm
            WHERE COALESCE(l.employer_norm, u.employer_norm) <> ''
            ORDER BY 1""")
        con.execute("DELETE FROM employer_names")
        con.execute("INSERT INTO employer_names SELECT employer_norm, employer_norm, 'legal' FROM employers ORDER BY 1")
        dbas = con.execute("SELECT DISTINCT trade_name_dba, employer_norm FROM lca WHERE trade_name_dba IS NOT NULL").fetchall()
        rows = {(normalize_name(d), e) for d, e in dbas if normalize_name(d)}
        folded = con.execute("SELECT DISTINCT employer_name, employer_norm FROM lca WHERE regexp_matches(employer_name, '(?i)\\s(d/?b/?a|doing business as)\\s')").fetchall()
        for name, e in folded:
            dba = split_dba(name)[1]
            if dba and normalize_name(dba):
                rows.add((normalize_name(dba), e))
        rows = {r for r in rows if r[0] != r[1]}
        if rows:
            insert_rows(con, "employer_names", ["name_norm", "employer_norm", "kind"], [(a, b, "dba") for a, b in sorted(rows)])


def vintage(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every imported file with what it covers, newest first (for `employers info` and the app)."""
    rows = con.execute("""SELECT file_id, name, path, format, imported_at, rows_read, blank, duplicate, rejected, kept,
                                 fiscal_years, quarters, decision_min, decision_max, cumulative, superseded_by, rejects
                          FROM files ORDER BY file_id DESC""").fetchall()
    out = []
    for r in rows:
        out.append({
            "file_id": r[0], "name": r[1], "source": r[2], "format": r[3],
            "label": formats.FORMAT_LABELS.get(r[3], r[3]), "imported_at": str(r[4])[:19],
            "rows_read": r[5], "blank": r[6], "duplicate": r[7], "rejected": r[8], "kept": r[9],
            "fiscal_years": json.loads(r[10] or "[]"), "quarters": json.loads(r[11] or "[]"),
            "decision_min": str(r[12]) if r[12] else None, "decision_max": str(r[13]) if r[13] else None,
            "cumulative": r[14], "superseded_by": r[15], "rejects": json.loads(r[16] or "{}"),
        })
    return out


def today() -> date:
    return date.today()
