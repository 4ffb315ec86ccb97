"""The data directory is private: folders 0700, files 0600, deleted text erased from SQLite.

A user's status, dates, postings and questions live here, so nobody else on the machine may
read them. The process umask is set to 077 before anything is written, which covers the files
Chroma and SQLite create themselves; folders and files left readable by an older version are
tightened when the data directory is opened.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterable
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


class DataDirError(OSError):
    """The data directory can't be created or written; the message says what to do."""


def open_private(data_dir: Path) -> Path:
    """Create (or tighten) the data directory and make everything this process writes private."""
    os.umask(PRIVATE_UMASK)
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except OSError as exc:
        raise DataDirError(unwritable(data_dir, exc)) from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise DataDirError(unwritable(data_dir, PermissionError("permission denied")))
    tighten(data_dir)
    return data_dir


def tighten(root: Path) -> None:
    """Remove group and other access from `root` and everything under it that this user owns."""
    me = os.geteuid()
    for path in _tree(root):
        try:
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode) or info.st_uid != me or not info.st_mode & 0o077:
                continue
            path.chmod(DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE)
        except OSError:
            continue  # vanished or not ours: nothing to tighten


def _tree(root: Path) -> Iterable[Path]:
    yield root
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in (*dirs, *files):
            yield base / name


def unwritable(path: Path, exc: BaseException) -> str:
    """The one message for a data folder visapath may not use."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return (f"visapath can't write to its data folder {path} ({reason.lower()}). Give your user write access "
            "to it, or set VISAPATH_DATA_DIR to a folder you own.")


def connect_sqlite(path: Path, timeout: float = 10.0) -> sqlite3.Connection:
    """A connection that overwrites deleted rows (`secure_delete`), so removed text leaves the file."""
    db = sqlite3.connect(path, timeout=timeout)
    db.execute("PRAGMA secure_delete = ON")
    return db


def scrub_chroma(sqlite_path: Path, ids: list[str]) -> None:
    """Erase deleted chunks' text from an embedded Chroma file.

    Chroma keeps every write in its `embeddings_queue` log (document text included) until
    enough later writes let it purge, and frees pages without overwriting them. After its own
    delete, the logged payloads of these ids are blanked (the vectors stay, so a replay after a
    restart still adds and then deletes them) and the file is vacuumed, leaving no free pages.
    """
    if not ids or not Path(sqlite_path).exists():
        return
    db = connect_sqlite(sqlite_path, timeout=30.0)
    try:
        with db:
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                db.execute(f"UPDATE embeddings_queue SET metadata = NULL WHERE id IN ({','.join('?' * len(part))})",
                           part)
        db.execute("VACUUM")
    finally:
        db.close()
