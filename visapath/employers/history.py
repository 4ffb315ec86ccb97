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
from typing import Any

import duckdb
import yaml

from visapath.employers.formats import FORMAT_LABELS
from visapath.employers.matching import CONFIDENT, Candidate, Matcher
from visapath.employers.normalize import LEVELS

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


def load_abbreviations(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k).lower(): str(v).lower() for k, v in (data.get("abbreviations") or {}).items()}


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
        latest = con.execute("SELECT max(fiscal_year) FROM lca").fetchone()[0]
        if latest is not None:
            clauses.append("fiscal_year > ?")
            params.append(int(latest) - int(f.years))
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
    # One scan of the big table; every figure below is computed from this small per-query subset.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sub AS SELECT * FROM lca WHERE {where}", params)
    out["years"] = _years(con, "TRUE", [])
    tops = _tops(con)
    out["visa_classes"] = tops["visa_class"]
    out["top_titles"] = tops["title"]
    out["top_soc"] = [{"soc": r["value"], "title": r["title"], "cases": r["cases"]} for r in tops["soc"]]
    out["worksite_states"] = tops["state"]
    flags = con.execute("""SELECT count(*) FILTER (WHERE h1b_dependent), count(*) FILTER (WHERE willful_violator),
                                  arg_max(h1b_dependent, decision_date), arg_max(willful_violator, decision_date),
                                  min(decision_date), max(decision_date), count(*)
                           FROM _sub""").fetchone()
    out["flags"] = {"h1b_dependent_cases": int(flags[0] or 0), "willful_violator_cases": int(flags[1] or 0),
                    "h1b_dependent_latest": flags[2], "willful_violator_latest": flags[3]}
    out["uscis"] = _uscis(con, norms, filters)
    out["sources"], out["source_files"] = _sources(con, norms)
    out["decision_dates"] = {"first": str(flags[4]) if flags[4] else None, "last": str(flags[5]) if flags[5] else None}
    out["lca_cases"] = int(flags[6] or 0)
    return out


def _years(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[dict[str, Any]]:
    level_cols = ", ".join(f"count(*) FILTER (WHERE pw_wage_level = '{lv}')" for lv in LEVELS)
    rows = con.execute(f"""
        SELECT fiscal_year, count(*),
               count(*) FILTER (WHERE status = 'certified'), count(*) FILTER (WHERE status = 'certified_withdrawn'),
               count(*) FILTER (WHERE status = 'denied'), count(*) FILTER (WHERE status = 'withdrawn'),
               count(*) FILTER (WHERE new_employment), count(*) FILTER (WHERE continued_employment),
               count(*) FILTER (WHERE change_employer), count(*) FILTER (WHERE change_previous_employment),
               count(*) FILTER (WHERE new_concurrent_employment), count(*) FILTER (WHERE amended_petition),
               {level_cols}, count(*) FILTER (WHERE pw_wage_level IS NULL),
               median(annual_wage_from), count(annual_wage_from)
        FROM _sub WHERE {where} GROUP BY fiscal_year ORDER BY fiscal_year""", params).fetchall()
    out = []
    for r in rows:
        out.append({
            "fiscal_year": int(r[0]), "lca_total": int(r[1]), "certified": int(r[2]), "certified_withdrawn": int(r[3]),
            "denied": int(r[4]), "withdrawn": int(r[5]), "new_employment": int(r[6]), "continuation": int(r[7]),
            "change_of_employer": int(r[8]), "change_same_employer": int(r[9]), "new_concurrent": int(r[10]),
            "amended": int(r[11]),
            "wage_levels": {lv: int(r[12 + i]) for i, lv in enumerate(LEVELS)}, "wage_level_missing": int(r[16]),
            "median_annual_wage": round(float(r[17]), 2) if r[17] is not None else None, "wages_counted": int(r[18]),
        })
    return out


def _tops(con: duckdb.DuckDBPyConnection, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Visa classes per year, and the top titles, SOC codes and worksite states, in one query."""
    rows = con.execute(f"""
        SELECT 'visa_class', fiscal_year, COALESCE(visa_class, '(blank)'), count(*), NULL FROM _sub GROUP BY 2, 3
        UNION ALL SELECT * FROM (SELECT 'title', NULL, upper(job_title) AS v, count(*) AS n, NULL FROM _sub
                  WHERE job_title IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {limit})
        UNION ALL SELECT * FROM (SELECT 'soc', NULL, soc_code AS v, count(*) AS n, mode(soc_title) FROM _sub
                  WHERE soc_code IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {limit})
        UNION ALL SELECT * FROM (SELECT 'state', NULL, worksite_state AS v, count(*) AS n, NULL FROM _sub
                  WHERE worksite_state IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {limit})""").fetchall()
    out: dict[str, list[dict[str, Any]]] = {"visa_class": [], "title": [], "soc": [], "state": []}
    for kind, fy, value, n, title in rows:
        if kind == "visa_class":
            out[kind].append({"fiscal_year": int(fy), "value": value, "cases": int(n)})
        else:
            out[kind].append({"value": value, "cases": int(n), **({"title": title} if kind == "soc" else {})})
    out["visa_class"].sort(key=lambda r: (r["fiscal_year"], -r["cases"]))
    for kind in ("title", "soc", "state"):
        out[kind].sort(key=lambda r: (-r["cases"], str(r["value"])))
    return out


def _uscis(con: duckdb.DuckDBPyConnection, norms: list[str], f: Filters) -> list[dict[str, Any]]:
    from visapath.employers.database import HUB_COUNTS

    clauses, params = ["employer_norm IN (SELECT unnest(?))"], [norms]
    if f.state:
        clauses.append("state = ?")
        params.append(f.state.strip().upper())
    sums = ", ".join(f"sum({c})" for c in HUB_COUNTS)
    rows = con.execute(f"SELECT fiscal_year, {sums}, list(DISTINCT file_id) FROM uscis WHERE {' AND '.join(clauses)} "
                       "GROUP BY fiscal_year ORDER BY fiscal_year", params).fetchall()
    out = []
    for r in rows:
        cats = {c: int(v) for c, v in zip(HUB_COUNTS, r[1:-1]) if v is not None}
        approvals = sum(v for c, v in cats.items() if c.endswith("_approval") and not c.startswith(("initial", "continuing")))
        denials = sum(v for c, v in cats.items() if c.endswith("_denial") and not c.startswith(("initial", "continuing")))
        if not approvals and not denials:  # older exports: initial + continuing only
            approvals = cats.get("initial_approval", 0) + cats.get("continuing_approval", 0)
            denials = cats.get("initial_denial", 0) + cats.get("continuing_denial", 0)
        out.append({"fiscal_year": int(r[0]), "approvals": approvals, "denials": denials, "categories": cats})
    return out


def _sources(con: duckdb.DuckDBPyConnection, norms: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    rows = con.execute("""SELECT file_id, name, format, decision_min, decision_max, fiscal_years, imported_at FROM files
                          WHERE file_id IN (SELECT file_id FROM _sub UNION
                                            SELECT file_id FROM uscis WHERE employer_norm IN (SELECT unnest(?)))
                          ORDER BY file_id""", [norms]).fetchall()
    names = [r[1] for r in rows]
    files = [{"file": r[1], "kind": FORMAT_LABELS.get(r[2], r[2]), "decisions": [str(r[3]) if r[3] else None, str(r[4]) if r[4] else None],
              "fiscal_years": json.loads(r[5] or "[]"), "imported_at": str(r[6])[:19]} for r in rows]
    return names, files


def matched_names(cands: list[Candidate]) -> str:
    return "; ".join(f"{c.name} ({c.filings:,} LCAs)" for c in cands[:5]) + ("; ..." if len(cands) > 5 else "")


__all__ = ["CONFIDENT", "Filters", "LCA_CAVEAT", "NO_MATCH", "show"]
