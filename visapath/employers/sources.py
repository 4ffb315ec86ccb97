"""Expanding what the user named (files, folders, zip archives) into files to import.

Zip members are extracted one at a time into a private temporary folder, with a size limit so a
damaged or hostile archive cannot fill the disk; a member is imported under the name
`archive.zip!member.csv` so the vintage says where it came from.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from visapath.employers.formats import is_xlsx, is_zip

DATA_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".zip"}


@dataclass(frozen=True)
class InputFile:
    path: Path
    source: str  # what the user sees: a path, or archive!member
    error: str | None = None


def _walk(root: Path) -> Iterator[Path]:
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.name.startswith((".", "~$")) and p.suffix.lower() in DATA_SUFFIXES:
            yield p


@contextmanager
def expand(paths: list[Path], max_member_bytes: int) -> Iterator[list[InputFile]]:
    """Every importable file under `paths`; temporary extractions are removed on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="visapath-import-"))
    try:
        out: list[InputFile] = []
        for p in paths:
            p = Path(p).expanduser()
            if not p.exists():
                out.append(InputFile(p, str(p), "no such file or folder"))
            elif p.is_dir():
                for f in _walk(p):
                    out.extend(_file(f, str(f), tmp, max_member_bytes))
            else:
                out.extend(_file(p, str(p), tmp, max_member_bytes))
        yield out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _file(path: Path, source: str, tmp: Path, limit: int, depth: int = 0) -> list[InputFile]:
    try:
        archive = is_zip(path) and not is_xlsx(path)
    except OSError as exc:
        return [InputFile(path, source, f"cannot read: {exc.strerror or exc}")]
    if not archive:
        return [InputFile(path, source)]
    if depth > 1:
        return [InputFile(path, source, "a zip inside a zip inside a zip is not opened")]
    out: list[InputFile] = []
    try:
        with zipfile.ZipFile(path) as z:
            for i, info in enumerate(z.infolist()):
                name = info.filename
                if info.is_dir() or Path(name).name.startswith((".", "~$")) or "__MACOSX" in name:
                    continue
                if Path(name).suffix.lower() not in DATA_SUFFIXES:
                    continue
                member_source = f"{source}!{name}"
                if info.file_size > limit:
                    out.append(InputFile(path, member_source, f"member is {info.file_size / 1e6:.0f} MB, over the "
                                         f"{limit / 1e6:.0f} MB limit (VISAPATH_EMPLOYERS_MAX_MEMBER_MB)"))
                    continue
                target = tmp / f"{depth}-{i}{Path(name).suffix.lower()}"
                with z.open(info) as src, open(target, "wb") as dst:
                    copied = 0
                    while block := src.read(1 << 20):
                        copied += len(block)
                        if copied > limit:
                            break
                        dst.write(block)
                if copied > limit:
                    target.unlink(missing_ok=True)
                    out.append(InputFile(path, member_source, "member expands past the size limit"))
                    continue
                out.extend(_file(target, member_source, tmp, limit, depth + 1))
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        out.append(InputFile(path, source, f"damaged or encrypted zip archive ({exc})"))
    return out
