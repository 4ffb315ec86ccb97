"""Public employer filing data: DOL LCA disclosures, USCIS H-1B Employer Data Hub, OFLC wages.

The user downloads the government files; visapath imports them into an embedded DuckDB
database and answers role-level questions offline. Modules, in data-flow order:
`formats` (detect and read files), `normalize` (names, statuses, wage units), `database`
(import, de-duplication, vintage), `matching` (employer names, aliases, fuzzy candidates),
`history` (per-year filing history), `wages` (prevailing-wage levels and lottery weight),
`soc` (job title to a likely occupation code).
"""
