"""The Employers page through AppTest: look-up with charts and caveat, no-match wording, wage level, vintage."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.employer_files import SEATTLE_AREA, lca_row, sample_wages, write_lca_csv, write_wages
from visapath.config import PROJECT_ROOT, Settings, get_settings
from visapath.employers.data import EmployerData
from visapath.service import Assistant

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def employer_env(kb_assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The shared knowledge index, a user of its own, and an employer database of its own."""
    monkeypatch.setenv("VISAPATH_DATA_DIR", str(kb_assistant.settings.data_dir))
    monkeypatch.setenv("VISAPATH_USER", "employers-page")
    monkeypatch.setenv("VISAPATH_EMPLOYERS_DB", str(tmp_path / "employers.duckdb"))
    get_settings.cache_clear()
    settings = get_settings()
    rows = [lca_row(f"I-200-2{y}001-{i:06d}", "Certified" if i % 4 else "Denied", f"20{y}-0{1 + i % 8}-15",
                    "Optum Services, Inc.", title="Machine Learning Engineer" if i % 2 else "Data Scientist",
                    state="MN", level=("I", "II", "III", "IV")[i % 4], wage=str(120000 + 1000 * i))
            for y in (23, 24) for i in range(12)]
    folder = tmp_path / "files"
    folder.mkdir()
    write_lca_csv(folder / "LCA_Disclosure_Data_FY2024_Q4.csv", rows, blank_rows=5)
    write_wages(folder / "wages", *sample_wages())
    summaries = EmployerData(settings).import_paths([folder])
    assert all(s.status == "imported" for s in summaries)
    yield settings
    get_settings.cache_clear()


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    at.switch_page("visapath/ui/employers.py").run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_lookup_shows_history_charts_and_caveat(employer_env: Settings) -> None:
    at = open_page()
    {t.label: t for t in at.text_input}["Employer (brand or legal name)"].input("Optum")
    submit(at, "Look up")
    assert any("attestation" in i.value and "not an approved" in i.value for i in at.info)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["LCAs"] == "24"
    assert len(at.get("vega_lite_chart")) == 2  # filings by type and wage levels (Altair)
    frames = [f.value for f in at.dataframe]
    assert any("Matched employer" in f.columns for f in frames)
    years = next(f for f in frames if "FY" in f.columns and "Certified" in f.columns)
    assert list(years["FY"]) == [2023, 2024] and list(years["LCAs"]) == [12, 12]
    assert any("Sources:" in c.value and "LCA_Disclosure_Data_FY2024_Q4.csv" in html.unescape(c.value) for c in at.caption)
    # A name with no filings: the page says so, with the nearest names, and never "does not sponsor".
    {t.label: t for t in at.text_input}["Employer (brand or legal name)"].input("Optum Servces")
    submit(at, "Look up")
    warnings = html.unescape(" ".join(w.value for w in at.warning))
    assert "no filings found under that name" in warnings and "does not sponsor" not in warnings
    assert any("Nearest name" in f.value.columns for f in at.dataframe)


def test_wage_level_tab_import_upload_and_vintage(employer_env: Settings) -> None:
    at = open_page()
    fields = {t.label: t for t in at.text_input}
    fields["SOC code"].input("15-2051")
    fields["Area (code or city)"].input(SEATTLE_AREA)
    at.number_input[1].set_value(150000)
    submit(at, "Wage level")
    metric = next(m for m in at.metric if "SOC 15-2051" in m.label)
    assert metric.value == "Level II" and "2 entries" in metric.delta
    files = next(f.value for f in at.dataframe if "Rows kept" in f.value.columns)
    assert set(files["File"]) == {"LCA_Disclosure_Data_FY2024_Q4.csv", "ALC_Export.csv", "Geography.csv"}
    # Upload a USCIS Data Hub export (UTF-16, tab-separated) and a file that is none of the formats.
    hub = ("Line by line\tFiscal Year   \tEmployer (Petitioner) Name\tPetitioner State\tNew Employment Approval\t"
           "New Employment Denial\n1\t2024\tOPTUM SERVICES INC\tMN\t10\t1\n").encode("utf-16")
    at.file_uploader[0].set_value([("Employer Information.csv", hub, "text/csv"), ("notes.csv", b"a,b\n1,2\n", "text/csv")])
    at.run()
    submit(at, "Import")
    summary = next(f.value for f in at.dataframe if "Rows read" in f.value.columns)
    rows = {r["File"]: r for r in summary.to_dict("records")}
    assert rows["Employer Information.csv"]["Status"] == "imported" and rows["Employer Information.csv"]["Kept"] == 1
    assert rows["notes.csv"]["Status"] == "failed" and "not a known layout" in rows["notes.csv"]["Problem"]
    assert EmployerData(employer_env).counts()["uscis"] == 1
