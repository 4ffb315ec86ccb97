"""Data survives: a rebuild keeps saved postings, and a process killed (SIGKILL, for real) at
several points of an upload or a rebuild leaves a store that is consistent after a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from visapath.cli import main
from visapath.config import PROJECT_ROOT, Settings, get_settings
from visapath.service import Assistant

POSTING = ("Lumenfjord Analytics is hiring a data engineer in Boise. "
           "We sponsor H-1B visas for this data engineer role.\n")
QUESTION = "Which analytics company here sponsors H-1B visas for the data engineer role?"

# Runs in a child process: patch one step of saving to SIGKILL the process right there.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from visapath import workspace
    from visapath.config import Settings
    from visapath.service import Assistant

    point, data, kb = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    real_write = workspace._write_record

    def write(conn, *args):
        if point == "after-chunks":
            die()  # the chunks are in the index, the record is not written yet
        real_write(conn, *args)
        if point == "before-commit":
            die()  # the record row is written inside its transaction, not committed
    workspace._write_record = write

    if point == "mid-rebuild":
        Assistant.reindex_postings = lambda self: die()  # index reset and guidance re-added, postings not yet

    a = Assistant(Settings(data_dir=data, knowledge_dir=kb, _env_file=None, llm_backend="none"))
    if point == "mid-rebuild":
        a.ingest([kb], rebuild=True)
    else:
        a.paste_posting(sys.stdin.read())
    print("finished")
""")


def _consistent(a: Assistant) -> tuple[set[str], set[str]]:
    """(sources of posting chunks in the index, sources of saved posting records)."""
    indexed = {m["source"] for _, m in a.store.metadatas_where({"kind": "posting"})}
    return indexed, {p.source for p in a.postings.list()}


def _run_child(point: str, data: Path, kb: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-c", CHILD, point, str(data), str(kb)], input=POSTING, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("point", ["after-chunks", "before-commit", "none"])
def test_killed_upload_leaves_a_consistent_store(tmp_path: Path, corpus: Path, point: str):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=corpus, _env_file=None, llm_backend="none")
    Assistant(settings).ensure_index()
    done = _run_child(point, settings.data_dir, corpus)
    if point == "none":
        assert done.returncode == 0 and "finished" in done.stdout, done.stderr
    else:
        assert done.returncode == -9, done.stderr  # really killed

    restarted = Assistant(settings)
    restarted.ensure_index()  # what the app and the first CLI run do at start
    indexed, saved = _consistent(restarted)
    assert indexed == saved
    assert len(saved) == (1 if point == "none" else 0)
    answer = restarted.ask(QUESTION)
    assert {c.source for c in answer.citations} & indexed == {c.source for c in answer.citations if
                                                              c.source.startswith("posting:")}
    assert not (settings.workspace_dir / "postings").exists(), "postings are rows, not files"
    assert (POSTING.split()[0].encode() in settings.sqlite_path.read_bytes()) == (point == "none")


def test_killed_rebuild_gets_the_postings_back_on_restart(tmp_path: Path, corpus: Path):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=corpus, _env_file=None, llm_backend="none")
    a = Assistant(settings)
    a.ensure_index()
    saved = a.paste_posting(POSTING).saved
    del a
    done = _run_child("mid-rebuild", settings.data_dir, corpus)
    assert done.returncode == -9, done.stderr

    restarted = Assistant(settings)
    assert _consistent(restarted) == (set(), {saved.source})  # the kill left the posting out of the index
    restarted.ensure_index()
    assert _consistent(restarted) == ({saved.source}, {saved.source})
    assert saved.source in {c.source for c in restarted.ask(QUESTION).citations}


def test_ingest_rebuild_keeps_saved_postings_citable(cli_data: Path, corpus: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("VISAPATH_KNOWLEDGE_DIR", str(corpus))
    get_settings.cache_clear()
    posting = tmp_path / "posting.txt"
    posting.write_text(POSTING, encoding="utf-8")
    assert main(["explain", str(posting), "--save", "--json"]) == 0
    capsys.readouterr()
    assert main(["ingest", "--rebuild", "--quiet", str(corpus)]) == 0
    capsys.readouterr()
    assert main(["ask", "--json", QUESTION]) == 0
    cited = {c["source"] for c in json.loads(capsys.readouterr().out)["citations"]}
    assert any(source.startswith("posting:") for source in cited)


SAVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from visapath.config import Settings
    from visapath.service import Assistant

    data, kb, user = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    a = Assistant(Settings(data_dir=data, knowledge_dir=kb, user=user, _env_file=None, llm_backend="none"))
    print(a.paste_posting(sys.stdin.read()).saved.source)
""")


def test_two_processes_saving_at_once_on_one_embedded_folder(tmp_path: Path, corpus: Path):
    """Writers take turns on the folder's write lock and reload each other's writes first."""
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=corpus, _env_file=None, llm_backend="none")
    watcher = Assistant(settings)
    watcher.ensure_index()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    children = []
    for user, company in (("ana", "Lumenfjord Analytics"), ("bob", "Corvidane Systems")):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(settings.data_dir), str(corpus), user],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env)
        child.stdin.write(POSTING.replace("Lumenfjord Analytics", company))
        child.stdin.close()
        children.append(child)
    sources = []
    for child in children:
        assert child.wait(timeout=300) == 0, child.stderr.read()
        sources.append(child.stdout.read().strip())
    # this process wrote nothing since; it must see both new postings, not a stale index
    indexed = {m["source"] for _, m in watcher.store.metadatas_where({"kind": "posting"})}
    assert set(sources) <= indexed
    ana = Assistant(settings.model_copy(update={"user": "ana"}))
    assert sources[0] in {c.source for c in ana.ask(QUESTION).citations}
