"""Generative-path timings: time to first token and total answer time, grounded vs the `openai`
backend, plus the citation verifier's cost per answer and its precision/recall on the labeled set.

The `openai` figures are measured against the loopback stub server of the tests
(tests/openai_stub.py), which answers instantly: they measure OUR pipeline (retrieval, prompt,
HTTP + SSE through langchain-openai, verification), not a real model's speed. Add a real
model's own generation time on top.

Usage: .venv/bin/python bench/bench_llm.py [--repeat N] [--data-dir DIR]
(the knowledge index is built in a temp dir unless --data-dir points at an existing one)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.openai_stub import StubServer, cite_first_sentence, sources_in  # noqa: E402
from visapath.config import Settings  # noqa: E402
from visapath.generate import number_sources  # noqa: E402
from visapath.retrieval import Scope  # noqa: E402
from visapath.service import Assistant  # noqa: E402
from visapath.verify import Verifier, precision_recall  # noqa: E402

QUESTIONS = [
    "How many unemployment days are allowed on STEM OPT?",
    "How does the H-1B lottery work?",
    "Can I change H-1B employers before 180 days?",
    "What is Form I-983?",
    "What is the 60-day grace period after a layoff?",
    "Who pays the H-1B registration fee?",
    "What is the cap-gap extension?",
    "Does an H-1B transfer need a new lottery?",
]
GUIDANCE = Scope(kinds=("guidance",))


def timed_stream(a: Assistant, question: str) -> tuple[float, float]:
    """(seconds to the first delta, seconds to the final verified answer)."""
    start = time.perf_counter()
    first = None
    for event in a.ask_stream(question, scope=GUIDANCE):
        if first is None:
            first = time.perf_counter() - start
    return first or 0.0, time.perf_counter() - start


def run_backend(a: Assistant, repeat: int) -> tuple[list[float], list[float]]:
    ttft, total = [], []
    for _ in range(repeat):
        for q in QUESTIONS:
            first, whole = timed_stream(a, q)
            ttft.append(first)
            total.append(whole)
    return ttft, total


def verifier_cost(a: Assistant, repeat: int) -> tuple[list[float], list[float]]:
    """ms per verification: a one-sentence answer, and a four-sentence answer citing [1]-[4]."""
    verifier = Verifier(a.embedder, cache=a.grounded.sentences)  # as in the service: shared sentence vectors
    short, long = [], []
    for _ in range(repeat):
        for q in QUESTIONS:
            hits = a.grounded.passing(a.grounded.retrieve(q, GUIDANCE))
            sources = {s.n: s.hit.chunk.text for s in number_sources(hits)}
            one = cite_first_sentence({"messages": [{"role": "user", "content": _wrapped(sources)}]})
            several = " ".join(_first(text) + f" [{n}]." for n, text in sources.items())
            for text, bucket in ((one, short), (several, long)):
                start = time.perf_counter()
                verifier.verify(text, sources)
                bucket.append((time.perf_counter() - start) * 1000)
    return short, long


def threshold_report(a: Assistant) -> list[tuple[float, float, float]]:
    data = yaml.safe_load((ROOT / "tests" / "data" / "verify_pairs.yaml").read_text(encoding="utf-8"))
    labels = [p["supported"] for p in data["pairs"]]
    rows = []
    for threshold in (0.56, 0.60, 0.64, 0.68, 0.72):
        verifier = Verifier(a.embedder, threshold=threshold)
        predicted = [verifier.support(p["sentence"], data["passages"][p["passage"]]).reason == "supported"
                     for p in data["pairs"]]
        rows.append((threshold, *precision_recall(predicted, labels)))
    return rows


def _wrapped(sources: dict[int, str]) -> str:
    return "\n".join(f'<source id="{n}">\n{text}\n</source>' for n, text in sources.items())


def _first(text: str) -> str:
    from visapath.text import split_sentences

    return next((s.text for s in split_sentences(text) if len(s.text) > 30), text).rstrip(".")


def fmt(values: list[float], scale: float = 1000.0) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"{statistics.median(values) * scale:8.1f} {p95 * scale:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="visapath-bench-llm-"))
    grounded = Assistant(Settings(data_dir=data_dir, _env_file=None))
    started = time.perf_counter()
    grounded.ensure_index()
    print(f"index ready in {time.perf_counter() - started:.1f}s ({grounded.store.count()} chunks, {data_dir})")

    with StubServer() as stub:
        llm = Assistant(grounded.settings.model_copy(
            update={"llm_backend": "openai", "llm_base_url": stub.base_url, "llm_model": "stub"}))
        for a in (grounded, llm):  # warm: model, BM25 cache, topic gate, sentence vectors, HTTP client
            for q in QUESTIONS:
                timed_stream(a, q)
        g_first, g_total = run_backend(grounded, args.repeat)
        o_first, o_total = run_backend(llm, args.repeat)
        assert stub.requests and all(sources_in(r) for r in stub.requests), "the stub saw no sources"
        verified = sum(1 for q in QUESTIONS if llm.ask(q, scope=GUIDANCE).backend == "openai")

    v_short, v_long = verifier_cost(grounded, args.repeat)
    n = len(QUESTIONS) * args.repeat
    print(f"\n{n} answers per backend after one warm-up pass; milliseconds, median and p95\n")
    print(f"{'':34} {'median':>8} {'p95':>8}")
    print(f"{'grounded: first token':34} {fmt(g_first)}")
    print(f"{'grounded: whole answer':34} {fmt(g_total)}")
    print(f"{'openai (loopback stub): first token':34} {fmt(o_first)}")
    print(f"{'openai (loopback stub): whole answer':34} {fmt(o_total)}")
    print(f"{'verifier, 1-sentence answer':34} {fmt(v_short, 1.0)}")
    print(f"{'verifier, 4-sentence answer':34} {fmt(v_long, 1.0)}")
    print(f"\nopenai answers that passed verification: {verified}/{len(QUESTIONS)}")
    print("note: the openai rows measure our pipeline + HTTP/SSE against an instant stub server,")
    print("      not a real model; a real model adds its own prompt processing and generation time.")

    print("\nverifier threshold on tests/data/verify_pairs.yaml (shipped: 0.64)")
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7}")
    for threshold, precision, recall in threshold_report(grounded):
        print(f"{threshold:9.2f} {precision:9.3f} {recall:7.3f}")


if __name__ == "__main__":
    main()
