"""Imports go one way: files -> ingest -> stores -> retrieve -> answer/explain/draft -> CLI and app.

Read from the source with `ast` (every import, also those inside functions), so the rule holds
for lazy imports too. Modules not named in LAYERS are still held to the hard rules below:
nothing under the CLI/app imports them, and `ingest` uses only the core.
"""

from __future__ import annotations

import ast
from pathlib import Path

from visapath.config import PROJECT_ROOT

# Rank by module-name prefix (longest prefix wins); a module may import its own rank or lower.
LAYERS: dict[str, int] = {
    # 0: settings, resources, data types, text utilities, templates
    "visapath.config": 0, "visapath.resources": 0, "visapath.models": 0, "visapath.text": 0,
    "visapath.prompts": 0, "visapath.injection": 0, "visapath.budget": 0,
    # 1: components over files and models: encoder, vector store, chat-model registry
    "visapath.embeddings": 1, "visapath.store": 1, "visapath.llm": 1,
    "visapath.database": 1, "visapath.migrations": 1,
    # 2: ingestion
    "ingest": 2,
    # 3: retrieval
    "visapath.retrieval": 3,
    # 4: answer, explain, draft and what they share
    "visapath.answer": 4, "visapath.advice": 4, "visapath.explain": 4, "visapath.drafts": 4,
    "visapath.profile": 4, "visapath.verify": 4, "visapath.followup": 4, "visapath.generate": 4,
    "visapath.workspace": 4, "visapath.conversations": 4, "visapath.postings": 4, "visapath.evaluation": 4,
    "visapath.employers": 4, "visapath.references": 4, "visapath.posting_answers": 4, "visapath.personal": 4,
    # 5: the facade the front ends use
    "visapath.service": 5,
    # 6: front ends
    "visapath.cli": 6, "visapath.ui": 6, "visapath.__main__": 6,
    "app": 7,
}
FRONT_ENDS = ("visapath.cli", "visapath.ui", "visapath.__main__", "app", "visapath.pages")
INGEST_MAY_USE = ("ingest", "visapath.config", "visapath.resources", "visapath.models", "visapath.text", "visapath.budget",
                  "visapath.embeddings", "visapath.store")


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def rank(name: str) -> int | None:
    if name == "visapath":  # the package itself (its __init__ holds the version)
        return 0
    best = max((p for p in LAYERS if _under(name, p)), key=len, default=None)
    return None if best is None else LAYERS[best]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def own_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of visapath, ingest or app in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                      if (PROJECT_ROOT / Path(*f"{target}.{alias.name}".split("."))).is_dir()
                      or (PROJECT_ROOT / Path(*f"{target}.{alias.name}".split("."))).with_suffix(".py").is_file()]
    return [(line, name) for line, name in found if name.split(".")[0] in {"visapath", "ingest", "app"}]


def sources() -> list[Path]:
    files = [PROJECT_ROOT / "app.py"]
    for top in ("visapath", "ingest"):
        files += sorted((PROJECT_ROOT / top).rglob("*.py"))
    return files


def test_the_scan_sees_the_package() -> None:
    names = {module_name(p) for p in sources()}
    assert {"visapath.service", "ingest.pipeline", "visapath.cli", "app"} <= names
    assert ("visapath.config" in {n for _, n in own_imports(PROJECT_ROOT / "visapath" / "service.py")})


def test_no_module_imports_one_above_it() -> None:
    upward = []
    for path in sources():
        me = module_name(path)
        mine = rank(me)
        for line, target in own_imports(path):
            theirs = rank(target)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{me}:{line} imports {target} (layer {theirs} > {mine})")
    assert not upward, "\n".join(upward)


def test_only_front_ends_import_front_ends() -> None:
    bad = []
    for path in sources():
        me = module_name(path)
        if any(_under(me, f) for f in FRONT_ENDS):
            continue
        bad += [f"{me}:{line} imports {target}" for line, target in own_imports(path)
                if any(_under(target, f) for f in FRONT_ENDS)]
    assert not bad, "\n".join(bad)


def test_ingest_depends_on_the_core_only() -> None:
    bad = []
    for path in sorted((PROJECT_ROOT / "ingest").rglob("*.py")):
        bad += [f"{module_name(path)}:{line} imports {target}" for line, target in own_imports(path)
                if target != "visapath" and not any(_under(target, allowed) for allowed in INGEST_MAY_USE)]
    assert not bad, "\n".join(bad)
