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


def make_large_pdf(path: Path, target_bytes: int = 9_600_000) -> Path:
    """A posting PDF near the 10 MB upload limit (the browser counts 10,000,000 bytes): 45 pages
    of text (~90k characters, under the 100k-character limit) and one incompressible image that
    brings the file to about `target_bytes`."""
    import random

    from PIL import Image
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    text = ("Vantage Robotics is hiring a Senior Machine Learning Engineer in Austin, TX. We will sponsor "
            "H-1B visas and support green card applications for this role. Requirements: a master's degree "
            "and 5+ years of Python. Salary: $180,000 - $220,000 per year. ")
    side = int((target_bytes / 3 / 1.25) ** 0.5)  # reportlab stores images ASCII85-encoded (+25%)
    rng = random.Random(1)
    noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    c = canvas.Canvas(str(path), pagesize=letter)
    for page in range(45):
        y = 740
        for line in range(20):
            c.drawString(40, y, (text * 2)[(line * 50) % len(text):][:100])
            y -= 17
        if page == 0:
            c.drawImage(ImageReader(noise), 40, 40, width=200, height=200)
        c.showPage()
    c.save()
    if path.stat().st_size >= 10_000_000:
        raise ValueError(f"{path} is {path.stat().st_size / 1e6:.1f} MB, over the 10 MB upload limit")
    return path
