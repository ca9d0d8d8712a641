"""Several node URLs per client, and what only a real CouchDB cluster shows.

- Failover through fault-injecting proxies in front of any server (pouchdb-server, a single CouchDB): two
  proxies are two "nodes" of one server; a node that refuses, a response cut after the request was sent, a
  feed whose node goes away, a session on a host where its cookie is not sent.
- A cluster (marker ``cluster``): opaque sequences read through different nodes, cookies across nodes, a
  client moving to another node of the cluster.
- Nodes dying (marker ``node_failure``): under a running infinite feed, a 20,000-document bulk write and a
  paged read, first a node the client does not use, then the one it uses. A killed node stays dead, so
  ``.ci/run`` runs this last, on a cluster of its own; it needs ``COUCHDB_CLUSTER_DIR``, the directory
  ``couchdb-server cluster`` started the nodes in. Node 1 (``COUCHDB_URL``, which the harness checks) is
  the node that survives: the client is given the nodes in the order 3, 2, 1.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import pytest
import requests

from _fakes import closed_port
from cloudant import couchdb
from cloudant.error import OutcomeUnknown
from cloudant.adapters import Replay429Adapter
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.result import Result
from faults.proxy import Cut, FaultProxy, Stall

DEADLINE = 120.0  # seconds a feed gets to deliver what was written


def _write(db: CouchDatabase, prefix: str, count: int) -> List[str]:
    ids = ["%s-%04d" % (prefix, number) for number in range(count)]
    db.bulk_docs([{"_id": doc_id, "n": number} for number, doc_id in enumerate(ids)], raise_on_error=True)
    return ids


def _wait_for_changes(db: CouchDatabase, count: int) -> None:
    deadline = time.monotonic() + 30
    while sum(1 for _ in db.changes()) < count:
        assert time.monotonic() < deadline, "the changes feed never showed %d changes" % count
        time.sleep(0.2)


def _stored_ids(session: requests.Session, url: str) -> Set[str]:
    rows = session.get(url + "/_all_docs", timeout=60).json()["rows"]
    return {row["id"] for row in rows}


@pytest.fixture
def proxies(couch_server: Any) -> Iterator[List[FaultProxy]]:
    """Two "nodes": fault proxies in front of the same server."""
    first, second = FaultProxy(couch_server.url), FaultProxy(couch_server.url)
    try:
        yield [first, second]
    finally:
        first.close()
        second.close()


def _client(couch_server: Any, urls: List[str], **options: Any) -> CouchDB:
    options.setdefault("adapter", Replay429Adapter(retries=0))  # a refused node is left at once
    client = CouchDB(couch_server.user, couch_server.password, url=urls, **options)
    client.connect()
    return client


# -- failover through proxies: any server ------------------------------------------------------------------
def test_writes_go_on_through_the_next_node_when_one_refuses(couch_server: Any, db: CouchDatabase) -> None:
    dead = "http://127.0.0.1:%d" % closed_port()
    client = _client(couch_server, [dead, couch_server.url])
    try:
        assert client.server_url == couch_server.url  # the login already moved on
        target = CouchDatabase(client, db.database_name)
        target.create_document({"_id": "one"})
        results = target.bulk_docs([{"_id": "two"}, {"_id": "three"}])
        assert all(result.get("ok") for result in results)
        assert client.server_url == couch_server.url
    finally:
        client.disconnect()
    with couch_server.session() as session:
        assert _stored_ids(session, db.database_url) == {"one", "two", "three"}


def test_a_bulk_write_cut_after_it_was_sent_is_reported_and_not_replayed(
        couch_server: Any, db: CouchDatabase, proxies: List[FaultProxy]) -> None:
    first, second = proxies
    first.add(Cut(after_bytes=0), path="/_bulk_docs", method="POST")
    client = _client(couch_server, [first.url, second.url])
    try:
        target = CouchDatabase(client, db.database_name)
        docs = [{"_id": "doc-%d" % number} for number in range(5)]
        with pytest.raises(OutcomeUnknown) as caught:
            target.bulk_docs(docs)
        assert caught.value.unacknowledged == [doc["_id"] for doc in docs]
        assert "outcome unknown" in str(caught.value) and couch_server.password not in str(caught.value)
        assert second.count(path="/_bulk_docs") == 0  # never sent again
        # The server had written them before the answer was cut: "unacknowledged", not "failed".
        with couch_server.session() as session:
            assert _stored_ids(session, db.database_url) == {doc["_id"] for doc in docs}
        # The next write goes to the other node, the first having failed a moment ago.
        assert target.bulk_docs([{"_id": "after"}])[0]["ok"]
        assert second.count(path="/_bulk_docs") == 1 and client.server_url == second.url
    finally:
        client.disconnect()


def test_a_paged_read_cut_mid_way_goes_on_through_the_next_node(
        couch_server: Any, db: CouchDatabase, proxies: List[FaultProxy]) -> None:
    first, second = proxies
    ids = _write(db, "row", 45)
    client = _client(couch_server, [first.url, second.url])
    try:
        rows: List[str] = []
        for row in Result(CouchDatabase(client, db.database_name).all_docs, page_size=10):
            rows.append(row["id"])
            if len(rows) == 15:
                first.add(Cut(after_bytes=20), path="/_all_docs", times=None)  # every later page cut
        assert rows == sorted(ids)  # every row exactly once, in order
        assert first.count(path="/_all_docs", faulty=True) == 1  # one cut, then the client moved on
        assert second.count(path="/_all_docs") >= 2 and client.server_url == second.url
    finally:
        client.disconnect()


def test_an_infinite_feed_goes_on_through_the_next_node(
        couch_server: Any, db: CouchDatabase, proxies: List[FaultProxy]) -> None:
    first, second = proxies
    ids = _write(db, "early", 10)
    first.add(Stall(after_lines=5), path="/_changes")
    client = _client(couch_server, [first.url, second.url])
    received: List[str] = []
    five = threading.Event()

    def follow() -> None:
        for change in feed:
            if change:
                received.append(change["id"])
                if len(received) == 5:
                    five.set()

    try:
        feed = CouchDatabase(client, db.database_name).infinite_changes(heartbeat=1000)
        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        assert five.wait(60), "the feed delivered %d changes" % len(received)
        first.close()  # the node in use goes away in the middle of the feed
        ids += _write(db, "late", 10)
        deadline = time.monotonic() + DEADLINE
        while not set(ids) <= set(received) and time.monotonic() < deadline:
            time.sleep(0.1)
        feed.stop()
        reader.join(timeout=30)
        assert set(received) == set(ids)
        assert second.count(path="/_changes") >= 1 and client.server_url == second.url
    finally:
        client.disconnect()


@pytest.mark.requires("cookie_auth")
@pytest.mark.parametrize("auto_renew", [True, False])
def test_a_session_logs_in_again_on_a_node_its_cookie_is_not_sent_to(
        couch_server: Any, proxies: List[FaultProxy], auto_renew: bool) -> None:
    first, second = proxies
    other_host = second.url.replace("127.0.0.1", "localhost")  # another cookie domain
    client = _client(couch_server, [first.url, other_host], auto_renew=auto_renew)
    try:
        assert first.count(path="/_session", method="POST") == 1
        first.close()
        assert isinstance(client.active_tasks(), list)  # for server admins only: anonymous gets 401
        assert second.count(path="/_session", method="POST") == 1  # logged in on the node in use
        assert client.server_url == other_host
    finally:
        client.disconnect()


# -- a cluster ---------------------------------------------------------------------------------------------
@pytest.mark.cluster
def test_sequences_are_opaque_and_any_node_resumes_from_them(couch_server: Any, db: CouchDatabase) -> None:
    """A ``since`` read through node 1 is accepted by node 2, and the two halves cover every change."""
    ids = _write(db, "seq", 60)
    _wait_for_changes(db, len(ids))  # a cluster's feed shows a write a moment after it is acknowledged
    first_half = db.changes(limit=30)
    seen = [change["id"] for change in first_half]
    assert isinstance(first_half.last_seq, str) and len(seen) == 30
    other_node = couch_server.node_urls[1]
    with couchdb(couch_server.user, couch_server.password, url=other_node) as other:
        rest = CouchDatabase(other, db.database_name).changes(since=first_half.last_seq)
        seen += [change["id"] for change in rest]
    # A cluster may replay a few changes after a since from another node, never skip one.
    assert set(seen) == set(ids)


@pytest.mark.cluster
def test_a_users_db_cookie_is_valid_on_every_node(couch_server: Any, user: Any) -> None:
    """The nodes share the cookie secret, and ``_users`` (the user's salt) is clustered: one login serves all.
    (An admin of the nodes' ini files is hashed with each node's own salt: its cookie is the node's only, and
    a client moving to another node logs in there, see the next test.)"""
    name, password = user
    login = requests.post(couch_server.node_urls[0] + "/_session", data={"name": name, "password": password},
                          timeout=30)
    cookie = login.cookies["AuthSession"]
    for node in couch_server.node_urls:
        reply = requests.get(node + "/_session", cookies={"AuthSession": cookie}, timeout=30).json()
        assert reply["userCtx"]["name"] == name, node


@pytest.mark.cluster
@pytest.mark.parametrize("auto_renew", [True, False])
def test_a_client_moving_to_another_node_logs_in_there(couch_server: Any, db: CouchDatabase,
                                                        auto_renew: bool) -> None:
    client = _client(couch_server, couch_server.node_urls, auto_renew=auto_renew)
    try:
        assert client._nodes is not None and client.server_url == couch_server.node_urls[0]
        client._nodes.failed(0)  # as if node 1 had just refused a connection
        target = CouchDatabase(client, db.database_name)
        assert target.create_document({"_id": "moved"}).exists()
        assert client.server_url == couch_server.node_urls[1]
        assert client.session()["userCtx"]["name"] == couch_server.user
    finally:
        client.disconnect()


# -- nodes dying -------------------------------------------------------------------------------------------
BULK_DOCS = 20_000
BATCH = 500
READ_ROWS = 3_000
PAGE = 100


class Writer(threading.Thread):
    """Writes :data:`BULK_DOCS` documents in batches, sorting each id into acknowledged (``ok``), rejected
    (an error result) or unacknowledged (:class:`OutcomeUnknown`)."""

    def __init__(self, db: CouchDatabase) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.acknowledged: Set[str] = set()
        self.rejected: Dict[str, Any] = {}
        self.unacknowledged: List[str] = []
        self.batches = 0
        self.in_flight = threading.Event()
        self.error: Any = None

    def run(self) -> None:
        try:
            for start in range(0, BULK_DOCS, BATCH):
                docs = [{"_id": "w-%05d" % number, "n": number} for number in range(start, start + BATCH)]
                self.in_flight.set()
                try:
                    results = self.db.bulk_docs(docs)
                except OutcomeUnknown as err:
                    self.unacknowledged += err.unacknowledged
                else:
                    for result in results:
                        if result.get("ok"):
                            self.acknowledged.add(result["id"])
                        else:
                            self.rejected[result["id"]] = result
                finally:
                    self.in_flight.clear()
                    self.batches += 1
        except Exception as err:  # noqa: BLE001 - reported by the test
            self.error = err


class PagedReader(threading.Thread):
    """Reads every row of a database page by page, stopping at two gates until a node has been killed."""

    def __init__(self, db: CouchDatabase) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.rows: List[str] = []
        self.gates = [(READ_ROWS // 3, threading.Event(), threading.Event()),
                      (2 * READ_ROWS // 3, threading.Event(), threading.Event())]  # (at, reached, go on)
        self.error: Any = None

    def run(self) -> None:
        try:
            for row in Result(self.db.all_docs, page_size=PAGE):
                self.rows.append(row["id"])
                for at, reached, go_on in self.gates:
                    if len(self.rows) == at:
                        reached.set()
                        go_on.wait(600)
        except Exception as err:  # noqa: BLE001 - reported by the test
            self.error = err


class Follower(threading.Thread):
    """Follows an infinite ``_changes`` feed, counting every change delivered."""

    def __init__(self, db: CouchDatabase) -> None:
        super().__init__(daemon=True)
        self.feed = db.infinite_changes(heartbeat=1000)
        self.ids: Set[str] = set()
        self.changes = 0
        self.error: Any = None

    def run(self) -> None:
        try:
            for change in self.feed:
                if change:
                    self.changes += 1
                    self.ids.add(change["id"])
        except Exception as err:  # noqa: BLE001 - reported by the test
            self.error = err


def _until(condition: Any, what: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting: " + what
        time.sleep(0.01)


@pytest.mark.cluster
@pytest.mark.node_failure
def test_nodes_dying_under_a_feed_a_bulk_write_and_a_paged_read_lose_nothing(
        couch_server: Any, client: CouchDB, db: CouchDatabase, record_property: Any) -> None:
    cluster_dir = os.environ.get("COUCHDB_CLUSTER_DIR")
    if not cluster_dir:
        pytest.skip("COUCHDB_CLUSTER_DIR is not set: the test cannot find a node's PID")
    nodes = couch_server.node_urls
    assert len(nodes) == 3
    assert db.metadata()["cluster"]["n"] == 3  # every node holds every document: one node is enough

    killed_at: List[int] = []  # the batch being written at each kill

    def kill(url: str) -> None:
        pid = int((Path(cluster_dir) / ("node%d" % (nodes.index(url) + 1)) / "couchdb.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        killed_at.append(writer.batches)

    source = client.create_database("test-read-" + uuid.uuid4().hex)
    try:
        expected = []
        for start in range(0, READ_ROWS, 1000):
            expected += [doc["id"] for doc in source.bulk_docs(
                [{"_id": "r-%05d" % number} for number in range(start, start + 1000)])]
        order = [nodes[2], nodes[1], nodes[0]]
        with couchdb(couch_server.user, couch_server.password, url=order) as multi:
            assert multi.server_url == order[0]
            follower = Follower(CouchDatabase(multi, db.database_name))
            writer = Writer(CouchDatabase(multi, db.database_name))
            reader = PagedReader(CouchDatabase(multi, source.database_name))
            for thread in (follower, writer, reader):
                thread.start()
            (_, reached_first, after_first), (_, reached_second, after_second) = reader.gates

            # A node the client does not use dies, while a batch is being written.
            _until(lambda: writer.batches >= 8 and reached_first.is_set() and follower.changes > 0, "first kill")
            _until(writer.in_flight.is_set, "a batch in flight")
            assert multi.server_url == order[0]
            kill(order[1])
            after_first.set()

            # The node in use dies, while a batch is being written.
            _until(lambda: writer.batches >= 20 and reached_second.is_set() or writer.error, "second kill")
            _until(lambda: writer.in_flight.is_set() or writer.error, "a batch in flight")
            assert multi.server_url == order[0]  # the client stuck to its node while it worked
            kill(order[0])
            after_second.set()

            writer.join(600)
            reader.join(600)
            assert writer.error is None and reader.error is None, (writer.error, reader.error)
            assert multi.server_url == nodes[0]  # the one node left

            with couch_server.session() as session:
                stored = _stored_ids(session, db.database_url)
            _until(lambda: stored <= follower.ids or follower.error, "the feed", DEADLINE)
            follower.feed.stop()
            follower.join(30)
    finally:
        client.delete_database(source.database_name)

    written = {"w-%05d" % number for number in range(BULK_DOCS)}
    unacknowledged = set(writer.unacknowledged)
    figures = {"rows read": len(reader.rows), "docs written": len(written),
               "acknowledged": len(writer.acknowledged), "rejected": len(writer.rejected),
               "unacknowledged": len(unacknowledged), "unacknowledged but stored": len(unacknowledged & stored),
               "stored": len(stored), "feed changes": follower.changes, "feed ids": len(follower.ids),
               "kills in batch": killed_at,
               "unacknowledged batches": sorted({int(doc_id[2:]) // BATCH for doc_id in unacknowledged})}
    record_property("figures", figures)
    print("node failure figures:", figures)
    assert follower.error is None, follower.error
    # Every document is accounted for once: acknowledged, rejected with a reason, or reported unacknowledged.
    assert writer.acknowledged | set(writer.rejected) | unacknowledged == written
    assert len(writer.acknowledged) + len(writer.rejected) + len(unacknowledged) == len(written)
    assert writer.acknowledged <= stored  # nothing acknowledged was lost
    assert stored <= written and not (set(writer.rejected) & stored)
    assert reader.rows == sorted(expected)  # every row exactly once
    assert stored <= follower.ids <= written  # the feed delivered every stored document
