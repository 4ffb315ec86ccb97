"""Turn files (or uploaded bytes) into `Document`s, with a specific message for every bad input.

The format is decided from the content first and the file name second, so a mislabeled file
is still read correctly (with a warning), while garbage, encrypted and scanned files get a
message the user can act on instead of a traceback.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import replace
from pathlib import Path

import yaml

from visapath.models import Document, SourceKind

# pypdf logs its repairs of damaged files ("EOF marker not found") as warnings; the loader turns
# an unreadable file into one LoadError, so those lines would only be noise on the console.
logging.getLogger("pypdf").setLevel(logging.ERROR)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".heic"}
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A section's question variants: an HTML comment right under its heading, one "- question" a line.
#   ## How long is the H-1B grace period?
#   <!-- asks:
#   - how many days do I have after a layoff
#   -->
_ASKS = re.compile(r"^(#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*)\n<!--[ \t]*asks:[ \t]*\n(.*?)-->[ \t]*(?:\n|\Z)",
                   re.MULTILINE | re.DOTALL)
_STRAY_ASKS = re.compile(r"<!--[ \t]*asks:.*?-->[ \t]*\n?", re.DOTALL)


class LoadError(ValueError):
    """A file we cannot read, with a message fit to show the user as is."""


def load_path(path: Path, kind: SourceKind = "guidance", owner: str = "", source: str | None = None,
              max_bytes: int | None = None) -> Document:
    """Load a file from disk. `source` defaults to the file name."""
    path = Path(path)
    if not path.exists():
        raise LoadError(f"{path}: no such file.")
    if path.is_dir():
        raise LoadError(f"{path} is a folder; give the files inside it or the folder to `ingest`.")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise LoadError(_too_big(path.name, size, max_bytes))
    return load_bytes(path.read_bytes(), path.name, kind=kind, owner=owner, source=source or path.name,
                      max_bytes=max_bytes)


def load_bytes(data: bytes, filename: str, kind: SourceKind = "posting", owner: str = "",
               source: str | None = None, max_bytes: int | None = None) -> Document:
    """Load uploaded bytes; the name is a hint, the content decides."""
    name = filename or "pasted.txt"
    if max_bytes is not None and len(data) > max_bytes:
        raise LoadError(_too_big(name, len(data), max_bytes))
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
    doc = _PARSERS[fmt](data, name, kind, owner, source or name)
    if not doc.text.strip():
        raise LoadError(f"{name} has no readable text.")
    return replace(doc, warnings=tuple(warnings)) if warnings else doc


def load_text(text: str, title: str = "Pasted posting", kind: SourceKind = "posting", owner: str = "",
              source: str = "pasted") -> Document:
    """Pasted text; HTML is recognised and reduced to its visible text."""
    if not text or not text.strip():
        raise LoadError("The pasted text is empty.")
    data = text.encode("utf-8")
    fmt = "html" if _looks_like_html(text) else "text"
    return _PARSERS[fmt](data, title, kind, owner, source)


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
    return f"{name} is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB. Trim it to the posting text and try again."


def _normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
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
    h1 = _H1.search(text)
    title = str(meta.get("title") or (h1.group(1) if h1 else _title_from_name(name)))
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
    """Lift each section's `<!-- asks: ... -->` block out of the Markdown.

    Returns the text without the blocks (so offsets, chunks and quotes never contain them), the
    variants by heading, and a warning for a block that sits anywhere but right under a heading
    (it is dropped rather than leaked into a quoted passage).
    """
    found: list[tuple[str, tuple[str, ...]]] = []

    def lift(match: re.Match[str]) -> str:
        variants = tuple(line.strip()[2:].strip() for line in match.group(3).splitlines()
                         if line.strip().startswith("- ") and line.strip()[2:].strip())
        found.append((match.group(2).strip(), variants))
        return match.group(1) + "\n"

    text = _ASKS.sub(lift, raw)
    stray = len(_STRAY_ASKS.findall(text))
    warnings = (f"{name}: {stray} question-variant block(s) not right under a heading were ignored.",) if stray else ()
    return _STRAY_ASKS.sub("", text), tuple(found), warnings


def _parse_html(data: bytes, name: str, kind: SourceKind, owner: str, source: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data) or "", "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "svg", "iframe", "form", "nav"]):
        tag.decompose()
    title_tag = soup.find(["h1", "title"])
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "ul", "ol"]):
        block.insert_before("\n")
        block.insert_after("\n")
    text = _normalize(re.sub(r"[ \t]+", " ", soup.get_text()))
    text = re.sub(r"\n[ \t]+", "\n", text)
    title = title_tag.get_text(" ", strip=True) if title_tag else _title_from_name(name)
    return Document(source=source, title=title or _title_from_name(name), text=text, kind=kind, owner=owner)


def _parse_pdf(data: bytes, name: str, kind: SourceKind, owner: str, source: str) -> Document:
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
        pages: list[tuple[int, int]] = []
        parts: list[str] = []
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = _normalize(page.extract_text() or "")
            if not page_text.strip():
                continue
            if parts:
                parts.append("\n\n")
                offset += 2
            pages.append((number, offset))
            parts.append(page_text)
            offset += len(page_text)
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


def _parse_docx(data: bytes, name: str, kind: SourceKind, owner: str, source: str) -> Document:
    import docx

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
