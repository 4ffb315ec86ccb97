"""Public-data files in their real layouts, written by tests and the benchmark.

Column names, their order and value spellings follow the DOL OFLC LCA disclosure files (FY2020+
layout, and the older FY2019 names), the USCIS H-1B Employer Data Hub exports (old UTF-8 comma
files and the newer UTF-16 tab-separated ones) and the OFLC wage files (ALC_Export.csv,
Geography.csv). Values are made up; the layout pitfalls are real: blank padding rows, `="..."`
wrapped values, several status spellings, wage units, repeated case numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# The FY2020+ disclosure layout (a faithful subset, in the real order).
LCA_HEADER = [
    "CASE_NUMBER", "CASE_STATUS", "RECEIVED_DATE", "DECISION_DATE", "ORIGINAL_CERT_DATE", "VISA_CLASS", "JOB_TITLE",
    "SOC_CODE", "SOC_TITLE", "FULL_TIME_POSITION", "BEGIN_DATE", "END_DATE", "TOTAL_WORKER_POSITIONS",
    "NEW_EMPLOYMENT", "CONTINUED_EMPLOYMENT", "CHANGE_PREVIOUS_EMPLOYMENT", "NEW_CONCURRENT_EMPLOYMENT",
    "CHANGE_EMPLOYER", "AMENDED_PETITION", "EMPLOYER_NAME", "TRADE_NAME_DBA", "EMPLOYER_ADDRESS1",
    "EMPLOYER_ADDRESS2", "EMPLOYER_CITY", "EMPLOYER_STATE", "EMPLOYER_POSTAL_CODE", "EMPLOYER_COUNTRY",
    "EMPLOYER_PROVINCE", "EMPLOYER_PHONE", "EMPLOYER_PHONE_EXT", "EMPLOYER_FEIN", "NAICS_CODE",
    "AGENT_REPRESENTING_EMPLOYER", "AGENT_ATTORNEY_LAST_NAME", "AGENT_ATTORNEY_FIRST_NAME", "LAWFIRM_NAME_BUSINESS_NAME",
    "WORKSITE_WORKERS", "SECONDARY_ENTITY", "WORKSITE_ADDRESS1", "WORKSITE_ADDRESS2", "WORKSITE_CITY",
    "WORKSITE_COUNTY", "WORKSITE_STATE", "WORKSITE_POSTAL_CODE", "WAGE_RATE_OF_PAY_FROM", "WAGE_RATE_OF_PAY_TO",
    "WAGE_UNIT_OF_PAY", "PREVAILING_WAGE", "PW_UNIT_OF_PAY", "PW_TRACKING_NUMBER", "PW_WAGE_LEVEL", "PW_OES_YEAR",
    "PW_OTHER_SOURCE", "TOTAL_WORKSITE_LOCATIONS", "AGREE_TO_LC_STATEMENT", "H-1B_DEPENDENT", "WILLFUL_VIOLATOR",
    "SUPPORT_H1B", "STATUTORY_BASIS", "APPENDIX_A_ATTACHED", "PUBLIC_DISCLOSURE", "PREPARER_LAST_NAME",
]
# Older names for the same columns (FY2019 and before).
OLD_NAMES = {"SOC_TITLE": "SOC_NAME", "TOTAL_WORKER_POSITIONS": "TOTAL_WORKERS", "H-1B_DEPENDENT": "H_1B_DEPENDENT",
             "RECEIVED_DATE": "CASE_SUBMITTED"}

HUB_OLD_HEADER = ["Fiscal Year", "Employer", "Initial Approval", "Initial Denial", "Continuing Approval",
                  "Continuing Denial", "NAICS", "Tax ID", "State", "City", "ZIP"]
HUB_NEW_HEADER = ["Line by line", "Fiscal Year   ", "Employer (Petitioner) Name", "Tax ID", "Industry (NAICS) Code",
                  "Petitioner City", "Petitioner State", "Petitioner Zip Code", "New Employment Approval",
                  "New Employment Denial", "Continuation Approval", "Continuation Denial",
                  "Change with Same Employer Approval", "Change with Same Employer Denial", "New Concurrent Approval",
                  "New Concurrent Denial", "Change of Employer Approval", "Change of Employer Denial",
                  "Amended Approval", "Amended Denial"]
ALC_HEADER = ["Area", "SocCode", "GeoLvl", "Level1", "Level2", "Level3", "Level4", "Average", "Label"]
GEO_HEADER = ["Area", "AreaName", "StateAb", "State", "CountyTownName"]


def lca_row(case: str, status: str, decision: str, employer: str, title: str = "Software Engineer",
            soc: str = "15-1252.00", soc_title: str = "Software Developers", state: str = "CA",
            wage: Any = "150000", unit: str = "Year", level: str = "II", new: str = "1", cont: str = "0",
            change_employer: str = "0", visa: str = "H-1B", dba: str = "", fein: str = "", county: str = "",
            city: str = "San Jose", received: str | None = None, h1b_dependent: str = "No",
            willful: str = "No", **extra: Any) -> dict[str, Any]:
    row = {h: "" for h in LCA_HEADER}
    row.update({
        "CASE_NUMBER": case, "CASE_STATUS": status, "RECEIVED_DATE": received or decision, "DECISION_DATE": decision,
        "VISA_CLASS": visa, "JOB_TITLE": title, "SOC_CODE": soc, "SOC_TITLE": soc_title, "FULL_TIME_POSITION": "Y",
        "TOTAL_WORKER_POSITIONS": "1", "NEW_EMPLOYMENT": new, "CONTINUED_EMPLOYMENT": cont,
        "CHANGE_PREVIOUS_EMPLOYMENT": "0", "NEW_CONCURRENT_EMPLOYMENT": "0", "CHANGE_EMPLOYER": change_employer,
        "AMENDED_PETITION": "0", "EMPLOYER_NAME": employer, "TRADE_NAME_DBA": dba, "EMPLOYER_ADDRESS1": "1 Main St",
        "EMPLOYER_CITY": city, "EMPLOYER_STATE": state, "EMPLOYER_POSTAL_CODE": "95110", "EMPLOYER_COUNTRY":
        "UNITED STATES OF AMERICA", "EMPLOYER_FEIN": fein, "NAICS_CODE": "541511", "AGENT_REPRESENTING_EMPLOYER": "Yes",
        "WORKSITE_WORKERS": "1", "SECONDARY_ENTITY": "No", "WORKSITE_CITY": city, "WORKSITE_COUNTY": county,
        "WORKSITE_STATE": state, "WORKSITE_POSTAL_CODE": "95110", "WAGE_RATE_OF_PAY_FROM": wage,
        "WAGE_UNIT_OF_PAY": unit, "PREVAILING_WAGE": "120000", "PW_UNIT_OF_PAY": "Year", "PW_WAGE_LEVEL": level,
        "PW_OES_YEAR": "7/1/2023 - 6/30/2024", "TOTAL_WORKSITE_LOCATIONS": "1", "AGREE_TO_LC_STATEMENT": "Yes",
        "H-1B_DEPENDENT": h1b_dependent, "WILLFUL_VIOLATOR": willful, "PUBLIC_DISCLOSURE": "Disclose Business",
    })
    row.update(extra)
    return row


def write_csv(path: Path, header: list[str], rows: Iterable[dict[str, Any]], blank_rows: int = 0,
              encoding: str = "utf-8", delimiter: str = ",", rename: dict[str, str] | None = None) -> Path:
    """A CSV as the agencies export it; `blank_rows` empty rows of delimiters pad the end."""
    rename = rename or {}
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\r\n")
        w.writerow([rename.get(h, h) for h in header])
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
        for _ in range(blank_rows):
            w.writerow([""] * len(header))
    return path


def write_xlsx(path: Path, header: list[str], rows: Iterable[dict[str, Any]], blank_rows: int = 0,
               rename: dict[str, str] | None = None) -> Path:
    """An xlsx written with openpyxl's streaming (write-only) mode, dates as real date cells."""
    from datetime import date

    from openpyxl import Workbook

    rename = rename or {}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append([rename.get(h, h) for h in header])
    for r in rows:
        out = []
        for h in header:
            v = r.get(h, "")
            if isinstance(v, str) and v.startswith('="') and v.endswith('"'):
                v = v[2:-1]  # in a workbook the CSV wrapper would be a formula; its cached value is the text
            if h.endswith("_DATE") and isinstance(v, str) and len(v) == 10 and v[4] == "-":
                v = date.fromisoformat(v)
            out.append(None if v == "" else v)
        ws.append(out)
    for _ in range(blank_rows):
        ws.append([None] * len(header))
    wb.save(path)
    return path


def write_lca_csv(path: Path, rows: list[dict[str, Any]], **kw: Any) -> Path:
    return write_csv(path, LCA_HEADER, rows, **kw)


def write_hub_old(path: Path, rows: list[dict[str, Any]]) -> Path:
    return write_csv(path, HUB_OLD_HEADER, rows)


def write_hub_new(path: Path, rows: list[dict[str, Any]]) -> Path:
    """The newer Data Hub export: UTF-16 (with BOM), tab-separated, six categories."""
    return write_csv(path, HUB_NEW_HEADER, rows, encoding="utf-16", delimiter="\t")


def write_wages(folder: Path, alc: list[dict[str, Any]], geo: list[dict[str, Any]]) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return (write_csv(folder / "ALC_Export.csv", ALC_HEADER, alc), write_csv(folder / "Geography.csv", GEO_HEADER, geo))


SEATTLE_AREA = "42660"


def sample_wages() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two areas and two occupations; one row borrows its estimate from a wider geography (GeoLvl 3)."""
    alc = [
        {"Area": SEATTLE_AREA, "SocCode": "15-2051", "GeoLvl": "1", "Level1": "50.00", "Level2": "62.50",
         "Level3": "75.00", "Level4": "87.50", "Average": "70.00", "Label": "Data Scientists"},
        {"Area": SEATTLE_AREA, "SocCode": "15-1252", "GeoLvl": "1", "Level1": "55.00", "Level2": "65.00",
         "Level3": "78.00", "Level4": "90.00", "Average": "72.00", "Label": "Software Developers"},
        {"Area": "33460", "SocCode": "15-1252", "GeoLvl": "1", "Level1": "45.00", "Level2": "55.00",
         "Level3": "65.00", "Level4": "75.00", "Average": "60.00", "Label": "Software Developers"},
        {"Area": "33460", "SocCode": "15-2051", "GeoLvl": "3", "Level1": "40.00", "Level2": "50.00",
         "Level3": "60.00", "Level4": "70.00", "Average": "55.00", "Label": "Data Scientists"},
    ]
    geo = [
        {"Area": SEATTLE_AREA, "AreaName": "Seattle-Tacoma-Bellevue, WA", "StateAb": "WA", "State": "Washington",
         "CountyTownName": "King County"},
        {"Area": SEATTLE_AREA, "AreaName": "Seattle-Tacoma-Bellevue, WA", "StateAb": "WA", "State": "Washington",
         "CountyTownName": "Pierce County"},
        {"Area": "33460", "AreaName": "Minneapolis-St. Paul-Bloomington, MN-WI", "StateAb": "MN", "State": "Minnesota",
         "CountyTownName": "Hennepin County"},
    ]
    return alc, geo
