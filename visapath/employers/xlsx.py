"""A streaming reader for the first sheet of an xlsx workbook, fast enough for million-row files.

openpyxl's read-only mode streams too, but it builds a Python cell object per cell: on the 60-90
column LCA disclosure workbooks that is well under 20,000 rows a second, so a 250 MB file takes
many minutes (see `bench/bench_employers.py`, which runs both). python-calamine is fast but loads
the whole sheet into memory before the first row. This reader decompresses the sheet XML in 1 MB
blocks and pulls cells out of each block with one compiled regular expression, so memory stays at
one block plus the shared-string table, whatever the file size. It understands what spreadsheet
writers emit for data sheets: shared, inline and formula strings, numbers, booleans, error values,
dates stored as serial numbers under a date style, and sparse rows (cells missing, placed by
their `r` reference). Formulas are read from their cached values, as openpyxl's data_only mode does.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

_NS_RE = re.compile(r"<(/?)[A-Za-z0-9_]+:")  # drop namespace prefixes (x:row -> row)
_ROW_OR_CELL = re.compile(
    r'<row\b[^>]*>|<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_ATTR_R = re.compile(r'\br="([A-Z]+)(\d+)"')
_ATTR_T = re.compile(r'\bt="(\w+)"')
_ATTR_S = re.compile(r'\bs="(\d+)"')
_V = re.compile(r"<v>([^<]*)</v>")
_T = re.compile(r"<t\b[^>]*>([^<]*)</t>")
_SI_END = "</si>"
_BUILTIN_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_EPOCH = datetime(1899, 12, 30)


def _unescape(s: str) -> str:
    return html.unescape(s) if "&" in s else s


def _inline(xml: str) -> str:
    """Text of an inline string: the common single `<t>` run without a regex."""
    if xml.startswith("<t>") and xml.endswith("</t>") and xml.count("<t") == 1:
        return _unescape(xml[3:-4])
    return _unescape("".join(_T.findall(xml)))


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _first_sheet_path(z: zipfile.ZipFile) -> str:
    names = set(z.namelist())
    try:
        wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        m = re.search(r'<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"', wb) or re.search(r'<(?:\w+:)?sheet\b[^>]*\bid="([^"]+)"', wb)
        if m:
            for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
                tag = rel.group(0)
                if f'Id="{m.group(1)}"' in tag:
                    target = re.search(r'Target="([^"]+)"', tag).group(1)
                    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                    if path in names:
                        return path
    except KeyError:
        pass
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    if not sheets:
        raise ValueError("the workbook has no worksheet")
    return sheets[0]


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    """The shared-string table, decoded block by block (one entry per <si>, rich runs joined)."""
    try:
        info = z.getinfo("xl/sharedStrings.xml")
    except KeyError:
        return []
    out: list[str] = []
    rest = ""
    with z.open(info) as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            text = rest + block.decode("utf-8", errors="ignore") if not rest else rest + block.decode("utf-8", "ignore")
            text = _NS_RE.sub(r"<\1", text) if "<x:" in text or ":si" in text else text
            end = text.rfind(_SI_END)
            if end < 0:
                rest = text
                continue
            body, rest = text[: end + len(_SI_END)], text[end + len(_SI_END):]
            for si in body.split(_SI_END)[:-1]:
                start = si.find("<si")
                si = si[start:] if start >= 0 else si
                if "<rPh" in si:  # phonetic runs are not part of the text
                    si = re.sub(r"<rPh\b.*?</rPh>", "", si, flags=re.S)
                out.append(_unescape("".join(_T.findall(si))))
    return out


def _date_styles(z: zipfile.ZipFile) -> set[int]:
    """Indexes of cell styles (cellXfs) whose number format is a date or time."""
    try:
        xml = z.read("xl/styles.xml").decode("utf-8", "replace")
    except KeyError:
        return set()
    xml = _NS_RE.sub(r"<\1", xml)
    custom: dict[int, str] = {int(i): html.unescape(code) for i, code in
                              re.findall(r'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', xml)}
    m = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
    if not m:
        return set()
    dates = set()
    for i, xf in enumerate(re.findall(r"<xf\b[^>]*?(?:/>|>)", m.group(1))):
        fid = re.search(r'numFmtId="(\d+)"', xf)
        n = int(fid.group(1)) if fid else 0
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", custom.get(n, "")).lower()
        if n in _BUILTIN_DATE_FORMATS or (n in custom and re.search(r"[dy]|m{1,4}(?![^;]*s)", code) and "general" not in code):
            dates.add(i)
    return dates


def _serial_to_text(value: float) -> str:
    d = _EPOCH + timedelta(days=value)
    if d.hour == d.minute == d.second == 0 and value == int(value):
        return d.date().isoformat()
    return d.isoformat(sep=" ", timespec="seconds")


class _Sheet:
    """Everything needed to decode cell values: shared strings and which styles are dates."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.path = _first_sheet_path(z)
        self.strings = _shared_strings(z)
        self.date_styles = _date_styles(z)

    def value(self, attrs: str, v: str | None, inline: str | None) -> str | None:
        if inline is not None:
            return _unescape("".join(_T.findall(inline))) or None
        if not v:
            return None
        t = _ATTR_T.search(attrs) if 't="' in attrs else None
        kind = t.group(1) if t else "n"
        if kind == "s":
            return self.strings[int(v)]
        if kind in ("str", "e", "inlineStr"):
            return _unescape(v)
        if kind == "b":
            return "TRUE" if v == "1" else "FALSE"
        if self.date_styles and 's="' in attrs:
            st = _ATTR_S.search(attrs)
            if st and int(st.group(1)) in self.date_styles:
                try:
                    return _serial_to_text(float(v))
                except (ValueError, OverflowError):
                    return v
        return v[:-2] if v.endswith(".0") else v


def column_letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (a cell reference's column part)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _blocks(z: zipfile.ZipFile, name: str) -> Iterator[str]:
    """The sheet XML in pieces that each end at a row boundary."""
    rest = ""
    with z.open(name) as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                if rest:
                    yield rest
                return
            text = rest + block.decode("utf-8", errors="ignore")
            cut = text.rfind("</row>")
            if cut < 0:
                rest = text
                continue
            cut += len("</row>")
            yield text[:cut]
            rest = text[cut:]


_ROW_NUM = re.compile(r'<row\b[^>]*?\br="(\d+)"')


def iter_rows(path: Path, columns: list[int] | None = None, width: int | None = None) -> Iterator[list[str | None]]:
    """Rows of the first sheet as lists of text (None for empty cells), in sheet order, blank rows
    included. With `columns`, only those positions are decoded (the regex skips the other cells in C),
    which is what makes wide sheets fast. Dates come out as ISO text and whole numbers without '.0'."""
    with zipfile.ZipFile(path) as z:
        sheet = _Sheet(z)
        blocks = _blocks(z, sheet.path)
        first = next(blocks, "")
        if "<x:" in first[:4096]:
            blocks_all = (_NS_RE.sub(r"<\1", b) for b in _chain(first, blocks))
        else:
            blocks_all = _chain(first, blocks)
        if not re.search(r'<c r="[A-Z]+\d+"', first) and "<c" in first:
            yield from _iter_rows_positional(sheet, blocks_all)
            return
        if columns is not None:
            wanted = "|".join(sorted({column_letters(c) for c in columns}, key=lambda x: (-len(x), x)))
            width = width or (max(columns) + 1 if columns else 0)
        else:
            wanted = "[A-Z]+"
        cell = re.compile(r'<c r="(' + wanted + r')(\d+)"([^>]*?)(?:/>|>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?'
                          r'(?:<v>([^<]*)</v>|<is>(.*?)</is>)?</c>)', re.S)
        current, row, last_row = 0, None, 0
        index: dict[str, int] = {}
        for body in blocks_all:
            for letters, num, attrs, v, inline in cell.findall(body):
                value = sheet.value(attrs, v, inline if inline or "<is>" in attrs else (inline or None))
                n = int(num)
                if n != current:
                    if row is not None:
                        yield row
                    for _ in range(current + 1, n):  # rows without cells (blank padding)
                        yield [None] * (width or 0)
                    current, row = n, [None] * (width or 0)
                col = index.get(letters)
                if col is None:
                    col = index[letters] = _col_index(letters)
                if col >= len(row):
                    row.extend([None] * (col - len(row) + 1))
                if value is not None and value != "":
                    row[col] = value
            tail = body.rfind('<row ')
            if tail >= 0:
                m = _ROW_NUM.match(body, tail)
                if m:
                    last_row = max(last_row, int(m.group(1)))
        if row is not None:
            yield row
        for _ in range(current + 1, last_row + 1):
            yield [None] * (width or 0)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _iter_rows_positional(sheet: _Sheet, blocks: Iterator[str]) -> Iterator[list[str | None]]:
    """Writers that omit cell references: cells are placed in order within each <row>."""
    row: list[str | None] | None = None
    for body in blocks:
        for m in _ROW_OR_CELL.finditer(body):
            attrs = m.group(1)
            if attrs is None:
                if row is not None:
                    yield row
                row = []
                continue
            if row is None:
                row = []
            ref = _ATTR_R.search(attrs)
            if ref:
                col = _col_index(ref.group(1))
                row.extend([None] * (col - len(row)))
            inner = m.group(2) or ""
            v = _V.search(inner)
            inline = re.search(r"<is>(.*?)</is>", inner, re.S)
            row.append(sheet.value(attrs, v.group(1) if v else None, inline.group(1) if inline else None))
    if row is not None:
        yield row


def header(path: Path) -> list[str]:
    """The first non-empty row of the first sheet."""
    for row in iter_rows(path):
        if any(v not in (None, "") for v in row):
            return ["" if v is None else str(v) for v in row]
    return []


def stage(con, path: Path, positions: dict[str, int | None], table: str, header_row: int,
          on_rows=None, flush_cells: int = 500_000) -> int:
    """Load the first sheet's rows below `header_row` into DuckDB `table` (`_row` + one text column
    per entry of `positions`), decoding and pivoting cells in DuckDB rather than in a Python loop:
    Python only runs the regex (C) and a few list comprehensions per block. Returns rows read."""
    import pyarrow as pa

    wanted = {c: pos for c, pos in positions.items() if pos is not None}
    letters_of = {c: column_letters(pos) for c, pos in wanted.items()}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (_row BIGINT, {', '.join(f'{c} VARCHAR' for c in positions)})")
    if not wanted:
        return 0
    alternation = "|".join(sorted(set(letters_of.values()), key=lambda x: (-len(x), x)))
    cell = re.compile(r'<c r="(' + alternation + r')(\d+)"([^>]*?)(?:/>|>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?'
                      r'(?:<v>([^<]*)</v>|<is>(.*?)</is>)?</c>)', re.S)
    pivot = ", ".join(
        (f"max(val) FILTER (WHERE l = '{letters_of[c]}') AS {c}" if c in letters_of else f"NULL::VARCHAR AS {c}")
        for c in positions)
    decode = ("CASE WHEN k = 'd' THEN CAST(DATE '1899-12-30' + CAST(floor(TRY_CAST(v AS DOUBLE)) AS INTEGER) AS VARCHAR) "
              "WHEN k = 'n' AND ends_with(v, '.0') THEN left(v, length(v) - 2) ELSE v END")
    kinds: dict[str, str] = {}
    last_row = header_row
    pend_l: list[str] = []
    pend_n: list[int] = []
    pend_k: list[str] = []
    pend_v: list[str | None] = []

    def flush() -> None:
        if not pend_l:
            return
        batch = pa.table({"l": pa.array(pend_l, pa.string()), "n": pa.array(pend_n, pa.int64()),
                          "k": pa.array(pend_k, pa.string()), "v": pa.array(pend_v, pa.string())})
        con.register("_xlsx_cells", batch)
        try:
            con.execute(f"""INSERT INTO {table}
                SELECT n - {header_row} AS _row, {pivot}
                FROM (SELECT l, n, NULLIF({decode}, '') AS val FROM _xlsx_cells WHERE n > {header_row})
                GROUP BY n""")
        finally:
            con.unregister("_xlsx_cells")
        for lst in (pend_l, pend_n, pend_k, pend_v):
            lst.clear()
    with zipfile.ZipFile(path) as z:
        sheet = _Sheet(z)
        strings = sheet.strings

        def kind(attrs: str) -> str:  # per distinct attribute string, cached: s(hared) | d(ate) | n(umber) | t(ext)
            k = kinds.get(attrs)
            if k is None:
                t = _ATTR_T.search(attrs)
                tv = t.group(1) if t else "n"
                if tv == "s":
                    k = "s"
                elif tv == "b":
                    k = "b"
                elif tv != "n":
                    k = "t"
                else:
                    st = _ATTR_S.search(attrs)
                    k = "d" if st and int(st.group(1)) in sheet.date_styles else "n"
                kinds[attrs] = k
            return k

        for body in _blocks(z, sheet.path):
            if "<x:" in body[:4096]:
                body = _NS_RE.sub(r"<\1", body)
            tail = body.rfind("<row ")
            if tail >= 0 and (m := _ROW_NUM.match(body, tail)):
                last_row = max(last_row, int(m.group(1)))
            found = cell.findall(body)
            if not found:
                continue
            ls, ns, attrs, vs, inl = zip(*found)
            ks = [kind(a) for a in attrs]
            pend_l.extend(ls)
            pend_n.extend([int(x) for x in ns])
            pend_k.extend(ks)
            pend_v.extend([strings[int(v)] if k == "s" and v else
                           (_inline(i) if i else
                            ((_unescape(v) if "&" in v else v) if k != "b" else ("TRUE" if v == "1" else "FALSE")))
                           for k, v, i in zip(ks, vs, inl)])
            if len(pend_l) >= flush_cells:  # one DuckDB statement per ~half a million cells, not per block
                flush()
            if on_rows:
                on_rows(max(last_row - header_row, 0))
        flush()
    total = max(last_row - header_row, 0)
    # Rows with no cells at all (blank padding) are rows too: the summary counts them as blank.
    con.execute(f"""INSERT INTO {table} (_row) SELECT r FROM range(1, {total + 1}) t(r)
                    WHERE r NOT IN (SELECT _row FROM {table})""")
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def header_row(path: Path, limit: int = 50) -> tuple[int, list[str]]:
    """(1-based row number, cells) of the first non-empty row."""
    for i, row in enumerate(iter_rows(path), start=1):
        if any(v not in (None, "") for v in row):
            return i, ["" if v is None else str(v) for v in row]
        if i >= limit:
            break
    return 0, []
