"""The user's saved postings: a row each in the app database, indexed under the user, listed and deletable.

A posting is stored only after it has been read, analysed and indexed, and its record (text,
analysis, pages) is written in one transaction, so a failure at any step leaves no half-stored
posting behind. Every row and every chunk carries the owner; no query reaches another user's.
Earlier versions kept `workspace/<user>/postings/ID.json` and `ID.txt`; those are moved into the
database when their user's postings are next reconciled (at start) or listed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from ingest.pipeline import Indexer
from visapath import identifiers
from visapath.config import Settings
from visapath.database import Database, open_database
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


class PostingNotFound(KeyError):
    """No saved posting with this id for this user."""


def source_for(posting_id: str) -> str:
    return f"posting:{posting_id}"


def posting_id(text: str) -> str:
    """Same posting, same id: uploading it twice, or once as a PDF and once as text, keeps one copy
    (the key ignores spacing, punctuation and case; see `visapath.postings.screening`)."""
    from visapath.postings.screening import content_key

    return content_key(text)


class PostingWorkspace:
    def __init__(self, settings: Settings, indexer: Indexer,
                 on_delete: Callable[[str], Any] | None = None, database: Database | None = None) -> None:
        """`on_delete(source)` runs after a posting is deleted, to purge copies kept elsewhere
        (answers and logged exchanges that quoted it), whoever deletes it: the app or the CLI."""
        self.settings = settings
        self.owner = settings.user
        self.indexer = indexer
        self.on_delete = on_delete
        self._database = database
        self.root = settings.workspace_dir / "postings"  # where earlier versions kept the files

    @property
    def db(self) -> Database:
        if self._database is None:
            self._database = open_database(self.settings.app_database_url)
        return self._database

    def save(self, doc: Document, analysis: dict[str, Any], title: str | None = None) -> SavedPosting:
        """Index the posting under this user, then store its record. `title` is one the user typed
        and wins; otherwise the detected company and role name the posting."""
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
            # The record is written last: a posting exists once its row does (see `reconcile`).
            with self.db.begin(immediate=True) as conn:
                _write_record(conn, self.owner, saved, doc.text, analysis, [list(p) for p in doc.pages])
        except BaseException:
            self.indexer.remove_source(saved.source, self.owner)
            raise
        return saved

    def _indexed(self, saved: SavedPosting, text: str, pages: Any = None) -> Document:
        """The posting as the index holds it: this user's, titled for citations."""
        return Document(source=saved.source, title=f"Posting: {saved.title}", text=text, kind="posting",
                        owner=self.owner, pages=pages or ())

    def _index(self, saved: SavedPosting, text: str, pages: Any = None) -> None:
        self.indexer.ingest_document(self._indexed(saved, text, pages), extra={"filename": saved.filename})

    def reconcile(self) -> dict[str, int]:
        """Make the index and the saved records agree again after a crash or a rebuild.

        A posting is saved when its row is in the database. Chunks without a row (a process
        killed mid-upload) are removed; a row whose chunks are missing (a kill during
        `ingest --rebuild`) is indexed again from the stored text.
        """
        self.import_legacy()
        records = {p.id: p for p in self.list()}
        where = {"$and": [{"owner": self.owner}, {"kind": "posting"}]}
        indexed: dict[str, list[str]] = {}
        for chunk_id, meta in self.indexer.store.metadatas_where(where):
            indexed.setdefault(str(meta.get("source", "")), []).append(chunk_id)
        orphans = [i for source, ids in indexed.items() if source.removeprefix("posting:") not in records for i in ids]
        self.indexer.store.delete(orphans, purge=True)
        restored = 0
        for pid, saved in records.items():
            if saved.source in indexed:
                continue
            try:
                _, text, _, pages = self._row(pid)
            except (PostingNotFound, ValueError):
                continue  # deleted meanwhile, or a damaged record: it stays listed and can be deleted
            self._index(saved, text, tuple(tuple(p) for p in pages))
            restored += 1
        return {"removed_chunks": len(orphans), "restored": restored}

    def list(self) -> list[SavedPosting]:
        """This user's saved postings, newest first (a damaged record is skipped, not fatal)."""
        self.import_legacy()
        with self.db.begin() as conn:
            rows = conn.execute(text("SELECT record FROM postings WHERE owner = :o ORDER BY created DESC, id"),
                                {"o": self.owner}).scalars().all()
        items = []
        for raw in rows:
            try:
                items.append(SavedPosting(**json.loads(raw)))
            except (ValueError, TypeError):
                continue
        return sorted(items, key=lambda p: p.created, reverse=True)

    def get(self, pid: str) -> tuple[SavedPosting, str, dict[str, Any]]:
        """The saved posting, its text and analysis; InvalidIdentifier for a malformed id,
        PostingNotFound (a KeyError) when this user has no such posting."""
        saved, text, analysis, _ = self._row(identifiers.posting_id(pid))
        return saved, text, analysis

    def _row(self, pid: str) -> tuple[SavedPosting, str, dict[str, Any], list[Any]]:
        with self.db.begin() as conn:
            row = conn.execute(text("SELECT record, text, analysis, pages FROM postings WHERE owner = :o AND id = :id"),
                               {"o": self.owner, "id": pid}).mappings().first()
        if row is None:
            raise PostingNotFound(pid)
        return (SavedPosting(**json.loads(row["record"])), row["text"], json.loads(row["analysis"]),
                json.loads(row["pages"] or "[]"))

    def delete(self, pid: str) -> bool:
        """Remove the posting's chunks from the index and its row from the database.

        The id is checked first: it names a row and, in older data directories, a file path, so
        `../x` must never reach a query or `unlink`.
        """
        pid = identifiers.posting_id(pid)
        self.import_legacy()
        removed = self.indexer.remove_source(source_for(pid), self.owner)
        with self.db.begin(immediate=True) as conn:
            found = conn.execute(text("DELETE FROM postings WHERE owner = :o AND id = :id"),
                                 {"o": self.owner, "id": pid}).rowcount > 0
        if self.on_delete is not None:
            self.on_delete(source_for(pid))
        return found or removed > 0

    def forget_all(self) -> int:
        """Delete every posting of this user: index entries (text erased), rows, old files."""
        store = self.indexer.store
        ids = store.ids_where({"$and": [{"owner": self.owner}, {"kind": "posting"}]})
        store.delete(ids, purge=True)
        with self.db.begin(immediate=True) as conn:
            conn.execute(text("DELETE FROM postings WHERE owner = :o"), {"o": self.owner})
        if self.root.exists():
            shutil.rmtree(self.root)
        return len(ids)

    def import_legacy(self) -> int:
        """Move postings an earlier version kept as files (`ID.json` + `ID.txt`) into the database.

        Each one is imported in its own transaction and its files are removed after the commit;
        a damaged pair is left on disk untouched. Stray text and temp files of a killed upload
        (no record) are removed, as the file-based store did. Returns how many were imported.
        """
        if not self.root.is_dir():
            return 0
        imported = 0
        for record_path in sorted(self.root.glob("[0-9a-f]*.json")):
            pid, text_path = record_path.stem, record_path.with_suffix(".txt")
            try:
                identifiers.posting_id(pid)
                record = json.loads(record_path.read_text(encoding="utf-8"))
                saved = SavedPosting(**record["posting"])
                body = text_path.read_text(encoding="utf-8")
            except (OSError, ValueError, KeyError, TypeError):
                continue
            with self.db.begin(immediate=True) as conn:
                _write_record(conn, self.owner, saved, body, record.get("analysis") or {}, record.get("pages") or [])
            record_path.unlink(missing_ok=True)
            text_path.unlink(missing_ok=True)
            imported += 1
        for stray in [*self.root.glob("*.txt"), *self.root.glob(".tmp-*")]:
            if not stray.with_suffix(".json").exists():
                stray.unlink(missing_ok=True)
        if not any(self.root.iterdir()):
            self.root.rmdir()
        return imported


def _write_record(conn: Connection, owner: str, saved: SavedPosting, body: str, analysis: dict[str, Any],
                  pages: list[Any]) -> None:
    """Insert or replace one posting row (the same text saved again keeps one copy)."""
    conn.execute(text(
        "INSERT INTO postings (owner, id, record, analysis, pages, text, created) "
        "VALUES (:o, :id, :record, :analysis, :pages, :text, :created) ON CONFLICT (owner, id) DO UPDATE SET "
        "record = excluded.record, analysis = excluded.analysis, pages = excluded.pages, text = excluded.text, "
        "created = excluded.created"),
        {"o": owner, "id": saved.id, "record": json.dumps(asdict(saved)), "analysis": json.dumps(analysis),
         "pages": json.dumps(pages), "text": body, "created": saved.created})


def users_with_postings(settings: Settings, database: Database | None = None) -> list[str]:
    """Every user with saved postings: rows in the database, or files an earlier version left."""
    db = database or open_database(settings.app_database_url)
    with db.begin() as conn:
        users = set(conn.execute(text("SELECT DISTINCT owner FROM postings")).scalars())
    root = settings.data_dir / "workspace"
    for folder in sorted(root.iterdir()) if root.exists() else []:
        try:
            if (folder / "postings").is_dir() and identifiers.user_name(folder.name) == folder.name:
                users.add(folder.name)
        except identifiers.InvalidIdentifier:
            continue
    return sorted(users)
