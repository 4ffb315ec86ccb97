"""Plain-text renderings of employer history and wage levels (CLI, chat answers, explanations).

Every rendering that shows LCA counts carries the LCA caveat, and a failed lookup says
"no filings found under that name", never that an employer does not sponsor.
"""

from __future__ import annotations

from typing import Any

from visapath.employers.history import LCA_CAVEAT, NO_MATCH, NO_MATCH_NOTE


def money(v: float | None) -> str:
    return "n/a" if v is None else f"${v:,.0f}"


def history_text(r: dict[str, Any]) -> str:
    lines: list[str] = []
    if not r["matched"]:
        lines.append(f"{NO_MATCH}: '{r['query']}'.")
        lines.append(NO_MATCH_NOTE)
        if r.get("nearest"):
            lines.append("Nearest names: " + "; ".join(f"{c['name']} ({c['filings']:,} LCAs, score {c['score']:.0f})"
                                                       for c in r["nearest"]))
        return "\n".join(lines)
    names = "; ".join(f"{m['name']}" + (f" [FEIN {m['fein']}]" if m.get("fein") else "") + f" ({m['filings']:,} LCAs, {m['match']})"
                      for m in r["matched"][:8])
    lines.append(f"Employer: {names}" + ("; ..." if len(r["matched"]) > 8 else ""))
    if r.get("note"):
        lines.append(r["note"])
    lines.append(f"Filter: {r['filters']}")
    lines.append(f"Note: {LCA_CAVEAT}")
    if not r["years"]:
        lines.append("No LCAs match these filters.")
    else:
        lines.append("")
        lines.append(f"{'FY':>6} {'LCAs':>7} {'cert':>6} {'c-wd':>5} {'den':>4} {'wd':>4} {'new':>5} {'cont':>5} "
                     f"{'chg-emp':>7}  {'I/II/III/IV':<17} {'median wage':>11}")
        for y in r["years"]:
            lv = y["wage_levels"]
            mix = f"{lv['I']}/{lv['II']}/{lv['III']}/{lv['IV']}"
            lines.append(f"{y['fiscal_year']:>6} {y['lca_total']:>7,} {y['certified']:>6,} {y['certified_withdrawn']:>5,} "
                         f"{y['denied']:>4,} {y['withdrawn']:>4,} {y['new_employment']:>5,} {y['continuation']:>5,} "
                         f"{y['change_of_employer']:>7,}  {mix:<17} {money(y['median_annual_wage']):>11}")
        lines.append("(cert = certified, c-wd = certified then withdrawn, den = denied, wd = withdrawn; "
                     "new / cont / chg-emp = LCAs marking new employment, continuation, change of employer)")
    if r.get("top_titles"):
        lines.append("Top job titles: " + "; ".join(f"{t['value']} ({t['cases']:,})" for t in r["top_titles"][:5]))
    if r.get("top_soc"):
        lines.append("Top SOC codes: " + "; ".join(f"{t['soc']} {t.get('title') or ''} ({t['cases']:,})".replace("  ", " ")
                                                   for t in r["top_soc"][:5]))
    if r.get("worksite_states"):
        lines.append("Worksite states: " + ", ".join(f"{t['value']} {t['cases']:,}" for t in r["worksite_states"][:8]))
    flags = r.get("flags") or {}
    if flags:
        lines.append(f"H-1B dependent on {flags['h1b_dependent_cases']:,} LCAs (latest: {_yn(flags['h1b_dependent_latest'])}); "
                     f"willful violator on {flags['willful_violator_cases']:,} (latest: {_yn(flags['willful_violator_latest'])})")
    if r.get("uscis"):
        lines.append("USCIS petition decisions (H-1B Employer Data Hub): " + "; ".join(
            f"FY{u['fiscal_year']} {u['approvals']:,} approved / {u['denials']:,} denied" for u in r["uscis"]))
    if r.get("decision_dates", {}).get("first"):
        d = r["decision_dates"]
        lines.append(f"LCA decisions from {d['first']} to {d['last']}.")
    if r.get("sources"):
        lines.append("Sources: " + ", ".join(r["sources"]))
    return "\n".join(lines)


def _yn(v: Any) -> str:
    return "n/a" if v is None else ("yes" if v else "no")


def wage_text(r: dict[str, Any]) -> str:
    w = r["wages"]
    lines = [f"SOC {r['soc']} {r.get('soc_title') or ''} in {r['area_name']} (area {r['area']})".replace("  ", " "),
             "Prevailing wages per year: " + ", ".join(f"Level {lv} {money(w[lv])}" for lv in ("I", "II", "III", "IV"))]
    for o in r.get("offers") or [{"salary": r["salary"], "level": r["level"], "entries": r["entries"]}]:
        lines.append(f"Salary {money(o['salary'])}: " + ("below Level I" if o["level"] == "below I" else f"Level {o['level']}")
                     + f" -> {o['entries']} entr{'y' if o['entries'] == 1 else 'ies'} in the weighted H-1B selection")
    if r.get("offers"):
        lines.append(f"Several employers registering the same person: the lowest level counts (Level {r['level']}, "
                     f"{r['entries']} entr{'y' if r['entries'] == 1 else 'ies'}).")
    if r.get("geo_note"):
        lines.append(r["geo_note"])
    lines.append(f"Rule: {r['rule']}")
    lines.append(f"Source: {r['source']}")
    return "\n".join(lines)
