"""``cloudant follow``, ``replicate`` and ``info`` against a live server, in process and as a real process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, List
from unittest import mock
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from cloudant.checkpoint import FileCheckpoint
from cloudant.cli import main
from cloudant.error import CloudantReplicatorException
from cloudant.replicator import Replicator


@pytest.fixture
def url(couch_server: Any) -> str:
    """The server URL with the admin's credentials in it, as couchbackup accepts."""
    parts = urlsplit(couch_server.url)
    netloc = "%s:%s@%s" % (quote(couch_server.user, safe=""), quote(couch_server.password, safe=""), parts.netloc)
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _fill(db: Any, count: int, prefix: str = "doc") -> None:
    db.bulk_docs([{"_id": "%s-%03d" % (prefix, number), "n": number, "text": "é😀"} for number in range(count)],
                 raise_on_error=True)


def _lines(text: str) -> List[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- follow -------------------------------------------------------------------------------------------------------
def test_follow_writes_changes_as_json_lines_and_resumes_from_its_checkpoint(db: Any, url: str, tmp_path: Path,
                                                                           capsys: Any) -> None:
    _fill(db, 5)
    checkpoint = str(tmp_path / "feed.seq")
    assert main(["follow", db.database_name, "--url", url, "--checkpoint", checkpoint, "--max", "3", "-q"]) == 0
    first = _lines(capsys.readouterr().out)
    assert len(first) == 3 and all("seq" in change and "id" in change for change in first)
    assert FileCheckpoint(checkpoint).load() == first[-1]["seq"]  # exactly as the server gave it
    assert main(["follow", db.database_name, "--url", url, "--checkpoint", checkpoint, "--max", "2",
                 "--include-docs", "-q"]) == 0
    second = _lines(capsys.readouterr().out)
    assert sorted(change["id"] for change in first + second) == ["doc-%03d" % number for number in range(5)]
    assert all(change["doc"]["text"] == "é😀" for change in second)


def test_follow_since_now_sees_only_new_changes(db: Any, url: str, capsys: Any) -> None:
    _fill(db, 3)
    # --since now resolves to the current sequence before following, so a change made later is delivered
    import threading
    timer = threading.Timer(1.0, lambda: _fill(db, 1, prefix="new"))
    timer.start()
    try:
        assert main(["follow", db.database_name, "--url", url, "--since", "now", "--max", "1", "-q",
                     "--heartbeat", "500"]) == 0
    finally:
        timer.join()
    assert [change["id"] for change in _lines(capsys.readouterr().out)] == ["new-000"]


def test_follow_of_a_missing_database_fails_with_one_line(url: str, capsys: Any) -> None:
    assert main(["follow", "no-such-db-here", "--url", url]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and len(err.strip().splitlines()) == 1
    assert urlsplit(url).password not in err


def test_ctrl_c_stops_follow_cleanly_and_leaves_the_checkpoint_at_a_written_line(db: Any, url: str,
                                                                              tmp_path: Path) -> None:
    _fill(db, 4)
    checkpoint = tmp_path / "feed.seq"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "cloudant", "follow", db.database_name, "--url", url,
                                "--checkpoint", str(checkpoint), "--heartbeat", "500"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        lines = [json.loads(process.stdout.readline()) for _ in range(4)]  # type: ignore[union-attr]
        deadline = time.monotonic() + 20
        while FileCheckpoint(checkpoint).load() != lines[-1]["seq"] and time.monotonic() < deadline:
            time.sleep(0.05)  # the last line is recorded once the feed waits for the next change
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert out.strip() == b""  # nothing half-written after the four lines
    assert FileCheckpoint(checkpoint).load() == lines[-1]["seq"]
    assert [name for name in os.listdir(tmp_path)] == ["feed.seq"]  # no temporary file left


# -- info ---------------------------------------------------------------------------------------------------------
def test_info_shows_the_server_without_credentials(couch_server: Any, url: str, capsys: Any) -> None:
    assert main(["info", "--url", url]) == 0
    out = capsys.readouterr().out
    facts = json.loads(out)
    assert facts["version"] and facts["url"] == couch_server.url
    assert facts["session"] == {"authenticated": True, "roles": mock.ANY}
    assert "_admin" in facts["session"]["roles"]
    del facts["session"]  # a password such as "admin" is part of the role "_admin"
    assert couch_server.password not in json.dumps(facts)


def test_info_shows_a_database(db: Any, url: str, capsys: Any) -> None:
    _fill(db, 2)
    assert main(["info", db.database_name, "--url", url, "--json"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    facts = json.loads(out)
    assert facts["db_name"] == db.database_name and facts["doc_count"] == 2


def test_info_of_a_missing_database_fails(url: str, capsys: Any) -> None:
    assert main(["info", "no-such-db-here", "--url", url]) == 1
    assert "does not exist" in capsys.readouterr().err


# -- replicate ----------------------------------------------------------------------------------------------------
@pytest.fixture
def names(client: Any, db_name: str) -> Any:
    created = [db_name + "-src", db_name + "-tgt"]
    yield created
    for name in created:
        try:
            client.delete_database(name)
        except Exception:
            pass


def _cleanup(client: Any, repl_id: str) -> None:
    try:
        Replicator(client).stop_replication(repl_id)
    except CloudantReplicatorException:
        pass


def test_replicate_copies_a_database_and_reports_progress(client: Any, url: str, names: List[str],
                                                          capsys: Any) -> None:
    source = client.create_database(names[0])
    _fill(source, 30)
    code = main(["replicate", names[0], names[1], "--create-target", "--url", url, "--interval", "0.5",
                 "--json", "--id", "cli-" + names[0]])
    _cleanup(client, "cli-" + names[0])
    err = capsys.readouterr().err
    assert code == 0, err
    reports = _lines(err)
    assert reports[-1]["state"] == "completed" and reports[-1]["docs_written"] == 30
    assert client._DATABASE_CLASS(client, names[1]).doc_count() == 30
    with pytest.raises(CloudantReplicatorException):
        Replicator(client)._fetch("cli-" + names[0])  # the document is removed once done
    assert urlsplit(url).password not in err


def test_replicate_to_a_missing_target_without_create_target_fails(client: Any, url: str, names: List[str],
                                                                   capsys: Any) -> None:
    client.create_database(names[0])
    assert main(["replicate", names[0], "absent-" + names[1], "--url", url]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_failed_replication_gives_exit_status_1_with_the_reason(couch_server: Any, client: Any, url: str,
                                                                  names: List[str], capsys: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 keeps a replication from an unreachable source 'triggered' "
                    "(retrying), with no failed or crashing state to report")
    target = client.create_database(names[1])
    unreachable = "http://127.0.0.1:9/nothing-here"
    repl_id = "cli-fail-" + names[0]
    try:
        code = main(["replicate", unreachable, target.database_name, "--url", url, "--interval", "0.5",
                     "--id", repl_id, "--give-up-after", "3"])
    finally:
        _cleanup(client, repl_id)
    err = capsys.readouterr().err
    if code != 1:
        pytest.fail("expected exit status 1: %s" % err)
    assert "replication %s" % repl_id in err.splitlines()[-1]


@pytest.mark.requires("scheduler")  # pouchdb-server 4.2.0 dies when a continuous replication's document is deleted
def test_ctrl_c_cancels_a_continuous_replication(couch_server: Any, client: Any, url: str,
                                                names: List[str]) -> None:
    source = client.create_database(names[0])
    _fill(source, 5)
    repl_id = "cli-cont-" + names[0]
    process = subprocess.Popen([sys.executable, "-m", "cloudant", "replicate", names[0], names[1], "--continuous",
                                "--create-target", "--url", url, "--interval", "0.3", "--id", repl_id],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    replicator = Replicator(client)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            target = client._DATABASE_CLASS(client, names[1])
            if target.exists() and target.doc_count() == 5:
                break
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        _cleanup(client, repl_id)
    assert process.returncode == 130, err
    assert b"cancelled" in err and b"Traceback" not in err
    with pytest.raises(CloudantReplicatorException):
        replicator._fetch(repl_id)  # the replication document is gone
