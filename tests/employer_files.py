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


def write_xlsx_shared(path: Path, header: list[str], rows: Iterable[list[Any]], date_columns: set[int] = frozenset(),
                      blank_rows: int = 0) -> int:
    """A workbook laid out as spreadsheet programs save one (shared-string table, dates as serial
    numbers under a date style), streamed row by row so a million rows fit in memory. Returns rows."""
    import zipfile
    from datetime import date
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}
    from visapath.employers.xlsx import column_letters

    cols = [column_letters(i) for i in range(len(header))]
    epoch = date(1899, 12, 30).toordinal()

    def cells(n: int, values: list[Any]) -> str:
        out = []
        for i, v in enumerate(values):
            if v is None or v == "":
                continue
            ref = f"{cols[i]}{n}"
            if i in date_columns and isinstance(v, str) and len(v) == 10 and v[4] == "-":
                out.append(f'<c r="{ref}" s="1"><v>{date.fromisoformat(v).toordinal() - epoch}</v></c>')
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                idx = strings.setdefault(str(v), len(strings))
                out.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
        return "".join(out)

    count = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
                   '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                   '</Relationships>')
        z.writestr("xl/styles.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
                   '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
                   '<borders count="1"><border/></borders>'
                   '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                   '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                   '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                   '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                   '</styleSheet>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            f.write(f'<row r="1">{cells(1, list(header))}</row>'.encode())
            n = 1
            buf: list[str] = []
            for values in rows:
                n += 1
                count += 1
                buf.append(f'<row r="{n}">{cells(n, list(values))}</row>')
                if len(buf) >= 2000:
                    f.write("".join(buf).encode())
                    buf.clear()
            for _ in range(blank_rows):
                n += 1
                buf.append(f'<row r="{n}"/>')
            f.write("".join(buf).encode())
            f.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/'
                    f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'.encode())
            batch: list[str] = []
            for s in strings:
                batch.append(f"<si><t>{escape(s)}</t></si>")
                if len(batch) >= 5000:
                    f.write("".join(batch).encode())
                    batch.clear()
            f.write(("".join(batch) + "</sst>").encode())
    return count
