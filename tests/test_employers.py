"""Employer filing data end to end: real-layout files written here, imported into a real DuckDB
file, queried through the CLI (`visapath employers ...`, `visapath wage-level`)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.employer_files import (
    LCA_HEADER, OLD_NAMES, SEATTLE_AREA, lca_row, sample_wages, write_hub_new, write_hub_old, write_lca_csv,
    write_wages, write_xlsx,
)
from visapath.cli import main
from visapath.employers.data import EmployerData
from visapath.employers.normalize import annualize, normalize_name, normalize_status, normalize_unit


def q1_rows() -> list[dict]:
    """FY2024 Q1 (Oct-Dec 2023) quarterly file: statuses, units, DBA, wrapped values, a duplicate."""
    return [
        lca_row("I-200-23280-000001", "Certified", "2023-10-10", "Optum Services, Inc.", title="Machine Learning Engineer",
                state="MN", city="Eden Prairie", wage="140000", unit="Year", level="II", fein="41-1234567"),
        lca_row("I-200-23280-000002", "CERTIFIED", "10/20/2023", "OPTUM SERVICES INC", title="Senior ML Engineer",
                state="MN", wage="80.50", unit="Hour", level="III", cont="1", new="0"),
        lca_row("I-200-23280-000003", "Certified - Withdrawn", "2023-11-01", "Optum Services Inc.", title="Data Scientist",
                soc="15-2051.00", soc_title="Data Scientists", state="MN", wage="12,000", unit="Month", level="I"),
        lca_row('="I-200-23280-000004"', "DENIED", "2023-12-01", "The Acme Company, LLC", title="Software Engineer",
                state="WA", wage="$3,000.00", unit="Week", level="IV", dba="Rocket Labs", change_employer="1", new="0"),
        lca_row("I-200-23280-000005", "WITHDRAWN", "2023-12-05", "Acme Co", title="Software Engineer", state="WA",
                wage="4000", unit="Bi-Weekly", level="Level I", h1b_dependent="Yes"),
        # A repeated case: the row with the later decision wins.
        lca_row("I-200-23280-000006", "Certified", "2023-10-15", "Globex Corporation", state="NY", level="I"),
        lca_row("I-200-23280-000006", "Certified - Withdrawn", "2023-12-20", "Globex Corporation", state="NY", level="I"),
        # Rejected rows: no case number, a date that is not one, an unknown status.
        lca_row("", "Certified", "2023-10-11", "Nameless Inc"),
        lca_row("I-200-23280-000008", "Certified", "soon", "Globex Corporation"),
        lca_row("I-200-23280-000009", "Pending review", "2023-10-12", "Globex Corporation"),
    ]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "downloads"
    d.mkdir()
    q1 = write_lca_csv(d / "LCA_Disclosure_Data_FY2024_Q1.csv", q1_rows(), blank_rows=40)
    # A cumulative file for Q1-Q2: Optum case 1 is now withdrawn (later decision); case 5 is gone.
    cum_rows = [r for r in q1_rows() if r["CASE_NUMBER"] not in ("I-200-23280-000005",)]
    cum_rows[0] = dict(cum_rows[0], CASE_STATUS="Certified - Withdrawn", DECISION_DATE="2024-02-01")
    cum_rows.append(lca_row("I-200-24050-000010", "Certified", "2024-03-03", "Optum Services Inc", title="ML Engineer",
                            state="MN", wage="150000", level="II"))
    cum = write_xlsx(d / "LCA_Disclosure_Data_FY2024_Q2.xlsx", LCA_HEADER, cum_rows, blank_rows=25)
    older = write_lca_csv(d / "H-1B_Disclosure_Data_FY2019.csv", [
        lca_row("I-200-19001-000001", "CERTIFIED-WITHDRAWN", "2019-05-01", "Optum Services, Inc.", title="Data Engineer",
                state="MN", level="II")], rename=OLD_NAMES)
    hub_old = write_hub_old(d / "h1b_datahubexport-2022.csv", [
        {"Fiscal Year": "2022", "Employer": "OPTUM SERVICES INC", "Initial Approval": "12", "Initial Denial": "1",
         "Continuing Approval": "30", "Continuing Denial": "2", "NAICS": "54", "Tax ID": "4567", "State": "MN",
         "City": "EDEN PRAIRIE", "ZIP": "55344"}])
    hub_new = write_hub_new(d / "Employer Information.csv", [
        {"Line by line": "1", "Fiscal Year   ": "2024", "Employer (Petitioner) Name": "OPTUM SERVICES INC",
         "Tax ID": "4567", "Industry (NAICS) Code": "54 - Professional", "Petitioner City": "EDEN PRAIRIE",
         "Petitioner State": "MN", "Petitioner Zip Code": "55344", "New Employment Approval": "10",
         "New Employment Denial": "1", "Continuation Approval": "20", "Continuation Denial": "0",
         "Change with Same Employer Approval": "3", "Change with Same Employer Denial": "0",
         "New Concurrent Approval": "0", "New Concurrent Denial": "0", "Change of Employer Approval": "7",
         "Change of Employer Denial": "1", "Amended Approval": "2", "Amended Denial": "0"}])
    alc, geo = sample_wages()
    wages_dir = d / "OFLC_Wages_2025-26"
    write_wages(wages_dir, alc, geo)
    archive = d / "OFLC_Wages_2025-26.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in wages_dir.iterdir():
            z.write(f, f"OFLC_Wages_2025-26/{f.name}")
    return {"q1": q1, "cum": cum, "older": older, "hub_old": hub_old, "hub_new": hub_new, "wages_zip": archive}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *argv: str):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_normalisation_rules() -> None:
    assert normalize_name("The Acme Company, LLC") == normalize_name("ACME CO") == "acme"
    assert normalize_name("Optum Services, Inc. d/b/a Optum Tech") == "optum services"
    assert normalize_name("AT&T Services, Inc.") == "at and t services"
    assert normalize_status("Certified - Withdrawn") == normalize_status("CERTIFIED-WITHDRAWN") == "certified_withdrawn"
    assert normalize_unit("Bi-Weekly") == "biweekly" and annualize(50.0, normalize_unit("Hour")) == 104000.0


def test_import_summary_pitfalls_and_reimport(cli_data: Path, files: dict[str, Path], capsys) -> None:
    report = run_json(capsys, "employers", "import", str(files["q1"]))
    (s,) = report
    assert s["status"] == "imported" and s["format"] == "lca"
    assert s["rows_read"] == 50 and s["blank"] == 40
    assert s["rejected"] == 3 and set(s["rejects"]) == {
        "no CASE_NUMBER", "DECISION_DATE is not a date", "CASE_STATUS not recognised: Pending review"}
    assert s["duplicate"] == 1 and s["kept"] == 6
    assert s["fiscal_years"] == [2024] and s["quarters"] == ["FY2024 Q1"] and s["cumulative"] is False
    assert (s["decision_min"], s["decision_max"]) == ("2023-10-10", "2023-12-20")
    # The same bytes again change nothing.
    (again,) = run_json(capsys, "employers", "import", str(files["q1"]))
    assert again["status"] == "unchanged"
    info = run_json(capsys, "employers", "info")
    assert info["counts"]["lca"] == 6 and len(info["files"]) == 1

    shown = run_json(capsys, "employers", "show", "Globex")
    (fy,) = shown["years"]
    assert fy["lca_total"] == 1 and fy["certified_withdrawn"] == 1 and fy["certified"] == 0  # latest decision won

    acme = run_json(capsys, "employers", "show", "Acme Company")  # "The ... Company, LLC" and "Acme Co" are one entity
    (fy,) = acme["years"]
    assert fy["lca_total"] == 2 and fy["denied"] == 1 and fy["withdrawn"] == 1 and fy["change_of_employer"] == 1
    assert fy["wage_levels"] == {"I": 1, "II": 0, "III": 0, "IV": 1}
    # $3,000/week -> 156,000; 4,000 bi-weekly -> 104,000: median 130,000.
    assert fy["median_annual_wage"] == 130000.0
    assert acme["flags"]["h1b_dependent_cases"] == 1
    assert run_json(capsys, "employers", "show", "Rocket Labs")["matched"][0]["match"] == "dba"
    wrapped = run_json(capsys, "employers", "show", "acme")
    assert wrapped["lca_cases"] == 2


def test_cumulative_xlsx_replaces_what_it_covers(cli_data: Path, files: dict[str, Path], capsys) -> None:
    run_json(capsys, "employers", "import", str(files["q1"]))
    (s,) = run_json(capsys, "employers", "import", str(files["cum"]))
    assert s["status"] == "imported" and s["blank"] == 25 and s["cumulative"] is True
    assert s["quarters"] == ["FY2024 Q1", "FY2024 Q2"]
    info = run_json(capsys, "employers", "info")
    assert info["counts"]["lca"] == 6  # case 5 left with the older file; case 10 came in
    assert info["files"][1]["superseded_by"] == info["files"][0]["file_id"]
    optum = run_json(capsys, "employers", "show", "Optum Services Inc", "--state", "MN")
    (fy,) = optum["years"]
    assert fy["lca_total"] == 4 and fy["certified_withdrawn"] == 2 and fy["certified"] == 2
    assert optum["sources"] == ["LCA_Disclosure_Data_FY2024_Q2.xlsx"]
    assert "attestation" in optum["caveat"]
    acme = run_json(capsys, "employers", "show", "Acme")
    assert acme["years"][0]["withdrawn"] == 0 and acme["lca_cases"] == 1


def test_folder_zip_hub_and_show_contract(cli_data: Path, files: dict[str, Path], capsys) -> None:
    report = run_json(capsys, "employers", "import", str(files["q1"].parent))
    by_name = {Path(r["source"].split("!")[-1]).name: r for r in report}
    assert by_name["ALC_Export.csv"]["format"] == "oflc_wages" and by_name["Geography.csv"]["format"] == "oflc_geography"
    assert "OFLC_Wages_2025-26.zip!" in by_name["ALC_Export.csv"]["source"] or by_name["ALC_Export.csv"]["status"] == "unchanged"
    assert by_name["Employer Information.csv"]["format"] == "uscis_hub"
    assert by_name["h1b_datahubexport-2022.csv"]["kept"] == 1
    assert by_name["H-1B_Disclosure_Data_FY2019.csv"]["kept"] == 1  # older column names

    r = run_json(capsys, "employers", "show", "Optum", "--title", "ML engineer", "--state", "MN")
    assert set(r) >= {"query", "matched", "years", "uscis", "sources"}
    assert {m["name"] for m in r["matched"]} >= {"Optum Services Inc"} or r["matched"]
    for y in r["years"]:
        assert set(y) >= {"fiscal_year", "lca_total", "certified", "certified_withdrawn", "denied", "withdrawn",
                          "new_employment", "continuation", "change_of_employer", "wage_levels", "median_annual_wage"}
    titles = {t["value"] for t in r["top_titles"]}
    assert titles == {"MACHINE LEARNING ENGINEER", "SENIOR ML ENGINEER", "ML ENGINEER"}
    uscis = {u["fiscal_year"]: u for u in r["uscis"]}
    assert uscis[2022]["approvals"] == 42 and uscis[2022]["denials"] == 3
    assert uscis[2024]["approvals"] == 42 and uscis[2024]["categories"]["change_of_employer_approval"] == 7
    years = run_json(capsys, "employers", "show", "Optum", "--years", "1")
    assert [y["fiscal_year"] for y in years["years"]] == [2024]
    code, text, _ = run(capsys, "employers", "show", "Optum", "--title", "ML engineer")
    assert code == 0 and "attestation" in text and "not an approved" in text and "Sources:" in text


def test_search_no_match_and_aliases(cli_data: Path, files: dict[str, Path], capsys) -> None:
    run_json(capsys, "employers", "import", str(files["q1"]))
    found = run_json(capsys, "employers", "search", "Optum")
    assert found["candidates"][0]["name"].upper().startswith("OPTUM SERVICES")
    assert found["candidates"][0]["filings"] == 3
    code, text, _ = run(capsys, "employers", "search", "Optum Servces")  # typo: fuzzy candidates with scores
    assert "no filings found under that name" in text and "Optum Services" in text and "does not sponsor" not in text
    missing = run_json(capsys, "employers", "show", "Initech Systems")
    assert missing["matched"] == [] and missing["message"] == "no filings found under that name"
    code, text, _ = run(capsys, "employers", "show", "Globx Corp")
    assert "no filings found under that name" in text and "Globex Corporation" in text
    assert "says nothing about whether the employer sponsors" in text
    assert run(capsys, "employers", "alias", "add", "Initech", "Globex Corporation")[0] == 0
    aliased = run_json(capsys, "employers", "show", "Initech")
    assert aliased["matched"][0]["match"] == "alias" and aliased["lca_cases"] == 1
    assert run_json(capsys, "employers", "alias", "list")[0]["alias"] == "Initech"
    run(capsys, "employers", "alias", "remove", "Initech")
    assert run_json(capsys, "employers", "show", "Initech")["matched"] == []


def test_wage_level_contract_and_fallback(cli_data: Path, files: dict[str, Path], capsys) -> None:
    run_json(capsys, "employers", "import", str(files["wages_zip"]))
    r = run_json(capsys, "wage-level", "--soc", "15-2051", "--area", SEATTLE_AREA, "--salary", "150000")
    assert r["wages"] == {"I": 104000.0, "II": 130000.0, "III": 156000.0, "IV": 182000.0}
    assert (r["level"], r["entries"], r["unit"], r["geo_level"]) == ("II", 2, "year", 1)
    assert r["source"] == "ALC_Export.csv" and "214.2(h)(8)(iii)" in r["rule"]
    by_county = run_json(capsys, "wage-level", "--soc", "15-2051", "--county", "King", "--state", "WA",
                         "--salary", "90", "--unit", "hour")
    assert by_county["area"] == SEATTLE_AREA and by_county["level"] == "IV" and by_county["entries"] == 4
    low = run_json(capsys, "wage-level", "--soc", "15-2051", "--area", "Seattle", "--salary", "90000")
    assert low["level"] == "below I" and low["entries"] == 1
    # Two employers registering one person: the lowest level counts.
    two = run_json(capsys, "wage-level", "--soc", "15-2051", "--area", SEATTLE_AREA, "--salary", "190000",
                   "--salary", "135000")
    assert two["level"] == "II" and [o["level"] for o in two["offers"]] == ["IV", "II"]
    fallback = run_json(capsys, "wage-level", "--soc", "15-2051", "--county", "Hennepin", "--state", "MN",
                        "--salary", "130000")
    assert fallback["geo_level"] == 3 and fallback["geo_fallback"] and "wider geography" in fallback["geo_note"]
    code, _, err = run(capsys, "wage-level", "--soc", "99-9999", "--area", SEATTLE_AREA, "--salary", "1")
    assert code == 2 and "99-9999" in err


def test_bad_files_are_reported_and_lose_nothing(cli_data: Path, files: dict[str, Path], tmp_path: Path, capsys) -> None:
    run_json(capsys, "employers", "import", str(files["q1"]))
    junk = tmp_path / "notes.csv"
    junk.write_text("name,comment\nx,y\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04garbage")
    report = run_json_code(capsys, "employers", "import", str(junk), str(empty), str(broken), str(tmp_path / "missing.csv"))
    assert all(r["status"] == "failed" for r in report) and len(report) == 4
    assert "not a known layout" in report[0]["error"] and "empty" in report[1]["error"]
    assert "damaged" in report[2]["error"] and "no such file" in report[3]["error"]
    assert run_json(capsys, "employers", "info")["counts"]["lca"] == 6


def run_json_code(capsys, *argv: str):
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 1
    return json.loads(out)


def test_no_database_yet_is_a_clear_message(cli_data: Path, capsys) -> None:
    code, _, err = run(capsys, "employers", "show", "Optum")
    assert code == 2 and "no employer data imported yet" in err


def test_xlsx_stream_reads_rows_in_batches(settings_factory, tmp_path: Path) -> None:
    rows = [lca_row(f"I-200-24001-{i:06d}", "Certified", "2024-01-15", f"Employer {i % 7}") for i in range(2500)]
    path = write_xlsx(tmp_path / "LCA.xlsx", LCA_HEADER, rows, blank_rows=3)
    data = EmployerData(settings_factory())
    seen: list[str] = []
    (s,) = data.import_paths([path], progress=lambda src, frac, msg: seen.append(msg))
    assert s.kept == 2500 and s.blank == 3
    assert any("rows read" in m for m in seen)


def _trim(row) -> list:
    out = [None if v in ("", None) else str(v) for v in row]
    while out and out[-1] is None:
        out.pop()
    return out


@pytest.mark.parametrize("writer", ["openpyxl", "shared-strings"])
def test_fast_xlsx_reader_agrees_with_openpyxl(tmp_path: Path, writer: str) -> None:
    """The streaming reader decodes the same rows as openpyxl's read-only mode on both kinds of workbook
    (inline strings as openpyxl writes them; a shared-string table and date styles as spreadsheet programs do)."""
    from datetime import date, datetime

    from openpyxl import load_workbook

    from tests.employer_files import write_xlsx_shared
    from visapath.employers import xlsx

    rows = [lca_row(f"I-200-24001-{i:06d}", "Certified", f"2024-0{1 + i % 9}-1{i % 10}", f"Acme & Sons <{i % 3}>",
                    wage=str(100000 + i), title="Ingénieur \"ML\"") for i in range(300)]
    path = tmp_path / "w.xlsx"
    if writer == "openpyxl":
        write_xlsx(path, LCA_HEADER, rows, blank_rows=4)
    else:
        dates = {i for i, h in enumerate(LCA_HEADER) if h.endswith("_DATE")}
        write_xlsx_shared(path, LCA_HEADER, ([r[h] for h in LCA_HEADER] for r in rows), dates, blank_rows=4)
    wb = load_workbook(path, read_only=True, data_only=True)

    def text(v):
        if isinstance(v, datetime):
            return v.date().isoformat()
        if isinstance(v, date):
            return v.isoformat()
        return v

    expected = [_trim([text(v) for v in r]) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    got = [_trim(r) for r in xlsx.iter_rows(path)]
    assert got == expected and len(got) == 305
    assert got[1][LCA_HEADER.index("DECISION_DATE")] == "2024-01-10"
    # The import's bulk path (cells found and decoded in DuckDB) reads the same values, blank rows included.
    import duckdb

    con = duckdb.connect()
    cols = {f"c{i}": i for i in range(len(LCA_HEADER))}
    assert xlsx.stage(con, path, cols, "_t", header_row=1, batch_chars=20_000) == 304
    staged = [_trim(r) for r in con.execute(f"SELECT {', '.join(cols)} FROM _t ORDER BY _row").fetchall()]
    assert staged == expected[1:]


@pytest.fixture
def imported(settings_factory, files: dict[str, Path]):
    """An assistant (real settings, temp data dir) with every test file imported."""
    from visapath.service import Assistant

    a = Assistant(settings_factory())
    summaries = a.employers.import_paths([files["q1"].parent])
    assert not [s for s in summaries if s.status == "failed"]
    return a


def test_chat_answers_from_the_database_with_data_citations(imported) -> None:
    a = imported
    ans = a.data_answer("Does Optum sponsor ML engineers in Minnesota?")
    assert ans is not None and not ans.declined
    assert "LCA" in ans.answer and "not an approved" in ans.answer
    data = [c for c in ans.citations if c.kind == "data"]
    assert data and data[0].source == "LCA_Disclosure_Data_FY2024_Q2.xlsx"  # the cumulative file replaced Q1
    assert data[0].quote.startswith("visapath employers show") and "--state MN" in data[0].quote
    assert "3 LCAs" in ans.answer  # two ML titles in FY2024 plus none in FY2019 with that title
    assert any("USCIS" in c.title for c in ans.citations)
    wage = a.data_answer("What level is $150k for a data scientist in Seattle?")
    assert wage is not None and "Level II" in wage.answer and "2 entries" in wage.answer
    assert wage.citations[0].kind == "data" and wage.citations[0].source == "ALC_Export.csv"
    assert "--soc 15-2051" in wage.citations[0].quote
    rule = wage.citations[1]
    text = (Path(a.settings.knowledge_dir) / "visas" / "h1b-weighted-selection.md").read_text(encoding="utf-8")
    assert rule.kind == "guidance" and rule.quote in text
    missing = a.data_answer("Does Initech sponsor H-1B visas?")
    assert missing is not None and missing.declined and "no filings found under that name" in missing.answer
    assert "does not sponsor" not in missing.answer
    assert a.data_answer("Do employers sponsor STEM OPT students?") is None
    assert a.data_answer("How long is the H-1B cap-gap extension?") is None


EMPLOYER_PHRASINGS = [
    ("does optum sponsor ml engineers in MN", ("optum", "ml engineers", "MN")),
    ("Is Optum an H-1B sponsor?", ("Optum", None, None)),
    ("Is Microsoft a visa sponsor for software engineers in Redmond, WA?", ("Microsoft", "software engineers", "WA")),
    ("Hi, quick question: does anyone know if Optum sponsors data engineers in the Twin Cities?", ("Optum", "data engineers", "MN")),
    ("How many H-1Bs does Meta file for research scientists in Menlo Park?", ("Meta", "research scientists", "CA")),
    ("H-1B sponsorship history of Optum for data scientists", ("Optum", "data scientists", None)),
    ("Optum H-1B sponsorship for ML engineers in Minnesota", ("Optum", "ML engineers", "MN")),
    ("Will Stripe sponsor my H1B as a backend engineer in NYC?", ("Stripe", "backend engineer", "NY")),
    ("Has Amazon ever filed LCAs for machine learning engineers in Seattle?", ("Amazon", "machine learning engineers", "WA")),
]
WAGE_PHRASINGS = [
    ("what wage level is 150,000 for a data scientist in seattle", (150000, "data scientist", "WA")),
    ("Is $62/hour level 2 for a data engineer in Boston?", (62 * 2080, "data engineer", "MA")),
    ("How many lottery entries would $135k give me as an ML engineer in the Bay Area?", (135000, "ML engineer", "CA")),
    ("My offer is 180k as a software engineer in Austin, TX - what wage level is that?", (180000, "software engineer", "TX")),
    ("What level is a $140,000 data scientist job in Minneapolis?", (140000, "data scientist", "MN")),
]
NOT_DATA_QUESTIONS = [
    "Do employers sponsor STEM OPT students?", "Do they sponsor?", "Which companies sponsor H-1B in Texas?",
    "Does my employer have to sponsor me?", "Can a startup sponsor an H-1B?", "How long is the H-1B cap-gap extension?",
    "Do these companies (Australian employers on the list) sponsor visas for new graduates as well?",
    "How can I find out if a company sponsors H-1B visas?",
    "I currently earn a Level I wage, but the employer agreed to raise it to Level II. Must they pay it now?",
]


@pytest.mark.parametrize("question,expected", EMPLOYER_PHRASINGS)
def test_employer_question_phrasings(settings_factory, question: str, expected: tuple) -> None:
    """Sponsorship questions as people phrase them: the employer, the role and the state (cities and their
    short forms resolve through the shipped places file)."""
    from visapath.employers.places import Places
    from visapath.employers.questions import EmployerQuestion, parse

    got = parse(question, Places.load(settings_factory().places_path))
    assert isinstance(got, EmployerQuestion) and (got.employer, got.role, got.state) == expected


@pytest.mark.parametrize("question,expected", WAGE_PHRASINGS)
def test_wage_question_phrasings(settings_factory, question: str, expected: tuple) -> None:
    from visapath.employers.places import Places
    from visapath.employers.questions import WageQuestion, parse

    got = parse(question, Places.load(settings_factory().places_path))
    assert isinstance(got, WageQuestion) and (got.salary, got.role, got.state) == expected


def test_guidance_questions_are_not_taken_as_data_questions(settings_factory) -> None:
    from visapath.employers.places import Places
    from visapath.employers.questions import parse

    places = Places.load(settings_factory().places_path)
    assert [q for q in NOT_DATA_QUESTIONS if parse(q, places) is not None] == []


def test_chat_answers_phrasing_variants_from_the_database(imported) -> None:
    a = imported
    ans = a.data_answer("Is Optum an H-1B sponsor for ML engineers in the Twin Cities?")
    assert ans is not None and not ans.declined and "--state MN" in ans.citations[0].quote and "3 LCAs" in ans.answer
    hourly = a.data_answer("Is $72/hour level 2 for a data scientist in Seattle?")  # 72 x 2080 = 149,760 a year
    assert hourly is not None and "$149,760" in hourly.answer and hourly.citations[0].kind == "data"


def test_chat_stream_uses_the_data_answer_and_records_it(imported) -> None:
    a = imported
    conv = a.conversations.create("employers") if hasattr(a.conversations, "create") else None
    ans = a.ask("does Optum sponsor ML engineers in Minnesota?", conversation_id=getattr(conv, "id", conv))
    assert ans.citations and ans.citations[0].kind == "data" and ans.to_json()["citations"][0]["kind"] == "data"
    # No filings under a name: the guidance answer stands, with the lookup result as a notice.
    other = a.ask("Does Initech sponsor H-1B visas?")
    assert other.notice and "no filings found under that name" in other.notice
    assert all(c.kind != "data" for c in other.citations)


def test_posting_explanation_adds_filings_and_wage_level(imported) -> None:
    text = ("Machine Learning Engineer\nOptum Services, Inc. | Seattle, WA\n\n"
            "We build models for health care. Salary: $150,000 - $190,000 per year.\n"
            "Requirements: Master's degree in computer science and 2 years of experience.\n"
            "Visa sponsorship is available for this role.\n")
    e = imported.paste_posting(text, title="ML posting")
    f = e.to_json().get("filings")
    assert f is not None, e.to_json()
    assert f["history"]["lca_total"] >= 4 and "attestation" in f["caveat"]
    assert f["soc"]["estimate"] is True and f["soc"]["soc"]
    # One LCA titled exactly so is too few to go by: the shipped title mapping gives the estimate.
    assert f["soc"]["soc"] == "15-1252" and f["soc"]["basis"] == "title mapping"
    w = f["wage_level"]
    assert w["estimate"] is True and w["area"] == SEATTLE_AREA
    assert [(o["salary"], o["level"], o["entries"]) for o in w["range"]] == [(150000.0, "II", 2), (190000.0, "IV", 4)]
    assert any("Employer filings" in line for line in f["text"])


def test_draft_notes_the_employers_filing_history(imported) -> None:
    from visapath.profile import Profile

    a = imported
    a.profiles.save(Profile(name="Ana", status="f1-opt", target_role="ML engineer"))
    posting = ("Machine Learning Engineer\nOptum Services, Inc. | Minneapolis, MN\n\n"
               "We are hiring an ML engineer. Visa sponsorship is available.\n")
    draft = a.draft("linkedin-message", posting=posting, cite=False)
    hint = [w for w in draft.warnings if w.startswith("Filing history:")]
    assert hint and "LCAs" in hint[0] and "not an approved petition" in hint[0]
    assert "Filing history" not in draft.body
