"""The hosted layout for real: two app hosts (separate processes and data folders) sharing one
Chroma server and one PostgreSQL. A user's data follows them from host to host; another user's
never shows up. Each step is a separate `visapath` process, as a request to another host would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import fresh_postgres
from tests.test_chroma_server import ChromaServer
from visapath.config import PROJECT_ROOT

pytestmark = pytest.mark.server

POSTING = ("Wrenfield Dynamics is hiring a robotics software engineer in Denver. "
           "We sponsor H-1B visas for this robotics software engineer role.\n")
QUESTION = "Which company here sponsors H-1B visas for the robotics software engineer role?"


@pytest.fixture
def shared_services(tmp_path: Path):
    """One Chroma server and one PostgreSQL database, as the hosted layout has."""
    with fresh_postgres() as url:
        chroma = ChromaServer(tmp_path / "chroma-server").start()
        try:
            yield {"VISAPATH_DATABASE_URL": url, "VISAPATH_CHROMA_HOST": "127.0.0.1",
                   "VISAPATH_CHROMA_PORT": str(chroma.port)}
        finally:
            chroma.stop()


def _on(host: Path, user: str, services: dict[str, str], corpus: Path, *argv: str) -> tuple[int, str, str]:
    """Run one `visapath` command on an app host (its own data folder) as `user`."""
    env = {**os.environ, **services, "VISAPATH_DATA_DIR": str(host), "VISAPATH_USER": user,
           "VISAPATH_KNOWLEDGE_DIR": str(corpus), "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "visapath.cli", *argv], env=env, capture_output=True, text=True,
                          timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_two_app_hosts_share_one_chroma_server_and_one_postgresql(shared_services: dict[str, str], corpus: Path,
                                                                   tmp_path: Path):
    host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"
    posting = tmp_path / "posting.txt"
    posting.write_text(POSTING, encoding="utf-8")
    assert _on(host_a, "ana", shared_services, corpus, "ingest", "--quiet")[0] == 0
    assert _on(host_a, "ana", shared_services, corpus, "profile", "--name", "Ana Lima", "--status", "h1b")[0] == 0
    code, out, err = _on(host_a, "ana", shared_services, corpus, "explain", str(posting), "--save", "--json")
    assert code == 0, err
    pid = json.loads(out)["posting_id"]
    code, out, err = _on(host_a, "ana", shared_services, corpus, "ask", "--json", "--conversation", "new", QUESTION)
    assert code == 0 and f"posting:{pid}" in {c["source"] for c in json.loads(out)["citations"]}, err
    conv = err.split("conversation: ")[1].split()[0]

    # Ana's next request lands on host B: her profile, posting, conversation and citations are there.
    code, out, _ = _on(host_b, "ana", shared_services, corpus, "profile", "--json")
    assert json.loads(out)["name"] == "Ana Lima"
    assert [p["id"] for p in json.loads(_on(host_b, "ana", shared_services, corpus, "postings", "list", "--json")[1])] == [pid]
    code, out, err = _on(host_b, "ana", shared_services, corpus, "ask", "--json", "--conversation", conv,
                         "and for the same robotics software engineer role, who sponsors H-1B visas?")
    assert code == 0 and f"posting:{pid}" in {c["source"] for c in json.loads(out)["citations"]}, err
    shown = json.loads(_on(host_b, "ana", shared_services, corpus, "conversations", "show", conv, "--json")[1])
    assert len(shown["messages"]) == 4
    assert not (host_a / "visapath.sqlite3").exists() and not (host_b / "visapath.sqlite3").exists()

    # Ben on host B: nothing of Ana's, not even through citations; he can't touch her conversation.
    code, out, _ = _on(host_b, "ben", shared_services, corpus, "ask", "--json", QUESTION)
    assert code == 0 and not [c for c in json.loads(out)["citations"] if c["source"].startswith("posting:")]
    assert json.loads(_on(host_b, "ben", shared_services, corpus, "postings", "list", "--json")[1]) == []
    assert _on(host_b, "ben", shared_services, corpus, "conversations", "delete", conv)[0] == 2
    assert _on(host_b, "ben", shared_services, corpus, "postings", "delete", pid)[0] == 1
    assert [p["id"] for p in json.loads(_on(host_a, "ana", shared_services, corpus, "postings", "list", "--json")[1])] == [pid]
