"""Core benchmark: encoder backends, ingest vs raw encoder throughput, warm `ask` latency at 1k and
10k chunks, memory.

Run: .venv/bin/python bench/bench_core.py [--sizes 1000 10000] [--questions 60]
The corpus is generated (deterministic) guidance-like Markdown; the real knowledge base is
added on top so the questions have real answers to find. Each corpus size is asked its own
slice of the retrieval questions, with a new assistant and emptied encoder caches, so no size
is answered from vectors cached for another. The encoder table runs torch (sentence-transformers),
ONNX fp32 and ONNX int8 on the same texts in the same process.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.chunking import chunk_document, embedding_text  # noqa: E402
from ingest.loaders import load_path  # noqa: E402
from visapath.cli.evaluate import DEFAULT_QUESTIONS  # noqa: E402
from visapath import embeddings  # noqa: E402
from visapath.config import PROJECT_ROOT, Settings  # noqa: E402
from visapath.evaluation import retrieval as retrieval_eval  # noqa: E402
from visapath.service import Assistant  # noqa: E402

SUBJECTS = ["The H-1B petition", "A STEM OPT student", "The employer", "An L-1B transferee", "The TN professional",
            "A cap-exempt university", "The labor condition application", "An O-1A applicant", "The E-3 worker",
            "A PERM case", "The recruiter", "An H-4 spouse", "The staffing agency", "A green card applicant"]
VERBS = ["must document", "can request", "usually needs", "should confirm", "may include", "has to report",
         "often reviews", "cannot skip", "typically files", "needs to keep"]
OBJECTS = ["the prevailing wage level", "a signed training plan", "evidence of the degree", "the worksite address",
           "an approved immigrant petition", "the unemployment day count", "the premium processing receipt",
           "a job offer letter", "the public access file", "proof of one year abroad", "the visa bulletin date",
           "salary history for the role", "the E-Verify case number", "a description of duties"]
TAILS = ["before the start date.", "within ten business days.", "during the interview.", "for every amendment.",
         "when the worksite changes.", "after the lottery results.", "at each extension.", "for the consulate."]

def load_questions() -> list[str]:
    """The retrieval dev questions, shuffled: every timed ask is a question not asked before,
    so no answer comes from a cache of an earlier identical question."""
    questions = [q.q for q in retrieval_eval.load_questions(DEFAULT_QUESTIONS)]
    random.Random(1).shuffle(questions)
    return questions


def generate_corpus(root: Path, chunks: int, seed: int = 7) -> None:
    """~`chunks` sections across files of 20 sections each; every section is one chunk."""
    rng = random.Random(seed)
    per_file = 20
    for f in range(max(1, chunks // per_file)):
        parts = [f"---\ntitle: Generated guide {f}\nsources: []\nlast_reviewed: 2026-11\n---\n"]
        for s in range(per_file):
            sentences = " ".join(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
                                 for _ in range(rng.randint(3, 6)))
            parts.append(f"## Topic {f}.{s}: {rng.choice(OBJECTS)}\n{sentences}\n\n")
        (root / f"gen-{f:05d}.md").write_text("".join(parts), encoding="utf-8")


def corpus_texts(corpus: Path, a: Assistant) -> list[str]:
    return [embedding_text(c) for p in sorted(corpus.glob("*.md"))
            for c in chunk_document(load_path(p, source=p.name), a.chunking)]


def raw_encoder_throughput(embedder: embeddings.Embedder, texts: list[str]) -> float:
    embedder.embed(texts[:64])  # warm-up
    start = time.perf_counter()
    batch = embedder.batch_size * 4
    for i in range(0, len(texts), batch):
        embedder.embed(texts[i:i + batch])
    return len(texts) / (time.perf_counter() - start)


def encoder_table(texts: list[str]) -> list[tuple[str, float, float]]:
    """(backend, chunks/s, min cosine to torch) for each encoder on the same texts."""
    import numpy as np

    rows = []
    reference = None
    for label, overrides in [("torch (sentence-transformers)", {"embedding_backend": "torch"}),
                             ("onnx fp32", {"embedding_backend": "onnx"}),
                             ("onnx int8", {"embedding_backend": "onnx", "embedding_quantize": "int8"})]:
        embedder = embeddings.get_embedder(Settings(_env_file=None, **overrides))
        rate = raw_encoder_throughput(embedder, texts)
        vectors = embedder.embed(texts[:500])
        reference = vectors if reference is None else reference
        rows.append((label, rate, float(np.min((vectors * reference).sum(1)))))
    return rows


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(size: int, pool: list[str]) -> dict[str, float]:
    """One corpus size, asked `pool` (its own questions: the first 3 warm up)."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        generate_corpus(corpus, size)
        a = Assistant(Settings(data_dir=Path(tmp) / "data", knowledge_dir=PROJECT_ROOT / "knowledge", _env_file=None))
        a.embedder.clear_cache()  # the model instance is shared per process; its query cache is not reused
        texts = corpus_texts(corpus, a)
        raw, n_texts = raw_encoder_throughput(a.embedder, texts), len(texts)
        a.store.count()  # open Chroma (import, client start) outside the timing, as the model is loaded
        started = time.perf_counter()
        report = a.ingest([corpus])
        ingest_rate = report.embedded / (time.perf_counter() - started)
        a.ensure_index()
        total_chunks = a.store.count()
        warmup, asks = pool[:3], pool[3:]
        for q in warmup:
            a.ask(q)  # warm: model, BM25 index, topic gate
        latencies = []
        for q in asks:
            t = time.perf_counter()
            a.ask(q)
            latencies.append((time.perf_counter() - t) * 1000)
        return {
            "chunks": total_chunks, "raw_encoder": raw, "ingest": ingest_rate, "ratio": ingest_rate / raw,
            "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95), "n_texts": n_texts,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--encoder-texts", type=int, default=1000, help="texts for the encoder table (0: skip it)")
    args = parser.parse_args()
    pool = load_questions()
    per_size = 3 + args.questions
    if per_size * len(args.sizes) > len(pool):
        parser.error(f"{len(pool)} questions cannot give {len(args.sizes)} sizes {per_size} distinct questions each")
    rows = [run(size, pool[i * per_size:(i + 1) * per_size]) for i, size in enumerate(args.sizes)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"visapath core benchmark ({len(args.sizes)} corpus sizes, {args.questions} distinct warm asks each, "
          f"{__import__('os').cpu_count()} CPUs)")
    print(f"{'chunks':>8} | {'raw encoder chunks/s':>20} | {'ingest chunks/s':>15} | {'ratio':>5} | "
          f"{'ask p50 ms':>10} | {'ask p95 ms':>10}")
    print("-" * 86)
    for r in rows:
        print(f"{r['chunks']:>8} | {r['raw_encoder']:>20.0f} | {r['ingest']:>15.0f} | {r['ratio']:>5.2f} | "
              f"{r['p50']:>10.1f} | {r['p95']:>10.1f}")
    print(f"peak RSS: {peak_mb:.0f} MB")
    if args.encoder_texts:
        with tempfile.TemporaryDirectory() as tmp:
            generate_corpus(Path(tmp), args.encoder_texts)
            texts = corpus_texts(Path(tmp), Assistant(Settings(data_dir=Path(tmp) / "d", _env_file=None)))
        table = encoder_table(texts)
        print(f"\nencoders on the same {len(texts)} chunks")
        print(f"{'backend':>30} | {'chunks/s':>8} | {'vs torch':>8} | {'min cosine to torch':>19}")
        for label, rate, cosine in table:
            print(f"{label:>30} | {rate:>8.0f} | {rate / table[0][1]:>7.2f}x | {cosine:>19.4f}")


if __name__ == "__main__":
    main()
