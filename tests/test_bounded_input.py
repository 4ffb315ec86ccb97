"""Bounded input: size, page, character and inflated-size limits for every way a posting
arrives (upload, paste, stdin, CLI file), and loaders whose time grows linearly with input."""

from __future__ import annotations

import io
import re
import struct
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.chunking import ChunkSettings, chunk_document
from ingest.loaders import Limits, LoadError, load_bytes
from tests.helpers import make_docx, make_pdf
from visapath.cli import main
from visapath.config import get_settings
from visapath.service import Assistant

MB = 1_048_576


# -- linear time, by growth ratio (never an absolute time) -------------------------------------

ADVERSARIAL: dict[str, tuple[str, Callable[[int], str]]] = {
    "nested divs": ("p.html", lambda n: "<html><body>" + "<div>" * (n // 5) + "We sponsor." + "</div>" * (n // 5)),
    "flat divs": ("p.html", lambda n: "<div>We sponsor H-1B visas.</div>" * (n // 33)),
    "unclosed tags": ("p.html", lambda n: "<p><b><i>sponsor" * (n // 16)),
    "one long line": ("p.txt", lambda n: "sponsor " * (n // 8)),
    "one repeated word": ("p.txt", lambda n: "a" * n),
    "a run of spaces": ("p.txt", lambda n: "a" + " " * n + "b"),
    "a run of dots": ("p.txt", lambda n: "." * n),
    "heading with spaces": ("p.md", lambda n: "# a" + " " * n + "b\n\ntext"),
    "many headings": ("p.md", lambda n: "## H\ntext.\n" * (n // 12)),
    "bullets": ("p.txt", lambda n: "- item one\n" * (n // 11)),
}


def _load_and_chunk(data: bytes, name: str) -> None:
    doc = load_bytes(data, name, kind="posting", limits=Limits())
    chunk_document(doc, ChunkSettings(900, 1))


def _best_time(fn: Callable[[], None], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("case", list(ADVERSARIAL))
def test_loading_and_chunking_grow_linearly(case: str):
    """From 10x to 100x the base size, time grows about 10x; quadratic would be 100x.

    The bound leaves room for cache effects at 1 MB inputs and for a busy machine (best of 5).
    """
    name, make = ADVERSARIAL[case]
    base = 10_000
    times = {}
    for factor in (10, 100):
        data = make(base * factor).encode()
        times[factor] = max(_best_time(lambda: _load_and_chunk(data, name), runs=5), 1e-4)
    growth = times[100] / times[10]
    assert growth < 60, f"{case}: 10x more input took {growth:.0f}x the time ({times})"


def test_html_text_matches_what_a_reader_sees():
    html = ("<html><head><title>Head title</title><style>p{}</style></head><body><nav>Jobs Home</nav>"
            "<h1>ML Engineer &amp; Researcher</h1><div><p>We sponsor <b>H-1B</b> visas.</p><p>Remote.<br>US only."
            "</p></div><script>var secret=1;</script><ul><li>Python</li><li>3+ years</li></ul><!-- note --></body></html>")
    doc = load_bytes(html.encode(), "posting.html")
    assert doc.title == "ML Engineer & Researcher"
    lines = doc.text.split("\n")
    assert "We sponsor H-1B visas." in lines and "Remote." in lines and "US only." in lines
    assert "Python" in lines and "3+ years" in lines
    assert "secret" not in doc.text and "Jobs Home" not in doc.text and "note" not in doc.text
    assert load_bytes(b"<html><head><title>Only title</title></head><body><p>Hi there.</p></body></html>",
                      "x.html").title == "Only title"


# -- limits: files --------------------------------------------------------------------------------

def _docx_with_filler(path: Path, inflated_bytes: int) -> Path:
    make_docx(path, ["Machine Learning Engineer. We sponsor H-1B visas."])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/filler.bin", b"\0" * inflated_bytes)
    return path


def test_a_docx_bomb_is_refused_from_its_directory(tmp_path: Path):
    bomb = _docx_with_filler(tmp_path / "bomb.docx", 40 * MB)
    assert bomb.stat().st_size < MB  # small on disk, 40 MB inflated
    with pytest.raises(LoadError, match=r"would expand to 4\d MB when opened; the limit is 25 MB"):
        load_bytes(bomb.read_bytes(), "bomb.docx", limits=Limits(max_inflated=25 * MB))
    fine = _docx_with_filler(tmp_path / "fine.docx", MB)
    assert "We sponsor H-1B visas." in load_bytes(fine.read_bytes(), "fine.docx", limits=Limits(max_inflated=25 * MB)).text


def test_a_docx_whose_directory_lies_reads_as_damaged(tmp_path: Path):
    """A member that claims 1 KB but inflates to 40 MB is stopped at 1 KB, then fails its checksum."""
    path = tmp_path / "liar.docx"
    make_docx(path, ["Hello."])
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as out:
        for name in names:
            body = src.read(name)
            if name == "word/document.xml":
                body = body + b" " * (40 * MB)
            out.writestr(name, body)
    raw = bytearray(rebuilt.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("word/document.xml")
    struct.pack_into("<I", raw, info.header_offset + 22, 1024)  # local header: uncompressed size
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46:pos + 46 + name_len] == b"word/document.xml":
            struct.pack_into("<I", raw, pos + 24, 1024)  # central directory: uncompressed size
        pos = raw.find(b"PK\x01\x02", pos + 4)
    with pytest.raises(LoadError, match="damaged"):
        load_bytes(bytes(raw), "liar.docx", limits=Limits(max_inflated=25 * MB))


def test_pdf_page_and_character_limits(tmp_path: Path, settings_factory):
    a = Assistant(settings_factory(max_posting_chars=3_000))
    many = make_pdf(tmp_path / "many.pdf", [f"Page {i}. We sponsor H-1B visas." for i in range(60)])
    with pytest.raises(LoadError, match="has 60 pages; the limit is 50"):
        a.upload_posting(many.read_bytes(), "many.pdf")
    long = make_pdf(tmp_path / "long.pdf", ["We sponsor H-1B visas for this role. " * 60] * 5)
    with pytest.raises(LoadError, match="more than 3,000 characters of text; the limit is 3,000"):
        a.upload_posting(long.read_bytes(), "long.pdf")
    assert a.postings.list() == []  # nothing half-stored


def test_upload_size_limit(settings_factory):
    a = Assistant(settings_factory(max_upload_mb=1))
    with pytest.raises(LoadError, match=r"is 2\.0 MB; the limit is 1 MB"):
        a.upload_posting(b"We sponsor. " * (2 * MB // 12), "big.txt")


# -- limits: paste and stdin get the same as uploads ------------------------------------------------

def test_a_huge_paste_gets_the_upload_limit_not_empty(settings_factory):
    a = Assistant(settings_factory())
    with pytest.raises(LoadError) as caught:
        a.paste_posting("We sponsor H-1B visas. " * (11 * MB // 23))
    assert "empty" not in str(caught.value) and "the limit is" in str(caught.value)
    with pytest.raises(LoadError, match="150,000 characters of text; the limit is 100,000"):
        a.paste_posting("x" * 150_000)
    with pytest.raises(LoadError, match="empty"):
        a.paste_posting("   \n ")


def test_stdin_is_read_only_up_to_the_limit(cli_data: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("VISAPATH_KNOWLEDGE_DIR", str(corpus))
    monkeypatch.setenv("VISAPATH_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()

    class Counting(io.BytesIO):
        largest = 0

        def read(self, size: int | None = -1) -> bytes:
            Counting.largest = max(Counting.largest, size if size and size > 0 else len(self.getvalue()))
            return super().read(size)

    piped = Counting(b"We sponsor H-1B visas. " * (3 * MB // 23))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(piped))
    assert main(["explain", "-"]) == 2
    err = capsys.readouterr().err
    assert "larger than the 1 MB limit" in err and "Traceback" not in err
    assert Counting.largest <= MB + 1  # never asked for the whole 3 MB


def test_cli_refuses_a_docx_bomb_with_a_clear_message(cli_data: Path, corpus: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("VISAPATH_KNOWLEDGE_DIR", str(corpus))
    get_settings.cache_clear()
    bomb = _docx_with_filler(tmp_path / "bomb.docx", 100 * MB)
    assert main(["explain", str(bomb)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"would expand to 10\d MB", err) and "the limit is 25 MB" in err
