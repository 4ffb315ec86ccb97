"""Turn files (or uploaded bytes) into `Document`s, with a specific message for every bad input.

The format is decided from the content first and the file name second, so a mislabeled file
is still read correctly (with a warning), while garbage, encrypted and scanned files get a
message the user can act on instead of a traceback.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import yaml

from visapath.budget import checkpoint
from visapath.models import Document, SourceKind

if TYPE_CHECKING:
    from visapath.config import Settings

# pypdf logs its repairs of damaged files ("EOF marker not found") as warnings; the loader turns
# an unreadable file into one LoadError, so those lines would only be noise on the console.
logging.getLogger("pypdf").setLevel(logging.ERROR)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".heic"}
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


class LoadError(ValueError):
    """A file we cannot read, with a message fit to show the user as is."""


@dataclass(frozen=True)
class Limits:
    """How much work one input may cause: checked before the expensive step, not after it.

    Bytes are checked before parsing, pages before any page is read, a DOCX's inflated size
    before anything is decompressed, and characters as text comes out (a PDF stops reading
    at the limit). None means unlimited (the curated guidance folder).
    """

    max_bytes: int | None = None
    max_chars: int | None = None
    max_pages: int | None = None
    max_inflated: int | None = None

    @classmethod
    def for_postings(cls, settings: "Settings") -> "Limits":
        """The limits every posting gets, whether uploaded, pasted, piped or named on the CLI."""
        return cls(max_bytes=int(settings.max_upload_mb * _MB), max_chars=settings.max_posting_chars,
                   max_pages=settings.max_posting_pages, max_inflated=int(settings.max_inflated_mb * _MB))


_MB = 1_048_576
_NO_LIMITS = Limits()


def load_path(path: Path, kind: SourceKind = "guidance", owner: str = "", source: str | None = None,
              max_bytes: int | None = None, limits: Limits | None = None) -> Document:
    """Load a file from disk. `source` defaults to the file name."""
    path = Path(path)
    limits = _limits(limits, max_bytes)
    if not path.exists():
        raise LoadError(f"{path}: no such file.")
    if path.is_dir():
        raise LoadError(f"{path} is a folder; give the files inside it or the folder to `ingest`.")
    size = path.stat().st_size
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise LoadError(_too_big(path.name, size, limits.max_bytes))
    return load_bytes(path.read_bytes(), path.name, kind=kind, owner=owner, source=source or path.name,
                      limits=limits)


def load_bytes(data: bytes, filename: str, kind: SourceKind = "posting", owner: str = "",
               source: str | None = None, max_bytes: int | None = None, limits: Limits | None = None) -> Document:
    """Load uploaded bytes; the name is a hint, the content decides."""
    name = filename or "pasted.txt"
    limits = _limits(limits, max_bytes)
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise LoadError(_too_big(name, len(data), limits.max_bytes))
    if not data.strip():
        raise LoadError(f"{name} is empty: there is no text to read.")
    suffix = Path(name).suffix.lower()
    actual = sniff_format(data)
    declared = _declared_format(suffix)
    if declared is None and suffix in IMAGE_SUFFIXES:
        raise LoadError(f"{name} is an image. visapath reads text, so paste the posting text or upload a PDF, "
                        "DOCX, HTML, Markdown or text file (run OCR on a scan first).")
    if declared is None and suffix and actual != "text":
        raise LoadError(f"{name}: '{suffix}' files are not supported. Upload a PDF, DOCX, HTML, Markdown or text file.")
    if actual == "binary":
        raise LoadError(
            f"{name} is not a document we can read (it looks like binary data"
            f"{'' if not suffix else f', despite the {suffix} name'}). Upload a PDF, DOCX, HTML, Markdown or text file."
        )
    if declared is None and suffix and actual == "text":
        declared = "text"  # an unknown extension holding plain text is read as text
    elif declared is None and suffix:
        raise LoadError(f"{name}: '{suffix}' files are not supported. Upload a PDF, DOCX, HTML, Markdown or text file.")
    warnings: list[str] = []
    fmt = actual
    if actual == "text" and declared in ("markdown", "html"):
        fmt = declared
    if declared and declared != fmt and not (declared in ("markdown", "text") and fmt in ("markdown", "text")):
        warnings.append(f"{name} is named like a {declared.upper()} file but contains {fmt.upper()}; read it as {fmt.upper()}.")
    doc = _parse(fmt, data, name, kind, owner, source or name, limits)
    if not doc.text.strip():
        raise LoadError(f"{name} has no readable text.")
    return replace(doc, warnings=tuple(warnings)) if warnings else doc


def load_text(text: str, title: str = "Pasted posting", kind: SourceKind = "posting", owner: str = "",
              source: str = "pasted", limits: Limits | None = None) -> Document:
    """Pasted text; HTML is recognised and reduced to its visible text. Same limits as an upload."""
    limits = limits or _NO_LIMITS
    if limits.max_chars is not None and len(text or "") > 4 * limits.max_chars:  # before encoding a huge paste
        raise LoadError(_too_long("The pasted text", len(text), limits.max_chars))
    data = (text or "").encode("utf-8")
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise LoadError(_too_big("The pasted text", len(data), limits.max_bytes))
    if not text or not text.strip():
        raise LoadError("The pasted text is empty.")
    fmt = "html" if _looks_like_html(text[:5000]) else "text"
    return _parse(fmt, data, title, kind, owner, source, limits)


def read_limited(stream: BinaryIO, limits: Limits, name: str = "The input") -> str:
    """Read piped input (stdin) without ever holding more than the upload limit, as text."""
    cap = limits.max_bytes
    data = stream.read() if cap is None else stream.read(cap + 1)
    if cap is not None and len(data) > cap:
        raise LoadError(f"{name} is larger than the {cap / _MB:.0f} MB limit. Trim it to the posting text "
                        "and try again.")
    return _decode(data) or data.decode("utf-8", errors="replace")


def _limits(limits: Limits | None, max_bytes: int | None) -> Limits:
    if limits is None:
        return Limits(max_bytes=max_bytes) if max_bytes is not None else _NO_LIMITS
    return limits if max_bytes is None else replace(limits, max_bytes=max_bytes)


def _parse(fmt: str, data: bytes, name: str, kind: SourceKind, owner: str, source: str, limits: Limits) -> Document:
    """Run the format's parser, then hold its text to the character limit."""
    checkpoint(f"reading {name}")
    if fmt == "pdf":
        doc = _parse_pdf(data, name, kind, owner, source, limits)
    elif fmt == "docx":
        doc = _parse_docx(data, name, kind, owner, source, limits)
    else:
        doc = _PARSERS[fmt](data, name, kind, owner, source)
    if limits.max_chars is not None and len(doc.text) > limits.max_chars:
        raise LoadError(_too_long(name, len(doc.text), limits.max_chars))
    checkpoint()
    return doc


def sniff_format(data: bytes) -> str:
    """'pdf', 'docx', 'html', 'text' or 'binary', from the bytes alone."""
    head = data[:2048]
    if head.lstrip().startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:200_000] or b"[Content_Types].xml" in data[:200_000] else "binary"
    text = _decode(data)
    if text is None:
        return "binary"
    return "html" if _looks_like_html(text[:5000]) else "text"


def _declared_format(suffix: str) -> str | None:
    return {
        ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "markdown",
        ".markdown": "markdown", ".txt": "text", ".text": "text", "": "text",
    }.get(suffix)


def _looks_like_html(text: str) -> bool:
    lowered = text.lower()
    return bool(re.search(r"<(!doctype html|html|body|div|p|br|li|ul|h[1-6]|span|table)\b", lowered))


def _decode(data: bytes) -> str | None:
    """Decode text, refusing data that is clearly binary."""
    if b"\x00" in data[:8192] and not (data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff")):
        return None
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if (ord(ch) < 32 and ch not in "\r\n\t\f") or ch == "\ufffd")
    return None if controls > max(8, len(text[:8192]) * 0.02) else text


def _too_big(name: str, size: int, limit: int) -> str:
    return f"{name} is {size / _MB:.1f} MB; the limit is {limit / _MB:.0f} MB. Trim it to the posting text and try again."


def _too_long(name: str, chars: int, limit: int, more: bool = False) -> str:
    return (f"{name} has {'more than ' if more else ''}{chars:,} characters of text; the limit is {limit:,} "
            "(a long posting has about 15,000). Trim it to the posting text and try again.")


def _normalize(text: str) -> str:
    """Unix line ends, no trailing blanks, at most one empty line in a row.

    Trailing blanks go line by line: the regex `[ \\t]+\\n` retries at every blank of a long run
    without a line break, which is quadratic (40,000 spaces took 3 s).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _parse_text(data: bytes, name: str, kind: SourceKind, owner: str, source: str) -> Document:
    text = _normalize(_decode(data) or "")
    return Document(source=source, title=_title_from_name(name), text=text, kind=kind, owner=owner)


def _parse_markdown(data: bytes, name: str, kind: SourceKind, owner: str, source: str) -> Document:
    raw = (_decode(data) or "").replace("\r\n", "\n")
    meta: dict = {}
    match = _FRONT_MATTER.match(raw)
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise LoadError(f"{name}: the front matter is not valid YAML ({exc.__class__.__name__}).") from exc
        if not isinstance(meta, dict):
            raise LoadError(f"{name}: the front matter must be a mapping of keys to values.")
        raw = raw[match.end():]
    asks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    warnings: tuple[str, ...] = ()
    if kind == "guidance":  # a posting's comments are its own text, never our metadata
        raw, asks, warnings = extract_asks(raw, name)
    text = _normalize(raw)
    title = str(meta.get("title") or _first_h1(text) or _title_from_name(name))
    sources = tuple(
        {"title": str(s.get("title", "")), "url": str(s.get("url", ""))} if isinstance(s, dict) else {"title": str(s), "url": ""}
        for s in (meta.get("sources") or [])
    )
    applies = meta.get("applies_to") or []
    return Document(
        source=source, title=title, text=text, kind=kind, owner=owner, topic=str(meta.get("topic", "")),
        last_reviewed=str(meta.get("last_reviewed", "")), sources=sources,
        applies_to=tuple(str(a) for a in (applies if isinstance(applies, list) else [applies])),
        format="markdown", asks=asks, warnings=warnings,
    )


def extract_asks(raw: str, name: str = "") -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """Lift each section's question variants out of the Markdown.

    The variants sit in an HTML comment right under the heading, one "- question" a line:

        ## How long is the H-1B grace period?
        <!-- asks:
        - how many days do I have after a layoff
        -->

    Returns the text without the blocks (so offsets, chunks and quotes never contain them), the
    variants by heading text, and a warning for a block anywhere but right under a heading (it is
    dropped rather than leaked into a quoted passage). A line scan, not a regex: heading lines
    with long runs of spaces make backtracking patterns slow.
    """
    lines = raw.split("\n")
    kept: list[str] = []
    found: list[tuple[str, tuple[str, ...]]] = []
    stray = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("<!--") and line.lstrip()[4:].lstrip().startswith("asks:"):
            close = next((j for j in range(i, len(lines)) if "-->" in lines[j]), None)
            if close is None:  # never closed: keep the text as written rather than drop the rest
                stray += 1
                kept.append(line)
                i += 1
                continue
            block, i = lines[i:close + 1], close + 1
            heading = _heading_text(kept[-1]) if kept else None
            if heading is None:
                stray += 1
            else:
                found.append((heading, tuple(v.strip()[2:].strip() for v in block
                                             if v.strip().startswith("- ") and v.strip()[2:].strip())))
            continue
        kept.append(line)
        i += 1
    warnings = (f"{name}: {stray} question-variant block(s) not right under a heading were ignored.",) if stray else ()
    return "\n".join(kept), tuple(found), warnings


def _heading_text(line: str) -> str | None:
    """A Markdown heading line's text as the chunker names its section, or None."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or line[level:level + 1] not in (" ", "\t"):
        return None
    text = line[level:].strip()
    return (text.rstrip("#").strip() or text) if text else None


def _first_h1(text: str) -> str | None:
    """The first `# Heading` line's text, closing #s dropped.

    A line scan rather than a regex: `^#\\s+(.+?)\\s*#*\\s*$` backtracks cubically on a heading
    line that ends in a long run of spaces (5,000 spaces took over 5 minutes).
    """
    for line in text.split("\n"):
        if len(line) > 1 and line[0] == "#" and line[1] in " \t":
            heading = line[1:].strip().rstrip("#").strip()
            if heading:
                return heading
    return None


def _parse_html(data: bytes, name: str, kind: SourceKind, owner: str, source: str) -> Document:
    from ingest.html_text import html_to_text

    raw, title = html_to_text(_decode(data) or "")
    text = _normalize(re.sub(r"[ \t]+", " ", raw))
    text = re.sub(r"\n[ \t]+", "\n", text)
    return Document(source=source, title=title or _title_from_name(name), text=text, kind=kind, owner=owner)


def _parse_pdf(data: bytes, name: str, kind: SourceKind, owner: str, source: str,
               limits: Limits = _NO_LIMITS) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception:  # pypdf raises several types for unsupported ciphers
                unlocked = 0
            if not unlocked:
                raise LoadError(f"{name} is password-protected. Open it, print or save it as an unprotected PDF, or paste its text.")
        if limits.max_pages is not None and len(reader.pages) > limits.max_pages:
            raise LoadError(f"{name} has {len(reader.pages)} pages; the limit is {limits.max_pages}. "
                            "Upload just the pages of the posting, or paste its text.")
        pages: list[tuple[int, int]] = []
        parts: list[str] = []
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            checkpoint(f"reading page {number} of {len(reader.pages)}")
            page_text = _normalize(page.extract_text() or "")
            if not page_text.strip():
                continue
            if parts:
                parts.append("\n\n")
                offset += 2
            pages.append((number, offset))
            parts.append(page_text)
            offset += len(page_text)
            if limits.max_chars is not None and offset > limits.max_chars:  # stop reading: the rest is refused anyway
                raise LoadError(_too_long(name, limits.max_chars, limits.max_chars, more=True))
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, IndexError, AttributeError) as exc:
        raise LoadError(f"{name} looks like a PDF but is damaged and cannot be read ({exc.__class__.__name__}).") from exc
    if not parts:
        raise LoadError(
            f"{name} has no text layer (it looks like a scanned image). Paste the posting text instead, "
            "or run it through OCR first."
        )
    title = _pdf_title(reader) or _title_from_name(name)
    return Document(source=source, title=title, text="".join(parts), kind=kind, owner=owner, pages=tuple(pages))


def _pdf_title(reader) -> str | None:
    try:
        meta = reader.metadata
        title = meta.title if meta else None
    except Exception:
        return None
    return str(title).strip() or None if title else None


def _parse_docx(data: bytes, name: str, kind: SourceKind, owner: str, source: str,
                limits: Limits = _NO_LIMITS) -> Document:
    import docx

    _check_inflated(data, name, limits.max_inflated)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises a variety of zip/xml errors
        raise LoadError(f"{name} looks like a Word file but is damaged and cannot be read.") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    text = _normalize("\n".join(lines))
    return Document(source=source, title=_title_from_name(name), text=text, kind=kind, owner=owner)


def _check_inflated(data: bytes, name: str, limit: int | None) -> None:
    """Refuse a zip that would inflate past the limit, from its directory alone (nothing decompressed).

    A lying directory can't get past this either: Python's zip reader stops each member at its
    declared size and the checksum then fails, which reads as a damaged file.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(f"{name} looks like a Word file but is damaged and cannot be read.") from exc
    total = sum(m.file_size for m in members)
    if limit is not None and total > limit:
        raise LoadError(f"{name} would expand to {total / _MB:,.0f} MB when opened; the limit is {limit / _MB:.0f} MB. "
                        "Save it again from Word, or paste the posting text.")


def _title_from_name(name: str) -> str:
    stem = Path(name).stem.replace("_", " ").replace("-", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else "Untitled"


_PARSERS = {
    "pdf": _parse_pdf,
    "docx": _parse_docx,
    "html": _parse_html,
    "markdown": _parse_markdown,
    "text": _parse_text,
}
