"""Durable feed checkpoints: the stores of cloudant.checkpoint and the feed's at-least-once contract."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from cloudant.checkpoint import FeedCheckpoint, FileCheckpoint, LocalDocumentCheckpoint, checkpoint_store
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.error import CloudantException, Conflict

# Opaque sequences, as a cluster gives them: no arithmetic can find the next one.
SEQS = ["1-g1AAAAB5eJzL", "2-g1AAAAB5qqq", "3-g1AAAAB5zzz", "4-g1AAAAB5aaa"]
CHANGES = [{"seq": seq, "id": "doc%d" % number, "changes": [{"rev": "1-x"}]} for number, seq in enumerate(SEQS)]


class FakeServer(BaseAdapter):
    """A database ``db`` with the changes above (a continuous feed ends after them with ``last_seq``) and a
    store of ``_local`` documents with CouchDB's ``0-N`` revisions."""

    def __init__(self) -> None:
        super().__init__()
        self.locals: Dict[str, Dict[str, Any]] = {}
        self.since: List[Optional[str]] = []
        self.conflicts = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        path = unquote(parts.path)
        if path.endswith("/_changes"):
            since = parse_qs(parts.query).get("since", [None])[-1]
            self.since.append(since)
            start = 0 if since is None else SEQS.index(since) + 1
            lines = [json.dumps(change) for change in CHANGES[start:]] + [json.dumps({"last_seq": SEQS[-1]})]
            return self._answer(request, 200, ("\n".join(lines) + "\n").encode())
        if "/_local/" in path:
            return self._local(request, path.split("/_local/", 1)[1])
        return self._answer(request, 404, b'{"error":"not_found","reason":"missing"}')

    def _local(self, request: requests.PreparedRequest, name: str) -> requests.Response:
        current = self.locals.get(name)
        if request.method == "GET":
            if current is None:
                return self._answer(request, 404, b'{"error":"not_found","reason":"missing"}')
            return self._answer(request, 200, json.dumps(current).encode())
        body = json.loads(request.body or b"{}")
        if self.conflicts or (current is not None and body.get("_rev") != current["_rev"]):
            self.conflicts = max(0, self.conflicts - 1)
            return self._answer(request, 409, b'{"error":"conflict","reason":"Document update conflict."}')
        rev = "0-%d" % (int(current["_rev"].split("-")[1]) + 1 if current else 1)
        self.locals[name] = dict(body, _id="_local/" + name, _rev=rev)
        return self._answer(request, 201, json.dumps({"ok": True, "id": "_local/" + name, "rev": rev}).encode())

    @staticmethod
    def _answer(request: requests.PreparedRequest, status: int, body: bytes) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response._content = body
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if status < 300 else "Error"
        response.raw = _Raw(body)
        return response

    def close(self) -> None:
        pass


class _Raw:
    """A streamed body that arrives in one piece."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, amt: int = 0, decode_content: bool = True) -> Any:
        yield self.body

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def database(server: FakeServer) -> CouchDatabase:
    client = CouchDB(None, None, admin_party=True, url="http://couch.test", adapter=server)
    client.connect()
    return CouchDatabase(client, "db")


class MemoryStore:
    def __init__(self, seq: Any = None) -> None:
        self.seq = seq
        self.saved: List[Any] = []

    def load(self) -> Any:
        return self.seq

    def save(self, seq: Any) -> None:
        self.seq = seq
        self.saved.append(seq)


# -- the file store -------------------------------------------------------------------------------------------
def test_a_missing_file_holds_no_sequence(tmp_path: Path) -> None:
    assert FileCheckpoint(tmp_path / "none.seq").load() is None


def test_the_file_store_keeps_an_opaque_sequence_exactly(tmp_path: Path) -> None:
    store = FileCheckpoint(tmp_path / "feed.seq")
    for seq in (SEQS[2], 17, ["node1", 3]):
        store.save(seq)
        assert FileCheckpoint(tmp_path / "feed.seq").load() == seq
    assert json.loads((tmp_path / "feed.seq").read_text("utf-8")) == {"seq": ["node1", 3]}


def test_the_file_is_replaced_atomically_after_an_fsync(tmp_path: Path) -> None:
    path = tmp_path / "feed.seq"
    store = FileCheckpoint(path)
    store.save("old")
    calls: List[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    with mock.patch("os.fsync", side_effect=lambda fd: (calls.append("fsync"), real_fsync(fd))), \
            mock.patch("os.replace", side_effect=lambda a, b: (calls.append("replace"), real_replace(a, b))):
        store.save("new")
    assert calls[:2] == ["fsync", "replace"]  # the data is on disk before the name points at it
    assert store.load() == "new"
    assert sorted(os.listdir(tmp_path)) == ["feed.seq"]


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "feed.seq"
    store = FileCheckpoint(path)
    store.save("old")
    with mock.patch("os.replace", side_effect=OSError("disk full")), pytest.raises(OSError):
        store.save("new")
    assert store.load() == "old"
    assert sorted(os.listdir(tmp_path)) == ["feed.seq"]


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"other": 1}'])
def test_a_file_that_is_not_a_checkpoint_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "feed.seq"
    path.write_text(content, "utf-8")
    with pytest.raises(CloudantException, match="checkpoint file"):
        FileCheckpoint(path).load()


# -- the _local document store ---------------------------------------------------------------------------------
def test_the_local_document_store_round_trips_and_keeps_its_revision(server: FakeServer,
                                                                    database: CouchDatabase) -> None:
    store = LocalDocumentCheckpoint(database, "follower")
    assert store.doc_id == "_local/follower"
    assert store.load() is None
    store.save(SEQS[0])
    store.save(SEQS[1])
    assert server.locals["follower"]["seq"] == SEQS[1]
    assert server.locals["follower"]["_rev"] == "0-2"
    assert LocalDocumentCheckpoint(database, "_local/follower").load() == SEQS[1]


def test_the_local_document_store_rereads_the_revision_after_a_conflict(server: FakeServer,
                                                                       database: CouchDatabase) -> None:
    LocalDocumentCheckpoint(database, "follower").save("first")
    stale = LocalDocumentCheckpoint(database, "follower")  # never read: it has no revision
    stale.save("second")
    assert server.locals["follower"]["seq"] == "second"


def test_the_local_document_store_gives_up_after_repeated_conflicts(server: FakeServer,
                                                                   database: CouchDatabase) -> None:
    server.conflicts = 100
    with pytest.raises(Conflict):
        LocalDocumentCheckpoint(database, "follower").save("x")


def test_a_local_document_store_needs_a_name(database: CouchDatabase) -> None:
    with pytest.raises(ValueError):
        LocalDocumentCheckpoint(database, "")


def test_a_path_becomes_a_file_store_and_a_store_is_kept(tmp_path: Path) -> None:
    assert isinstance(checkpoint_store(str(tmp_path / "a")), FileCheckpoint)
    assert isinstance(checkpoint_store(tmp_path / "a"), FileCheckpoint)
    store = MemoryStore()
    assert checkpoint_store(store) is store
    with pytest.raises(TypeError):
        checkpoint_store(42)


# -- the feed's contract ---------------------------------------------------------------------------------------
def test_nothing_is_read_from_the_store_before_the_first_change_is_asked_for(database: CouchDatabase) -> None:
    store = mock.Mock(load=mock.Mock(return_value=None), save=mock.Mock())
    database.infinite_changes(checkpoint=store)
    store.load.assert_not_called()


def test_a_change_is_recorded_when_the_next_one_is_asked_for(database: CouchDatabase) -> None:
    store = MemoryStore()
    feed = database.infinite_changes(checkpoint=store)
    assert next(feed)["seq"] == SEQS[0]
    assert store.saved == []  # the caller holds it: not yet handled
    assert next(feed)["seq"] == SEQS[1]
    assert store.saved == [SEQS[0]]
    feed.stop()
    assert store.saved == [SEQS[0], SEQS[1]]  # stop(): the caller has taken the last one


def test_stop_without_checkpoint_leaves_the_change_being_handled_to_come_again(database: CouchDatabase) -> None:
    store = MemoryStore()
    feed = database.infinite_changes(checkpoint=store)
    next(feed)
    next(feed)
    feed.stop(checkpoint=False)
    assert store.saved == [SEQS[0]]


def test_a_restarted_feed_starts_after_the_stored_sequence(server: FakeServer, database: CouchDatabase) -> None:
    store = MemoryStore(SEQS[1])
    feed = database.infinite_changes(checkpoint=store)
    assert next(feed)["seq"] == SEQS[2]
    assert server.since == [SEQS[1]]  # sent back exactly as stored
    feed.stop()


def test_an_explicit_since_wins_over_the_store(server: FakeServer, database: CouchDatabase) -> None:
    store = MemoryStore(SEQS[2])
    feed = database.infinite_changes(since=SEQS[0], checkpoint=store)
    assert next(feed)["seq"] == SEQS[1]
    assert server.since == [SEQS[0]]
    feed.stop()


def test_a_feed_resumed_from_a_file_sees_every_change_at_least_once(tmp_path: Path, server: FakeServer,
                                                                   database: CouchDatabase) -> None:
    path = tmp_path / "feed.seq"
    seen: List[str] = []
    feed = database.infinite_changes(checkpoint=str(path))
    seen.append(next(feed)["seq"])
    seen.append(next(feed)["seq"])  # the process "dies" while handling this one: no stop()
    assert FileCheckpoint(path).load() == SEQS[0]
    feed = database.infinite_changes(checkpoint=FileCheckpoint(path))
    for change in feed:
        seen.append(change["seq"])
        if change["seq"] == SEQS[-1]:
            break
    feed.stop()
    assert seen == [SEQS[0], SEQS[1], SEQS[1], SEQS[2], SEQS[3]]  # one again, none missing
    assert FileCheckpoint(path).load() == SEQS[-1]


def test_the_feed_checkpoint_never_stores_now_or_none_or_the_same_value_twice() -> None:
    store = MemoryStore()
    bookkeeping = FeedCheckpoint(store, since="now")
    bookkeeping.record("x")  # not started yet: nothing taken
    assert bookkeeping.start_seq() == "now"
    for seq in ("now", None, "a", "a", "b"):
        bookkeeping.record(seq)
    assert store.saved == ["a", "b"]
    assert bookkeeping.saved == "b"


def test_a_bad_checkpoint_is_refused_before_any_request(database: CouchDatabase) -> None:
    with pytest.raises(TypeError):
        database.infinite_changes(checkpoint=3.5)
