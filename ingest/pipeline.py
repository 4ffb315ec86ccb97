"""Load -> chunk -> embed only what changed -> write, one file at a time.

Chunk IDs are content hashes, so an unchanged file costs no embedding work, a changed file
swaps its chunks, and a file that vanished from an ingested folder loses its chunks. A bad
file is reported and skipped; the others go on.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

from ingest.chunking import ChunkSettings, chunk_document, embedding_text
from ingest.loaders import TEXT_SUFFIXES, LoadError, load_path
from visapath.budget import OverBudget, checkpoint, limited
from visapath.embeddings import Embedder
from visapath.models import Chunk, Document, SourceKind
from visapath.store import VectorStore

WRITE_BATCH = 1000  # chunks per Chroma request: few round trips, far below its request limit

Status = Literal["added", "updated", "unchanged", "removed", "failed"]


@dataclass
class FileResult:
    path: str
    source: str
    status: Status
    chunks: int = 0
    embedded: int = 0
    removed: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def embedded(self) -> int:
        return sum(f.embedded for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.status] = counts.get(f.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return f"{len(self.files)} files ({parts or 'none'}); {self.embedded} chunks embedded in {self.seconds:.1f}s"

    def lines(self) -> list[str]:
        """One line per file (and its warnings), as `visapath ingest` and `python -m ingest` print."""
        out: list[str] = []
        for f in self.files:
            if f.error:
                out.append(f"{f.status:>9}  {f.source}  {f.error}")
            else:
                out.append(f"{f.status:>9}  {f.source}  ({f.chunks} chunks, {f.embedded} embedded, {f.removed} removed)")
            out.extend(f"           warning: {warning}" for warning in f.warnings)
        return out


@dataclass
class _Pending:
    doc: Document
    path: str
    root: str
    chunks: list[Chunk]
    existing: dict[str, dict[str, Any]]  # id -> stored metadata

    @property
    def new(self) -> list[Chunk]:
        return [c for c in self.chunks if c.id not in self.existing]

    @property
    def stale(self) -> list[str]:
        keep = {c.id for c in self.chunks}
        return sorted(set(self.existing) - keep)

    @property
    def moved(self) -> list[Chunk]:
        """Kept chunks whose position changed: their metadata is rewritten, nothing re-embedded."""
        fields = ("start", "end", "page", "title", "last_reviewed", "topic")
        return [c for c in self.chunks if c.id in self.existing
                and any(c.metadata()[f] != self.existing[c.id].get(f) for f in fields)]


class Indexer:
    def __init__(self, embedder: Embedder, store: VectorStore, chunking: ChunkSettings) -> None:
        self.embedder = embedder
        self.store = store
        self.chunking = chunking

    # -- public -------------------------------------------------------------------------------
    def ingest_paths(self, paths: Iterable[Path], kind: SourceKind = "guidance", owner: str = "",
                     progress: bool = False, max_bytes: int | None = None,
                     file_seconds: float | None = None) -> IngestReport:
        """Ingest files and folders. A folder is synced: files gone from it lose their chunks.
        Reading each file runs under a time budget of `file_seconds`; a file that exceeds it
        fails with a message and the others go on."""
        started = time.perf_counter()
        report = IngestReport()
        pending: list[_Pending] = []
        roots: dict[str, set[str]] = {}
        files = list(self._expand(paths))
        for path, root, source in tqdm(files, desc="Reading", unit="file", disable=not progress):
            checkpoint(f"reading {source}")
            if root:
                roots.setdefault(root, set()).add(source)
            try:
                with limited(f"Reading {source}", file_seconds) if file_seconds else nullcontext():
                    doc = load_path(path, kind=kind, owner=owner, source=source, max_bytes=max_bytes)
                    plan = self._plan(doc, str(path), root)
            except (LoadError, OverBudget) as exc:
                report.files.append(FileResult(str(path), source, "failed", error=str(exc)))
                continue
            pending.append(plan)
        self._embed_and_write(pending, report, progress)
        for root, seen in roots.items():
            report.files.extend(self._remove_missing(root, seen, owner))
        report.seconds = time.perf_counter() - started
        return report

    def ingest_document(self, doc: Document, extra: dict[str, Any] | None = None) -> FileResult:
        """Index one already-loaded document (an uploaded posting)."""
        report = IngestReport()
        self._embed_and_write([self._plan(doc, doc.source, "")], report, progress=False, extra=extra)
        return report.files[0]

    def remove_source(self, source: str, owner: str = "") -> int:
        """Remove a source's chunks and erase their text from the index files (a user's posting)."""
        ids = self.store.ids_where(_source_filter(source, owner))
        self.store.delete(ids, purge=True)
        return len(ids)

    # -- steps --------------------------------------------------------------------------------
    def _expand(self, paths: Iterable[Path]) -> Iterable[tuple[Path, str, str]]:
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                root = path.resolve()
                for file in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES):
                    if any(part.startswith(".") for part in file.relative_to(root).parts):
                        continue
                    yield file, str(root), file.relative_to(root).as_posix()
            else:
                yield path, "", path.name

    def _plan(self, doc: Document, path: str, root: str) -> _Pending:
        chunks = chunk_document(doc, self.chunking)
        existing = dict(self.store.metadatas_where(_source_filter(doc.source, doc.owner)))
        return _Pending(doc, path, root, chunks, existing)

    def _embed_and_write(self, pending: list[_Pending], report: IngestReport, progress: bool,
                         extra: dict[str, Any] | None = None) -> None:
        """Embed every new chunk in large batches, then write them in few, file-aligned requests."""
        todo = [c for p in pending for c in p.new]
        vectors: dict[str, Any] = {}
        batch = max(self.embedder.batch_size * 4, 64)
        bar = tqdm(total=len(todo), desc="Embedding", unit="chunk", disable=not progress or not todo)
        for i in range(0, len(todo), batch):
            checkpoint(f"indexing {i:,} of {len(todo):,} passages")  # nothing is written before the last one
            part = todo[i:i + batch]
            for chunk, vector in zip(part, self.embedder.embed([embedding_text(c) for c in part])):
                vectors[chunk.id] = vector
            bar.update(len(part))
        bar.close()
        with self.store.batch():
            group: list[_Pending] = []
            size = 0
            for item in pending:
                if group and size + len(item.new) > WRITE_BATCH:
                    self._write(group, vectors, extra)
                    group, size = [], 0
                group.append(item)
                size += len(item.new)
                changed = item.new or item.stale or item.moved
                status: Status = "unchanged" if not changed else ("added" if not item.existing else "updated")
                report.files.append(FileResult(item.path, item.doc.source, status, chunks=len(item.chunks),
                                               embedded=len(item.new), removed=len(item.stale),
                                               warnings=item.doc.warnings))
            self._write(group, vectors, extra)

    def _write(self, group: list[_Pending], vectors: dict[str, Any], extra: dict[str, Any] | None) -> None:
        """One request adds the new chunks of several files; then their old chunks go.

        A file's new chunks never straddle two requests, so a failed write leaves no file
        half-replaced: its old chunks are still there.
        """
        metas = [{"root": item.root, **(extra or {})} for item in group]
        new = [(c, meta) for item, meta in zip(group, metas) for c in item.new]
        if new:
            self.store.add([c for c, _ in new], np.stack([vectors[c.id] for c, _ in new]), [m for _, m in new])
        for item, meta in zip(group, metas):
            if item.moved:
                self.store.update_metadata(item.moved, extra=meta)
        self.store.delete([chunk_id for item in group for chunk_id in item.stale])

    def _remove_missing(self, root: str, seen: set[str], owner: str) -> list[FileResult]:
        where = {"$and": [{"root": root}, {"owner": owner}]}
        by_source: dict[str, list[str]] = {}
        for chunk_id, meta in self.store.metadatas_where(where):
            source = str(meta.get("source", ""))
            if source not in seen:
                by_source.setdefault(source, []).append(chunk_id)
        results = []
        for source, ids in sorted(by_source.items()):
            self.store.delete(ids)
            results.append(FileResult(str(Path(root) / source), source, "removed", removed=len(ids)))
        return results


def _source_filter(source: str, owner: str) -> dict[str, Any]:
    return {"$and": [{"source": source}, {"owner": owner}]}
