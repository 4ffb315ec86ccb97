"""Prevailing-wage level of a salary, and what it means for the FY 2027 weighted H-1B selection.

OFLC's ALC_Export.csv gives, per wage area and SOC code, four hourly prevailing wages (Levels
I-IV) and a GeoLvl saying whether the area had an estimate of its own or borrowed one from a wider
geography. Wages are annualised at 2080 hours, as OFLC does. The weighted selection enters a
registration once per level (Level I = 1 ... Level IV = 4); a salary below Level I (possible with
another valid wage source) is entered once; and when several employers register the same person
the lowest of their levels counts for all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from visapath.employers.errors import WageLookupError
from visapath.employers.normalize import LEVELS

HOURS_PER_YEAR = 2080
ENTRIES = {"below I": 1, "I": 1, "II": 2, "III": 3, "IV": 4}
RULE = ("Weighted selection: a registration is entered once for OEWS wage Level I, twice for Level II, three times "
        "for Level III and four times for Level IV (below Level I: once); when several employers register the same "
        "person, the lowest level among them applies. 8 CFR 214.2(h)(8)(iii), as amended by the DHS final rule "
        "'Weighted Selection Process for Registrants and Petitioners Seeking To File Cap-Subject H-1B Petitions' "
        "(Federal Register, Dec. 29, 2025, FR Doc. 2025-23853), first applied to the FY 2027 registration.")
RULE_SOURCE = "knowledge/visas/h1b-weighted-selection.md"
GEO_NOTE = ("GeoLvl {g}: OFLC had no wage estimate of its own for this occupation in this area, so these wages come "
            "from a wider geography (OFLC's fallback).")


@dataclass
class Area:
    code: str
    name: str
    state: str | None
    matched_by: str  # area | county | name


def _norm_county(name: str) -> str:
    n = re.sub(r"[^a-z ]", "", name.lower())
    return re.sub(r"\s+(county|parish|borough|census area|city and borough|municipality)$", "", n).strip()


def find_area(con: duckdb.DuckDBPyConnection, area: str | None = None, county: str | None = None,
              state: str | None = None) -> Area:
    """An OFLC wage area from its code, a county and state, or a place name in the area's name."""
    st = state.strip().upper() if state else None
    if area and area.strip().isdigit():
        row = con.execute("SELECT area, any_value(area_name), any_value(state_ab) FROM geography WHERE area = ? GROUP BY area",
                          [area.strip()]).fetchone()
        if row:
            return Area(row[0], row[1], row[2], "area")
        if con.execute("SELECT 1 FROM wages WHERE area = ? LIMIT 1", [area.strip()]).fetchone():
            return Area(area.strip(), area.strip(), st, "area")
        raise WageLookupError(f"wage area {area} is not in the imported OFLC files")
    if county:
        rows = con.execute("SELECT area, area_name, state_ab, county_town_name FROM geography WHERE (? IS NULL OR state_ab = ?)",
                           [st, st]).fetchall()
        want = _norm_county(county)
        hits = [r for r in rows if _norm_county(r[3] or "") == want]
        if hits:
            return Area(hits[0][0], hits[0][1], hits[0][2], "county")
        raise WageLookupError(f"no OFLC wage area lists the county '{county}'" + (f" in {st}" if st else ""))
    if area:
        rows = con.execute("""SELECT area, any_value(area_name), any_value(state_ab) FROM geography
                              WHERE regexp_matches(lower(area_name), ?) AND (? IS NULL OR state_ab = ?)
                              GROUP BY area ORDER BY length(any_value(area_name))""",
                           [r"(^|[^a-z])" + re.escape(area.strip().lower()), st, st]).fetchall()
        if rows:
            return Area(rows[0][0], rows[0][1], rows[0][2], "name")
        raise WageLookupError(f"no OFLC wage area is named like '{area}'" + (f" in {st}" if st else ""))
    raise WageLookupError("give --area (code or name) or --county with --state")


def level_for(annual_salary: float, wages: dict[str, float | None]) -> str:
    """The highest level whose wage the salary meets or exceeds, else 'below I'."""
    best = "below I"
    for lv in LEVELS:
        w = wages.get(lv)
        if w is not None and annual_salary >= w:
            best = lv
    return best


def annual(amount: float, unit: str) -> float:
    return float(amount) * (HOURS_PER_YEAR if unit == "hour" else 1)


def wage_level(con: duckdb.DuckDBPyConnection, soc: str, salaries: list[float], unit: str = "year",
               area: str | None = None, county: str | None = None, state: str | None = None) -> dict[str, Any]:
    """The `wage-level` JSON contract; several salaries mean several employers registering one person."""
    found = find_area(con, area, county, state)
    code = soc.strip()
    row = con.execute("""SELECT w.level1, w.level2, w.level3, w.level4, w.geo_level, w.label, w.average, f.name
                         FROM wages w JOIN files f USING (file_id) WHERE w.area = ? AND w.soc_code = ?""",
                      [found.code, code]).fetchone()
    if row is None:
        known = con.execute("SELECT count(*) FROM wages WHERE soc_code = ?", [code]).fetchone()[0]
        if not known:
            raise WageLookupError(f"SOC code {code} is not in the imported OFLC wage file")
        raise WageLookupError(f"the OFLC wage file has no wages for SOC {code} in {found.name} ({found.code})")
    wages = {lv: (round(v * HOURS_PER_YEAR, 2) if v is not None else None) for lv, v in zip(LEVELS, row[:4])}
    offers = []
    for s in salaries:
        yearly = annual(s, unit)
        lv = level_for(yearly, wages)
        offers.append({"salary": round(yearly, 2), "level": lv, "entries": ENTRIES[lv]})
    lowest = min(offers, key=lambda o: o["entries"]) if offers else None
    geo = int(row[4]) if row[4] is not None else 1
    out: dict[str, Any] = {
        "soc": code, "soc_title": row[5], "area": found.code, "area_name": found.name, "state": found.state,
        "area_matched_by": found.matched_by,
        "wages": wages, "hourly": {lv: v for lv, v in zip(LEVELS, row[:4])}, "unit": "year",
        "salary": lowest["salary"] if lowest else None,
        "level": lowest["level"] if lowest else None, "entries": lowest["entries"] if lowest else None,
        "geo_level": geo, "geo_fallback": geo > 1,
        "source": row[7], "rule": RULE, "rule_source": RULE_SOURCE,
    }
    if len(offers) > 1:
        out["offers"] = offers
    if geo > 1:
        out["geo_note"] = GEO_NOTE.format(g=geo)
    return out
