"""The replicator (``cloudant.replicator``) without a server: the replication documents it writes, on a real
client answered by a fake and on the stand-in clients (``mock.MagicMock()``) programs' own tests use.
Behaviour against a real server lives in ``tests/integration/test_replicator.py``.
"""
from __future__ import annotations

import base64
from typing import Any, Dict
from unittest import mock

import pytest

from _fakes import FakeAdapter, Seen
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.document import Document
from cloudant.error import CloudantClientException, CloudantDatabaseException
from cloudant.replicator import ReplicationDocument, Replicator

SERVER = "http://couch.test:5984"
USER_CTX = {"name": "user", "roles": ["_admin"]}


class Couch:
    """Enough of CouchDB for a replicator: a cookie session, ``_replicator`` and its documents."""

    def __init__(self) -> None:
        self.adapter = FakeAdapter(self.handle)
        self.taken = set()

    def handle(self, seen: Seen) -> Any:
        if seen.path == "/_session" and seen.method == "POST":
            return 200, [("Set-Cookie", "AuthSession=abc; Path=/")], {"ok": True}
        if seen.path == "/_session":
            return 200, {}, {"ok": True, "userCtx": USER_CTX}
        if seen.path.startswith("/_replicator/") and seen.method == "PUT":
            doc_id = seen.path.rsplit("/", 1)[1]
            if doc_id in self.taken:
                return 409, {}, {"error": "conflict", "reason": "Document update conflict."}
            self.taken.add(doc_id)
            return 201, {}, {"ok": True, "id": doc_id, "rev": "1-abc"}
        return 200, {}, {"couchdb": "Welcome", "version": "3.4.3", "db_name": "_replicator"}


@pytest.fixture
def couch() -> Couch:
    return Couch()


def connected(couch: Couch) -> CouchDB:
    client = CouchDB("user", "pw", url=SERVER, adapter=couch.adapter)
    client.connect()
    return client


def test_a_replication_document_carries_basic_credentials_in_a_header_and_the_session_user(couch: Couch) -> None:
    client = connected(couch)
    source, target = CouchDatabase(client, "a"), CouchDatabase(client, "b")
    doc = Replicator(client).create_replication(source, target, "r1", continuous=True)
    basic = "Basic " + base64.b64encode(b"user:pw").decode()
    sent = couch.adapter.calls("PUT", "/_replicator/r1")[0].json()
    assert sent == {"_id": "r1", "continuous": True, "user_ctx": USER_CTX,
                    "source": {"url": SERVER + "/a", "headers": {"Authorization": basic}},
                    "target": {"url": SERVER + "/b", "headers": {"Authorization": basic}}}
    assert isinstance(doc, ReplicationDocument) and doc["_rev"] == "1-abc"
    assert "pw" not in repr(doc) and basic not in repr(doc)


def test_a_given_user_ctx_is_kept_and_a_taken_id_raises_409(couch: Couch) -> None:
    client = connected(couch)
    replicator = Replicator(client)
    replicator.create_replication(CouchDatabase(client, "a"), CouchDatabase(client, "b"), "r1",
                                  user_ctx={"name": "other"})
    assert couch.adapter.calls("PUT", "/_replicator/r1")[0].json()["user_ctx"] == {"name": "other"}
    with pytest.raises(CloudantDatabaseException) as caught:
        replicator.create_replication(CouchDatabase(client, "a"), CouchDatabase(client, "b"), "r1")
    assert caught.value.status_code == 409


def test_a_replicator_on_a_disconnected_client_reports_a_missing_replicator_database(couch: Couch) -> None:
    client = CouchDB("user", "pw", url=SERVER, adapter=couch.adapter)  # never connected
    with pytest.raises(CloudantClientException) as caught:
        Replicator(client)
    assert caught.value.status_code == 404
    assert str(caught.value) == ("Database _replicator does not exist. "
                                 "Verify that the client is valid and try again.")


def stand_in_client(admin_party: bool = False, api_key: Any = None) -> mock.MagicMock:
    client = mock.MagicMock()
    type(client).server_url = mock.PropertyMock(return_value="http://localhost:5984")
    type(client).admin_party = mock.PropertyMock(return_value=admin_party)
    type(client).is_iam_authenticated = mock.PropertyMock(return_value=api_key is not None)
    if api_key is not None:
        session = mock.MagicMock()
        type(session).get_api_key = mock.PropertyMock(return_value=api_key)
        type(client).r_session = mock.PropertyMock(return_value=session)
    return client


@pytest.mark.parametrize("kind, endpoint", [
    ("admin party", {}),
    ("basic", {"headers": {"Authorization": "Basic abc"}}),
    ("iam", {"auth": {"iam": {"api_key": "key"}}}),
])
def test_on_a_stand_in_client_the_document_goes_to_create_document(kind: str, endpoint: Dict[str, Any]) -> None:
    client = stand_in_client(admin_party=kind == "admin party", api_key="key" if kind == "iam" else None)
    client.basic_auth_str.return_value = "Basic abc"
    replicator_db = mock.MagicMock()
    type(replicator_db).creds = mock.PropertyMock(return_value=None)
    client.__getitem__.return_value = replicator_db
    source, target = CouchDatabase(client, "src"), CouchDatabase(client, "tgt")
    assert source.database_url == "http://localhost:5984/src"
    Replicator(client).create_replication(source, target, repl_id="rep")
    (data,), kwargs = replicator_db.create_document.call_args
    assert kwargs == {"throw_on_exists": True}
    assert data == {"_id": "rep", "source": dict(endpoint, url="http://localhost:5984/src"),
                    "target": dict(endpoint, url="http://localhost:5984/tgt")}


def test_the_returned_document_is_the_one_create_document_cached(couch: Couch) -> None:
    client = connected(couch)
    replicator = Replicator(client)
    doc = replicator.create_replication(CouchDatabase(client, "a"), CouchDatabase(client, "b"), "r2")
    assert replicator.database["r2"] is doc and isinstance(doc, Document)
