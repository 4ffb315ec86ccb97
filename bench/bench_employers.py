"""Employer data benchmark: import throughput and peak memory, and lookup latency.

Generates, outside the repository (default /tmp/visapath-bench-employers), a 1,000,000-row LCA
disclosure CSV in the real FY2020+ column layout (62 columns; ~2% repeated case numbers, blank
padding rows, `="..."` wrapped values, mixed status spellings and wage units), the same rows as an
xlsx laid out like a spreadsheet program saves one (shared strings, date cells), and an OFLC wage
file of the real size (~400,000 area x SOC rows). Each import runs in a fresh process so its peak
memory (max RSS) is its own. Side by side: the plain alternatives (a Python csv-module loop and
pandas `read_csv`, with the C and the pyarrow engine, each reading and de-duplicating the CSV but
not typing or storing it; openpyxl's read-only streaming over the xlsx, on a slice, as it is far
slower). CPU seconds are printed next to wall seconds: on a shared machine they show how much of
the wall time was waiting for a core.

    python bench/bench_employers.py [--rows 1000000] [--xlsx-rows 1000000] [--dir /tmp/...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.employer_files import ALC_HEADER, GEO_HEADER, LCA_HEADER, write_xlsx_shared  # noqa: E402

TITLES = ["Software Engineer", "Senior Software Engineer", "Machine Learning Engineer", "Data Scientist",
          "Data Engineer", "ML Engineer", "Software Development Engineer II", "Research Scientist",
          "Business Analyst", "Systems Analyst", "QA Engineer", "DevOps Engineer", "Product Manager",
          "Financial Analyst", "Mechanical Engineer", "Electrical Engineer", "Accountant", "Physician",
          "Assistant Professor", "Database Administrator"]
SOCS = ["15-1252.00", "15-2051.00", "15-1221.00", "15-1211.00", "15-1253.00", "13-2051.00", "17-2141.00",
        "17-2071.00", "13-2011.00", "29-1229.00", "25-1021.00", "15-1242.00"]
STATES = ["CA", "WA", "NY", "TX", "NJ", "MN", "IL", "MA", "GA", "NC", "PA", "VA", "FL", "MI", "OH"]


def generate_csv(path: Path, rows: int, employers: int = 60000) -> None:
    """The LCA CSV, written by DuckDB from SQL (seconds for a million rows)."""
    import duckdb

    exprs = {h: "''" for h in LCA_HEADER}
    lst = lambda xs: "[" + ", ".join("'" + x.replace("'", "''") + "'" for x in xs) + "]"  # noqa: E731
    exprs.update({
        # ~2% of case numbers repeat (a later decision of the same case); a few are wrapped as ="...".
        "CASE_NUMBER": "CASE WHEN i % 97 = 0 THEN '=\"' || printf('I-200-%05d-%06d', 24000 + (c % 300), c) || '\"' "
                       "ELSE printf('I-200-%05d-%06d', 24000 + (c % 300), c) END",
        "CASE_STATUS": "(['Certified', 'CERTIFIED', 'Certified - Withdrawn', 'CERTIFIED-WITHDRAWN', 'Withdrawn', "
                       "'Denied', 'Certified', 'Certified'])[1 + i % 8]",
        "RECEIVED_DATE": "strftime(DATE '2023-10-01' + CAST(c % 360 AS INTEGER), '%Y-%m-%d')",
        "DECISION_DATE": "strftime(DATE '2023-10-08' + CAST(c % 350 AS INTEGER) + CAST(i // 1000000 AS INTEGER), '%Y-%m-%d')",
        "VISA_CLASS": "(['H-1B', 'H-1B', 'H-1B', 'E-3 Australian', 'H-1B1 Singapore'])[1 + i % 5]",
        "JOB_TITLE": f"({lst(TITLES)})[1 + (c * 7) % {len(TITLES)}]",
        "SOC_CODE": f"({lst(SOCS)})[1 + (c * 7) % {len(SOCS)}]",
        "SOC_TITLE": "'Software Developers'",
        "FULL_TIME_POSITION": "'Y'", "TOTAL_WORKER_POSITIONS": "'1'",
        "NEW_EMPLOYMENT": "CAST((c % 3 = 0)::INT AS VARCHAR)", "CONTINUED_EMPLOYMENT": "CAST((c % 3 = 1)::INT AS VARCHAR)",
        "CHANGE_PREVIOUS_EMPLOYMENT": "'0'", "NEW_CONCURRENT_EMPLOYMENT": "'0'",
        "CHANGE_EMPLOYER": "CAST((c % 3 = 2)::INT AS VARCHAR)", "AMENDED_PETITION": "'0'",
        "EMPLOYER_NAME": f"(['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay'])[1 + (c % {employers}) % 8] "
                         f"|| ' ' || CAST(c % {employers} AS VARCHAR) || (['', ' Inc.', ', LLC', ' Corporation', ' Ltd'])[1 + (c % {employers}) % 5]",
        "EMPLOYER_ADDRESS1": "'100 Main Street'", "EMPLOYER_CITY": "'San Jose'", "EMPLOYER_STATE": "'CA'",
        "EMPLOYER_POSTAL_CODE": "'=\"95110\"'", "EMPLOYER_COUNTRY": "'UNITED STATES OF AMERICA'",
        "EMPLOYER_PHONE": "'+14085550100'", "NAICS_CODE": "'541511'", "AGENT_REPRESENTING_EMPLOYER": "'Yes'",
        "WORKSITE_WORKERS": "'1'", "SECONDARY_ENTITY": "'No'", "WORKSITE_ADDRESS1": "'1 Worksite Way'",
        "WORKSITE_CITY": "'Springfield'", "WORKSITE_COUNTY": "'KING'",
        "WORKSITE_STATE": f"({lst(STATES)})[1 + c % {len(STATES)}]", "WORKSITE_POSTAL_CODE": "'98101'",
        "WAGE_RATE_OF_PAY_FROM": "CASE WHEN c % 10 = 0 THEN printf('%.2f', (40 + c % 60)::DOUBLE) ELSE printf('%.2f', (80000 + (c * 37) % 120000)::DOUBLE) END",
        "WAGE_RATE_OF_PAY_TO": "''",
        "WAGE_UNIT_OF_PAY": "CASE WHEN c % 10 = 0 THEN 'Hour' ELSE 'Year' END",
        "PREVAILING_WAGE": "'95000.00'", "PW_UNIT_OF_PAY": "'Year'",
        "PW_WAGE_LEVEL": "(['I', 'II', 'III', 'IV', 'II'])[1 + c % 5]", "PW_OES_YEAR": "'7/1/2023 - 6/30/2024'",
        "TOTAL_WORKSITE_LOCATIONS": "'1'", "AGREE_TO_LC_STATEMENT": "'Yes'",
        "H-1B_DEPENDENT": "CASE WHEN c % 11 = 0 THEN 'Yes' ELSE 'No' END", "WILLFUL_VIOLATOR": "'No'",
        "PUBLIC_DISCLOSURE": "'Disclose Business'",
    })
    select = ", ".join(f"{e} AS \"{h}\"" for h, e in exprs.items())
    blanks = max(rows // 100, 10)
    blank_select = ", ".join(f"NULL::VARCHAR AS \"{h}\"" for h in LCA_HEADER)
    con = duckdb.connect()
    # c: the case id; 2% of rows repeat an earlier case (same c, later decision via i // 1e6 ... and order).
    con.execute(f"""COPY (
        SELECT {select} FROM (SELECT i, CASE WHEN i % 50 = 0 THEN i - 1 ELSE i END AS c FROM range({rows - blanks}) t(i))
        UNION ALL SELECT {blank_select} FROM range({blanks})
    ) TO '{path}' (HEADER, DELIMITER ',', QUOTE '"')""")
    con.close()


def generate_xlsx(csv_path: Path, path: Path, rows: int) -> float:
    import csv

    started = time.perf_counter()
    dates = {i for i, h in enumerate(LCA_HEADER) if h.endswith("_DATE")}

    def source():
        with open(csv_path, newline="", encoding="utf-8") as f:
            r = csv.reader(f)
            next(r)
            for n, row in enumerate(r):
                if n >= rows:
                    return
                yield row

    write_xlsx_shared(path, LCA_HEADER, source(), dates)
    return time.perf_counter() - started


def generate_wages(folder: Path, areas: int = 530, socs: int = 800) -> None:
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT printf('%05d', 10000 + a) AS "Area",
                           printf('%02d-%04d', 11 + s % 40, 1000 + s) AS "SocCode",
                           CASE WHEN (a + s) % 7 = 0 THEN '3' ELSE '1' END AS "GeoLvl",
                           printf('%.2f', (30 + (a + s) % 20)::DOUBLE) AS "Level1", printf('%.2f', (40 + (a + s) % 20)::DOUBLE) AS "Level2",
                           printf('%.2f', (50 + (a + s) % 20)::DOUBLE) AS "Level3", printf('%.2f', (60 + (a + s) % 20)::DOUBLE) AS "Level4",
                           printf('%.2f', (45 + (a + s) % 20)::DOUBLE) AS "Average", 'Occupation ' || s AS "Label"
                    FROM range({areas}) t(a), range({socs}) u(s)) TO '{folder / "ALC_Export.csv"}' (HEADER)""")
    con.execute(f"""COPY (SELECT printf('%05d', 10000 + (c % {areas})) AS "Area", 'Area ' || (c % {areas}) || ', ST' AS "AreaName",
                           (['WA', 'CA', 'MN', 'NY', 'TX'])[1 + c % 5] AS "StateAb", 'State' AS "State",
                           'County ' || c || ' County' AS "CountyTownName" FROM range(3275) t(c))
                    TO '{folder / "Geography.csv"}' (HEADER)""")
    con.close()


IMPORT_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from visapath.config import Settings
from visapath.employers.data import EmployerData
d = EmployerData(Settings(data_dir=Path({data!r}), _env_file=None))
t = time.perf_counter()
(s,) = d.import_paths([Path({path!r})])
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": dt, "rows": s.rows_read, "kept": s.kept, "duplicate": s.duplicate, "blank": s.blank,
                  "rejected": s.rejected, "status": s.status, "error": s.error, "cpu": ru.ru_utime + ru.ru_stime,
                  "peak_mb": ru.ru_maxrss / 1024}}))
"""

PLAIN_CSV_CHILD = """
import csv, json, resource, time
t = time.perf_counter(); seen = {{}}; n = 0
with open({path!r}, newline='', encoding='utf-8') as f:
    r = csv.reader(f); header = next(r); ci = header.index('CASE_NUMBER'); di = header.index('DECISION_DATE')
    for row in r:
        n += 1
        if not row or not row[ci]:
            continue
        key = row[ci].strip().strip('="')
        if key not in seen or row[di] >= seen[key][di]:
            seen[key] = row
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": dt, "rows": n, "kept": len(seen), "cpu": ru.ru_utime + ru.ru_stime,
                  "peak_mb": ru.ru_maxrss / 1024}}))
"""

PANDAS_CHILD = """
import json, resource, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv({path!r}, dtype=str, keep_default_na=False, engine={engine!r})
n = len(df)
df["CASE_NUMBER"] = df["CASE_NUMBER"].str.strip().str.strip('="')
df = df[df["CASE_NUMBER"] != ""].sort_values("DECISION_DATE").drop_duplicates("CASE_NUMBER", keep="last")
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": dt, "rows": n, "kept": len(df), "cpu": ru.ru_utime + ru.ru_stime, "peak_mb": ru.ru_maxrss / 1024}}))
"""

OPENPYXL_CHILD = """
import json, resource, time
from openpyxl import load_workbook
t = time.perf_counter(); n = 0
wb = load_workbook({path!r}, read_only=True, data_only=True)
for row in wb.worksheets[0].iter_rows(values_only=True):
    n += 1
    if n > {limit}:
        break
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": dt, "rows": n - 1, "cpu": ru.ru_utime + ru.ru_stime, "peak_mb": ru.ru_maxrss / 1024}}))
"""


def child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentiles(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def lookups(data_dir: Path, n: int = 60) -> dict:
    from visapath.config import Settings
    from visapath.employers.data import EmployerData

    d = EmployerData(Settings(data_dir=data_dir, _env_file=None))
    rng = random.Random(7)
    names = [r.name for r in d.search("Acme 1", limit=5)]
    show_t, wage_t = [], []
    d.show("Acme 8")  # opens the connection once, as the app and a CLI call do before their first query
    for i in range(n):
        e = rng.randrange(60000)
        name = f"{['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay'][e % 8]} {e}"
        kw = [{}, {"title": "machine learning engineer"}, {"state": rng.choice(STATES)}, {"years": 1}][i % 4]
        t = time.perf_counter()
        d.show(name, **kw)
        show_t.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        d.wage_level(f"{11 + i % 40:02d}-{1000 + i:04d}", [150000], area=f"{10000 + i % 530:05d}")
        wage_t.append((time.perf_counter() - t) * 1000)
    miss_t = []
    for i in range(20):
        t = time.perf_counter()
        d.show(f"Nonexistent Employer {i}")
        miss_t.append((time.perf_counter() - t) * 1000)
    d.close()
    return {"show": percentiles(show_t), "wage": percentiles(wage_t), "miss": percentiles(miss_t), "names": names}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=1_000_000)
    ap.add_argument("--openpyxl-rows", type=int, default=5_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/visapath-bench-employers"))
    ap.add_argument("--reuse", action="store_true", help="keep generated files from an earlier run")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path, wages = args.dir / "LCA_Disclosure_Data_FY2024_Q4.csv", args.dir / "LCA_Disclosure_Data_FY2024_Q4.xlsx", args.dir / "OFLC_Wages_2025-26"
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.1f} on {os.cpu_count()} cores")
    t = time.perf_counter()
    if not (args.reuse and csv_path.exists()):
        generate_csv(csv_path, args.rows)
    print(f"{args.rows:,}-row CSV ({csv_path.stat().st_size / 1e6:.0f} MB) ready in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    if not (args.reuse and xlsx_path.exists()):
        generate_xlsx(csv_path, xlsx_path, args.xlsx_rows)
    print(f"{args.xlsx_rows:,}-row xlsx ({xlsx_path.stat().st_size / 1e6:.0f} MB) ready in {time.perf_counter() - t:.1f} s")
    generate_wages(wages)

    results = {}
    for label, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        data = args.dir / f"data-{label}"
        if data.exists():
            import shutil
            shutil.rmtree(data)
        r = child(IMPORT_CHILD.format(root=str(ROOT), data=str(data), path=str(path)))
        results[label] = r
    plain_csv = child(PLAIN_CSV_CHILD.format(path=str(csv_path)))
    plain_pandas = child(PANDAS_CHILD.format(path=str(csv_path), engine="c"))
    plain_pandas_arrow = child(PANDAS_CHILD.format(path=str(csv_path), engine="pyarrow"))
    plain_xlsx = child(OPENPYXL_CHILD.format(path=str(xlsx_path), limit=args.openpyxl_rows))
    # Lookups run on the CSV import plus the wage files.
    child(IMPORT_CHILD.format(root=str(ROOT), data=str(args.dir / "data-csv"), path=str(wages / "ALC_Export.csv")))
    child(IMPORT_CHILD.format(root=str(ROOT), data=str(args.dir / "data-csv"), path=str(wages / "Geography.csv")))
    lk = lookups(args.dir / "data-csv")

    print()
    print(f"{'import':<44} {'rows':>10} {'seconds':>8} {'CPU s':>7} {'rows/s':>9} {'peak MB':>8}")
    for label, r in (("visapath, CSV (DuckDB, typed + stored)", results["csv"]),
                     ("plain: Python csv loop + dict dedupe", plain_csv),
                     ("plain: pandas read_csv (C) + dedupe", plain_pandas),
                     ("plain: pandas read_csv (pyarrow) + dedupe", plain_pandas_arrow),
                     ("visapath, xlsx (streaming, typed + stored)", results["xlsx"]),
                     (f"plain: openpyxl read-only ({plain_xlsx['rows']:,} rows)", plain_xlsx)):
        print(f"{label:<44} {r['rows']:>10,} {r['seconds']:>8.1f} {r.get('cpu', 0):>7.1f} "
              f"{r['rows'] / r['seconds']:>9,.0f} {r['peak_mb']:>8.0f}")
    for label in ("csv", "xlsx"):
        r = results[label]
        print(f"  {label}: kept {r['kept']:,}, duplicates {r['duplicate']:,}, blank {r['blank']:,}, rejected {r['rejected']:,}"
              + (f", error {r['error']}" if r.get("error") else ""))
    print()
    print(f"{'lookup (warm connection)':<34} {'p50 ms':>8} {'p95 ms':>8}")
    for label, key in (("employers show", "show"), ("employers show, no match", "miss"), ("wage-level", "wage")):
        p50, p95 = lk[key]
        print(f"{label:<34} {p50:>8.1f} {p95:>8.1f}")
    print("targets: CSV >= 100,000 rows/s, xlsx >= 20,000 rows/s, peak <= 1,500 MB, lookups p95 <= 50 ms")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
