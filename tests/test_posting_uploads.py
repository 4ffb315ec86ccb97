"""What an upload must be before it is kept: one saved posting per posting however it arrives
(PDF or text), a clear refusal for text that is not a posting, and bounded work on huge input.
Real PDFs (reportlab), the real embedding model and index, the real CLI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load_bytes, Limits
from tests.helpers import make_pdf
from visapath.cli import main
from visapath.config import get_settings
from visapath.postings.screening import content_key
from visapath.service import Assistant

POSTING = """Machine Learning Engineer
Halden Robotics - Austin, TX (Hybrid)

You will build perception models for warehouse robots and own their evaluation.
Requirements: Bachelor's degree in Computer Science and 3+ years of experience with PyTorch.
Salary range: $150,000 - $180,000 per year.
We sponsor H-1B visas and support green card applications for full-time employees.
"""

RECIPE = """Banana bread
Preheat the oven to 350F. Mash three ripe bananas, stir in melted butter, sugar, one egg and
flour. Pour into a loaf tin and bake for 60 minutes. Let it cool before slicing."""


@pytest.fixture
def assistant(settings_factory, corpus) -> Assistant:
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ensure_index()
    return a


def test_the_pdf_and_the_text_of_one_posting_are_one_saved_posting(assistant: Assistant, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "halden.pdf", [POSTING])
    from_pdf = assistant.upload_posting(pdf.read_bytes(), "halden.pdf").saved
    pasted = assistant.paste_posting(POSTING.replace("\n", "\r\n") + "\n\n").saved
    as_text = assistant.upload_posting(POSTING.encode(), "halden.txt").saved
    assert from_pdf.id == pasted.id == as_text.id
    assert [p.id for p in assistant.postings.list()] == [from_pdf.id]
    changed = assistant.paste_posting(POSTING.replace("3+ years", "5+ years")).saved
    assert changed.id != from_pdf.id and len(assistant.postings.list()) == 2


def test_the_key_ignores_layout_not_wording() -> None:
    assert content_key("We sponsor\nH-1B visas.") == content_key("we  sponsor H‑1B visas")  # non-breaking hyphen
    assert content_key("ﬁle petitions") == content_key("file petitions")  # a PDF ligature
    assert content_key("We sponsor H-1B visas.") != content_key("We do not sponsor H-1B visas.")


@pytest.mark.parametrize("text", ["banana", RECIPE, "Dear Sam, thanks for dinner last night. See you soon!"])
def test_text_that_is_not_a_posting_is_refused_and_not_saved(assistant: Assistant, text: str) -> None:
    with pytest.raises(LoadError, match="doesn't look like a job posting"):
        assistant.paste_posting(text)
    with pytest.raises(LoadError, match="not analysed or saved"):
        assistant.upload_posting(text.encode(), "notes.txt")
    assert assistant.postings.list() == []
    assert assistant.paste_posting("We sponsor H-1B visas.").saved is not None  # one real statement is enough


def test_the_cli_says_so_and_keeps_nothing(cli_data: Path, corpus: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VISAPATH_KNOWLEDGE_DIR", str(corpus))
    get_settings.cache_clear()
    recipe = tmp_path / "recipe.txt"
    recipe.write_text(RECIPE, encoding="utf-8")
    assert main(["explain", str(recipe), "--save"]) == 2
    assert "doesn't look like a job posting" in capsys.readouterr().err
    assert main(["postings"]) == 0
    assert "recipe" not in capsys.readouterr().out.lower()


def test_a_six_megabyte_single_line_is_refused_before_it_is_read(settings_factory) -> None:
    """Refused at the character limit: the cost grows with the bytes decoded, not with reading
    (a 10x larger file costs about 10x, far from the analysis it would need)."""
    limits = Limits.for_postings(settings_factory())
    line = ("We sponsor visas and " * (6_000_000 // 21)).encode()
    with pytest.raises(LoadError, match="the limit is 100,000"):
        load_bytes(line, "one-line.txt", kind="posting", limits=limits)

    def cost(data: bytes) -> float:
        t0 = time.perf_counter()
        with pytest.raises(LoadError):
            load_bytes(data, "one-line.txt", kind="posting", limits=limits)
        return time.perf_counter() - t0

    small = line[: len(line) // 10]
    assert cost(line) / max(cost(small), 1e-4) < 35
