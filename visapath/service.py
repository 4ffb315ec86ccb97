"""The assistant: one object that wires settings, model, index, retriever and answerers.

The CLI and the Streamlit app both talk to this facade only, so they hold no business logic
and share one loaded model per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.chunking import ChunkSettings
from ingest.pipeline import IngestReport, Indexer
from visapath.answer import GroundedAnswerer
from visapath.budget import Budget, limited
from visapath.config import Settings, get_settings
from visapath.datadir import open_private
from visapath.embeddings import Embedder, encoder_identity, get_embedder
from visapath.advice import notes_for
from visapath.explain import Explanation
from visapath.models import Answer, Citation, Document
from visapath.retrieval import Retriever, Scope
from visapath.store import VectorStore
from visapath.workspace import PostingWorkspace

if TYPE_CHECKING:
    from ingest.loaders import Limits
    from langchain_core.language_models import BaseChatModel

    from visapath.conversations import ConversationStore
    from visapath.database import Database
    from visapath.generate import Responder, StreamEvent
    from visapath.drafts import Draft
    from visapath.employers.data import EmployerData
    from visapath.profile import Profile, ProfileStore
    from visapath.references import GuidanceReferences, SourceInfo
    from visapath.timeline import Timeline


class Assistant:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        open_private(self.settings.data_dir)  # 0700/0600 before anything is written; DataDirError if unusable

    # -- components (built lazily, once) --------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings)

    @cached_property
    def chunking(self) -> ChunkSettings:
        return ChunkSettings(self.settings.chunk_max_chars, self.settings.chunk_overlap_sentences)

    @cached_property
    def store(self) -> VectorStore:
        return VectorStore(self.settings, encoder_identity(self.settings), self.chunking.signature)

    @cached_property
    def indexer(self) -> Indexer:
        return Indexer(self.embedder, self.store, self.chunking)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.settings, self.embedder, self.store)

    @cached_property
    def grounded(self) -> GroundedAnswerer:
        return GroundedAnswerer(self.settings, self.retriever, profile=self.chat_profile, postings=lambda: self.postings)

    @cached_property
    def database(self) -> "Database":
        """The app database (profiles, postings, conversations, log): SQLite or VISAPATH_DATABASE_URL."""
        from visapath.database import open_database

        return open_database(self.settings.app_database_url)

    @cached_property
    def postings(self) -> PostingWorkspace:
        return PostingWorkspace(self.settings, self.indexer, on_delete=self.conversations.forget_source,
                                database=self.database)

    @cached_property
    def profiles(self) -> "ProfileStore":
        from visapath.profile import ProfileStore

        return ProfileStore(self.settings, self.database)

    @property
    def profile(self) -> "Profile":
        """The saved profile (empty if none); a damaged file raises ProfileError."""
        return self.profiles.load()

    def chat_profile(self) -> "Profile | None":
        """The profile that shapes chat answers; a damaged profile file just leaves them generic."""
        from visapath.profile import ProfileError

        try:
            return self.profile
        except ProfileError:
            return None

    # -- knowledge index ------------------------------------------------------------------------
    def ensure_index(self, progress: bool = False) -> IngestReport:
        """Sync the guidance folder into the index and this user's postings with their files;
        cheap when nothing changed.

        An index built by another encoder or chunker is re-embedded first (see `reembed`).
        """
        if self.index_outdated():
            self.reembed(progress)
        report = self.indexer.ingest_paths([self.settings.knowledge_dir], kind="guidance", progress=progress,
                                           file_seconds=self.settings.analysis_budget_seconds)
        self.postings.reconcile()
        return report

    def index_outdated(self) -> bool:
        """True when the stored vectors came from another encoder (or chunker) than configured."""
        from visapath.store import IndexMismatch

        try:
            self.store.check_compatible()
        except IndexMismatch:
            return True
        return False

    def reembed(self, progress: bool = False) -> IngestReport:
        """Rebuild the index with the configured encoder: the guidance folders it held, then saved postings.

        Vectors of two encoders must never be mixed in one collection, so everything is embedded
        again; the sources are the folders recorded on the chunks and the posting workspace
        (single files ingested by path are not recorded there and need `visapath ingest` again).
        """
        roots = {str(m.get("root")) for _, m in self.store.metadatas_where({"kind": "guidance"}) if m.get("root")}
        folders = [self.settings.knowledge_dir] + sorted(Path(r) for r in roots
                                                          if Path(r).is_dir() and Path(r) != self.settings.knowledge_dir)
        self.store.reset()
        report = self.indexer.ingest_paths(folders, kind="guidance", progress=progress)
        self.reindex_postings()
        return report

    def ingest(self, paths: list[Path], progress: bool = False, rebuild: bool = False) -> IngestReport:
        """Index guidance files; `rebuild` drops the index first and then re-indexes every
        user's saved postings from their files, so chat can still cite them."""
        if rebuild:
            self.store.reset()
        elif self.index_outdated():
            self.reembed(progress)
        report = self.indexer.ingest_paths(paths, kind="guidance", progress=progress,
                                           file_seconds=self.settings.analysis_budget_seconds)
        if rebuild:
            self.reindex_postings()
        return report

    def reindex_postings(self) -> int:
        """Put every user's saved postings back into the index (after a rebuild); returns how many."""
        from visapath.workspace import users_with_postings

        restored = 0
        for user in users_with_postings(self.settings, self.database):
            workspace = PostingWorkspace(self.settings.model_copy(update={"user": user}), self.indexer,
                                         database=self.database)
            restored += workspace.reconcile()["restored"]
        return restored

    # -- answers ---------------------------------------------------------------------------------
    def chat_scope(self) -> Scope:
        """Chat searches the shared guidance and this user's own postings."""
        return Scope(kinds=("guidance", "posting"), owner=self.settings.user)

    def ask(self, question: str, scope: Scope | None = None, conversation_id: str | None = None) -> Answer:
        """A verified answer; with `conversation_id`, a follow-up in that conversation (persisted)."""
        from visapath.generate import final_answer

        return final_answer(self.ask_stream(question, scope, conversation_id))

    def ask_stream(self, question: str, scope: Scope | None = None,
                   conversation_id: str | None = None) -> Iterator["StreamEvent"]:
        """Text deltas as the answer is written, then one final verified `Answer` (which may differ)."""
        from visapath.generate import StreamEvent

        question = (question or "").strip()
        if not question:
            empty = Answer(answer="Ask a question about work visas or your job search.", declined=True,
                           backend=self.backend_name)
            return iter([StreamEvent("final", answer=empty)])
        if conversation_id:
            self.conversations.get(conversation_id)  # unknown id: ConversationNotFound before any work
        return self.responder.stream(question, scope or self.chat_scope(), conversation_id)

    # -- generative backend and conversations (visapath.llm / generate / conversations) ---------
    @property
    def backend_name(self) -> str:
        """'grounded' without an LLM, else the configured backend (openai, ollama, llamacpp)."""
        return "grounded" if self.settings.llm_backend == "none" else self.settings.llm_backend

    @property
    def backend_description(self) -> str:
        """What the UI and `visapath info` show, e.g. 'openai: qwen2.5 at http://localhost:8080/v1'."""
        from visapath.llm import backend_info

        return backend_info(self.settings).describe()

    @cached_property
    def chat_model(self) -> "BaseChatModel | None":
        """The configured chat model (None: grounded only). Raises LLMConfigError when unusable."""
        from visapath.llm import build_chat_model

        return build_chat_model(self.settings)

    @cached_property
    def conversations(self) -> "ConversationStore":
        from visapath.conversations import ConversationStore

        return ConversationStore(self.database, owner=self.settings.user,
                                 retention_days=self.settings.retention_days)

    @cached_property
    def responder(self) -> "Responder":
        from visapath.generate import GenerativeAnswerer, Responder
        from visapath.llm import LLMConfigError, backend_info, model_name
        from visapath.verify import Verifier

        generator, notice = None, None
        try:
            model = self.chat_model
        except LLMConfigError as exc:
            model, notice = None, f"{exc} Showing the grounded answer."
        if model is not None:
            verifier = Verifier(self.embedder, cache=self.grounded.sentences)
            generator = GenerativeAnswerer(self.settings, self.grounded, model, verifier, self.backend_name)
        label = backend_info(self.settings).model or model_name(model)
        return Responder(self.settings, self.grounded, generator, self.conversations, label, notice,
                         data_answerer=self.data_answer)

    # -- postings --------------------------------------------------------------------------------
    def explain(self, doc: Document, status: str | None = None, save: bool = False,
                title: str | None = None) -> Explanation:
        """Analyse a loaded posting, add notes for the user's status, optionally keep it (under the
        user's own `title` when they typed one, else the detected company and role)."""
        from ingest.loaders import LoadError
        from visapath.postings import analyze_posting
        from visapath.postings.screening import not_a_posting

        with self.analysis_step(f"Analyzing {doc.title or 'the posting'}"):
            analysis = analyze_posting(doc.text)
            refusal = not_a_posting(doc.text, analysis)
            if refusal:  # a word, a recipe: say so, keep nothing
                raise LoadError(refusal)
            payload = analysis.to_json()
            notes = notes_for(payload, status, self.retriever, self.settings.prompts_dir / "notes" / "rules.yaml",
                              self.settings.relevance_floor)
            saved = self.postings.save(doc, payload, title=title) if save else None
        return Explanation(analysis, notes, list(doc.warnings), saved=saved, filings=self.posting_filings(analysis))

    def analysis_step(self, step: str) -> AbstractContextManager[Budget]:
        """The time budget of one analysis step (VISAPATH_ANALYSIS_BUDGET_SECONDS); raises
        `visapath.budget.WorkStopped` with a message for the user when it runs out."""
        return limited(step, self.settings.analysis_budget_seconds)

    @cached_property
    def posting_limits(self) -> "Limits":
        """Size, page, character and inflated-size limits for every posting, however it arrives."""
        from ingest.loaders import Limits

        return Limits.for_postings(self.settings)

    def upload_posting(self, data: bytes, filename: str, status: str | None = None) -> Explanation:
        """Read, explain and save an uploaded file; raises LoadError with a user-facing message."""
        from ingest.loaders import load_bytes

        with self.analysis_step(f"Analyzing {filename}"):
            doc = load_bytes(data, filename, kind="posting", owner=self.settings.user, limits=self.posting_limits)
            return self.explain(doc, status, save=True)

    def paste_posting(self, text: str, status: str | None = None, title: str | None = None) -> Explanation:
        """Explain and save pasted text; a title the user typed is kept as the posting's title."""
        from ingest.loaders import load_text

        title = " ".join((title or "").split()) or None
        name = title or "Pasted posting"
        with self.analysis_step("Analyzing the pasted posting"):
            doc = load_text(text, title=name, owner=self.settings.user, source=f"{name}.txt",
                            limits=self.posting_limits)
            return self.explain(doc, status, save=True, title=title)

    # -- employer filing data (visapath.employers) -----------------------------------------------
    @cached_property
    def employers(self) -> "EmployerData":
        from visapath.employers.data import EmployerData

        return EmployerData(self.settings)

    def data_answer(self, question: str) -> Answer | None:
        """A chat answer from the imported filing data (citation kind `data`), or None."""
        from visapath.employers.errors import EmployerDataError
        from visapath.employers.questions import answer

        try:
            return answer(self.employers, question, self.settings.knowledge_dir)
        except EmployerDataError:
            return None

    def posting_filings(self, analysis: Any) -> dict[str, Any] | None:
        """The posting company's filing history and its salary's wage level, when data is imported."""
        from visapath.employers.posting_context import filings_for_posting

        salary = getattr(analysis, "salary", None)
        return filings_for_posting(self.employers, getattr(analysis, "company", None), getattr(analysis, "title", None),
                                   getattr(analysis, "location", None),
                                   salary.annual_min if salary else None, salary.annual_max if salary else None)

    def filing_hint(self, company: str | None, title: str | None) -> str | None:
        """A note for a recruiter draft about the company's LCA filings (None without data or filings)."""
        from visapath.employers.posting_context import draft_hint

        return draft_hint(self.employers, company, title)

    # -- privacy: erase a user's data ------------------------------------------------------------
    def forget_all(self) -> dict[str, int]:
        """Erase everything stored for this user: postings (index text included), conversations,
        the exchange log and the profile. Guidance and other users' data are untouched."""
        chunks = self.postings.forget_all()
        rows = self.conversations.forget_all()
        had_profile = self.profiles.delete()
        workspace = self.settings.workspace_dir
        if workspace.exists():
            import shutil

            shutil.rmtree(workspace)
        return {"posting_chunks": chunks, "conversation_rows": rows, "profile": int(had_profile)}

    # -- recruiter drafts ------------------------------------------------------------------------
    def draft(self, channel: str = "linkedin-message", **options: Any) -> "Draft":
        """A recruiter draft for the saved profile; options are those of `visapath.drafts.compose`."""
        from visapath.drafts import compose

        return compose(self.settings, self.profile, self.retriever, channel, postings=self.postings,
                       filing_hint=self.filing_hint, **options)

    # -- where a citation comes from (source cards) ----------------------------------------------
    @cached_property
    def guidance_references(self) -> "GuidanceReferences":
        from visapath.references import GuidanceReferences

        return GuidanceReferences(self.settings.knowledge_dir)

    def references(self, source: str) -> "SourceInfo":
        """Official links and review date of a guidance source; title and company of a saved posting."""
        from dataclasses import replace

        info = self.guidance_references.get(source)
        if info.kind == "posting" and info.posting_id:
            saved = next((p for p in self.postings.list() if p.id == info.posting_id), None)
            if saved is not None:
                info = replace(info, company=saved.company or "")
        return info

    # -- the personal timeline (Profile page; chat points to it) -----------------------------------
    def timeline(self, profile: "Profile | None" = None, today: date | None = None
                 ) -> tuple["Timeline", dict[str, Citation]]:
        """The user's dates and, per event, the guidance passage it comes from as a citation."""
        from visapath.timeline import TimelineRules, build_timeline

        rules = TimelineRules.load(self.settings.prompts_dir)
        tl = build_timeline(profile if profile is not None else self.profile, rules, today)
        cited: dict[str, Citation] = {}
        numbers: dict[tuple[str, str], int] = {}
        for event in tl.events:
            ref = (event.ref.source, event.ref.section)
            chunks = self.store.all_chunks({"$and": [{"source": ref[0]}, {"section": ref[1]}, {"kind": "guidance"}]})
            if not chunks:
                continue
            n = numbers.setdefault(ref, len(numbers) + 1)
            chunk = min(chunks, key=lambda c: c.start)
            cited[event.key] = Citation(n=n, source=chunk.source, title=chunk.title, section=chunk.section,
                                        page=None, quote=chunk.text, score=1.0, kind="guidance", chunk_id=chunk.id)
        return tl, cited

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
            "embedding_backend": s.embedding_backend + ("+int8" if s.embedding_quantize == "int8" else ""),
            "index_embedding_model": meta.get("embedding_model"),
            "chunker": meta.get("chunker"),
            "revision": meta.get("revision"),
            "top_k": s.top_k,
            "candidate_pool": s.candidate_pool,
            "relevance_floor": s.relevance_floor,
            "llm_backend": s.llm_backend,
            "llm": self.backend_description,
            "data_dir": str(s.data_dir),
            "database": self.database.describe(),
            "stale_documents": stale_documents(docs, s.stale_after_days),
            "answer_feedback": self.conversations.feedback_counts(),
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
