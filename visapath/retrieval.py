"""Hybrid retrieval: Chroma vector search + BM25, fused by reciprocal rank fusion.

Vectors catch paraphrases ("switch employers" ~ "portability"); BM25 catches exact codes and
names that embeddings blur ("I-983", "ETA-9035", a company name). Each hit also gets a
relevance score in 0..1 (cosine blended with idf-weighted query coverage), which is what
the refusal floor is applied to, because RRF ranks carry no absolute meaning.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.chunking import embedding_text
from visapath.config import Settings
from visapath.embeddings import Embedder
from visapath.models import Chunk, Hit, SourceKind
from visapath.store import VectorStore
from visapath.text import codes, same_class_family, tokenize, visa_classes

COSINE_WEIGHT = 0.65
OTHER_CLASS_PENALTY = 0.08  # a passage about another visa class than the one asked about


@dataclass(frozen=True)
class Scope:
    """Which chunks a search may return: source kinds, and whose postings."""

    kinds: tuple[SourceKind, ...] = ("guidance", "posting")
    owner: str | None = None  # postings of this owner only; guidance is shared

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if "guidance" in self.kinds:
            clauses.append({"kind": "guidance"})
        if "posting" in self.kinds:
            clauses.append({"$and": [{"kind": "posting"}, {"owner": self.owner or ""}]} if self.owner is not None
                           else {"kind": "posting"})
        if not clauses:
            return {"kind": "__none__"}
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def allows(self, chunk: Chunk) -> bool:
        if chunk.kind not in self.kinds:
            return False
        return chunk.kind != "posting" or self.owner is None or chunk.owner == self.owner


class _LexicalIndex:
    """BM25 over every chunk plus the chunk vectors, rebuilt only when the collection changes."""

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, revision: int) -> None:
        import bm25s

        self.revision = revision
        self.chunks = chunks
        self.vectors = vectors
        self.position = {c.id: i for i, c in enumerate(chunks)}
        docs = [tokenize(embedding_text(c)) or ["\u2205"] for c in chunks]
        self.bm25 = bm25s.BM25()
        if docs:
            self.bm25.index(docs, show_progress=False)
        n = max(len(docs), 1)
        df: dict[str, int] = {}
        for tokens in docs:
            for token in set(tokens):
                df[token] = df.get(token, 0) + 1
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        # Coverage, which the refusal floor reads, is measured on what a citation can quote (heading
        # path and passage), not on the question variants that help rank it.
        self.token_sets = [set(tokenize(embedding_text(c, with_asks=False))) for c in chunks]
        self.subject_codes = [codes(f"{c.title} {c.section or ''}") for c in chunks]
        self.by_source: dict[str, list[int]] = {}
        for i, c in enumerate(chunks):
            self.by_source.setdefault(c.source, []).append(i)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if not self.chunks or not query_tokens:
            return np.zeros(len(self.chunks))
        return np.asarray(self.bm25.get_scores(query_tokens))

    def coverage(self, query_tokens: list[str], index: int) -> float:
        """Share of the query's idf mass present in the chunk; unknown words count against it."""
        distinct = set(query_tokens)
        if not distinct:
            return 0.0
        total = sum(self.idf.get(t, self.max_idf) for t in distinct)
        found = sum(self.idf[t] for t in distinct if t in self.token_sets[index])
        return found / total if total else 0.0

    def about_other_class(self, asked: set[str], index: int) -> bool:
        """The question names a visa class (`asked`: its classes and forms) and the passage's title
        and headings name only other classes or forms ("H-1B" asked; an H-1B1 or I-485 passage
        found): the text shares the words, not the rules."""
        subject = self.subject_codes[index]
        return bool(asked and subject) and not any(same_class_family(q, s) for q in asked for s in subject)


class Retriever:
    def __init__(self, settings: Settings, embedder: Embedder, store: VectorStore) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self._lexical: _LexicalIndex | None = None
        self._lock = threading.Lock()

    def lexical(self) -> _LexicalIndex:
        revision = self.store.revision()
        with self._lock:
            if self._lexical is None or self._lexical.revision != revision:
                chunks, vectors = self.store.all_with_embeddings()
                self._lexical = _LexicalIndex(chunks, vectors, revision)
            return self._lexical

    def source_hits(self, source: str, scope: Scope, query_vector: np.ndarray | None = None) -> list[Hit]:
        """Every chunk of one source that the scope allows, in reading order (a saved posting that
        chat cites by name), scored by cosine with the query when one is given."""
        lexical = self.lexical()
        hits = []
        for i in lexical.by_source.get(source, []):
            chunk = lexical.chunks[i]
            if not scope.allows(chunk):
                continue
            cosine = float(lexical.vectors[i] @ query_vector) if query_vector is not None and lexical.vectors.size else 0.0
            hits.append(Hit(chunk, cosine, cosine, None, 0))
        return sorted(hits, key=lambda h: h.chunk.start)

    def search(self, query: str, k: int | None = None, scope: Scope = Scope(), mode: str = "hybrid") -> list[Hit]:
        """Top-k hits for a query. `mode` is 'hybrid', 'vector' or 'bm25' (the latter two for evaluation)."""
        k = k or self.settings.top_k
        pool = max(self.settings.candidate_pool, k)
        lexical = self.lexical()
        if not lexical.chunks:
            return []
        query_vector = self.embedder.embed_one(query)
        tokens = tokenize(query)
        asked = codes(query) if visa_classes(query) else set()
        vector_ranked = self._vector_ranked(lexical, query_vector, pool, scope) if mode != "bm25" else []
        bm25_ranked = self._bm25_ranked(lexical, tokens, pool, scope) if mode != "vector" else []
        fused: dict[str, float] = {}
        for ranked in (vector_ranked, bm25_ranked):
            for rank, (chunk_id, _) in enumerate(ranked):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        vector_scores = dict(vector_ranked)
        bm25_scores = dict(bm25_ranked)
        top_fused = max(fused.values(), default=1.0)
        hits = []
        for chunk_id, rrf in fused.items():
            i = lexical.position.get(chunk_id)
            if i is None:  # written after our snapshot; the next search rebuilds
                continue
            cosine = float(lexical.vectors[i] @ query_vector) if lexical.vectors.size else 0.0
            relevance = COSINE_WEIGHT * max(cosine, 0.0) + (1 - COSINE_WEIGHT) * lexical.coverage(tokens, i)
            if lexical.about_other_class(asked, i):
                relevance -= OTHER_CLASS_PENALTY
            hit = Hit(lexical.chunks[i], relevance, vector_scores.get(chunk_id, cosine), bm25_scores.get(chunk_id))
            # Single-ranker modes keep that ranker's order, so evaluations compare like with like.
            key = relevance + self.settings.rrf_weight * rrf / top_fused if mode == "hybrid" else rrf
            hits.append((key, hit))
        hits.sort(key=lambda pair: -pair[0])
        ranked = [hit for _, hit in hits[:k]]
        for rank, hit in enumerate(ranked, start=1):
            hit.rank = rank
        return ranked

    def _vector_ranked(self, lexical: _LexicalIndex, vector: np.ndarray, pool: int,
                       scope: Scope) -> list[tuple[str, float]]:
        """Nearest chunks in scope. Chroma's metadata filter costs ~50 ms at 10k chunks, so the
        unfiltered neighbours are over-fetched and filtered here; a scope too narrow for that
        (a few postings among many chunks) falls back to Chroma's filter."""
        n = min(len(lexical.chunks), pool * 4)
        ranked = [(chunk_id, sim) for chunk_id, sim in self.store.nearest(vector, n)
                  if chunk_id in lexical.position and scope.allows(lexical.chunks[lexical.position[chunk_id]])]
        if len(ranked) < pool and n < len(lexical.chunks):
            return self.store.nearest(vector, pool, scope.where())
        return ranked[:pool]

    @staticmethod
    def _bm25_ranked(lexical: _LexicalIndex, tokens: list[str], pool: int, scope: Scope) -> list[tuple[str, float]]:
        scores = lexical.scores(tokens)
        ranked = []
        for i in np.argsort(-scores):
            if scores[i] <= 0 or len(ranked) >= pool:
                break
            if scope.allows(lexical.chunks[i]):
                ranked.append((lexical.chunks[i].id, float(scores[i])))
        return ranked


def as_langchain_retriever(retriever: Retriever, scope: Scope = Scope(), k: int | None = None):
    """The same search as a LangChain `BaseRetriever`, for chains and agents."""
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever

    class VisapathRetriever(BaseRetriever):
        """Hybrid BM25 + vector retrieval over the visapath index."""

        search_k: int | None = None

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
            return [
                LCDocument(page_content=hit.chunk.text, id=hit.chunk.id,
                           metadata={**hit.chunk.metadata(), "score": hit.score, "rank": hit.rank})
                for hit in retriever.search(query, k=self.search_k, scope=scope)
            ]

    return VisapathRetriever(search_k=k)


def unique_sources(hits: Sequence[Hit]) -> list[str]:
    seen: list[str] = []
    for hit in hits:
        if hit.chunk.source not in seen:
            seen.append(hit.chunk.source)
    return seen
