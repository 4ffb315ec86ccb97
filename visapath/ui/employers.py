"""The Employers page: who has filed for which roles (public DOL and USCIS data), a salary's wage
level, and importing the files. All figures come from `Assistant.employers`; this page only draws."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from visapath.employers.errors import EmployerDataError, WageLookupError
from visapath.employers.history import LCA_CAVEAT, NO_MATCH, NO_MATCH_NOTE
from visapath.ui import markup
from visapath.ui.runtime import AppContext

TYPES = {"new_employment": "New employment", "continuation": "Continuation", "change_of_employer": "Change of employer",
         "change_same_employer": "Change, same employer", "new_concurrent": "New concurrent", "amended": "Amended"}


def filings_chart(years: list[dict[str, Any]]) -> alt.Chart:
    rows = [{"Fiscal year": str(y["fiscal_year"]), "Type": label, "LCAs": y[key]}
            for y in years for key, label in TYPES.items() if y.get(key)]
    return (alt.Chart(pd.DataFrame(rows or [{"Fiscal year": "", "Type": "", "LCAs": 0}]))
            .mark_bar().encode(x="Fiscal year:N", y="LCAs:Q", color="Type:N", tooltip=["Fiscal year", "Type", "LCAs"])
            .properties(title="LCAs by employment type (a case can mark more than one)", height=260))


def levels_chart(years: list[dict[str, Any]]) -> alt.Chart:
    rows = [{"Fiscal year": str(y["fiscal_year"]), "Level": f"Level {lv}", "LCAs": n}
            for y in years for lv, n in y["wage_levels"].items()]
    return (alt.Chart(pd.DataFrame(rows or [{"Fiscal year": "", "Level": "", "LCAs": 0}]))
            .mark_bar().encode(x="Fiscal year:N", y="LCAs:Q", color=alt.Color("Level:N", sort=["Level I", "Level II", "Level III", "Level IV"]),
                               tooltip=["Fiscal year", "Level", "LCAs"])
            .properties(title="Prevailing-wage level of the LCAs", height=260))


def _lookup(ctx: AppContext) -> None:
    data = ctx.assistant.employers
    with st.form("employer-lookup", border=False):
        name = st.text_input("Employer (brand or legal name)", placeholder="e.g. Optum")
        c1, c2, c3 = st.columns(3)
        title = c1.text_input("Job title words", placeholder="e.g. ML engineer")
        state = c2.text_input("Worksite state", placeholder="e.g. MN", max_chars=2)
        years = c3.number_input("Last N fiscal years (0 = all)", min_value=0, max_value=30, value=0)
        submitted = st.form_submit_button("Look up", type="primary")
    if not (submitted and name.strip()):
        return
    result = data.show(name.strip(), title.strip() or None, None, state.strip() or None, int(years) or None)
    if not result["matched"]:
        st.warning(f"{NO_MATCH}: {markup.escape_markdown(name)}. {NO_MATCH_NOTE}", icon=":material/search_off:")
        near = result.get("nearest") or []
        if near:
            st.dataframe(pd.DataFrame([{"Nearest name": c["name"], "LCAs": c["filings"], "Score": c["score"]} for c in near]),
                         hide_index=True)
        return
    st.info(LCA_CAVEAT, icon=":material/info:")
    if result.get("note"):
        st.caption(markup.escape_markdown(result["note"]))
    st.dataframe(pd.DataFrame([{"Matched employer": m["name"], "FEIN": m["fein"] or "", "LCAs": m["filings"], "Match": m["match"]}
                               for m in result["matched"]]), hide_index=True)
    st.caption("Filter: " + markup.escape_markdown(result["filters"]))
    ys = result["years"]
    if not ys:
        st.write("No LCAs match these filters.")
        return
    with st.container(horizontal=True):
        st.metric("LCAs", f"{result['lca_cases']:,}")
        st.metric("Certified", f"{sum(y['certified'] + y['certified_withdrawn'] for y in ys):,}")
        median = ys[-1]["median_annual_wage"]
        st.metric(f"Median offered wage, FY{ys[-1]['fiscal_year']}", f"${median:,.0f}" if median else "n/a")
    left, right = st.columns(2)
    left.altair_chart(filings_chart(ys), width="stretch")
    right.altair_chart(levels_chart(ys), width="stretch")
    st.dataframe(pd.DataFrame([{"FY": y["fiscal_year"], "LCAs": y["lca_total"], "Certified": y["certified"],
                                "Certified-withdrawn": y["certified_withdrawn"], "Denied": y["denied"], "Withdrawn": y["withdrawn"],
                                "Median wage": y["median_annual_wage"]} for y in ys]), hide_index=True)
    c1, c2 = st.columns(2)
    c1.dataframe(pd.DataFrame([{"Top job titles": t["value"], "LCAs": t["cases"]} for t in result["top_titles"]]), hide_index=True)
    c2.dataframe(pd.DataFrame([{"SOC": t["soc"], "Occupation": t.get("title") or "", "LCAs": t["cases"]} for t in result["top_soc"]]),
                 hide_index=True)
    if result["uscis"]:
        st.markdown("**USCIS H-1B petition decisions** (Employer Data Hub; all roles)")
        st.dataframe(pd.DataFrame([{"FY": u["fiscal_year"], "Approvals": u["approvals"], "Denials": u["denials"]}
                                   for u in result["uscis"]]), hide_index=True)
    st.caption("Sources: " + markup.escape_markdown(", ".join(result["sources"])) + " · LCA decisions "
               + f"{result['decision_dates']['first']} to {result['decision_dates']['last']}")


def _wage(ctx: AppContext) -> None:
    data = ctx.assistant.employers
    with st.form("wage-level", border=False):
        c1, c2, c3, c4 = st.columns(4)
        soc = c1.text_input("SOC code", placeholder="15-2051")
        area = c2.text_input("Area (code or city)", placeholder="Seattle")
        state = c3.text_input("State", placeholder="WA", max_chars=2)
        salary = c4.number_input("Salary per year ($)", min_value=0, value=0, step=1000)
        submitted = st.form_submit_button("Wage level")
    if not (submitted and soc.strip() and area.strip() and salary):
        return
    try:
        r = data.wage_level(soc.strip(), [float(salary)], area=area.strip(), state=state.strip() or None)
    except WageLookupError as exc:
        st.warning(markup.escape_markdown(str(exc)))
        return
    level = "below Level I" if r["level"] == "below I" else f"Level {r['level']}"
    st.metric(f"{markup.escape_markdown(r['area_name'])}, SOC {r['soc']}", level,
              f"{r['entries']} entr{'y' if r['entries'] == 1 else 'ies'} in the weighted H-1B selection", delta_color="off")
    st.dataframe(pd.DataFrame([{"Level": lv, "Prevailing wage (year)": w} for lv, w in r["wages"].items()]), hide_index=True)
    if r.get("geo_note"):
        st.caption(r["geo_note"])
    st.caption(markup.escape_markdown(r["rule"]) + f" · Source: {markup.escape_markdown(r['source'])}")


def _import(ctx: AppContext) -> None:
    data = ctx.assistant.employers
    st.caption("DOL OFLC LCA disclosure files (xlsx or CSV), USCIS H-1B Employer Data Hub exports (CSV), OFLC wage "
               "files (ALC_Export.csv, Geography.csv) or zips of them. Files larger than the upload limit: "
               "`visapath employers import PATH`.")
    uploads = st.file_uploader("Files to import", type=["csv", "xlsx", "zip", "txt", "tsv"], accept_multiple_files=True)
    if uploads and st.button("Import", type="primary"):
        bar = st.progress(0.0, text="Starting")
        with tempfile.TemporaryDirectory(prefix="visapath-upload-") as tmp:
            paths = []
            for i, up in enumerate(uploads):
                p = Path(tmp) / f"{i}-{Path(up.name).name}"
                p.write_bytes(up.getbuffer())
                paths.append(p)

            def progress(source: str, fraction: float | None, message: str) -> None:
                name = Path(source.split("!")[-1]).name.split("-", 1)[-1]
                bar.progress(min(max(fraction or 0.0, 0.0), 1.0), text=f"{name}: {message}")

            try:
                summaries = data.import_paths(paths, progress=progress)
            except EmployerDataError as exc:
                st.error(markup.escape_markdown(str(exc)))
                return
        bar.progress(1.0, text="Done")
        st.dataframe(pd.DataFrame([{"File": Path(s.source.split("!")[-1]).name.split("-", 1)[-1], "Kind": s.label,
                                    "Status": s.status, "Rows read": s.rows_read, "Blank": s.blank, "Duplicate": s.duplicate,
                                    "Rejected": s.rejected, "Kept": s.kept, "Vintage": s.vintage(), "Problem": s.error or
                                    "; ".join(f"{n} {r}" for r, n in s.rejects.items())} for s in summaries]), hide_index=True)
    files = data.vintage()
    if files:
        st.markdown("**Imported files**")
        st.dataframe(pd.DataFrame([{"File": f["name"], "Kind": f["label"], "Rows kept": f["kept"],
                                    "Covers": ", ".join(f["quarters"]) or ", ".join(str(y) for y in f["fiscal_years"]),
                                    "Decisions": f"{f['decision_min'] or ''} – {f['decision_max'] or ''}",
                                    "Imported": f["imported_at"], "Superseded": bool(f["superseded_by"])} for f in files]),
                     hide_index=True)


def render(ctx: AppContext) -> None:
    st.markdown("#### Employers")
    st.caption("Has this employer filed for this kind of role, and what does a salary mean for the H-1B lottery? "
               "From the public DOL and USCIS files you import; nothing is downloaded.")
    data = ctx.assistant.employers
    look, wage, imp = st.tabs(["Look up", "Wage level", "Import"])
    try:
        with look:
            if data.exists():
                _lookup(ctx)
            else:
                st.info("No filing data yet: import the files on the Import tab.", icon=":material/upload_file:")
        with wage:
            if data.exists():
                _wage(ctx)
            else:
                st.info("Import the OFLC wage files (ALC_Export.csv and Geography.csv) on the Import tab.")
    except EmployerDataError as exc:
        st.error(markup.escape_markdown(str(exc)))
    with imp:
        _import(ctx)


if __name__ == "__main__":  # run as a page by st.navigation (see app.py)
    from visapath.ui.state import context

    render(context())
