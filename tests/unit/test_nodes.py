"""Several node URLs per client (``cloudant._nodes``): which failure moves a request on, node order, and the
client and session around them, without a CouchDB server.

Transport failures are real ones: a refused connection to a closed loopback port, and raw sockets on
127.0.0.1 that take the request and then close, cut the response short or say nothing.
"""
from __future__ import annotations

import pickle
import socket
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest
import requests

from _fakes import LoopbackServer, Seen, closed_port
from cloudant._nodes import (NOT_SENT, SENT, NodeList, OutcomeUnknown, OutcomeUnknownTimeout, failure_kind,
                             is_idempotent, may_move_on)
from cloudant.adapters import Replay429Adapter, TimeoutAdapter
from cloudant.client import CouchDB
from cloudant.error import CloudantArgumentError, CloudantConnectionError, CloudantTimeout

NODES = ["http://n1.test:5984", "http://n2.test:5984", "http://n3.test:5984"]


class RawNode:
    """A loopback socket that reads one request and then misbehaves: ``close`` (no answer), ``cut`` (headers and
    half the promised body) or ``silent`` (never answers, until the test ends)."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests: List[bytes] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.url = "http://127.0.0.1:%d" % self._sock.getsockname()[1]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._sock.settimeout(0.05)  # so that close() is noticed between connections
        while not self._done.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                self.requests.append(_read_request(conn))
                if self.behaviour == "cut":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                                 b'[{"ok":true')
                elif self.behaviour == "silent":
                    self._done.wait(10)

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=10)
        self._sock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.fixture
def raw_node(request: pytest.FixtureRequest) -> Iterator[RawNode]:
    node = RawNode(request.param)
    yield node
    node.close()


def failure_of(send: Callable[[], Any]) -> requests.RequestException:
    with pytest.raises(requests.RequestException) as caught:
        send()
    return caught.value


# -- the policy ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path", [
    ("GET", "/db/doc"), ("HEAD", "/db"), ("OPTIONS", "/"), ("get", "/db/_all_docs?limit=1"),
    ("POST", "/db/_all_docs"), ("POST", "/db/_all_docs/queries"), ("POST", "/db/_design_docs"),
    ("POST", "/db/_find"), ("POST", "/db/_explain"), ("POST", "/db/_bulk_get?revs=true"), ("POST", "/db/_changes"),
    ("POST", "/db/_revs_diff"), ("POST", "/db/_missing_revs"), ("POST", "/db/_design/ddoc/_view/by_name"),
    ("POST", "/db/_design/ddoc/_view/by_name/queries"), ("POST", "/db/_design/ddoc/_search/idx"),
    ("POST", "/db/_partition/p1/_all_docs"), ("POST", "/db/_partition/p1/_find"),
    ("POST", "/db/_partition/p1/_design/d/_view/v"), ("POST", "/_dbs_info"), ("POST", "/_session"),
])
def test_reads_are_idempotent(method: str, path: str) -> None:
    assert is_idempotent(method, path)
    assert may_move_on(method, path, SENT)


@pytest.mark.parametrize("method, path", [
    ("POST", "/db/_bulk_docs"), ("POST", "/db"), ("PUT", "/db/doc"), ("DELETE", "/db/doc?rev=1-a"),
    ("PUT", "/db/doc/_find"), ("POST", "/db/_design/d/_update/_find"), ("POST", "/db/_index"),
    ("POST", "/_replicate"), ("POST", "/db/_compact"), ("COPY", "/db/doc"), ("PATCH", "/db/doc"),
    ("POST", "/_find"), ("POST", "/db/_design/d/_show/s/doc"),
])
def test_writes_are_not_idempotent(method: str, path: str) -> None:
    assert not is_idempotent(method, path)
    assert not may_move_on(method, path, SENT)
    assert may_move_on(method, path, NOT_SENT)  # never sent: any method may go to the next node


def test_a_refused_connection_was_not_sent() -> None:
    error = failure_of(lambda: requests.post("http://127.0.0.1:%d/db/_bulk_docs" % closed_port(), timeout=5))
    assert failure_kind(error) == NOT_SENT


def test_a_connect_timeout_was_not_sent() -> None:
    assert failure_kind(requests.ConnectTimeout("connect timed out")) == NOT_SENT


@pytest.mark.parametrize("raw_node", ["close", "cut"], indirect=True)
def test_a_connection_failing_after_the_request_was_sent(raw_node: RawNode) -> None:
    session = requests.Session()
    session.mount("http://", TimeoutAdapter())  # checks the body's length under urllib3 1.26 too
    error = failure_of(lambda: session.post(raw_node.url + "/db/_bulk_docs", json={"docs": []}, timeout=5))
    assert raw_node.requests and raw_node.requests[0].startswith(b"POST /db/_bulk_docs")
    assert failure_kind(error) == SENT


@pytest.mark.parametrize("raw_node", ["silent"], indirect=True)
def test_a_read_timeout_was_sent(raw_node: RawNode) -> None:
    error = failure_of(lambda: requests.get(raw_node.url + "/db", timeout=(5, 0.3)))
    assert isinstance(error, requests.ReadTimeout)
    assert failure_kind(error) == SENT


# -- node order ------------------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_node_in_use_comes_first_and_failed_nodes_last_until_they_are_due() -> None:
    clock = Clock()
    nodes = NodeList(NODES, retry_after=10, clock=clock)
    assert nodes.current == NODES[0] and nodes.candidates() == [0, 1, 2]
    nodes.failed(0)
    assert nodes.candidates() == [1, 2, 0]
    nodes.succeeded(1)
    assert nodes.current == NODES[1] and nodes.candidates() == [1, 2, 0]
    nodes.failed(2)
    assert nodes.candidates() == [1, 2, 0]  # both failed lately: last, in their order after the node in use
    clock.now += 10.5  # node 0 is due again, but the node in use stays in use while it works
    nodes.failed(2)
    assert nodes.candidates() == [1, 0, 2]
    assert nodes.current == NODES[1]


def test_every_node_failed_lately_all_are_tried_anyway_in_order() -> None:
    nodes = NodeList(NODES, clock=Clock())
    for index in range(3):
        nodes.failed(index)
    assert nodes.candidates() == [0, 1, 2]


def test_path_of_finds_the_node_a_url_is_on() -> None:
    nodes = NodeList(["http://a.test/couch", "http://a.test/couch/x", "http://b.test"])
    assert nodes.path_of("http://a.test/couch/db/_all_docs?x=1") == "/db/_all_docs?x=1"
    assert nodes.path_of("http://a.test/couch/x/db") == "/db"
    assert nodes.path_of("http://b.test") == "" and nodes.path_of("http://b.test?x") == "?x"
    assert nodes.path_of("http://a.test/couchdb/db") is None
    assert nodes.path_of("https://iam.test/identity/token") is None


class Attempts:
    """``NodeList.send``'s ``attempt``: each URL it is given recorded, answered by ``outcome(url)``."""

    def __init__(self, outcome: Callable[[str], Optional[BaseException]]) -> None:
        self.outcome = outcome
        self.urls: List[str] = []

    def __call__(self, url: str) -> requests.Response:
        self.urls.append(url)
        error = self.outcome(url)
        if error is not None:
            raise error
        response = requests.Response()
        response.status_code = 200
        response.url = url
        return response


REFUSED = requests.ConnectionError("refused")  # replaced by a real one below
try:
    requests.get("http://127.0.0.1:%d/" % closed_port(), timeout=5)
except requests.ConnectionError as refused:
    REFUSED = refused
CUT = requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(11 bytes read, 89 more expected)")


def test_a_write_that_was_never_sent_goes_to_the_next_node() -> None:
    nodes = NodeList(NODES, clock=Clock())
    attempts = Attempts(lambda url: REFUSED if url.startswith(NODES[0]) else None)
    response = nodes.send("POST", NODES[0] + "/db/_bulk_docs", attempts, lambda: True)
    assert attempts.urls == [NODES[0] + "/db/_bulk_docs", NODES[1] + "/db/_bulk_docs"]
    assert response.url == NODES[1] + "/db/_bulk_docs" and nodes.current == NODES[1]
    # The next request, built on the first URL, goes straight to the node in use.
    nodes.send("GET", NODES[0] + "/db", attempts, lambda: True)
    assert attempts.urls[-1] == NODES[1] + "/db"


def test_a_write_cut_after_it_was_sent_is_not_sent_again() -> None:
    nodes = NodeList(NODES, clock=Clock())
    attempts = Attempts(lambda url: CUT)
    with pytest.raises(OutcomeUnknown) as caught:
        nodes.send("POST", NODES[0] + "/db/_bulk_docs", attempts, lambda: True)
    assert attempts.urls == [NODES[0] + "/db/_bulk_docs"]
    assert isinstance(caught.value, CloudantConnectionError) and not isinstance(caught.value, CloudantTimeout)
    assert "outcome unknown" in str(caught.value) and caught.value.unacknowledged == []
    assert nodes.candidates()[0] == 1  # the node that failed is passed over by the next request


def test_an_outcome_unknown_pickles_with_its_documents_and_without_credentials() -> None:
    error = OutcomeUnknown("POST", "http://admin:s3cret@n1.test/db/_bulk_docs", "connection reset")
    error.unacknowledged = ["a", "b"]
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is OutcomeUnknown and copy.unacknowledged == ["a", "b"]
    assert str(copy) == str(error) == ("POST http://n1.test/db/_bulk_docs failed: outcome unknown, not sent again "
                                       "(connection reset)")


def test_a_write_timing_out_is_an_outcome_unknown_timeout() -> None:
    nodes = NodeList(NODES, clock=Clock())
    with pytest.raises(OutcomeUnknownTimeout) as caught:
        nodes.send("PUT", NODES[0] + "/db/doc", Attempts(lambda url: requests.ReadTimeout("read timed out")),
                   lambda: True)
    assert isinstance(caught.value, CloudantTimeout) and isinstance(caught.value, OutcomeUnknown)


@pytest.mark.parametrize("method, path", [("GET", "/db/_all_docs"), ("POST", "/db/_all_docs"),
                                          ("POST", "/db/_changes")])
def test_a_read_cut_after_it_was_sent_goes_to_the_next_node(method: str, path: str) -> None:
    nodes = NodeList(NODES, clock=Clock())
    attempts = Attempts(lambda url: CUT if not url.startswith(NODES[2]) else None)
    nodes.send(method, NODES[0] + path, attempts, lambda: True)
    assert attempts.urls == [node + path for node in NODES]
    assert nodes.current == NODES[2]


def test_when_every_node_fails_the_last_error_is_raised() -> None:
    nodes = NodeList(NODES, clock=Clock())
    attempts = Attempts(lambda url: REFUSED)
    with pytest.raises(requests.ConnectionError) as caught:
        nodes.send("GET", NODES[1] + "/db", attempts, lambda: True)
    assert caught.value is REFUSED and len(attempts.urls) == 3
    assert nodes.current == NODES[0]  # no node answered: the node in use did not change


def test_a_body_that_cannot_be_sent_again_stays_on_the_first_node() -> None:
    nodes = NodeList(NODES, clock=Clock())
    attempts = Attempts(lambda url: REFUSED)
    with pytest.raises(requests.ConnectionError):
        nodes.send("PUT", NODES[0] + "/db/doc/att", attempts, lambda: False)
    assert len(attempts.urls) == 1


def test_a_url_on_no_node_is_sent_as_it_is() -> None:
    attempts = Attempts(lambda url: None)
    NodeList(NODES).send("POST", "https://iam.test/identity/token", attempts, lambda: False)
    assert attempts.urls == ["https://iam.test/identity/token"]


# -- the client ------------------------------------------------------------------------------------------------
def test_one_url_keeps_the_client_as_it_was() -> None:
    client = CouchDB("user", "pw", url="http://one.test:5984/")
    assert client.server_url == "http://one.test:5984" and client._nodes is None
    assert client._new_session().nodes is None


def test_a_list_of_urls_makes_a_node_list() -> None:
    client = CouchDB(None, None, url=["http://admin:s3cret@n1.test:5984/", "http://n2.test:5984", NODES[0]])
    assert client._nodes is not None
    assert client._nodes.urls == ("http://n1.test:5984", "http://n2.test:5984")  # duplicates dropped
    assert client.server_url == "http://n1.test:5984" and isinstance(client.server_url, str)
    assert (client._user, client._auth_token) == ("admin", "s3cret")
    assert "s3cret" not in repr(client) and "s3cret" not in repr(client._nodes)
    assert client._new_session().nodes is client._nodes
    client.server_url = "http://other.test"  # as 2.15.0's plain attribute: one URL from now on
    assert client.server_url == "http://other.test" and client._nodes is None


def test_a_url_list_with_a_non_string_is_refused() -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        CouchDB("user", "pw", url=["http://n1.test", 5984])
    assert caught.value.code == 117


def test_from_environment_reads_several_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(tmp_path / "creds.env"))
    (tmp_path / "creds.env").write_text("MYDB_URL=http://n1.test:5984 http://n2.test:5984\n"
                                        "MYDB_USERNAME=admin\nMYDB_PASSWORD=pw\n", encoding="utf-8")
    client = CouchDB.from_environment("MYDB")
    assert client._nodes is not None and client._nodes.urls == ("http://n1.test:5984", "http://n2.test:5984")
    (tmp_path / "creds.env").write_text("MYDB_URL=http://n1.test:5984\nMYDB_AUTH_TYPE=NOAUTH\n", encoding="utf-8")
    single = CouchDB.from_environment("MYDB")
    assert single._nodes is None and single.server_url == "http://n1.test:5984"


def couch_node(seen: Seen) -> Any:
    """Enough of a CouchDB node: a cookie login, ``_all_dbs``, ``_bulk_docs`` and ``_all_docs``."""
    if seen.path == "/_session" and seen.method == "POST":
        return 200, [("Set-Cookie", "AuthSession=c00kie; Path=/")], {"ok": True}
    if "AuthSession=c00kie" not in seen.headers.get("Cookie", ""):
        return 401, {}, {"error": "unauthorized", "reason": "You are not authorized to access this db."}
    if seen.path == "/_all_dbs":
        return 200, {}, ["db"]
    if seen.path == "/db/_bulk_docs":
        return 201, {}, [{"ok": True, "id": doc["_id"], "rev": "1-a"} for doc in seen.json()["docs"]]
    return 200, {}, {"total_rows": 0, "offset": 0, "rows": []}


def client_of(*urls: str) -> CouchDB:
    client = CouchDB("admin", "pw", url=list(urls), adapter=Replay429Adapter(retries=0), timeout=(5, 2))
    client.connect()
    return client


def test_a_client_moves_to_a_live_node_and_stays_there() -> None:
    with LoopbackServer(couch_node) as live:
        dead = "http://127.0.0.1:%d" % closed_port()
        client = client_of(dead, live.url)
        try:
            assert client.server_url == live.url  # the login found the live node
            assert client.all_dbs() == ["db"]
            assert [seen.path for seen in live.seen] == ["/_session", "/_all_dbs"]
        finally:
            client.disconnect()


def use_second_node(client: CouchDB) -> None:
    """Make the client's next request go to its second node first (its first node failed a moment ago)."""
    assert client._nodes is not None
    client._nodes.failed(0)


@pytest.mark.parametrize("raw_node", ["cut"], indirect=True)
def test_a_cut_bulk_write_names_its_documents_and_is_not_replayed(raw_node: RawNode) -> None:
    with LoopbackServer(couch_node) as live:
        client = client_of(live.url, raw_node.url)
        try:
            use_second_node(client)
            db = client._DATABASE_CLASS(client, "db")
            with pytest.raises(OutcomeUnknown) as caught:
                db.bulk_docs([{"_id": "a"}, {"_id": "b"}, {"no": "id"}])
            assert caught.value.unacknowledged == ["a", "b"]
            assert caught.value.unacknowledged_docs == [{"_id": "a"}, {"_id": "b"}, {"no": "id"}]
            assert [request.split(b" ")[1] for request in raw_node.requests] == [b"/db/_bulk_docs"]
            assert live.calls("POST", "/db/_bulk_docs") == []  # never sent again
        finally:
            client.disconnect()


@pytest.mark.parametrize("raw_node", ["cut"], indirect=True)
def test_a_cut_read_is_sent_on_to_the_next_node(raw_node: RawNode) -> None:
    with LoopbackServer(couch_node) as live:
        client = client_of(live.url, raw_node.url)
        try:
            use_second_node(client)
            db = client._DATABASE_CLASS(client, "db")
            assert db.all_docs(keys=["a"]) == {"total_rows": 0, "offset": 0, "rows": []}  # POST _all_docs
            assert [request.split(b" ")[:2] for request in raw_node.requests] == [[b"POST", b"/db/_all_docs"]]
            assert len(live.calls("POST", "/db/_all_docs")) == 1
            assert client.server_url == live.url
        finally:
            client.disconnect()
