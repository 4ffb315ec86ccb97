"""Where a fresh `visapath ask` spends its time, per encoder backend, side by side.

Run: .venv/bin/python bench/bench_startup.py [--runs 3]
Each run is a new Python process over an existing index (built first, outside the timing),
timing: importing the CLI, loading the encoder, opening the index (Chroma), the first
retrieval (which builds the BM25 index), and the first answer; plus wall time from process
start and peak RSS. Backends alternate run by run so machine load hits them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PHASES = """
import json, resource, sys, time
t0 = start = time.perf_counter()
out = {}
def mark(name):
    global t0
    now = time.perf_counter(); out[name] = now - t0; t0 = now
import visapath.cli  # noqa: F401
mark("import CLI")
from visapath.cli.common import assistant
a = assistant()
_ = a.embedder
mark("encoder load")
a.store.count(); a.index_outdated()
mark("index open")
a.retriever.search("Can I start working before my H-1B transfer is approved?", scope=a.chat_scope())
mark("first retrieval (BM25 build)")
answer = a.ask("Is it safe to travel while my H-1B extension is pending?")
mark("first answer")
out["total"] = time.perf_counter() - start
out["torch imported"] = float("torch" in sys.modules)
out["peak RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

BACKENDS = {"torch": {"VISAPATH_EMBEDDING_BACKEND": "torch"},
            "onnx fp32": {"VISAPATH_EMBEDDING_BACKEND": "onnx"},
            "onnx int8": {"VISAPATH_EMBEDDING_BACKEND": "onnx", "VISAPATH_EMBEDDING_QUANTIZE": "int8"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "VISAPATH_LLM_BACKEND": "none"}
        envs = {}
        for name, extra in BACKENDS.items():
            envs[name] = {**base, **extra, "VISAPATH_DATA_DIR": str(Path(tmp) / name.replace(" ", "-"))}
            subprocess.run([sys.executable, "-m", "visapath.cli", "ingest", "--quiet"], env=envs[name],
                           check=True, capture_output=True, cwd=tmp)  # index (and ONNX export) outside the timing
        results: dict[str, list[dict[str, float]]] = {name: [] for name in BACKENDS}
        for _ in range(args.runs):
            for name, env in envs.items():
                done = subprocess.run([sys.executable, "-c", PHASES], env=env, capture_output=True, text=True,
                                      cwd=tmp, timeout=600)
                if done.returncode:
                    raise SystemExit(done.stderr[-3000:])
                results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    names = list(BACKENDS)
    keys = list(results[names[0]][0])
    print(f"fresh-process `ask`, median of {args.runs} runs per backend ({os.cpu_count()} CPUs), seconds")
    print(f"{'phase':<30} | " + " | ".join(f"{n:>10}" for n in names))
    print("-" * (33 + 13 * len(names)))
    for key in keys:
        cells = [statistics.median(r[key] for r in results[n]) for n in names]
        fmt = (lambda v: f"{v:>10.0f}") if key == "peak RSS MB" else (lambda v: f"{v:>10.2f}")
        print(f"{key:<30} | " + " | ".join(fmt(v) for v in cells))


if __name__ == "__main__":
    main()
