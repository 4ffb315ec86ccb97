"""A likely SOC (occupation) code for a job title: an estimate, always shown with the code used.

First choice is the imported LCAs themselves (the code most often filed for titles like this one,
for this employer if it has any, else for everyone); without data, the small shipped mapping in
`knowledge/lexicon/title_soc.yaml`. Employers choose the SOC code on each LCA, so neither source
can say which code a particular employer will use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from visapath.employers.history import title_condition
from visapath.employers.lexicon import read_yaml


@dataclass
class SocEstimate:
    soc: str
    title: str | None
    basis: str  # "employer LCAs", "all LCAs", "title mapping"
    cases: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"soc": self.soc, "soc_title": self.title, "basis": self.basis, "cases": self.cases, "estimate": True}


def load_mapping(path: Path) -> tuple[list[tuple[re.Pattern[str], str, str]], dict[str, str]]:
    """Title rules and abbreviations of the mapping file (parsed once per version of the file)."""
    data = read_yaml(path)
    rules = [(re.compile(r["pattern"], re.I), str(r["soc"]), str(r.get("title", ""))) for r in data.get("titles") or []]
    abbreviations = {str(k).lower(): str(v).lower() for k, v in (data.get("abbreviations") or {}).items()}
    return rules, abbreviations


def estimate(title: str, mapping_path: Path, con: duckdb.DuckDBPyConnection | None = None,
             employer_norms: list[str] | None = None, min_cases: int = 3) -> SocEstimate | None:
    rules, abbreviations = load_mapping(mapping_path)
    if con is not None and title.strip():
        cond, params = title_condition(title, abbreviations)
        scopes = ([("employer LCAs", "employer_norm IN (SELECT unnest(?)) AND ", [employer_norms])] if employer_norms else [])
        scopes.append(("all LCAs", "", []))
        for basis, extra, p in scopes:
            row = con.execute(f"SELECT soc_code, mode(soc_title), count(*) AS n FROM lca WHERE {extra}{cond} "
                              "AND soc_code IS NOT NULL GROUP BY soc_code ORDER BY n DESC LIMIT 1", p + params).fetchone()
            if row and row[2] >= min_cases:
                return SocEstimate(row[0], row[1], basis, int(row[2]))
    for pattern, soc, soc_title in rules:
        if pattern.search(title):
            return SocEstimate(soc, soc_title or None, "title mapping")
    return None
