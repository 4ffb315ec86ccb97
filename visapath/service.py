"""The assistant: one object that wires settings, model, index, retriever and answerers.

The CLI and the Streamlit app both talk to this facade only, so they hold no business logic
and share one loaded model per process.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from ingest.chunking import ChunkSettings
from ingest.pipeline import IngestReport, Indexer
from visapath.answer import GroundedAnswerer
from visapath.config import Settings, get_settings
from visapath.embeddings import Embedder, get_embedder
from visapath.advice import notes_for
from visapath.explain import Explanation
from visapath.models import Answer, Document
from visapath.retrieval import Retriever, Scope
from visapath.store import VectorStore
from visapath.workspace import PostingWorkspace


class Assistant:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    # -- components (built lazily, once) --------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings)

    @cached_property
    def chunking(self) -> ChunkSettings:
        return ChunkSettings(self.settings.chunk_max_chars, self.settings.chunk_overlap_sentences)

    @cached_property
    def store(self) -> VectorStore:
        return VectorStore(self.settings, self.settings.embedding_model, self.chunking.signature)

    @cached_property
    def indexer(self) -> Indexer:
        return Indexer(self.embedder, self.store, self.chunking)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.settings, self.embedder, self.store)

    @cached_property
    def grounded(self) -> GroundedAnswerer:
        return GroundedAnswerer(self.settings, self.retriever)

    @cached_property
    def postings(self) -> PostingWorkspace:
        return PostingWorkspace(self.settings, self.indexer)

    # -- knowledge index ------------------------------------------------------------------------
    def ensure_index(self, progress: bool = False) -> IngestReport:
        """Sync the guidance folder into the index; cheap when nothing changed."""
        self.store.check_compatible()
        return self.indexer.ingest_paths([self.settings.knowledge_dir], kind="guidance", progress=progress)

    def ingest(self, paths: list[Path], progress: bool = False, rebuild: bool = False) -> IngestReport:
        if rebuild:
            self.store.reset()
        else:
            self.store.check_compatible()
        return self.indexer.ingest_paths(paths, kind="guidance", progress=progress)

    # -- answers ---------------------------------------------------------------------------------
    def chat_scope(self) -> Scope:
        """Chat searches the shared guidance and this user's own postings."""
        return Scope(kinds=("guidance", "posting"), owner=self.settings.user)

    def ask(self, question: str, scope: Scope | None = None) -> Answer:
        question = (question or "").strip()
        if not question:
            return Answer(answer="Ask a question about work visas or your job search.", declined=True)
        return self.grounded.answer(question, scope or self.chat_scope())

    # -- postings --------------------------------------------------------------------------------
    def explain(self, doc: Document, status: str | None = None, save: bool = False) -> Explanation:
        """Analyse a loaded posting, add notes for the user's status, optionally keep it."""
        from visapath.postings import analyze_posting

        analysis = analyze_posting(doc.text)
        payload = analysis.to_json()
        notes = notes_for(payload, status, self.retriever, self.settings.prompts_dir / "notes" / "rules.yaml",
                          self.settings.relevance_floor)
        saved = self.postings.save(doc, payload) if save else None
        return Explanation(analysis, notes, list(doc.warnings), saved=saved)

    def upload_posting(self, data: bytes, filename: str, status: str | None = None) -> Explanation:
        """Read, explain and save an uploaded file; raises LoadError with a user-facing message."""
        from ingest.loaders import load_bytes

        doc = load_bytes(data, filename, kind="posting", owner=self.settings.user,
                         max_bytes=int(self.settings.max_upload_mb * 1_048_576))
        return self.explain(doc, status, save=True)

    def paste_posting(self, text: str, status: str | None = None, title: str = "Pasted posting") -> Explanation:
        from ingest.loaders import load_text

        doc = load_text(text, title=title, owner=self.settings.user, source=f"{title}.txt")
        return self.explain(doc, status, save=True)

    # -- status ----------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        s = self.settings
        meta = self.store.metadata()
        guidance = self.store.metadatas_where({"kind": "guidance"})
        docs: dict[str, str] = {}
        for _, m in guidance:
            docs[str(m.get("source"))] = str(m.get("last_reviewed", ""))
        return {
            "store": self.store.where,
            "chunks": self.store.count(),
            "guidance_documents": len(docs),
            "guidance_chunks": len(guidance),
            "embedding_model": s.embedding_model,
            "index_embedding_model": meta.get("embedding_model"),
            "chunker": meta.get("chunker"),
            "revision": meta.get("revision"),
            "top_k": s.top_k,
            "candidate_pool": s.candidate_pool,
            "relevance_floor": s.relevance_floor,
            "llm_backend": s.llm_backend,
            "data_dir": str(s.data_dir),
            "stale_documents": stale_documents(docs, s.stale_after_days),
            "documents": docs,
        }


def stale_documents(reviewed: dict[str, str], max_age_days: int, today: date | None = None) -> list[str]:
    """Documents whose `last_reviewed` (YYYY-MM or YYYY-MM-DD) is older than the allowed age."""
    today = today or date.today()
    stale = []
    for source, when in sorted(reviewed.items()):
        parsed = parse_review_date(when)
        if parsed is None or (today - parsed).days > max_age_days:
            stale.append(source)
    return stale


def parse_review_date(value: str) -> date | None:
    parts = str(value).strip().split("-")
    try:
        year, month = int(parts[0]), int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2]) if len(parts) > 2 else 1
        return date(year, month, day)
    except (ValueError, IndexError):
        return None
