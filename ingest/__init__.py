"""Ingestion: files -> Documents -> chunks -> the index. Run `python -m ingest PATH...`."""

from ingest.chunking import ChunkSettings, chunk_document
from ingest.loaders import LoadError, load_bytes, load_path, load_text
from ingest.pipeline import FileResult, IngestReport, Indexer

__all__ = [
    "ChunkSettings", "chunk_document", "LoadError", "load_bytes", "load_path", "load_text",
    "FileResult", "IngestReport", "Indexer",
]
