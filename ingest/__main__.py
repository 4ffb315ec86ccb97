"""`python -m ingest PATH...`: index files or folders into the configured store.

It wires the ingest pipeline from the core components itself (settings, encoder, store), so
ingestion works without the CLI or the app above it. `visapath ingest` does the same.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ingest.chunking import ChunkSettings
from ingest.loaders import LoadError
from ingest.pipeline import Indexer
from visapath.config import get_settings
from visapath.embeddings import encoder_identity, get_embedder
from visapath.store import StoreError, VectorStore


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Index files or folders.")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the knowledge folder)")
    parser.add_argument("--rebuild", action="store_true", help="drop the index first")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    settings = get_settings()
    chunking = ChunkSettings(settings.chunk_max_chars, settings.chunk_overlap_sentences)
    store = VectorStore(settings, encoder_identity(settings), chunking.signature)
    try:
        if args.rebuild:
            store.reset()
        else:
            store.check_compatible()
        indexer = Indexer(get_embedder(settings), store, chunking)
        report = indexer.ingest_paths(args.paths or [settings.knowledge_dir], kind="guidance",
                                      progress=not args.quiet)
    except (StoreError, LoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join([*report.lines(), report.summary()]))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
