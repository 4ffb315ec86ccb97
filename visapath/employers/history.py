"""Per-fiscal-year filing history of one employer (optionally one role, occupation or state).

Counts are distinct LCA cases after de-duplication (the latest decision per CASE_NUMBER), the
fiscal year is that of the decision (October-September), employment-type counts are cases with
a non-zero value in that column, and the median wage is WAGE_RATE_OF_PAY_FROM annualised by its
unit. An LCA is the employer's attestation to DOL about wages and conditions, filed before an
H-1B (or E-3, H-1B1) petition: a certified LCA is not an approved petition, and one LCA can
cover several workers or none who were ever hired. USCIS Data Hub figures are petition
decisions, shown next to the LCAs when that data is loaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from visapath.employers.formats import FORMAT_LABELS
from visapath.employers.matching import CONFIDENT, Candidate, Matcher
from visapath.employers.normalize import LEVELS

if TYPE_CHECKING:
    import pyarrow as pa

LCA_CAVEAT = ("An LCA (Labor Condition Application) is an employer's attestation to the Department of Labor "
              "about the wage and conditions for a role; a certified LCA is not an approved visa petition, "
              "and one LCA may cover several workers or none who were hired.")
NO_MATCH = "no filings found under that name"
NO_MATCH_NOTE = ("That says nothing about whether the employer sponsors visas: it may file under another legal "
                 "name (see the nearest names), or the files imported may not cover it.")


@dataclass
class Filters:
    title: str | None = None
    soc: str | None = None
    state: str | None = None
    years: int | None = None
    abbreviations: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        parts = []
        if self.title:
            parts.append(f"title containing '{self.title}'")
        if self.soc:
            parts.append(f"SOC {self.soc}")
        if self.state:
            parts.append(f"worksite state {self.state.upper()}")
        if self.years:
            parts.append(f"last {self.years} fiscal years")
        return ", ".join(parts) or "all filings"


def _stem(token: str) -> str:
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


def title_variants(title: str, abbreviations: dict[str, str]) -> list[list[str]]:
    """Token lists any of which a job title must contain: 'ML engineers' -> [[ml, engineer],
    [machine, learning, engineer]]."""
    tokens = [_stem(t) for t in re.findall(r"[a-z0-9+#]+", title.lower())]
    variants = [tokens]
    expanded: list[str] = []
    for t in tokens:
        expanded.extend(abbreviations.get(t, t).split())
    if expanded != tokens:
        variants.append(expanded)
    return [v for v in variants if v]


def title_condition(title: str, abbreviations: dict[str, str]) -> tuple[str, list[Any]]:
    """SQL (and parameters) for 'the job title has all tokens of one variant' (word starts)."""
    ors, params = [], []
    for tokens in title_variants(title, abbreviations):
        ands = []
        for t in tokens:
            ands.append("regexp_matches(lower(job_title), ?)")
            params.append(r"(^|[^a-z0-9])" + re.escape(t))
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")", params


def where_clause(con: duckdb.DuckDBPyConnection, norms: list[str], f: Filters) -> tuple[str, list[Any]]:
    clauses = [f"employer_norm IN ({', '.join('?' * len(norms))})"]  # constants: pruned by zone maps
    params: list[Any] = list(norms)
    if f.title:
        cond, p = title_condition(f.title, f.abbreviations)
        clauses.append(cond)
        params += p
    if f.soc:
        clauses.append("starts_with(soc_code, ?)")
        params.append(f.soc.strip())
    if f.state:
        clauses.append("worksite_state = ?")
        params.append(f.state.strip().upper())
    if f.years:
        clauses.append("fiscal_year > (SELECT max(fiscal_year) FROM lca) - ?")
        params.append(int(f.years))
    return " AND ".join(clauses), params


def show(con: duckdb.DuckDBPyConnection, matcher: Matcher, query: str, filters: Filters,
         exact: bool = False) -> dict[str, Any]:
    """The `employers show` JSON contract (plus extra fields)."""
    matched = matcher.resolve(query, allow_prefix=not exact)
    norms = [m.employer_norm for m in matched]
    out: dict[str, Any] = {
        "query": query,
        "filters": filters.describe(),
        "matched": [{"name": m.name, "fein": m.fein, "filings": m.filings, "match": m.match} for m in matched],
        "years": [], "uscis": [], "sources": [],
        "caveat": LCA_CAVEAT,
    }
    if not matched:
        out["message"] = NO_MATCH
        out["note"] = NO_MATCH_NOTE
        out["nearest"] = [c.to_json() for c in matcher.nearest(query)]
        return out
    if any(m.match == "prefix" for m in matched):
        out["note"] = ("No employer has exactly this name; the figures add up the employers whose names start with it "
                       "(listed under 'matched'). Use an exact legal name to narrow them.")
    where, params = where_clause(con, norms, filters)
    # One query reads the employer's rows (a few row groups, thanks to the storage order) as Arrow;
    # every figure is then computed from them with Arrow's kernels. A query costs milliseconds of
    # planning whatever its size, so one plain SELECT beats one aggregate query per figure.
    rows = con.sql(f"SELECT {', '.join(_ROW_COLUMNS)} FROM lca WHERE {where}", params=params).to_arrow_table()
    out.update(_figures(rows))
    out["uscis"], hub_files = _uscis(con, matcher, norms, filters)
    out["sources"], out["source_files"] = _sources(con, matcher, rows, hub_files)
    return out


_ROW_COLUMNS = ["fiscal_year", "status", "new_employment", "continued_employment", "change_employer",
                "change_previous_employment", "new_concurrent_employment", "amended_petition", "pw_wage_level",
                "annual_wage_from", "visa_class", "upper(job_title) AS title", "soc_code", "soc_title",
                "worksite_state", "h1b_dependent", "willful_violator", "decision_date", "file_id"]
_YEAR_COUNTS = {  # output field -> boolean column (computed below) counted per fiscal year
    "certified": "certified", "certified_withdrawn": "certified_withdrawn", "denied": "denied",
    "withdrawn": "withdrawn", "new_employment": "new_employment", "continuation": "continued_employment",
    "change_of_employer": "change_employer", "change_same_employer": "change_previous_employment",
    "new_concurrent": "new_concurrent_employment", "amended": "amended_petition",
}


def _counts(rows: "pa.Table", keys: list[str]) -> list[dict[str, Any]]:
    """Rows per distinct value of `keys` (nulls skipped), most first, then by value."""
    import pyarrow.compute as pc

    t = rows.select(keys)
    for k in keys:
        t = t.filter(pc.is_valid(t[k]))
    out = t.group_by(keys).aggregate([([], "count_all")]).to_pylist()
    out.sort(key=lambda r: (-r["count_all"], *[str(r[k]) for k in keys]))
    return out


def _figures(rows: "pa.Table") -> dict[str, Any]:
    """Per-year counts and median wage, visa classes, top titles, SOC codes and states, and flags."""
    import pyarrow as pa
    import pyarrow.compute as pc

    flags: dict[str, Any] = {c: rows[c] for c in _YEAR_COUNTS.values() if c in rows.column_names}
    for st in ("certified", "certified_withdrawn", "denied", "withdrawn"):
        flags[st] = pc.equal(rows["status"], st)
    for i, lv in enumerate(LEVELS):
        flags[f"l{i}"] = pc.equal(rows["pw_wage_level"], lv)
    flags["level_missing"] = pc.is_null(rows["pw_wage_level"])
    t = pa.table({"fiscal_year": rows["fiscal_year"], "wage": rows["annual_wage_from"],
                  **{k: pc.cast(pc.fill_null(v, False), pa.int64()) for k, v in flags.items()}})
    agg = t.group_by("fiscal_year").aggregate([([], "count_all"), ("wage", "count"),
                                               *[(k, "sum") for k in flags]]).to_pylist()
    years = []
    for y in sorted(agg, key=lambda r: r["fiscal_year"]):
        wages = pc.drop_null(pc.filter(rows["annual_wage_from"], pc.equal(rows["fiscal_year"], y["fiscal_year"])))
        median = pc.quantile(wages, q=0.5, interpolation="linear")[0].as_py() if len(wages) else None
        years.append({
            "fiscal_year": int(y["fiscal_year"]), "lca_total": int(y["count_all"]),
            **{name: int(y[f"{col}_sum"]) for name, col in _YEAR_COUNTS.items()},
            "wage_levels": {lv: int(y[f"l{i}_sum"]) for i, lv in enumerate(LEVELS)},
            "wage_level_missing": int(y["level_missing_sum"]),
            "median_annual_wage": round(float(median), 2) if median is not None else None,
            "wages_counted": int(y["wage_count"]),
        })
    visa = rows.select(["fiscal_year", "visa_class"])
    visa = visa.set_column(1, "visa_class", pc.fill_null(visa["visa_class"], "(blank)"))
    visa_classes = [{"fiscal_year": int(r["fiscal_year"]), "value": r["visa_class"], "cases": int(r["count_all"])}
                    for r in _counts(visa, ["fiscal_year", "visa_class"])]
    visa_classes.sort(key=lambda r: (r["fiscal_year"], -r["cases"], r["value"]))
    socs: dict[str, dict[str, Any]] = {}
    for r in _counts(rows, ["soc_code", "soc_title"]) + [dict(r, soc_title=None) for r in _soc_without_title(rows)]:
        s = socs.setdefault(r["soc_code"], {"soc": r["soc_code"], "title": r["soc_title"], "cases": 0})
        s["cases"] += int(r["count_all"])  # titles come most common first: the first seen is the mode
        s["title"] = s["title"] or r["soc_title"]
    n = rows.num_rows
    latest = pc.index(rows["decision_date"], pc.max(rows["decision_date"])).as_py() if n else -1
    return {
        "years": years,
        "visa_classes": visa_classes,
        "top_titles": [{"value": r["title"], "cases": int(r["count_all"])} for r in _counts(rows, ["title"])[:10]],
        "top_soc": sorted(socs.values(), key=lambda r: (-r["cases"], r["soc"]))[:10],
        "worksite_states": [{"value": r["worksite_state"], "cases": int(r["count_all"])}
                            for r in _counts(rows, ["worksite_state"])[:10]],
        "flags": {"h1b_dependent_cases": int(pc.sum(pc.cast(rows["h1b_dependent"], pa.int64())).as_py() or 0),
                  "willful_violator_cases": int(pc.sum(pc.cast(rows["willful_violator"], pa.int64())).as_py() or 0),
                  "h1b_dependent_latest": rows["h1b_dependent"][latest].as_py() if latest >= 0 else None,
                  "willful_violator_latest": rows["willful_violator"][latest].as_py() if latest >= 0 else None},
        "decision_dates": {"first": str(pc.min(rows["decision_date"]).as_py()) if n else None,
                           "last": str(pc.max(rows["decision_date"]).as_py()) if n else None},
        "lca_cases": n,
    }


def _soc_without_title(rows: "pa.Table") -> list[dict[str, Any]]:
    import pyarrow.compute as pc

    return _counts(rows.filter(pc.is_null(rows["soc_title"])), ["soc_code"])


def _uscis(con: duckdb.DuckDBPyConnection, matcher: Matcher, norms: list[str], f: Filters,
           ) -> tuple[list[dict[str, Any]], set[int]]:
    """USCIS petition decisions per fiscal year, and the files they come from."""
    from visapath.employers.database import HUB_COUNTS

    if not matcher.cached("uscis_rows", lambda: con.execute("SELECT count(*) FROM uscis").fetchone()[0]):
        return [], set()
    clauses, params = ["employer_norm IN (SELECT unnest(?))"], [norms]
    if f.state:
        clauses.append("state = ?")
        params.append(f.state.strip().upper())
    sums = ", ".join(f"sum({c})" for c in HUB_COUNTS)
    rows = con.execute(f"SELECT fiscal_year, {sums}, list(DISTINCT file_id) FROM uscis WHERE {' AND '.join(clauses)} "
                       "GROUP BY fiscal_year ORDER BY fiscal_year", params).fetchall()
    out, files = [], set()
    for r in rows:
        files.update(r[-1])
        cats = {c: int(v) for c, v in zip(HUB_COUNTS, r[1:-1]) if v is not None}
        approvals = sum(v for c, v in cats.items() if c.endswith("_approval") and not c.startswith(("initial", "continuing")))
        denials = sum(v for c, v in cats.items() if c.endswith("_denial") and not c.startswith(("initial", "continuing")))
        if not approvals and not denials:  # older exports: initial + continuing only
            approvals = cats.get("initial_approval", 0) + cats.get("continuing_approval", 0)
            denials = cats.get("initial_denial", 0) + cats.get("continuing_denial", 0)
        out.append({"fiscal_year": int(r[0]), "approvals": approvals, "denials": denials, "categories": cats})
    return out, files


def _sources(con: duckdb.DuckDBPyConnection, matcher: Matcher, rows: "pa.Table", hub_files: set[int],
             ) -> tuple[list[str], list[dict[str, Any]]]:
    """The imported files the figures come from (names, and their kind and vintage)."""
    import pyarrow.compute as pc

    files = matcher.cached("files", lambda: {
        r[0]: r[1:] for r in con.execute("SELECT file_id, name, format, decision_min, decision_max, fiscal_years, "
                                         "imported_at FROM files").fetchall()})
    ids = (set(pc.unique(rows["file_id"]).to_pylist()) if rows.num_rows else set()) | hub_files
    chosen = [(i, files[i]) for i in sorted(ids) if i in files]
    names = [r[0] for _, r in chosen]
    out = [{"file": r[0], "kind": FORMAT_LABELS.get(r[1], r[1]), "decisions": [str(r[2]) if r[2] else None, str(r[3]) if r[3] else None],
            "fiscal_years": json.loads(r[4] or "[]"), "imported_at": str(r[5])[:19]} for _, r in chosen]
    return names, out


def matched_names(cands: list[Candidate]) -> str:
    return "; ".join(f"{c.name} ({c.filings:,} LCAs)" for c in cands[:5]) + ("; ..." if len(cands) > 5 else "")


__all__ = ["CONFIDENT", "Filters", "LCA_CAVEAT", "NO_MATCH", "show"]
