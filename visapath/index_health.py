"""Check an embedded Chroma folder before Chroma opens it.

Chroma's native code trusts its files: a zero-byte `chroma.sqlite3` silently becomes an empty
index, a damaged vector-segment file crashes the process (segfault), a truncated header makes
it hang and a garbled length file gives wrong answers. These checks read only file sizes, the
segment headers and SQLite's own quick check, so they cost milliseconds at start-up.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
HNSW_HEADER_SIZE = 100  # Chroma's hnswlib: a 4-byte version, then six size_t, two int32, five 8-byte fields
SEGMENT_FILES = ("header.bin", "data_level0.bin", "length.bin", "link_lists.bin")


def index_problem(chroma_path: Path) -> str | None:
    """Why the embedded index at `chroma_path` can't be trusted, or None when it looks whole."""
    db = Path(chroma_path) / "chroma.sqlite3"
    if not db.exists():
        return None  # a new index
    with db.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if not head:
        return f"{db.name} is empty (0 bytes)"
    if head != SQLITE_MAGIC:
        return f"{db.name} is not an SQLite database"
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            result = con.execute("PRAGMA quick_check").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return f"{db.name} can't be read ({exc})"
    if not result or result[0] != "ok":
        return f"{db.name} failed SQLite's integrity check ({result[0] if result else 'no result'})"
    for segment in sorted(p for p in Path(chroma_path).iterdir() if p.is_dir() and (p / "header.bin").exists()):
        problem = _segment_problem(segment)
        if problem:
            return f"vector segment {segment.name}: {problem}"
    return None


def _segment_problem(segment: Path) -> str | None:
    sizes = {name: (segment / name).stat().st_size if (segment / name).exists() else None for name in SEGMENT_FILES}
    if sizes["header.bin"] is None or sizes["header.bin"] < HNSW_HEADER_SIZE:
        return f"header.bin is truncated ({sizes['header.bin']} bytes)"
    if None in sizes.values():
        return "a segment file is missing"
    header = (segment / "header.bin").read_bytes()[:52]
    _version, _offset0, max_elements, count, size_per_element, _label, _offset = struct.unpack("<I6Q", header)
    if count > max_elements or size_per_element == 0 or max_elements > 1 << 40:
        return "header.bin holds impossible sizes"
    if sizes["data_level0.bin"] != max_elements * size_per_element:
        return f"data_level0.bin has {sizes['data_level0.bin']} bytes, the header says {max_elements * size_per_element}"
    if sizes["length.bin"] != max_elements * 4:
        return f"length.bin has {sizes['length.bin']} bytes, the header says {max_elements * 4}"
    lengths = struct.unpack(f"<{max_elements}I", (segment / "length.bin").read_bytes())
    if sum(lengths[:count]) != sizes["link_lists.bin"]:  # entries past the count are never read
        return "length.bin does not match link_lists.bin"
    return None


def damaged_message(chroma_path: Path, problem: str) -> str:
    return (f"The index at {chroma_path} is damaged: {problem}. Your saved postings, profile and "
            "conversations are not stored in it and are safe. Run `visapath ingest --rebuild`: it "
            "replaces the index and re-indexes the guidance and every saved posting.")
