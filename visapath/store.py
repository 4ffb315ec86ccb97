"""The Chroma collection behind the index: embedded on disk by default, or a Chroma server.

All Chroma calls go through here so that server failures become one clear `StoreError`, the
collection's embedding model and chunker are checked, and a revision counter lets caches
(the BM25 index) know when the collection changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from visapath.config import Settings
from visapath.models import Chunk

_PAGE = 2000


class StoreError(RuntimeError):
    """The index cannot be used right now; the message says why and what to do."""


class IndexMismatch(StoreError):
    """The collection was built with another embedding model or chunker: re-index needed."""


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=True)


class VectorStore:
    def __init__(self, settings: Settings, model_name: str, chunker: str) -> None:
        self.settings = settings
        self.model_name = model_name
        self.chunker = chunker
        self._client = None
        self._collection = None
        self._batch_depth = 0
        self._batch_dirty = False

    # -- connection -------------------------------------------------------------------------
    @property
    def where(self) -> str:
        s = self.settings
        if s.uses_chroma_server:
            return f"Chroma server at {'https' if s.chroma_ssl else 'http'}://{s.chroma_host}:{s.chroma_port}"
        return f"embedded Chroma at {s.chroma_path}"

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # chromadb and httpx raise many types; the user needs one message
            hint = " Is `chroma run` still running?" if self.settings.uses_chroma_server else ""
            raise StoreError(f"Could not {action}: the {self.where} did not respond ({_short(exc)}).{hint}") from exc

    @property
    def client(self):
        if self._client is None:
            import chromadb

            with self._guard("connect to the index"):
                if self.settings.uses_chroma_server:
                    self._client = chromadb.HttpClient(
                        host=self.settings.chroma_host, port=self.settings.chroma_port,
                        ssl=self.settings.chroma_ssl, settings=_chroma_settings(),
                    )
                    self._client.heartbeat()
                else:
                    self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.settings.chroma_path), settings=_chroma_settings())
        return self._client

    @property
    def collection(self):
        if self._collection is None:
            with self._guard("open the index"):
                self._collection = self.client.get_or_create_collection(
                    name=self.settings.collection,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedding_model": self.model_name, "chunker": self.chunker, "revision": 0},
                    embedding_function=None,
                )
        return self._collection

    # -- compatibility and revision -----------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """Fresh collection metadata (another process or server client may have written)."""
        _ = self.collection
        with self._guard("read the index settings"):
            self._collection = self.client.get_collection(self.settings.collection, embedding_function=None)
            return dict(self._collection.metadata or {})

    def check_compatible(self) -> None:
        meta = self.metadata()
        built_model, built_chunker = meta.get("embedding_model"), meta.get("chunker")
        if self.count() and (built_model != self.model_name or built_chunker != self.chunker):
            raise IndexMismatch(
                f"Re-index needed: the index was built with embedding model '{built_model}' and chunker "
                f"'{built_chunker}', but the settings now say '{self.model_name}' and '{self.chunker}'. "
                "Run `visapath ingest --rebuild knowledge/`."
            )

    def revision(self) -> int:
        return int(self.metadata().get("revision", 0))

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes so the revision is bumped once at the end (each bump is a round trip)."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if not self._batch_depth and self._batch_dirty:
                self._batch_dirty = False
                self._bump()

    def _changed(self) -> None:
        if self._batch_depth:
            self._batch_dirty = True
        else:
            self._bump()

    def _bump(self) -> None:
        meta = self.metadata()
        meta.update(revision=int(meta.get("revision", 0)) + 1, embedding_model=self.model_name, chunker=self.chunker)
        with self._guard("update the index"):
            self.collection.modify(metadata=meta)

    # -- writes -------------------------------------------------------------------------------
    def add(self, chunks: list[Chunk], vectors: np.ndarray,
            extra: dict[str, Any] | Sequence[dict[str, Any]] | None = None) -> None:
        """Write chunks in one request, so a failure leaves none of them behind.

        `extra` is metadata added to every chunk, or one mapping per chunk.
        """
        if not chunks:
            return
        extras = [extra or {}] * len(chunks) if extra is None or isinstance(extra, dict) else list(extra)
        metadatas = [{**c.metadata(), **e} for c, e in zip(chunks, extras, strict=True)]
        with self._guard("write to the index"):
            self.collection.upsert(
                ids=[c.id for c in chunks], documents=[c.text for c in chunks],
                embeddings=[v.tolist() for v in vectors], metadatas=metadatas,
            )
        self._changed()

    def update_metadata(self, chunks: list[Chunk], extra: dict[str, Any] | None = None) -> None:
        if not chunks:
            return
        with self._guard("write to the index"):
            self.collection.update(ids=[c.id for c in chunks],
                                   metadatas=[{**c.metadata(), **(extra or {})} for c in chunks])
        self._changed()

    def delete(self, ids: list[str], purge: bool = False) -> None:
        """Remove chunks; with `purge`, also erase their text from the embedded Chroma file."""
        if not ids:
            return
        with self._guard("delete from the index"):
            self.collection.delete(ids=ids)
        self._changed()
        if purge and not self.settings.uses_chroma_server:
            from visapath.datadir import scrub_chroma

            with self._guard("erase deleted text from the index"):
                scrub_chroma(self.settings.chroma_path / "chroma.sqlite3", ids)

    def reset(self) -> None:
        """Drop the collection (for --rebuild); it is recreated with the current settings."""
        with self._guard("reset the index"):
            with contextlib.suppress(Exception):
                self.client.delete_collection(self.settings.collection)
        self._collection = None
        _ = self.collection

    # -- reads --------------------------------------------------------------------------------
    def count(self) -> int:
        with self._guard("count the index"):
            return int(self.collection.count())

    def ids_where(self, where: dict[str, Any]) -> list[str]:
        with self._guard("read the index"):
            return list(self.collection.get(where=where, include=[])["ids"])

    def metadatas_where(self, where: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
        with self._guard("read the index"):
            got = self.collection.get(where=where, include=["metadatas"])
        return list(zip(got["ids"], got["metadatas"]))

    def all_chunks(self, where: dict[str, Any] | None = None) -> list[Chunk]:
        """Every chunk (paged), for building the BM25 index."""
        chunks: list[Chunk] = []
        offset = 0
        while True:
            with self._guard("read the index"):
                got = self.collection.get(where=where, include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            chunks.extend(Chunk.from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]))
            if len(got["ids"]) < _PAGE:
                return chunks
            offset += _PAGE

    def all_with_embeddings(self) -> tuple[list[Chunk], np.ndarray]:
        """Every chunk and its vector (paged): the retriever's local lexical/rescoring cache."""
        chunks: list[Chunk] = []
        vectors: list[np.ndarray] = []
        offset = 0
        while True:
            with self._guard("read the index"):
                got = self.collection.get(include=["documents", "metadatas", "embeddings"], limit=_PAGE, offset=offset)
            chunks.extend(Chunk.from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]))
            if len(got["ids"]):
                vectors.append(np.asarray(got["embeddings"], dtype=np.float32))
            if len(got["ids"]) < _PAGE:
                break
            offset += _PAGE
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
        return chunks, matrix

    def nearest(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """IDs of the nearest chunks with cosine similarity (the caller holds the chunk texts)."""
        if n <= 0:
            return []
        with self._guard("search the index"):
            got = self.collection.query(query_embeddings=[vector.tolist()], n_results=n, where=where,
                                        include=["distances"])
        return [(i, 1.0 - float(dist)) for i, dist in zip(got["ids"][0], got["distances"][0])]


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:160]
