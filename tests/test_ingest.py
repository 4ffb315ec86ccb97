"""Ingestion against a real Chroma on a temp dir with the real embedding model."""

from __future__ import annotations

import json

import pytest

from ingest.chunking import ChunkSettings, chunk_document, sections
from ingest.loaders import LoadError, load_bytes, load_path, load_text
from tests.helpers import make_docx, make_image_only_pdf, make_pdf
from visapath.service import Assistant
from visapath.store import IndexMismatch


def test_reingest_unchanged_corpus_embeds_nothing(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    first = a.ingest([corpus])
    assert first.embedded == 4 and not first.failed
    count = a.store.count()

    second = a.ingest([corpus])
    assert second.embedded == 0
    assert {f.status for f in second.files} == {"unchanged"}
    assert a.store.count() == count


def test_changed_file_replaces_its_chunks_and_deleted_file_goes(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    stem = corpus / "visas" / "stem-opt.md"
    stem.write_text(stem.read_text().replace("24 months", "twenty-four months"))
    (corpus / "visas" / "h1b-transfer.md").unlink()

    report = a.ingest([corpus])
    by_source = {f.source: f for f in report.files}
    assert by_source["visas/stem-opt.md"].status == "updated"
    assert by_source["visas/stem-opt.md"].embedded == 1  # only the edited section
    assert by_source["visas/h1b-transfer.md"].status == "removed"
    texts = [c.text for c in a.store.all_chunks()]
    assert any("twenty-four months" in t for t in texts)
    assert not any("24 months" in t for t in texts)
    assert not any("non-frivolous" in t for t in texts)


def test_writes_are_grouped_but_a_file_never_straddles_two_requests(settings_factory, corpus, monkeypatch):
    from ingest import pipeline

    a = Assistant(settings_factory(knowledge_dir=corpus))
    requests: list[set[str]] = []
    original_add = a.store.add

    def recording_add(chunks, vectors, extra=None):
        requests.append({c.source for c in chunks})
        return original_add(chunks, vectors, extra)

    monkeypatch.setattr(a.store, "add", recording_add)
    monkeypatch.setattr(pipeline, "WRITE_BATCH", 3)
    report = a.ingest([corpus])
    per_file = {f.source: f.embedded for f in report.files}
    assert sum(per_file.values()) == a.store.count()
    for source in per_file:
        assert sum(source in sources for sources in requests) == 1, f"{source} was split across requests"
    assert len(requests) == 2  # two files of two chunks: together they exceed a request of three
    revision = a.store.revision()
    assert revision >= 1

    monkeypatch.setattr(pipeline, "WRITE_BATCH", 1000)
    requests.clear()
    (corpus / "visas" / "new-a.md").write_text("---\ntitle: A\nsources: []\nlast_reviewed: 2026-11\n---\n"
                                               "## What is A?\nA is a note about E-3 renewals for Australians.\n")
    (corpus / "visas" / "new-b.md").write_text("---\ntitle: B\nsources: []\nlast_reviewed: 2026-11\n---\n"
                                               "## What is B?\nB is a note about H-1B1 renewals for Chileans.\n")
    a.ingest([corpus])
    assert requests == [{"visas/new-a.md", "visas/new-b.md"}]  # one request for both new files
    assert a.store.revision() == revision + 1  # and one revision bump for the whole run


def test_bad_file_is_reported_and_others_still_ingested(settings_factory, corpus):
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a pdf \x00\x01")
    (corpus / "empty.txt").write_text("   \n")
    a = Assistant(settings_factory(knowledge_dir=corpus))
    report = a.ingest([corpus])
    failed = {f.source: f.error for f in report.failed}
    assert set(failed) == {"broken.pdf", "empty.txt"}
    assert "damaged" in failed["broken.pdf"]
    assert "empty" in failed["empty.txt"]
    assert {f.source for f in report.files if f.status == "added"} == {"visas/stem-opt.md", "visas/h1b-transfer.md"}


def test_pdf_chunks_keep_page_numbers_and_exact_offsets(settings_factory, tmp_path):
    pdf = make_pdf(tmp_path / "guide.pdf", [
        "Page one explains the specialty occupation test for H-1B roles.",
        "Page two explains that STEM OPT needs an E-Verify employer and Form I-983.",
        "Page three covers the 60-day grace period after a job ends.",
    ], title="Visa guide")
    doc = load_path(pdf)
    assert [p for p, _ in doc.pages] == [1, 2, 3]
    assert doc.title == "Visa guide"
    chunks = chunk_document(doc, ChunkSettings(max_chars=90, overlap_sentences=0))
    pages = {c.page for c in chunks}
    assert pages == {1, 2, 3}
    for chunk in chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
    i983 = next(c for c in chunks if "I-983" in c.text)
    assert i983.page == 2

    a = Assistant(settings_factory(chunk_max_chars=90, chunk_overlap_sentences=0))
    a.ingest([pdf])
    stored = {c.text: c for c in a.store.all_chunks()}
    assert stored[i983.text].page == 2
    assert stored[i983.text].start == i983.start


def test_markdown_sections_keep_heading_path(tmp_path):
    md = tmp_path / "doc.md"
    md.write_text("---\ntitle: T\nsources: []\nlast_reviewed: 2026-11\n---\n# T\nIntro line here.\n"
                  "## Alpha\nAlpha text sentence.\n### Beta\nBeta text sentence.\n## Gamma\nGamma text.\n")
    doc = load_path(md)
    assert doc.format == "markdown" and doc.last_reviewed == "2026-11"
    paths = [s.path for s in sections(doc)]
    assert paths == [None, "Alpha", "Alpha > Beta", "Gamma"]
    chunks = chunk_document(doc, ChunkSettings())
    assert [c.section for c in chunks] == paths
    assert "Beta text sentence." == chunks[2].text


def test_changed_chunk_settings_need_reindex(settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ingest([corpus])
    b = Assistant(settings_factory(knowledge_dir=corpus, chunk_max_chars=300))
    with pytest.raises(IndexMismatch, match="Re-index needed"):
        b.store.check_compatible()
    assert b.index_outdated()
    b.ingest([corpus])  # detected and embedded again, not mixed
    assert not b.index_outdated() and b.store.metadata()["chunker"].endswith("max300:ovl1")
    report = b.ingest([corpus], rebuild=True)
    assert report.embedded > 0 and b.store.metadata()["chunker"].endswith("max300:ovl1")


def test_loader_messages_for_bad_inputs(tmp_path):
    encrypted = make_pdf(tmp_path / "locked.pdf", ["Secret posting text."], encrypt_with="hunter2")
    with pytest.raises(LoadError, match="password-protected"):
        load_path(encrypted)
    scanned = make_image_only_pdf(tmp_path / "scan.pdf")
    with pytest.raises(LoadError, match="no text layer"):
        load_path(scanned)
    with pytest.raises(LoadError, match="empty"):
        load_bytes(b"", "posting.txt")
    with pytest.raises(LoadError, match="limit is 1 MB"):
        load_bytes(b"a" * 2_000_000, "big.txt", max_bytes=1_048_576)
    with pytest.raises(LoadError, match="binary"):
        load_bytes(bytes(range(256)) * 40, "posting.txt")
    with pytest.raises(LoadError, match="is an image"):
        load_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.png")
    with pytest.raises(LoadError, match="'.exe' files are not supported"):
        load_bytes(b"MZ\x90\x00" + bytes(300), "setup.exe")


def test_mislabeled_files_are_read_by_content(tmp_path):
    pdf = make_pdf(tmp_path / "real.pdf", ["We sponsor H-1B visas for this role."])
    doc = load_bytes(pdf.read_bytes(), "posting.txt")
    assert "sponsor H-1B" in doc.text
    assert doc.warnings and "contains PDF" in doc.warnings[0]
    html = load_bytes(b"<html><body><script>var x=1;</script><h1>ML Engineer</h1><p>Remote (US only).</p></body></html>",
                      "posting.pdf")
    assert "var x" not in html.text and "Remote (US only)." in html.text
    assert html.title == "ML Engineer"


def test_docx_html_and_pasted_text(tmp_path):
    docx_path = make_docx(tmp_path / "p.docx", ["Machine Learning Engineer", "Visa sponsorship is available."])
    assert "Visa sponsorship is available." in load_path(docx_path).text
    pasted = load_text("Senior ML engineer\n\nWe are unable to sponsor visas at this time.")
    assert pasted.kind == "posting" and "unable to sponsor" in pasted.text
    mixed = load_text("Ingeniero de ML. Ofrecemos patrocinio de visa. We sponsor H-1B visas.")
    assert "patrocinio" in mixed.text


def test_ingest_cli_reports_per_file(settings_factory, corpus, monkeypatch, capsys):
    from visapath.cli import common, main

    settings = settings_factory(knowledge_dir=corpus)
    monkeypatch.setattr(common, "_assistant", Assistant(settings))
    (corpus / "junk.txt").write_bytes(bytes(range(256)) * 10)
    code = main(["ingest", "--quiet", str(corpus)])
    out = capsys.readouterr().out
    assert code == 1  # one bad file
    assert "failed  junk.txt" in out and "added  visas/stem-opt.md" in out
    assert "2 added" in out and "1 failed" in out
    code = main(["info", "--json"])
    info = json.loads(capsys.readouterr().out)
    assert code == 0 and info["guidance_documents"] == 2 and info["chunks"] == 4
