"""Filing history and wage level for one job posting, added to its explanation.

The posting gives a company, a title, a location and maybe a salary range. From those: the
employer's LCA history (all roles, and the posting's likely occupation), and the wage level of
each end of the salary range for that occupation and area. The SOC code is an estimate and is
always shown with the code used; a company with no filings reads "no filings found under that
name", never "does not sponsor".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from visapath.employers.errors import EmployerDataError, WageLookupError
from visapath.employers.history import LCA_CAVEAT, NO_MATCH, NO_MATCH_NOTE
from visapath.employers.places import split_place

if TYPE_CHECKING:
    from visapath.employers.data import EmployerData

YEARS = 3


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    years = r.get("years") or []
    return {
        "matched": [m["name"] for m in r["matched"]],
        "lca_total": sum(y["lca_total"] for y in years),
        "certified": sum(y["certified"] + y["certified_withdrawn"] for y in years),
        "fiscal_years": [y["fiscal_year"] for y in years],
        "new_employment": sum(y["new_employment"] for y in years),
        "change_of_employer": sum(y["change_of_employer"] for y in years),
        "wage_levels": {lv: sum(y["wage_levels"][lv] for y in years) for lv in ("I", "II", "III", "IV")},
        "uscis": r.get("uscis") or [],
        "sources": r.get("sources") or [],
    }


def filings_for_posting(data: "EmployerData", company: str | None, title: str | None, location: str | None,
                        salary_min: float | None = None, salary_max: float | None = None) -> dict[str, Any] | None:
    """The `filings` block of an explanation, or None without imported data or a company name."""
    if not company or not data.exists():
        return None
    try:
        overall = data.show(company, years=YEARS)
        out: dict[str, Any] = {"company": company, "caveat": LCA_CAVEAT, "years": YEARS}
        if not overall["matched"]:
            out.update({"message": NO_MATCH, "note": NO_MATCH_NOTE,
                        "nearest": [c["name"] for c in overall.get("nearest", [])]})
            return out
        out["history"] = _summary(overall)
        soc = data.estimate_soc(title, company) if title else None
        if soc is not None:
            out["soc"] = soc.to_json()
            out["role_history"] = _summary(data.show(company, soc_code=soc.soc, years=YEARS))
        city, state = split_place(location or "", data.places())
        if soc is not None and salary_min and (city or state):
            try:
                levels = data.wage_level(soc.soc, [salary_min] + ([salary_max] if salary_max and salary_max != salary_min else []),
                                         area=city or state, state=state)
                out["wage_level"] = {
                    "soc": soc.soc, "area": levels["area"], "area_name": levels["area_name"], "wages": levels["wages"],
                    "range": [{"salary": o["salary"], "level": o["level"], "entries": o["entries"]}
                              for o in levels.get("offers") or [{"salary": levels["salary"], "level": levels["level"],
                                                                 "entries": levels["entries"]}]],
                    "geo_level": levels["geo_level"], "source": levels["source"], "estimate": True,
                }
            except WageLookupError as exc:
                out["wage_level_note"] = str(exc)
        out["text"] = filings_text(out)
        return out
    except EmployerDataError:
        return None


def filings_text(f: dict[str, Any]) -> list[str]:
    """Plain sentences for the CLI and app."""
    if f.get("message"):
        near = f"; nearest names: {', '.join(f['nearest'][:3])}" if f.get("nearest") else ""
        return [f"Employer filings: {f['message']} '{f['company']}'{near}. {f['note']}"]
    h = f["history"]
    span = (f"FY{h['fiscal_years'][0]}-FY{h['fiscal_years'][-1]}" if len(h["fiscal_years"]) > 1
            else (f"FY{h['fiscal_years'][0]}" if h["fiscal_years"] else f"the last {f['years']} fiscal years"))
    lines = [f"Employer filings ({', '.join(h['matched'][:3])}): {h['lca_total']:,} LCAs in {span}, "
             f"{h['certified']:,} certified; {h['new_employment']:,} new employment, {h['change_of_employer']:,} change of employer."]
    if f.get("soc"):
        r, s = f["role_history"], f["soc"]
        lines.append(f"For this role (SOC {s['soc']} {s.get('soc_title') or ''}, an estimate from {s['basis']}): "
                     f"{r['lca_total']:,} LCAs; wage levels I/II/III/IV "
                     + "/".join(str(r["wage_levels"][lv]) for lv in ("I", "II", "III", "IV")) + ".")
    if f.get("wage_level"):
        w = f["wage_level"]
        ends = "; ".join(f"${o['salary']:,.0f} is " + ("below Level I" if o["level"] == "below I" else f"Level {o['level']}")
                         + f" ({o['entries']} entr{'y' if o['entries'] == 1 else 'ies'})" for o in w["range"])
        lines.append(f"Salary vs prevailing wage (SOC {w['soc']} in {w['area_name']}, estimate): {ends} in the weighted H-1B selection.")
    elif f.get("wage_level_note"):
        lines.append(f"Wage level not computed: {f['wage_level_note']}.")
    for u in (f["history"].get("uscis") or [])[-1:]:
        lines.append(f"USCIS FY{u['fiscal_year']}: {u['approvals']:,} H-1B approvals, {u['denials']:,} denials (all roles).")
    lines.append(f["caveat"])
    return lines


def draft_hint(data: "EmployerData", company: str | None, title: str | None) -> str | None:
    """A note shown beside a recruiter draft when the company has LCAs on file (never inside the
    message: the user decides whether to mention it)."""
    if not company or not data.exists():
        return None
    try:
        r = data.show(company, years=YEARS)
    except EmployerDataError:
        return None
    if not r["matched"] or not r["years"]:
        return None
    total = sum(y["lca_total"] for y in r["years"])
    role = ""
    if title:
        soc = data.estimate_soc(title, company)
        if soc is not None:
            n = sum(y["lca_total"] for y in data.show(company, soc_code=soc.soc, years=YEARS)["years"])
            role = f", {n:,} of them for SOC {soc.soc} {soc.title or ''}".rstrip() + " (the posting's likely occupation, an estimate)"
    span = f"FY{r['years'][0]['fiscal_year']}-FY{r['years'][-1]['fiscal_year']}"
    return (f"Filing history: {r['matched'][0]['name']} filed {total:,} LCAs in {span}{role} (public DOL data). "
            "You can mention that it has filed for similar roles; an LCA is an attestation, not an approved petition.")
