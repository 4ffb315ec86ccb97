"""visapath beside the plain LangChain + Chroma pipeline most Streamlit RAG apps ship, in one run.

Run: .venv/bin/python bench/bench_vs_plain.py [--questions PATH] [--limit N]
Needs the `bench` extra (langchain-huggingface, langchain-chroma, langchain-text-splitters).

Both pipelines index the same corpus (`knowledge/`) with the same model (the packaged
all-MiniLM-L6-v2, from its local directory) into their own Chroma directory:
- plain: files read as text, `RecursiveCharacterTextSplitter(1500, 200)`, `HuggingFaceEmbeddings`,
  `Chroma.from_documents`, `similarity_search(k=4)`.
- visapath: its own ingest (heading-aware chunks), hybrid retrieval, grounded answer.
Printed side by side: index build time, warm query latency p50/p95 (each question asked once,
so nothing is answered from a cache), cold start of a fresh process to its first result, and
on the real dev questions (read in place; `must` regexes) the share whose facts all appear in
the retrieved context and in what the user is shown. The plain pipeline has no answerer without
an LLM, so what it shows is its top passage; visapath shows its grounded answer.
Ratios are the claim; absolute times depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from visapath.config import PROJECT_ROOT, Settings  # noqa: E402
from visapath.embeddings import resolve_model_dir  # noqa: E402
from visapath.evaluation.questions import load_items, missing, score_item  # noqa: E402
from visapath.service import Assistant  # noqa: E402

DEV_QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "dev" / "questions.jsonl"
K = 4

PLAIN_COLD = """
import sys, time, json
t = time.perf_counter()
from langchain_chroma import Chroma
from langchain_huggingface import HuggingFaceEmbeddings
emb = HuggingFaceEmbeddings(model_name=sys.argv[1], model_kwargs={"device": "cpu", "local_files_only": True})
db = Chroma(collection_name="plain", embedding_function=emb, persist_directory=sys.argv[2])
docs = db.similarity_search(sys.argv[3], k=4)
print(json.dumps({"seconds": time.perf_counter() - t, "results": len(docs)}))
"""

VISAPATH_COLD = """
import sys, time, json
t = time.perf_counter()
from visapath.cli import main
import io, contextlib
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["ask", "--json", sys.argv[1]])
print(json.dumps({"seconds": time.perf_counter() - t, "results": len(json.loads(out.getvalue())["citations"])}))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- the plain pipeline ------------------------------------------------------------------------
def plain_documents(corpus: Path) -> list:
    """What a plain app feeds the splitter: each file's text with its path as the source."""
    from langchain_core.documents import Document

    return [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.relative_to(corpus).as_posix()})
            for p in sorted(corpus.rglob("*.md")) if "lexicon" not in p.parts]


def plain_build(corpus: Path, persist: Path, embeddings) -> tuple[object, float, int]:
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    chunks = RecursiveCharacterTextSplitter(chunk_size=1500, chunk_overlap=200).split_documents(plain_documents(corpus))
    db = Chroma.from_documents(chunks, embeddings, collection_name="plain", persist_directory=str(persist))
    return db, time.perf_counter() - started, len(chunks)


# -- measurements ------------------------------------------------------------------------------
def cold_start(code: str, args: list[str], env: dict[str, str], runs: int) -> float:
    """Median seconds from process start (imports included) to the first result."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=tempfile.gettempdir(),
                              capture_output=True, text=True, timeout=600)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        json.loads(done.stdout.strip().splitlines()[-1])  # it did produce a result
        times.append(wall)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS, help="JSON lines with `question` and `must`")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N questions (0: all)")
    parser.add_argument("--cold-runs", type=int, default=2)
    args = parser.parse_args()
    items = [i for i in load_items(args.questions) if not i.decline and i.must]
    if args.limit:
        items = items[:args.limit]
    corpus = PROJECT_ROOT / "knowledge"
    model_dir = str(resolve_model_dir(Settings(_env_file=None).embedding_model))

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        # Models loaded before the build timing, for both.
        from langchain_huggingface import HuggingFaceEmbeddings

        plain_emb = HuggingFaceEmbeddings(model_name=model_dir, model_kwargs={"device": "cpu", "local_files_only": True})
        plain_emb.embed_query("warm-up")
        settings = Settings(data_dir=tmp_path / "visapath", knowledge_dir=corpus, _env_file=None, llm_backend="none")
        a = Assistant(settings)
        a.embedder.embed_one("warm-up")
        a.store.count()

        db, plain_build_s, plain_chunks = plain_build(corpus, tmp_path / "plain", plain_emb)
        started = time.perf_counter()
        a.ensure_index()
        vp_build_s = time.perf_counter() - started
        vp_chunks = a.store.count()

        warm = items[0].question + " (warm-up)"
        db.similarity_search(warm, k=K)
        a.ask(warm)
        plain_lat, vp_lat, vp_ret_lat = [], [], []
        plain_ctx = plain_top = vp_ctx = vp_ans = 0
        for item in items:
            t = time.perf_counter()
            docs = db.similarity_search(item.question, k=K)
            plain_lat.append((time.perf_counter() - t) * 1000)
            plain_ctx += not missing(item.must, "\n".join(d.page_content for d in docs))
            plain_top += bool(docs) and not missing(item.must, docs[0].page_content)
            a.embedder.clear_cache()
            t = time.perf_counter()
            a.retriever.search(item.question, scope=a.chat_scope())  # retrieval only, as the plain search
            vp_ret_lat.append((time.perf_counter() - t) * 1000)
            a.embedder.clear_cache()
            t = time.perf_counter()
            answer = a.ask(item.question)
            vp_lat.append((time.perf_counter() - t) * 1000)
            scored = score_item(item, answer)
            vp_ctx += scored.in_context
            vp_ans += scored.in_answer

        env = {**os.environ, "PYTHONPATH": str(ROOT), "VISAPATH_DATA_DIR": str(tmp_path / "visapath"),
               "VISAPATH_KNOWLEDGE_DIR": str(corpus), "VISAPATH_LLM_BACKEND": "none"}
        question = items[-1].question
        plain_cold = cold_start(PLAIN_COLD, [model_dir, str(tmp_path / "plain"), question], env, args.cold_runs)
        vp_cold = cold_start(VISAPATH_COLD, [question], env, args.cold_runs)

    n = len(items)
    print(f"visapath vs plain LangChain + Chroma on knowledge/ ({n} dev questions with facts; "
          f"{os.cpu_count()} CPUs; encoder backend {settings.embedding_backend})")
    rows = [
        ("chunks", f"{plain_chunks}", f"{vp_chunks}", ""),
        ("index build (model loaded), s", f"{plain_build_s:.1f}", f"{vp_build_s:.1f}", f"{vp_build_s / plain_build_s:.2f}"),
        ("warm query p50, ms (plain: search)", f"{statistics.median(plain_lat):.0f}",
         f"{statistics.median(vp_ret_lat):.0f}", f"{statistics.median(vp_ret_lat) / statistics.median(plain_lat):.2f}"),
        ("warm query p95, ms (plain: search)", f"{percentile(plain_lat, .95):.0f}", f"{percentile(vp_ret_lat, .95):.0f}",
         f"{percentile(vp_ret_lat, .95) / percentile(plain_lat, .95):.2f}"),
        ("warm answer p50 / p95, ms", "-", f"{statistics.median(vp_lat):.0f} / {percentile(vp_lat, .95):.0f}", ""),
        ("cold start to first result, s", f"{plain_cold:.1f}", f"{vp_cold:.1f}", f"{vp_cold / plain_cold:.2f}"),
        ("facts in retrieved context", f"{plain_ctx / n:.1%}", f"{vp_ctx / n:.1%}", ""),
        ("facts in what is shown (plain: top passage)", f"{plain_top / n:.1%}", f"{vp_ans / n:.1%}", ""),
    ]
    print(f"{'':<44} | {'plain':>10} | {'visapath':>13} | {'visapath/plain':>14}")
    print("-" * 92)
    for name, plain, vp, ratio in rows:
        print(f"{name:<44} | {plain:>10} | {vp:>13} | {ratio:>14}")


if __name__ == "__main__":
    main()
