"""Normalisation of the values the public files spell in many ways.

Employer names differ between brand and legal entity and between years ("GOOGLE LLC",
"Google Inc."), statuses between files ("Certified - Withdrawn", "CERTIFIED-WITHDRAWN") and
wages come per hour, week, two weeks, month or year. Each rule lives here once, as a Python
function (for queries typed by users) and, where the import needs it at scale, as the
equivalent DuckDB SQL expression.
"""

from __future__ import annotations

import re
import unicodedata

# Legal-form words removed from the end of a name (repeatedly: "Acme Holdings Co., Ltd.").
LEGAL_SUFFIXES = (
    "incorporated", "inc", "corporation", "corp", "company", "co", "limited", "ltd", "llc", "l l c",
    "llp", "l l p", "lp", "l p", "plc", "pllc", "pc", "p c", "pa", "na", "n a", "sa", "ag", "gmbh",
    "bv", "nv", "srl", "spa", "pvt", "private", "pte", "the",
)
_SUFFIX_RE = re.compile(r"(?:\s+(?:" + "|".join(re.escape(s) for s in sorted(LEGAL_SUFFIXES, key=len, reverse=True)) + r"))+$")
_DBA_RE = re.compile(r"\s+(?:d\s*/\s*b\s*/\s*a|dba|d\.b\.a\.?|doing business as|a/k/a|aka)\s+", re.I)
_WRAPPED_RE = re.compile(r'^="(.*)"$', re.S)


def unwrap(value: str | None) -> str | None:
    """`="00123"` (how some exports protect leading zeros) becomes `00123`; blanks become None."""
    if value is None:
        return None
    v = str(value).strip()
    m = _WRAPPED_RE.match(v)
    if m:
        v = m.group(1).strip()
    return v or None


def split_dba(name: str) -> tuple[str, str | None]:
    """'Acme Corp DBA Rocket Labs' -> ('Acme Corp', 'Rocket Labs'): both names identify the employer."""
    parts = _DBA_RE.split(name, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(), parts[1].strip()
    return name.strip(), None


def normalize_name(name: str | None) -> str:
    """The comparable form of an employer name: lower case, ASCII, no punctuation, no legal form,
    no leading "The", and the legal name only when a DBA is folded into it."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", str(unwrap(name) or "")).encode("ascii", "ignore").decode()
    text, _ = split_dba(text)
    text = text.lower().replace("&", " and ").replace("'", "")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^the\s+", "", text)
    previous = None
    while previous != text:
        previous = text
        text = _SUFFIX_RE.sub("", text).strip()
    return text


def normalize_fein(value: str | None) -> str | None:
    """Nine-digit FEIN as NN-NNNNNNN; anything else (masked, partial) is kept as digits or None."""
    v = unwrap(value)
    if not v:
        return None
    digits = re.sub(r"\D", "", v)
    if len(digits) == 9:
        return f"{digits[:2]}-{digits[2:]}"
    return digits or None


def sql_fein(expr: str) -> str:
    """SQL for `normalize_fein`; a value already spelled NN-NNNNNNN is kept as it is."""
    digits = f"regexp_replace({expr}, '[^0-9]', '', 'g')"
    return (f"(CASE WHEN {expr} IS NULL THEN NULL WHEN regexp_full_match({expr}, '\\d{{2}}-\\d{{7}}') THEN {expr} "
            f"WHEN length({digits}) = 9 THEN {digits}[1:2] || '-' || {digits}[3:] ELSE NULLIF({digits}, '') END)")


STATUSES = ("certified", "certified_withdrawn", "denied", "withdrawn")


def normalize_status(value: str | None) -> str | None:
    """'Certified - Withdrawn', 'CERTIFIED-WITHDRAWN', 'certified withdrawn' -> 'certified_withdrawn'."""
    v = re.sub(r"[^a-z]+", "_", (unwrap(value) or "").lower()).strip("_")
    return v if v in STATUSES else None


# Annualisation factors by unit (hours per year follow DOL's 2080-hour convention).
UNIT_FACTORS = {"hour": 2080.0, "week": 52.0, "biweekly": 26.0, "month": 12.0, "year": 1.0}
_UNIT_SPELLINGS = {
    "hour": "hour", "hourly": "hour", "hr": "hour", "h": "hour",
    "week": "week", "weekly": "week", "wk": "week",
    "biweekly": "biweekly", "biweek": "biweekly", "bi": "biweekly",
    "month": "month", "monthly": "month", "mth": "month", "mo": "month",
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "yr": "year",
}


def normalize_unit(value: str | None) -> str | None:
    """'Hour', 'HOUR', 'Bi-Weekly', 'Year' -> hour, biweekly, year; unknown -> None."""
    key = re.sub(r"[^a-z]", "", (unwrap(value) or "").lower())
    return _UNIT_SPELLINGS.get(key)


def parse_money(value: str | None) -> float | None:
    """'$120,000.00' -> 120000.0; a range keeps its lower end; junk -> None."""
    v = unwrap(value)
    if not v:
        return None
    m = re.search(r"\d[\d,]*(?:\.\d+)?", v)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def annualize(amount: float | None, unit: str | None) -> float | None:
    if amount is None or unit not in UNIT_FACTORS:
        return None
    return round(amount * UNIT_FACTORS[unit], 2)


LEVELS = ("I", "II", "III", "IV")
_LEVEL_SPELLINGS = {"i": "I", "1": "I", "ii": "II", "2": "II", "iii": "III", "3": "III", "iv": "IV", "4": "IV"}


def normalize_level(value: str | None) -> str | None:
    """'Level II', 'II', '2' -> 'II'."""
    key = re.sub(r"^level", "", re.sub(r"[^a-z0-9]", "", (unwrap(value) or "").lower()))
    return _LEVEL_SPELLINGS.get(key)


# -- the same rules as DuckDB SQL, for the bulk import -----------------------------------------------

def sql_unwrap(col: str) -> str:
    """SQL for `unwrap`: strip `="..."`, trim, blank -> NULL. It runs on every cell of a million-row
    file, so only the cells that need it are copied: prefix and suffix tests come first."""
    return (f"(CASE WHEN {col} = '' THEN NULL "
            f"WHEN starts_with({col}, '=\"') AND ends_with({col}, '\"') THEN NULLIF(trim({col}[3:-2]), '') "
            f"WHEN starts_with({col}, ' ') OR ends_with({col}, ' ') THEN NULLIF(trim({col}), '') "
            f"ELSE {col} END)")


def sql_soc(expr: str) -> str:
    """'15-1252.00' -> '15-1252': the O*NET detail suffix is dropped, so LCA and wage-file codes compare equal."""
    return (f"(CASE WHEN ends_with({expr}, '.00') THEN {expr}[1:-4] "
            f"WHEN contains({expr}, '.') THEN regexp_replace({expr}, '\\.\\d+$', '') ELSE {expr} END)")


def sql_status(expr: str) -> str:
    s = f"trim(regexp_replace(lower({expr}), '[^a-z]+', '_', 'g'), '_')"
    common = {"Certified": "certified", "CERTIFIED": "certified", "Denied": "denied", "DENIED": "denied",
              "Withdrawn": "withdrawn", "WITHDRAWN": "withdrawn", "Certified - Withdrawn": "certified_withdrawn",
              "CERTIFIED-WITHDRAWN": "certified_withdrawn"}
    fast = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in common.items())
    return f"(CASE {expr} {fast} ELSE CASE WHEN {s} IN ({', '.join(repr(x) for x in STATUSES)}) THEN {s} END END)"


def sql_unit(expr: str) -> str:
    key = f"regexp_replace(lower({expr}), '[^a-z]', '', 'g')"
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _UNIT_SPELLINGS.items())
    fast = "WHEN 'Year' THEN 'year' WHEN 'Hour' THEN 'hour' WHEN 'Week' THEN 'week' WHEN 'Month' THEN 'month' WHEN 'Bi-Weekly' THEN 'biweekly'"
    return f"(CASE {expr} {fast} ELSE (CASE {key} {cases} END) END)"


def sql_money(expr: str) -> str:
    slow = f"TRY_CAST(replace(regexp_extract({expr}, '\\d[\\d,]*(\\.\\d+)?'), ',', '') AS DOUBLE)"
    return f"COALESCE(TRY_CAST({expr} AS DOUBLE), {slow})"


def sql_annualize(amount: str, unit: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN {v}" for k, v in UNIT_FACTORS.items())
    return f"round({amount} * (CASE {unit} {cases} END), 2)"


def sql_level(expr: str) -> str:
    key = f"regexp_replace(regexp_replace(lower({expr}), '[^a-z0-9]', '', 'g'), '^level', '')"
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _LEVEL_SPELLINGS.items())
    return f"(CASE WHEN {expr} IN ('I', 'II', 'III', 'IV') THEN {expr} ELSE (CASE {key} {cases} END) END)"


def sql_flag(expr: str) -> str:
    """Employment-type and yes/no columns: a non-zero number or Y/Yes counts."""
    return (f"(CASE WHEN {expr} IS NULL OR {expr} IN ('0', 'N', 'No', 'NO') THEN false "
            f"WHEN {expr} IN ('1', 'Y', 'Yes', 'YES') THEN true "
            f"ELSE COALESCE(TRY_CAST({expr} AS DOUBLE), 0) <> 0 OR upper({expr}) IN ('Y', 'YES', 'TRUE') END)")


DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%y", "%d-%b-%Y", "%Y/%m/%d")


def sql_date(expr: str) -> str:
    fmts = "[" + ", ".join(f"'{f}'" for f in DATE_FORMATS) + "]"
    return f"COALESCE(TRY_CAST({expr} AS DATE), CAST(try_strptime({expr}, {fmts}) AS DATE))"


def fiscal_year(d) -> int:
    """US federal fiscal year: October to September (FY2025 starts 2024-10-01)."""
    return d.year + (1 if d.month >= 10 else 0)


def sql_fiscal_year(date_expr: str) -> str:
    return f"(year({date_expr}) + CASE WHEN month({date_expr}) >= 10 THEN 1 ELSE 0 END)"
