"""Chat questions the filing database answers directly, cited as data.

"Does Optum sponsor ML engineers in Minnesota?" and "What level is $150k for a data scientist in
Seattle?" are questions about numbers in files the user imported, not about guidance text. This
module recognises those two shapes, runs the lookup, and writes a short answer whose citations
have kind `data`, name the file(s) and quote the query that produced the figures. Anything it does
not recognise returns None and goes to the guidance answerer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from visapath.employers.history import LCA_CAVEAT, NO_MATCH
from visapath.employers.places import split_place, state_of
from visapath.models import Answer, Citation

if TYPE_CHECKING:
    from visapath.employers.data import EmployerData

_SPONSOR = re.compile(
    r"^\s*(?:does|do|did|has|have|will|is|would)\s+(?P<employer>.+?)\s+(?:ever\s+|actually\s+|still\s+)?"
    r"(?:sponsor(?:ed|s)?|file[sd]?|hire[sd]?\s+(?:people\s+)?on|support(?:ed|s)?|petition(?:ed|s)?)\b(?P<rest>.*)$", re.I)
_HISTORY = re.compile(r"\b(?:h-?1b|lca|sponsorship|filing)s?\s+(?:history|record|data|filings?)\s+(?:of|for|at)\s+(?P<employer>[^?]+)", re.I)
_SALARY = re.compile(r"\$\s?(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<k>k|K|thousand)?|(?P<n2>\d[\d,]*(?:\.\d+)?)\s*(?P<k2>k|K)\b"
                     r"|(?P<n3>\b\d{2,3},\d{3}\b)")
_GENERIC = re.compile(r"^(?:employers?|compan(?:y|ies)|firms?|startups?|they|it|he|she|we|you|i|(?:my|your|our|their|this|that|"
                      r"the|an?|most|any|all|some|many|big|small|other)\b.*|big tech|universities|hospitals)$", re.I)
_WAGE_WORDS = re.compile(r"\b(?:wage\s+)?level\b|\blottery\b|\bentries\b|\bweight", re.I)
_FILLER = re.compile(r"\b(?:h-?1b|h1b|visas?|sponsorship|work|international|foreign|employees?|workers?|people|"
                     r"candidates?|roles?|positions?|jobs?|for|any|an?|the)\b", re.I)


@dataclass
class EmployerQuestion:
    employer: str
    role: str | None
    place: str | None
    state: str | None


@dataclass
class WageQuestion:
    salary: float
    role: str
    place: str | None
    state: str | None


def parse(question: str) -> EmployerQuestion | WageQuestion | None:
    q = question.strip()
    sal = _SALARY.search(q)
    if sal and _WAGE_WORDS.search(q):
        n = float((sal.group("n") or sal.group("n2") or sal.group("n3")).replace(",", ""))
        if sal.group("k") or sal.group("k2"):
            n *= 1000
        m = re.search(r"\bfor\s+(?:an?\s+|the\s+)?(?P<role>.+?)(?:\s+(?:in|at|near)\s+(?P<place>[^?]+))?\s*\??$", q[sal.end():], re.I)
        if m and m.group("role").strip():
            place, state = split_place(m.group("place") or "")
            return WageQuestion(n, m.group("role").strip(), place, state)
        return None
    m = _SPONSOR.match(q) or _HISTORY.search(q)
    if not m:
        return None
    employer = m.group("employer").strip(" ?.,'\"")
    rest = m.groupdict().get("rest") or ""
    place = state = None
    loc = re.search(r"\b(?:in|at|near)\s+(?P<place>[A-Z][^?]*|[a-z][^?]*)\s*\??$", rest)
    if loc:
        place, state = split_place(loc.group("place"))
        rest = rest[: loc.start()]
    role = _FILLER.sub(" ", rest)
    role = re.sub(r"[^\w+#/ -]", " ", role)
    role = re.sub(r"\s+", " ", role).strip() or None
    if not employer or len(employer) > 80 or _GENERIC.match(employer):
        return None
    return EmployerQuestion(employer, role, place, state)


def _data_citation(n: int, files: list[str], query: str, title: str) -> Citation:
    return Citation(n=n, source=", ".join(files) or "employer database", title=title, section=None, page=None,
                    quote=query, score=1.0, kind="data")


def _rule_citation(n: int, knowledge_dir: Path) -> Citation:
    """The guidance passage that states the entry weights, quoted exactly from the knowledge base."""
    path = knowledge_dir / "visas" / "h1b-weighted-selection.md"
    quote = "Level IV is entered four times, Level III three times, Level II twice and Level I once."
    try:
        text = path.read_text(encoding="utf-8")
        m = re.search(r"[^.]*Level IV is entered four times[^.]*\.", text)
        quote = m.group(0).strip() if m else quote
    except OSError:
        pass
    return Citation(n=n, source="visas/h1b-weighted-selection.md", title="H-1B wage-weighted selection (from the FY 2027 registration)",
                    section="What is the wage-weighted H-1B selection?", page=None, quote=quote, score=1.0, kind="guidance")


def answer(data: "EmployerData", question: str, knowledge_dir: Path) -> Answer | None:
    """A data-cited answer, or None when the question is not one this module handles (or no data)."""
    parsed = parse(question)
    if parsed is None or not data.exists():
        return None
    try:
        if isinstance(parsed, WageQuestion):
            return _wage_answer(data, parsed, knowledge_dir)
        return _employer_answer(data, parsed)
    except LookupError:
        return None


def _employer_answer(data: "EmployerData", q: EmployerQuestion) -> Answer | None:
    state = q.state
    if q.place and not state:
        state = state_of(q.place)
    soc = data.estimate_soc(q.role, q.employer) if q.role else None
    r = data.show(q.employer, title=q.role, state=state)
    cmd = f"visapath employers show \"{q.employer}\"" + (f" --title \"{q.role}\"" if q.role else "") + (f" --state {state}" if state else "")
    if not r["matched"]:
        if not q.employer[:1].isupper():  # a lower-case subject is rarely an employer's name
            return None
        near = "; ".join(c["name"] for c in (r.get("nearest") or [])[:3])
        text = (f"The imported filing data has {NO_MATCH} '{q.employer}' [1]. That says nothing about whether it sponsors: "
                f"it may file under another legal name or the files may not cover it"
                + (f"; the nearest names are {near}" if near else "") + " [1].")
        # declined: the chat answers from guidance and postings and shows this as a notice.
        return Answer(answer=text, declined=True, citations=[_data_citation(1, [], cmd, "Employer filing database")],
                      backend="data", query=cmd)
    names = ", ".join(m["name"] for m in r["matched"][:3]) + (" and others" if len(r["matched"]) > 3 else "")
    scope = (f" for job titles like '{q.role}'" if q.role else "") + (f" with worksites in {state}" if state else "")
    sentences: list[str] = []
    if r["years"]:
        total = sum(y["lca_total"] for y in r["years"])
        cert = sum(y["certified"] + y["certified_withdrawn"] for y in r["years"])
        span = f"FY{r['years'][0]['fiscal_year']}" + (f"-FY{r['years'][-1]['fiscal_year']}" if len(r["years"]) > 1 else "")
        latest = r["years"][-1]
        lv = latest["wage_levels"]
        sentences.append(f"In the imported DOL disclosure files, {names} filed {total:,} LCAs{scope} in {span}, "
                         f"{cert:,} of them certified [1].")
        sentences.append(f"In FY{latest['fiscal_year']}: {latest['new_employment']:,} marked new employment, "
                         f"{latest['continuation']:,} continuation and {latest['change_of_employer']:,} change of employer; "
                         f"wage levels I/II/III/IV {lv['I']}/{lv['II']}/{lv['III']}/{lv['IV']}"
                         + (f"; median offered wage ${latest['median_annual_wage']:,.0f}" if latest["median_annual_wage"] else "")
                         + " [1].")
    else:
        sentences.append(f"{names} has LCAs in the imported files, but none{scope} [1].")
    sentences.append(LCA_CAVEAT.replace("; a certified LCA", ", and a certified LCA") + " [1]")
    lca_files = [f["file"] for f in r.get("source_files", []) if "LCA" in f["kind"]]
    citations = [_data_citation(1, lca_files, cmd, "DOL OFLC LCA disclosure data")]
    if r.get("uscis"):
        u = r["uscis"][-1]
        sentences.append(f"USCIS recorded {u['approvals']:,} H-1B petition approvals and {u['denials']:,} denials for this "
                         f"employer in FY{u['fiscal_year']} (all roles) [2].")
        hub_files = [f["file"] for f in r.get("source_files", []) if "USCIS" in f["kind"]]
        citations.append(_data_citation(2, hub_files, f"visapath employers show \"{q.employer}\"", "USCIS H-1B Employer Data Hub"))
    if soc is not None and q.role:
        sentences.append(f"Titles like '{q.role}' are most often filed as SOC {soc.soc} {soc.title or ''}".rstrip()
                         + f" (an estimate from {soc.basis}) [1].")
    return Answer(answer=" ".join(sentences), declined=False, citations=citations, backend="data", query=cmd)


def _wage_answer(data: "EmployerData", q: WageQuestion, knowledge_dir: Path) -> Answer | None:
    soc = data.estimate_soc(q.role)
    if soc is None:
        return None
    r = data.wage_level(soc.soc, [q.salary], area=q.place or None, state=q.state) if q.place else None
    if r is None:
        return None
    cmd = f"visapath wage-level --soc {soc.soc} --area \"{q.place}\"" + (f" --state {q.state}" if q.state else "") + f" --salary {q.salary:.0f}"
    w = r["wages"]
    level = "below Level I" if r["level"] == "below I" else f"Level {r['level']}"
    nxt = {"below I": "I", "I": "II", "II": "III", "III": "IV"}.get(r["level"])
    sentences = [
        f"For SOC {soc.soc} {soc.title or r.get('soc_title') or ''} (estimated from the title '{q.role}', basis: {soc.basis}) in "
        f"{r['area_name']}, ${q.salary:,.0f} a year is {level}; the prevailing wages are Level I ${w['I']:,.0f}, "
        f"II ${w['II']:,.0f}, III ${w['III']:,.0f} and IV ${w['IV']:,.0f} [1]."
    ]
    if nxt and w.get(nxt):
        sentences.append(f"Level {nxt} starts at ${w[nxt]:,.0f} [1].")
    if r.get("geo_note"):
        sentences.append(r["geo_note"] + " [1]")
    sentences.append(f"In the weighted H-1B selection, {level} means {r['entries']} entr{'y' if r['entries'] == 1 else 'ies'} "
                     f"(Level I once up to Level IV four times), and the lowest level counts when several employers "
                     f"register the same person [2].")
    citations = [_data_citation(1, [r["source"]], cmd, "OFLC prevailing wage data"), _rule_citation(2, knowledge_dir)]
    return Answer(answer=" ".join(s.replace("  ", " ") for s in sentences), declined=False, citations=citations,
                  backend="data", query=cmd)
