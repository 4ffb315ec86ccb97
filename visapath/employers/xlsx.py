"""A streaming reader for the first sheet of an xlsx workbook, fast enough for million-row files.

openpyxl's read-only mode streams too, but it builds a Python cell object per cell: on the 60-90
column LCA disclosure workbooks that is well under 20,000 rows a second, so a 250 MB file takes
many minutes (see `bench/bench_employers.py`, which runs both). python-calamine is fast but loads
the whole sheet into memory before the first row. This reader decompresses the sheet XML in 1 MB
blocks cut at row boundaries, so memory stays at one batch of blocks plus the shared-string table,
whatever the file size. `stage` (the import) hands 64 MB of row XML at a time to DuckDB, which
finds and decodes the wanted cells in parallel with string functions and RE2 (no Python per cell);
`iter_rows` (headers, small files, tests) pulls cells out in Python. It understands what spreadsheet
writers emit for data sheets: shared, inline and formula strings, numbers, booleans, error values,
dates stored as serial numbers under a date style, and sparse rows (cells missing, placed by
their `r` reference). Formulas are read from their cached values, as openpyxl's data_only mode does.
"""

from __future__ import annotations

import codecs
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


def _text_blocks(z: zipfile.ZipFile, name: str, boundary: str) -> Iterator[str]:
    """A member's XML decoded in ~1 MB pieces that each end just after `boundary` (a closing tag).
    The incremental decoder keeps a character whose bytes straddle two reads whole."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    rest = ""
    with z.open(name) as f:
        while True:
            block = f.read(1 << 20)
            text = rest + decoder.decode(block, final=not block)
            if not block:
                if text:
                    yield text
                return
            cut = text.rfind(boundary)
            if cut < 0:
                rest = text
                continue
            cut += len(boundary)
            yield text[:cut]
            rest = text[cut:]


def _iter_shared_strings(z: zipfile.ZipFile) -> Iterator[list[str]]:
    """The shared-string table, a block of entries at a time (one per <si>, rich runs joined)."""
    if "xl/sharedStrings.xml" not in z.NameToInfo:
        return
    for text in _text_blocks(z, "xl/sharedStrings.xml", _SI_END):
        text = _NS_RE.sub(r"<\1", text) if "<x:" in text or ":si" in text else text
        out = []
        for si in text.split(_SI_END)[:-1]:
            start = si.find("<si")
            si = si[si.find(">", start) + 1:] if start >= 0 else si
            if si.startswith("<t>") and si.endswith("</t>") and si.count("<t") == 1:
                value = si[3:-4]  # the common case: one plain run
            else:
                if "<rPh" in si:  # phonetic runs are not part of the text
                    si = re.sub(r"<rPh\b.*?</rPh>", "", si, flags=re.S)
                value = "".join(_T.findall(si))
            out.append(_unescape(value))
        yield out


class _SharedStrings:
    """The shared-string table, read only as far as it is used: the header row needs a few dozen
    entries, so recognising a file does not decode a table of millions."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self._source = _iter_shared_strings(z)
        self._loaded: list[str] = []

    def __getitem__(self, i: int) -> str:
        while i >= len(self._loaded):
            block = next(self._source, None)
            if block is None:
                raise IndexError(f"shared string {i} is not in the workbook")
            self._loaded.extend(block)
        return self._loaded[i]

    def all(self) -> list[str]:
        for block in self._source:
            self._loaded.extend(block)
        return self._loaded


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
        self.strings = _SharedStrings(z)
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
    return _text_blocks(z, name, "</row>")


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


def _cell_sql(c: str, date_styles: set[int]) -> tuple[str, str, str]:
    """SQL for one wanted column `c`, in three steps so each part of a cell is computed once:
    the cell's XML (`x_c`, e.g. `<c r="B7" t="s"><v>12</v></c>`) -> its tag and value (`g_c`, `v_c`)
    -> (shared-string index `i_c`, text `t_c`). The index is set for shared strings, the text for
    every other kind of cell (XML entities still escaped: `_unescaped` decodes the few that have any)."""
    x, g, v = f"x_{c}", f"g_{c}", f"v_{c}"
    parts = (f"split_part({x}, '>', 1) AS {g}, NULLIF(split_part(split_part({x}, '<v>', 2), '</v>', 1), '') AS {v}, "
             f"CASE WHEN contains({x}, '<is>') THEN NULLIF(regexp_replace(split_part(split_part({x}, '<is>', 2), "
             f"'</is>', 1), '<rPh\\b.*?</rPh>|<[^>]*>', '', 'g'), '') END AS s_{c}")
    date = "FALSE"
    if date_styles:
        styles = ", ".join(f"'{i}'" for i in sorted(date_styles))
        date = f"regexp_extract({g}, '\\bs=\"(\\d+)\"', 1) IN ({styles})"
    text = (f"CASE WHEN {g} IS NULL OR contains({g}, 't=\"s\"') THEN NULL "
            f"WHEN contains({g}, 't=\"inlineStr\"') THEN s_{c} "
            f"WHEN contains({g}, 't=\"b\"') THEN CASE {v} WHEN '1' THEN 'TRUE' WHEN '0' THEN 'FALSE' END "
            f"WHEN contains({g}, 't=\"str\"') OR contains({g}, 't=\"e\"') THEN {v} "
            f"WHEN {date} THEN CAST(DATE '1899-12-30' + CAST(floor(TRY_CAST({v} AS DOUBLE)) AS INTEGER) AS VARCHAR) "
            f"WHEN ends_with({v}, '.0') THEN left({v}, length({v}) - 2) ELSE {v} END AS t_{c}")
    index = f"CASE WHEN contains({g}, 't=\"s\"') THEN TRY_CAST({v} AS INTEGER) END AS i_{c}"
    return parts, index, text


def _unescaped(values: "pa.ChunkedArray") -> "pa.Array":
    """XML entities (`&amp;`, `&#233;`) decoded, in Python for just the values that contain one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    has = pc.fill_null(pc.match_substring(values, "&"), False)
    if not pc.any(has).as_py():
        return values
    return pa.array([html.unescape(v) if v and "&" in v else v for v in values.to_pylist()], pa.string())


def stage(con, path: Path, positions: dict[str, int | None], table: str, header_row: int,
          on_rows=None, batch_chars: int = 64 << 20) -> int:
    """Load the first sheet's rows below `header_row` into DuckDB `table` (`_row` + one text column
    per entry of `positions`). Python only inflates the sheet and cuts it at row boundaries; DuckDB
    splits the rows, finds the wanted cells with two RE2 scans per row and decodes them, in parallel,
    64 MB of XML at a time; shared strings are then filled in with one Arrow `take` per column.
    No Python code runs per cell, and memory is one batch plus the shared-string table. Returns rows read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = {c: column_letters(pos) for c, pos in positions.items() if pos is not None}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (_row BIGINT, {', '.join(f'{c} VARCHAR' for c in positions)})")
    if not wanted:
        return 0
    alternation = "|".join(sorted(set(wanted.values()), key=lambda x: (-len(x), x)))
    # The cell reference is the first attribute, as every writer of data sheets puts it.
    cells_re = f'<c r="(?:{alternation})\\d[^>]*?(?:/>|>.*?</c>)'
    letters_re = f'<c r="({alternation})\\d'
    last_row = header_row
    with zipfile.ZipFile(path) as z:
        sheet = _Sheet(z)
        strings = pa.array(sheet.strings.all(), pa.string())
        steps = [_cell_sql(c, sheet.date_styles) for c in wanted]
        pick = ", ".join(f"cells[list_position(ls, '{letters}')] AS x_{c}" for c, letters in wanted.items())
        sql = f"""
            SELECT _row, {', '.join(f'{i}, {t}' for _, i, t in steps)}
            FROM (SELECT _row, {', '.join(p for p, _, _ in steps)}
                  FROM (SELECT n - {header_row} AS _row, {pick}
                        FROM (SELECT TRY_CAST(regexp_extract(x, '<c r="[A-Z]+(\\d+)"', 1) AS BIGINT) AS n,
                                     regexp_extract_all(x, '{letters_re}', 1) AS ls,
                                     regexp_extract_all(x, '{cells_re}', 0) AS cells
                              FROM (SELECT unnest(string_split(b, '</row>')) AS x FROM _xlsx_blocks))
                        WHERE n > {header_row}))"""
        pending: list[str] = []
        size = 0

        def flush() -> None:
            nonlocal size
            if not pending:
                return
            con.register("_xlsx_blocks", pa.table({"b": pa.array(pending, pa.string())}))
            try:
                got = con.sql(sql).to_arrow_table()
            finally:
                con.unregister("_xlsx_blocks")
            cols = {"_row": got["_row"]}
            for c in positions:
                if c not in wanted:
                    cols[c] = pa.nulls(got.num_rows, pa.string())
                    continue
                idx = got[f"i_{c}"]
                idx = pc.if_else(pc.less(idx, len(strings)), idx, None)
                cols[c] = pc.coalesce(pc.take(strings, idx), _unescaped(got[f"t_{c}"]))
            con.register("_xlsx_rows", pa.table(cols))
            try:
                con.execute(f"INSERT INTO {table} SELECT * FROM _xlsx_rows")
            finally:
                con.unregister("_xlsx_rows")
            pending.clear()
            size = 0
            if on_rows:
                on_rows(max(last_row - header_row, 0))

        for body in _blocks(z, sheet.path):
            if "<x:" in body[:4096] or ":c " in body[:4096]:
                body = _NS_RE.sub(r"<\1", body)
            tail = body.rfind("<row ")
            if tail >= 0 and (m := _ROW_NUM.match(body, tail)):
                last_row = max(last_row, int(m.group(1)))
            pending.append(body)
            size += len(body)
            if size >= batch_chars:
                flush()
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
