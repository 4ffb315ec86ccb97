"""The Chroma collection behind the index: embedded on disk by default, or a Chroma server.

All Chroma calls go through here so that server failures become one clear `StoreError`, the
collection's embedding model and chunker are checked, and a revision counter lets caches
(the BM25 index) know when the collection changed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from visapath.config import Settings
from visapath.models import Chunk

_PAGE = 2000

# Embedded Chroma keeps each collection's vector index in memory, per process, and never
# notices writes by another process (the CLI while the app runs): queries then miss new chunks
# or fail with "Error finding id". Every write bumps the collection's `revision`; the last
# revision this process saw (its own writes included) is kept per data folder, and a revision
# this process did not write means another one did: the client is reopened, which reloads the
# index from disk. One client per folder is shared by every store in the process.
_SEEN: dict[str, int] = {}
_CLIENTS: dict[str, Any] = {}
_LOCKS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.RLock()
WRITE_LOCK_SECONDS = 60


class StoreError(RuntimeError):
    """The index cannot be used right now; the message says why and what to do."""


class DamagedIndex(StoreError):
    """The embedded index files are damaged; the message says how to rebuild without losing postings."""


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
        if not self.settings.uses_chroma_server:
            shared = self._shared_client()
            if shared is not self._client:  # first use, or reopened after another process wrote
                self._client, self._collection = shared, None
            return self._client
        if self._client is None:
            import chromadb

            with self._guard("connect to the index"):
                self._client = chromadb.HttpClient(
                    host=self.settings.chroma_host, port=self.settings.chroma_port,
                    ssl=self.settings.chroma_ssl, settings=_chroma_settings(),
                )
                self._client.heartbeat()
        return self._client

    @property
    def _key(self) -> str:
        return str(self.settings.chroma_path.resolve())

    def _shared_client(self):
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(self._key)
            if client is None:
                import chromadb

                from visapath.index_health import damaged_message, index_problem

                problem = index_problem(self.settings.chroma_path)  # before Chroma's native code reads it
                if problem:
                    raise DamagedIndex(damaged_message(self.settings.chroma_path, problem))
                with self._guard("connect to the index"):
                    self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
                    client = chromadb.PersistentClient(path=str(self.settings.chroma_path), settings=_chroma_settings())
                _CLIENTS[self._key] = client
            return client

    def _reopen(self) -> None:
        """Drop this process's embedded client so the next call loads the index from disk."""
        from chromadb.api.shared_system_client import SharedSystemClient

        with _CLIENTS_LOCK:
            client = _CLIENTS.pop(self._key, None)
            if client is not None:
                identifier = client._identifier
                system = SharedSystemClient._identifier_to_system.pop(identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(identifier, None)
                if system is not None:
                    with contextlib.suppress(Exception):
                        system.stop()
            self._client = self._collection = None

    def _saw(self, revision: int) -> None:
        if not self.settings.uses_chroma_server:
            with _CLIENTS_LOCK:
                _SEEN[self._key] = revision

    @property
    def collection(self):
        client = self.client  # a reopened shared client resets the collection handle
        if self._collection is None:
            with self._guard("open the index"):
                self._collection = client.get_or_create_collection(
                    name=self.settings.collection,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedding_model": self.model_name, "chunker": self.chunker, "revision": 0},
                    embedding_function=None,
                )
        return self._collection

    # -- compatibility and revision -----------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """Fresh collection metadata (another process or server client may have written)."""
        if self.settings.uses_chroma_server:
            return self._read_metadata()
        with _CLIENTS_LOCK:  # one check at a time, never between another thread's write and its record
            meta = self._read_metadata()
            seen = _SEEN.get(self._key)
            if seen is not None and seen != int(meta.get("revision", 0)):  # written by another process: reload
                self._reopen()
                meta = self._read_metadata()
            self._saw(int(meta.get("revision", 0)))
        return meta

    def _read_metadata(self) -> dict[str, Any]:
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

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the data folder's write lock (embedded only) with this process's index up to date.

        Processes sharing an embedded index take turns to write and reload what the others wrote
        first, so no process writes from a stale in-memory index. Embedding happens before, never
        under, the lock.
        """
        if self.settings.uses_chroma_server:
            yield
            return
        from filelock import FileLock, Timeout

        with _CLIENTS_LOCK:  # one reentrant lock object per folder and process
            lock = _LOCKS.get(self._key)
            if lock is None:
                self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
                lock = _LOCKS[self._key] = FileLock(str(self.settings.chroma_path / ".write.lock"),
                                                    timeout=WRITE_LOCK_SECONDS)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"Another visapath process has been writing to the {self.where} for over {WRITE_LOCK_SECONDS} s. "
                "Wait for it to finish; to run several app processes, use a Chroma server (`chroma run`, "
                "VISAPATH_CHROMA_HOST).") from None
        try:
            if lock.lock_counter == 1:
                self.metadata()  # reload if another process wrote since we last looked
            yield
        finally:
            lock.release()

    def _bump(self) -> None:
        with self.writing():
            self._bump_locked()

    def _bump_locked(self) -> None:
        meta = self.metadata()
        meta.update(revision=int(meta.get("revision", 0)) + 1, embedding_model=self.model_name, chunker=self.chunker)
        with _CLIENTS_LOCK, self._guard("update the index"):
            self.collection.modify(metadata=meta)
            self._saw(int(meta["revision"]))

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
        with self.writing(), self._guard("write to the index"):
            self.collection.upsert(
                ids=[c.id for c in chunks], documents=[c.text for c in chunks],
                embeddings=[v.tolist() for v in vectors], metadatas=metadatas,
            )
        self._changed()

    def update_metadata(self, chunks: list[Chunk], extra: dict[str, Any] | None = None) -> None:
        if not chunks:
            return
        with self.writing(), self._guard("write to the index"):
            self.collection.update(ids=[c.id for c in chunks],
                                   metadatas=[{**c.metadata(), **(extra or {})} for c in chunks])
        self._changed()

    def delete(self, ids: list[str], purge: bool = False) -> None:
        """Remove chunks; with `purge`, also erase their text from the embedded Chroma file."""
        if not ids:
            return
        with self.writing(), self._guard("delete from the index"):
            self.collection.delete(ids=ids)
        self._changed()
        if purge and not self.settings.uses_chroma_server:
            from visapath.datadir import scrub_chroma

            with self._guard("erase deleted text from the index"):
                scrub_chroma(self.settings.chroma_path / "chroma.sqlite3", ids)

    def reset(self) -> None:
        """Drop the collection (for --rebuild); it is recreated with the current settings.

        A damaged embedded index can't be opened to drop the collection, so its folder is
        removed instead; nothing else lives there (postings are re-indexed from their files).
        """
        if not self.settings.uses_chroma_server:
            from visapath.index_health import index_problem

            if self.settings.chroma_path.exists() and index_problem(self.settings.chroma_path):
                import shutil

                self._reopen()
                shutil.rmtree(self.settings.chroma_path)
        with self._guard("reset the index"):
            with contextlib.suppress(Exception):
                self.client.delete_collection(self.settings.collection)
        self._collection = None
        self._saw(int((self.collection.metadata or {}).get("revision", 0)))

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
