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
from visapath.employers.places import Places, split_place, state_of
from visapath.models import Answer, Citation

if TYPE_CHECKING:
    from visapath.employers.data import EmployerData

# -- recognising the two question shapes ---------------------------------------------------------
# Openings that carry no meaning ("Hi, quick question: does anyone know if Optum sponsors ...").
_PREAMBLE = re.compile(
    r"^(?:(?:hi|hey|hello|thanks)\b[\s,!.]*)?(?:(?:quick\s+)?question\s*[:,-]?\s*)?"
    r"(?:(?:does\s+anyone|do\s+you|anyone|can\s+you\s+tell\s+me|could\s+you\s+tell\s+me|i(?:'m|\s+am)?\s+(?:was\s+)?"
    r"wonder(?:ing)?|i\s+want\s+to\s+know|tell\s+me|please\s+check)\s+(?:know\s+)?)?", re.I)
_VERB = (r"(?:sponsor(?:ed|s|ing)?|file[sd]?|filing|hire[sd]?|hiring|support(?:ed|s)?|petition(?:ed|s)?|"
         r"offer(?:ed|s)?\s+(?:h-?1b|visa|sponsorship)|do(?:es)?\s+(?:h-?1b|visa)\s+sponsorship|take[sn]?\s+(?:h-?1b|visa))")
_ADVERB = r"(?:(?:ever|still|even|really|actually|usually|typically|normally|generally|currently|now)\s+)?"
_EMPLOYER_SHAPES = [
    # "Does Optum sponsor ML engineers in Minnesota?", "Has Amazon filed LCAs for data scientists?"
    re.compile(rf"^(?:does|do|did|has|have|will|would|can|could)\s+(?P<employer>.+?)\s+{_ADVERB}{_VERB}\b(?P<rest>.*)$", re.I),
    # "... if/whether Optum sponsors data engineers"
    re.compile(rf"\b(?:if|whether)\s+(?P<employer>.+?)\s+{_ADVERB}(?:(?:is|are)\s+(?:an?\s+)?(?:h-?1b\s+|visa\s+)?sponsor\b|"
               rf"(?:does|will|would|can)\s+{_VERB}\b|{_VERB}\b)(?P<rest>.*)$", re.I),
    # "Is Optum an H-1B sponsor for ML engineers?", "Is Google a visa sponsor?"
    re.compile(r"^(?:is|are)\s+(?P<employer>.+?)\s+(?:an?\s+)?(?:known\s+|good\s+|big\s+|active\s+|real\s+)?"
               r"(?:h-?1b\s+|visa\s+|work[\s-]visa\s+)?(?:sponsor|employer\s+that\s+sponsors)\b(?P<rest>.*)$", re.I),
    # "How many H-1Bs does Optum file for data scientists?"
    re.compile(r"^how\s+many\s+(?:h-?1b\s*s?|lcas?|visas?|petitions?|applications?|h-?1b\s+(?:visas|petitions|lcas|"
               r"applications|filings))\s+(?:does|did|has|have|do)\s+(?P<employer>.+?)\s+(?:file|sponsor|submit|get|have|had|"
               r"approve)\w*\b(?P<rest>.*)$", re.I),
    # "H-1B sponsorship history of Optum for data scientists"
    re.compile(r"\b(?:h-?1b|lca|visa|sponsorship)\s+(?:sponsorship\s+|visa\s+)?(?:history|record|data|filings?|stats|"
               r"statistics|numbers|track\s+record)\s+(?:of|for|at|from)\s+(?P<employer>.+?)(?P<rest>\s+(?:for|in|as)\s+.*)?$", re.I),
    # "Optum H-1B sponsorship for ML engineers", "Optum's visa sponsorship record"
    re.compile(r"^(?P<employer>[A-Z0-9][\w&.,'-]*(?:\s+[A-Z0-9][\w&.,'-]*){0,4}?)(?:'s)?\s+(?i:h-?1b|visa|lca)\s+"
               r"(?i:sponsorship|sponsors?|filings?|history|record|data)\b(?P<rest>.*)$"),
]
_SALARY = re.compile(
    r"(?P<dollar>\$)\s?(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<k>k\b|thousand\b|grand\b)?|"
    r"\b(?P<n2>\d[\d,]*(?:\.\d+)?)\s*(?P<k2>k\b|thousand\b|grand\b)|\b(?P<n3>\d{2,3},\d{3}|\d{5,6})\b", re.I)
_PER = re.compile(r"\s*(?:/|per\s+|an?\s+|each\s+)\s*(?P<unit>hour|hr|year|yr|annum|month|mo|week|wk)\b", re.I)
_UNIT_FACTOR = {"hour": 2080, "hr": 2080, "week": 52, "wk": 52, "month": 12, "mo": 12, "year": 1, "yr": 1, "annum": 1}
_WAGE_WORDS = re.compile(r"\b(?:wage|pay|salary)?\s*level\b|\blottery\b|\bentr(?:y|ies)\b|\bweight(?:ed|ing|s)?\b|"
                         r"\bprevailing\s+wage\b|\bselection\s+(?:odds|chances?)\b|\bodds\b|\bchances?\b", re.I)
_ROLE_AFTER = re.compile(r"\b(?:for|as)\s+(?:an?\s+|the\s+|my\s+)?(?P<role>[a-z][\w+#/ .-]*?)"
                         r"(?=\s+(?:in|at|near|around|based|located|out\s+of|job|role|position|offer)\b|[?.,!]|$)", re.I)
_ROLE_BEFORE = re.compile(r"\b(?:an?|my)\s+(?P<role>[a-z][\w+#/ .-]*?)\s+(?:job|role|position|offer)\b", re.I)
_PLACE = re.compile(r"\b(?:in|at|near|around|based\s+in|located\s+in|out\s+of)\s+(?P<place>(?:the\s+)?[A-Za-z][A-Za-z .,'-]*?)"
                    r"(?=\s+(?:on|for|with|as|via|under|who|that|and|or|if|in|at)\b|[?!;]|\.?\s*$)", re.I)
_GENERIC = re.compile(r"^(?:employers?|compan(?:y|ies)|firms?|startups?|they|it|he|she|we|you|i|(?:my|your|our|their|this|that|"
                      r"the|these|those|an?|most|any|all|some|many|big|small|other|which|what)\b.*|big tech|universities|hospitals|"
                      r"anyone|someone|somebody|everyone)$", re.I)
_FILLER = re.compile(r"\b(?:h-?1b\s*s?|h1b|visas?|sponsorship|sponsors?|work|international|foreign|employees?|workers?|people|"
                     r"candidates?|roles?|positions?|jobs?|lcas?|petitions?|applications?|filings?|for|any|an?|the|my|me|us|"
                     r"someone|anyone|who|are|is|that|with|on|to|of|their|its|do|does|them|they|like|as|new|grads?|"
                     r"graduates?|students?|opt|stem|cpt|green\s+cards?|perm|transfers?|hires?|now|currently|still|ever)\b",
                     re.I)


@dataclass
class EmployerQuestion:
    employer: str
    role: str | None
    place: str | None
    state: str | None


@dataclass
class WageQuestion:
    salary: float  # a year
    role: str
    place: str | None
    state: str | None


def _salary(q: str) -> tuple[float, re.Match[str]] | None:
    """The first amount of money in the question, as a yearly figure ('$62/hour' -> 128,960)."""
    for m in _SALARY.finditer(q):
        raw = m.group("n") or m.group("n2") or m.group("n3")
        try:
            n = float(raw.replace(",", ""))
        except ValueError:
            continue
        if m.group("k") or m.group("k2"):
            n *= 1000
        per = _PER.match(q, m.end())
        if per:
            n *= _UNIT_FACTOR[per.group("unit").lower()]
        elif not (m.group("dollar") or m.group("k") or m.group("k2")) and n < 1000:
            continue
        if n >= 1000 or per:
            return n, m
    return None


def _place(text: str, places: Places | None) -> tuple[str | None, str | None, str]:
    """(city, state, text without the place phrase)."""
    for m in _PLACE.finditer(text):
        city, state = split_place(m.group("place"), places)
        if city or state:
            known = bool(state) or (places is not None and places.city(city or "") is not None)
            if known or m.group("place")[:1].isupper():
                return city, state, (text[: m.start()] + " " + text[m.end():])
    return None, None, text


def _role(text: str) -> str | None:
    role = _FILLER.sub(" ", text)
    role = re.sub(r"[^\w+#/ -]", " ", role)
    role = re.sub(r"\s+", " ", role).strip(" -/") or None
    return role if role and re.search(r"[a-z]", role, re.I) else None


def parse(question: str, places: Places | None = None) -> EmployerQuestion | WageQuestion | None:
    """The employer or wage question in a chat message, or None (it then goes to the guidance answerer)."""
    q = re.sub(r"\s+", " ", question.strip())
    q = re.sub(r"[\u2019\u2018]", "'", q)
    sal = _salary(q)
    if sal and _WAGE_WORDS.search(q):
        n, m = sal
        per = _PER.match(q, m.end())
        rest = q[: m.start()] + " " + q[per.end() if per else m.end():]
        city, state, rest = _place(rest, places)
        role_m = _ROLE_AFTER.search(rest) or _ROLE_BEFORE.search(rest)
        role = _role(role_m.group("role")) if role_m else None
        if not role:
            return None
        return WageQuestion(n, role, city, state)
    body = _PREAMBLE.sub("", q).strip()
    for shape in _EMPLOYER_SHAPES:
        m = shape.search(body)
        if m:
            break
    else:
        return None
    employer = re.sub(r"^(?:the\s+company\s+|company\s+)", "", m.group("employer").strip(" ?.,'\"")).strip()
    employer = re.sub(r"'s$", "", employer)
    if not employer or len(employer) > 80 or _GENERIC.match(employer) or len(employer.split()) > 6:
        return None
    rest = m.groupdict().get("rest") or ""
    city, state, rest = _place(rest, places)
    return EmployerQuestion(employer, _role(rest), city, state)


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
    parsed = parse(question, data.places())
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
