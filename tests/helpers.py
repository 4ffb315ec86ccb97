"""Test helpers that make real files (PDFs via reportlab, DOCX via python-docx)."""

from __future__ import annotations

from pathlib import Path


def make_pdf(path: Path, pages: list[str], title: str | None = None, encrypt_with: str | None = None) -> Path:
    """A real PDF with one text block per page (wrapped lines), optionally password-protected."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    kwargs = {}
    if encrypt_with:
        from reportlab.lib import pdfencrypt

        kwargs["encrypt"] = pdfencrypt.StandardEncryption(encrypt_with, canPrint=0)
    c = canvas.Canvas(str(path), pagesize=letter, **kwargs)
    if title:
        c.setTitle(title)
    for text in pages:
        y = 740
        for paragraph in text.split("\n"):
            words, line = paragraph.split(), ""
            for word in words:
                if len(line) + len(word) + 1 > 90:
                    c.drawString(50, y, line)
                    y -= 14
                    line = word
                else:
                    line = f"{line} {word}".strip()
            c.drawString(50, y, line)
            y -= 20
        c.showPage()
    c.save()
    return path


def make_image_only_pdf(path: Path) -> Path:
    """A PDF whose page holds only drawn shapes: what a scan without OCR looks like to a parser."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter)
    for i in range(20):
        c.rect(50 + i * 10, 600 - i * 12, 200, 8, fill=1)
    c.showPage()
    c.save()
    return path


def make_docx(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path
