"""Which public file a path is, and how to read it into a raw staging table.

Detection reads the content, never the name: a renamed `LCA_Disclosure_Data_FY2024_Q4.xlsx`
saved as CSV, or a Data Hub export with a `.txt` suffix, is still recognised. CSV parsing is
left to DuckDB's `read_csv` (one pass in C++, no Python loop per row); xlsx is streamed block by
block by `visapath.employers.xlsx`, so a 250 MB workbook is never held in memory at once.
Every staging column is text with a canonical name; typing happens in `database`.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

LCA, USCIS_HUB, OFLC_WAGES, OFLC_GEOGRAPHY = "lca", "uscis_hub", "oflc_wages", "oflc_geography"
FORMAT_LABELS = {
    LCA: "DOL OFLC LCA disclosure",
    USCIS_HUB: "USCIS H-1B Employer Data Hub",
    OFLC_WAGES: "OFLC prevailing wages (ALC_Export)",
    OFLC_GEOGRAPHY: "OFLC wage areas (Geography)",
}

# Canonical column -> header spellings seen across years (compared after `header_key`).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    LCA: {
        "case_number": ("CASE_NUMBER", "CASE_NO", "LCA_CASE_NUMBER"),
        "case_status": ("CASE_STATUS", "STATUS", "APPROVAL_STATUS"),
        "received_date": ("RECEIVED_DATE", "CASE_SUBMITTED", "SUBMITTED_DATE", "CASE_RECEIVED_DATE", "LCA_CASE_SUBMIT"),
        "decision_date": ("DECISION_DATE", "LCA_CASE_DECISION_DATE"),
        "visa_class": ("VISA_CLASS", "PROGRAM"),
        "job_title": ("JOB_TITLE", "LCA_CASE_JOB_TITLE"),
        "soc_code": ("SOC_CODE", "LCA_CASE_SOC_CODE"),
        "soc_title": ("SOC_TITLE", "SOC_NAME", "LCA_CASE_SOC_NAME"),
        "full_time": ("FULL_TIME_POSITION", "FULL_TIME_POS"),
        "total_workers": ("TOTAL_WORKER_POSITIONS", "TOTAL_WORKERS", "TOTAL_WORKERS_REQUESTED"),
        "new_employment": ("NEW_EMPLOYMENT",),
        "continued_employment": ("CONTINUED_EMPLOYMENT",),
        "change_previous_employment": ("CHANGE_PREVIOUS_EMPLOYMENT",),
        "new_concurrent_employment": ("NEW_CONCURRENT_EMPLOYMENT", "NEW_CONCURRENT_EMP"),
        "change_employer": ("CHANGE_EMPLOYER",),
        "amended_petition": ("AMENDED_PETITION",),
        "employer_name": ("EMPLOYER_NAME", "LCA_CASE_EMPLOYER_NAME"),
        "trade_name_dba": ("TRADE_NAME_DBA", "EMPLOYER_BUSINESS_DBA"),
        "employer_fein": ("EMPLOYER_FEIN", "FEIN"),
        "naics_code": ("NAICS_CODE", "NAIC_CODE", "LCA_CASE_NAICS_CODE"),
        "worksite_city": ("WORKSITE_CITY", "WORKSITE_CITY_1", "LCA_CASE_WORKLOC1_CITY"),
        "worksite_county": ("WORKSITE_COUNTY", "WORKSITE_COUNTY_1"),
        "worksite_state": ("WORKSITE_STATE", "WORKSITE_STATE_1", "LCA_CASE_WORKLOC1_STATE"),
        "worksite_postal_code": ("WORKSITE_POSTAL_CODE", "WORKSITE_POSTAL_CODE_1"),
        "wage_from": ("WAGE_RATE_OF_PAY_FROM", "WAGE_RATE_OF_PAY_FROM_1", "WAGE_RATE_OF_PAY", "LCA_CASE_WAGE_RATE_FROM"),
        "wage_to": ("WAGE_RATE_OF_PAY_TO", "WAGE_RATE_OF_PAY_TO_1", "LCA_CASE_WAGE_RATE_TO"),
        "wage_unit": ("WAGE_UNIT_OF_PAY", "WAGE_UNIT_OF_PAY_1", "LCA_CASE_WAGE_RATE_UNIT"),
        "prevailing_wage": ("PREVAILING_WAGE", "PREVAILING_WAGE_1", "PW_1"),
        "pw_unit": ("PW_UNIT_OF_PAY", "PW_UNIT_OF_PAY_1", "PW_UNIT_1"),
        "pw_wage_level": ("PW_WAGE_LEVEL", "PW_WAGE_LEVEL_1", "PW_LEVEL", "PW_LEVEL_1"),
        "h1b_dependent": ("H-1B_DEPENDENT", "H_1B_DEPENDENT", "H1B_DEPENDENT"),
        "willful_violator": ("WILLFUL_VIOLATOR",),
    },
    USCIS_HUB: {
        "fiscal_year": ("Fiscal Year",),
        "employer_name": ("Employer", "Employer (Petitioner) Name", "Employer Name", "Petitioner Name"),
        "tax_id": ("Tax ID",),
        "naics_code": ("NAICS", "Industry (NAICS) Code", "NAICS Code"),
        "city": ("City", "Petitioner City"),
        "state": ("State", "Petitioner State"),
        "zip": ("ZIP", "Petitioner Zip Code", "Zip Code"),
        "initial_approval": ("Initial Approval", "Initial Approvals"),
        "initial_denial": ("Initial Denial", "Initial Denials"),
        "continuing_approval": ("Continuing Approval", "Continuing Approvals"),
        "continuing_denial": ("Continuing Denial", "Continuing Denials"),
        "new_employment_approval": ("New Employment Approval",),
        "new_employment_denial": ("New Employment Denial",),
        "continuation_approval": ("Continuation Approval",),
        "continuation_denial": ("Continuation Denial",),
        "change_same_employer_approval": ("Change with Same Employer Approval",),
        "change_same_employer_denial": ("Change with Same Employer Denial",),
        "new_concurrent_approval": ("New Concurrent Approval",),
        "new_concurrent_denial": ("New Concurrent Denial",),
        "change_of_employer_approval": ("Change of Employer Approval",),
        "change_of_employer_denial": ("Change of Employer Denial",),
        "amended_approval": ("Amended Approval",),
        "amended_denial": ("Amended Denial",),
    },
    OFLC_WAGES: {
        "area": ("Area",), "soc_code": ("SocCode", "Soc Code", "SOC_CODE"), "geo_level": ("GeoLvl",),
        "level1": ("Level1",), "level2": ("Level2",), "level3": ("Level3",), "level4": ("Level4",),
        "average": ("Average",), "label": ("Label",),
    },
    OFLC_GEOGRAPHY: {
        "area": ("Area",), "area_name": ("AreaName",), "state_ab": ("StateAb",), "state": ("State",),
        "county_town_name": ("CountyTownName",),
    },
}

# Columns a file must have to be recognised as that format.
REQUIRED = {
    LCA: ("case_number", "employer_name", "decision_date"),
    USCIS_HUB: ("fiscal_year", "employer_name"),
    OFLC_WAGES: ("area", "soc_code", "geo_level", "level1"),
    OFLC_GEOGRAPHY: ("area", "area_name", "county_town_name"),
}


class FormatError(ValueError):
    """A file that is none of the supported public data files (the message says what was seen)."""


def header_key(name: Any) -> str:
    """'H-1B_DEPENDENT ', 'h_1b_dependent' and 'Fiscal Year   ' compare equal to their spellings."""
    return re.sub(r"[^A-Z0-9]+", "_", str(name or "").strip().upper()).strip("_")


_LOOKUP = {fmt: {header_key(s): canon for canon, spellings in cols.items() for s in spellings}
           for fmt, cols in COLUMNS.items()}


def map_header(fmt: str, header: list[str]) -> dict[str, int]:
    """Canonical column -> position in the file's header (first spelling wins)."""
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        canon = _LOOKUP[fmt].get(header_key(h))
        if canon and canon not in out:
            out[canon] = i
    return out


def classify_header(header: list[str]) -> str | None:
    """The format whose required columns the header has (most specific first)."""
    for fmt in (LCA, OFLC_WAGES, OFLC_GEOGRAPHY, USCIS_HUB):
        if all(c in map_header(fmt, header) for c in REQUIRED[fmt]):
            return fmt
    return None


@dataclass(frozen=True)
class Detected:
    """A recognised file: what it is and how its text is laid out."""

    path: Path
    format: str
    container: str  # "csv" or "xlsx"
    header: tuple[str, ...]
    encoding: str = "utf-8"
    delimiter: str = ","


def _decode_head(raw: bytes) -> tuple[str, str]:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="ignore"), "utf-16"
    if len(raw) > 4 and raw[1:2] == b"\x00" and raw[3:4] == b"\x00":  # UTF-16 LE without BOM
        return raw.decode("utf-16-le", errors="ignore"), "utf-16"
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # a character cut by the read window
            return raw[: exc.start].decode("utf-8-sig"), "utf-8"
        return raw.decode("latin-1"), "latin-1"


def _split_header(line: str, delimiter: str) -> list[str]:
    import csv

    return next(csv.reader([line], delimiter=delimiter), [])


def is_zip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def is_xlsx(path: Path) -> bool:
    if not is_zip(path):
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def detect(path: Path) -> Detected:
    """Recognise a public data file by its content; FormatError says why one is not."""
    if path.stat().st_size == 0:
        raise FormatError("the file is empty")
    if is_xlsx(path):
        header = xlsx_header(path)
        fmt = classify_header(header)
        if fmt is None:
            raise FormatError(f"a workbook whose first sheet has none of the known layouts (columns: {_preview(header)})")
        return Detected(path, fmt, "xlsx", tuple(header))
    with open(path, "rb") as f:
        raw = f.read(65536)
    if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and raw[1:2] != b"\x00":
        raise FormatError("a binary file, not a CSV or xlsx export")
    text, encoding = _decode_head(raw)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max(("\t", ",", "|", ";"), key=first.count)
    header = _split_header(first, delimiter)
    fmt = classify_header(header)
    if fmt is None:
        raise FormatError(f"not a known layout (columns: {_preview(header)})")
    return Detected(path, fmt, "csv", tuple(header), encoding, delimiter)


def _preview(header: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(str(h) for h in list(header)[:6] if h is not None)
    return (shown + ", ...") if len(header) > 6 else (shown or "none")


# -- reading into a staging table -------------------------------------------------------------------

def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage_csv(con: duckdb.DuckDBPyConnection, det: Detected, table: str) -> int:
    """Expose a CSV as view `table` (all text, canonical names) over DuckDB's reader; returns -1 (rows
    are counted when the view is first read). Lines DuckDB cannot parse are skipped and kept in its
    reject tables for the summary. The view has no row-number column: `row_number() OVER ()` would
    serialise the whole scan onto one thread; the table the importer materialises from the view keeps
    file order (DuckDB preserves insertion order), so its `rowid` is the row's position."""
    mapping = map_header(det.format, list(det.header))
    enc = "utf-16" if det.encoding == "utf-16" else ("latin-1" if det.encoding == "latin-1" else "utf-8")
    src = (f"read_csv({_sql_str(str(det.path))}, all_varchar=true, header=true, delim={_sql_str(det.delimiter)}, "
           f"quote='\"', escape='\"', encoding={_sql_str(enc)}, null_padding=true, ignore_errors=true, "
           f"store_rejects=true, strict_mode=false, parallel=true)")
    cols = con.execute(f"SELECT * FROM {src} LIMIT 0").description
    names = [c[0] for c in cols]
    select = []
    for canon in COLUMNS[det.format]:
        pos = mapping.get(canon)
        select.append(f"{_quote(names[pos])} AS {canon}" if pos is not None and pos < len(names) else f"NULL::VARCHAR AS {canon}")
    # A view: the one scan happens when the importer types the rows (no second copy of the file).
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT {', '.join(select)} FROM {src}")
    return -1


def csv_rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """(line, reason) for the lines DuckDB's CSV reader skipped in the last `stage_csv`."""
    try:
        rows = con.execute("SELECT line, error_message FROM reject_errors ORDER BY line").fetchall()
    except duckdb.Error:
        return []
    return [(int(line or 0), str(msg).splitlines()[0][:160]) for line, msg in rows]


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def xlsx_header(path: Path) -> list[str]:
    from visapath.employers import xlsx

    return xlsx.header_row(path)[1]


def stage_xlsx(con: duckdb.DuckDBPyConnection, det: Detected, table: str,
               on_rows: Callable[[int], None] | None = None) -> int:
    """Stream the first sheet into `table` (see `xlsx.stage`: bounded memory, decoding in DuckDB)."""
    from visapath.employers import xlsx

    header_at, header = xlsx.header_row(det.path)
    mapping = map_header(det.format, header)
    positions = {c: mapping.get(c) for c in COLUMNS[det.format]}
    return xlsx.stage(con, det.path, positions, table, header_at, on_rows)
