"""The user's saved postings: kept on disk, indexed under the user, listed and deletable.

A posting is stored only after it has been read, analysed and indexed, and files are written
atomically, so a failure at any step leaves no half-stored posting behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ingest.pipeline import Indexer
from visapath import identifiers
from visapath.config import Settings
from visapath.models import Document


@dataclass(frozen=True)
class SavedPosting:
    id: str
    filename: str
    title: str
    company: str | None
    role: str | None
    verdict: str
    created: str
    chars: int

    @property
    def source(self) -> str:
        return source_for(self.id)

    @property
    def label(self) -> str:
        return self.title


def source_for(posting_id: str) -> str:
    return f"posting:{posting_id}"


def posting_id(text: str) -> str:
    """Same posting, same id: uploading it twice, or once as a PDF and once as text, keeps one copy
    (the key ignores spacing, punctuation and case; see `visapath.postings.screening`)."""
    from visapath.postings.screening import content_key

    return content_key(text)


class PostingWorkspace:
    def __init__(self, settings: Settings, indexer: Indexer,
                 on_delete: Callable[[str], Any] | None = None) -> None:
        """`on_delete(source)` runs after a posting is deleted, to purge copies kept elsewhere
        (answers and logged exchanges that quoted it), whoever deletes it: the app or the CLI."""
        self.settings = settings
        self.indexer = indexer
        self.on_delete = on_delete
        self.root = settings.workspace_dir / "postings"

    def save(self, doc: Document, analysis: dict[str, Any], title: str | None = None) -> SavedPosting:
        """Index the posting under this user, then persist its text and analysis. `title` is one the
        user typed and wins; otherwise the detected company and role name the posting."""
        pid = posting_id(doc.text)
        role, company = analysis.get("title"), analysis.get("company")
        title = title or " — ".join(p for p in (company, role) if p) or Path(doc.source).stem or "Posting"
        saved = SavedPosting(
            id=pid, filename=doc.source, title=title, company=company, role=role,
            verdict=str(analysis.get("sponsorship", {}).get("verdict", "not_mentioned")),
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"), chars=len(doc.text),
        )
        self._index(saved, doc.text, doc.pages)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.root / f"{pid}.txt", doc.text)
            # The record is written last: a posting exists once its record does (see `reconcile`).
            _atomic_write(self.root / f"{pid}.json", json.dumps(
                {"posting": asdict(saved), "analysis": analysis, "pages": [list(p) for p in doc.pages]}, indent=1))
        except OSError:
            self.indexer.remove_source(saved.source, self.settings.user)
            raise
        return saved

    def _indexed(self, saved: SavedPosting, text: str, pages: Any = None) -> Document:
        """The posting as the index holds it: this user's, titled for citations."""
        return Document(source=saved.source, title=f"Posting: {saved.title}", text=text, kind="posting",
                        owner=self.settings.user, pages=pages or ())

    def _index(self, saved: SavedPosting, text: str, pages: Any = None) -> None:
        self.indexer.ingest_document(self._indexed(saved, text, pages), extra={"filename": saved.filename})

    def reconcile(self) -> dict[str, int]:
        """Make the index and the saved files agree again after a crash or a rebuild.

        A posting is saved when its record (`ID.json`) is on disk. Chunks or a text file without
        a record (a process killed mid-upload) are removed; a record whose chunks are missing
        (a kill during `ingest --rebuild`) is indexed again from the saved text.
        """
        records = {p.id: p for p in self.list()}
        where = {"$and": [{"owner": self.settings.user}, {"kind": "posting"}]}
        indexed: dict[str, list[str]] = {}
        for chunk_id, meta in self.indexer.store.metadatas_where(where):
            indexed.setdefault(str(meta.get("source", "")), []).append(chunk_id)
        orphans = [i for source, ids in indexed.items() if source.removeprefix("posting:") not in records for i in ids]
        self.indexer.store.delete(orphans, purge=True)
        for stray in self.root.glob("*.txt") if self.root.exists() else []:
            if stray.stem not in records:
                stray.unlink(missing_ok=True)
        for leftover in self.root.glob(".tmp-*") if self.root.exists() else []:
            leftover.unlink(missing_ok=True)
        restored = 0
        for pid, saved in records.items():
            if saved.source in indexed:
                continue
            try:
                record = json.loads((self.root / f"{pid}.json").read_text(encoding="utf-8"))
                text = (self.root / f"{pid}.txt").read_text(encoding="utf-8")
            except (OSError, ValueError):
                continue  # a damaged record stays listed as is; it can still be deleted
            pages = tuple(tuple(p) for p in record.get("pages", []))
            self._index(saved, text, pages)  # type: ignore[arg-type]
            restored += 1
        return {"removed_chunks": len(orphans), "restored": restored}

    def list(self) -> list[SavedPosting]:
        if not self.root.exists():
            return []
        items = []
        for path in self.root.glob("[0-9a-f]*.json"):
            try:
                items.append(SavedPosting(**json.loads(path.read_text(encoding="utf-8"))["posting"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a damaged record is skipped, not fatal
        return sorted(items, key=lambda p: p.created, reverse=True)

    def get(self, pid: str) -> tuple[SavedPosting, str, dict[str, Any]]:
        """The saved posting, its text and analysis; InvalidIdentifier for a malformed id."""
        pid = identifiers.posting_id(pid)
        record = json.loads((self.root / f"{pid}.json").read_text(encoding="utf-8"))
        text = (self.root / f"{pid}.txt").read_text(encoding="utf-8")
        return SavedPosting(**record["posting"]), text, record["analysis"]

    def delete(self, pid: str) -> bool:
        """Remove the posting's chunks from the index and its files from disk.

        The id is checked first: it is joined into a path, so `../x` must never reach `unlink`.
        """
        pid = identifiers.posting_id(pid)
        removed = self.indexer.remove_source(source_for(pid), self.settings.user)
        found = False
        for suffix in (".json", ".txt"):
            path = self.root / f"{pid}{suffix}"
            if path.exists():
                path.unlink()
                found = True
        if self.on_delete is not None:
            self.on_delete(source_for(pid))
        return found or removed > 0

    def forget_all(self) -> int:
        """Delete every posting of this user: index entries (text erased), files, the folder."""
        store = self.indexer.store
        ids = store.ids_where({"$and": [{"owner": self.settings.user}, {"kind": "posting"}]})
        store.delete(ids, purge=True)
        if self.root.exists():
            shutil.rmtree(self.root)
        return len(ids)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def users_with_postings(settings: Settings) -> list[str]:
    """Every user who has a postings folder in this data directory (valid names only)."""
    root = settings.data_dir / "workspace"
    users = []
    for folder in sorted(root.iterdir()) if root.exists() else []:
        try:
            if (folder / "postings").is_dir() and identifiers.user_name(folder.name) == folder.name:
                users.append(folder.name)
        except identifiers.InvalidIdentifier:
            continue
    return users
