"""Replication against a live server: ``_replicate``, replication documents, following and stopping them.

pouchdb-server 4.2.0 replicates between databases named by their names only: it neither accepts
``{"url", "auth"}`` endpoint objects nor URLs with credentials in ``_replicator`` documents. There the tests pass
names; on CouchDB they pass database objects, whose URL and credentials the library writes in.
"""
from __future__ import annotations

import base64
import time
from typing import Any, Iterator, Tuple

import pytest

from cloudant.error import CloudantDatabaseException, CloudantReplicatorException
from cloudant.replicator import Replicator

DOCS = [{"_id": "doc %02d/x" % number, "n": number, "nested": {"list": [number, "é"]}} for number in range(25)]


@pytest.fixture
def pair(client: Any, db_name: str) -> Iterator[Tuple[Any, Any]]:
    source = client.create_database(db_name + "-src")
    target = client.create_database(db_name + "-tgt")
    try:
        source.bulk_docs(DOCS, raise_on_error=True)
        yield source, target
    finally:
        client.delete_database(db_name + "-src")
        client.delete_database(db_name + "-tgt")


@pytest.fixture
def replicator(client: Any) -> Iterator[Replicator]:
    replicator = Replicator(client)
    created = []
    replicator.create_replication = _recording(replicator.create_replication, created)  # type: ignore[method-assign]
    yield replicator
    for repl_id in created:  # leave no replication running behind
        try:
            replicator.stop_replication(repl_id)
        except CloudantReplicatorException:
            pass


def _recording(create: Any, created: list) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        doc = create(*args, **kwargs)
        created.append(doc["_id"])
        return doc
    return wrapper


def _sides(couch_server: Any, source: Any, target: Any) -> Tuple[Any, Any]:
    if couch_server.kind == "pouchdb":
        return source.database_name, target.database_name
    return source, target


def _same_documents(source: Any, target: Any) -> None:
    """Every document of the source is in the target with the same revision and content, and nothing else."""
    want = {row["id"]: row["doc"] for row in source.all_docs(include_docs=True)["rows"]}
    have = {row["id"]: row["doc"] for row in target.all_docs(include_docs=True)["rows"]}
    assert sorted(have) == sorted(want)
    for doc_id, doc in want.items():
        assert have[doc_id] == doc, doc_id


def test_replicate_copies_every_document(couch_server: Any, pair: Tuple[Any, Any], replicator: Replicator) -> None:
    source, target = pair
    reply = replicator.replicate(*_sides(couch_server, source, target))
    assert reply["ok"] is True
    _same_documents(source, target)


def test_a_replication_document_runs_to_completion(couch_server: Any, client: Any, pair: Tuple[Any, Any],
                                                   replicator: Replicator) -> None:
    source, target = pair
    doc = replicator.create_replication(*_sides(couch_server, source, target), repl_id="copy %s" % source.database_name)
    states = [state for state in replicator.follow_replication(doc["_id"], poll_interval=2)]
    last = states[-1]
    assert (last.get("state") or last.get("_replication_state")) == "completed"
    assert replicator.replication_state(doc["_id"]) == "completed"
    _same_documents(source, target)
    listed = {repl["_id"]: repl for repl in replicator.list_replications()}
    assert doc["_id"] in listed and all(not repl_id.startswith("_design/") for repl_id in listed)
    secret = "'password': %r" % couch_server.password
    for shown in (repr(doc), str(doc), repr(listed[doc["_id"]]), repr(replicator)):
        assert secret not in shown
        assert couch_server.password == couch_server.user or couch_server.password not in shown


def test_credentials_go_in_an_authorization_header_as_python_cloudant_sent(
        couch_server: Any, pair: Tuple[Any, Any], replicator: Replicator) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 exits when a replication it runs from a URL loses its document")
    source, target = pair
    doc = replicator.create_replication(source, target)
    stored = replicator.database[doc["_id"]]
    basic = "Basic " + base64.b64encode(("%s:%s" % (couch_server.user, couch_server.password)).encode()).decode()
    assert stored["source"] == {"url": source.database_url, "headers": {"Authorization": basic}}
    assert stored["target"] == {"url": target.database_url, "headers": {"Authorization": basic}}
    assert basic not in repr(doc)


@pytest.mark.requires("scheduler")
def test_a_continuous_replication_is_followed_and_stopped(client: Any, pair: Tuple[Any, Any],
                                                          replicator: Replicator) -> None:
    source, target = pair
    doc = replicator.create_replication(source, target, continuous=True)
    for state in replicator.follow_replication(doc["_id"], poll_interval=1):
        assert state.get("state") not in ("failed", "crashing", "error"), state
        if state.get("state") == "running":
            break
    source.create_document({"_id": "late arrival", "n": 99})
    deadline = time.monotonic() + 60
    while "late arrival" not in [row["id"] for row in target.all_docs()["rows"]] and time.monotonic() < deadline:
        time.sleep(0.2)
    _same_documents(source, target)
    replicator.stop_replication(doc["_id"])
    with pytest.raises(CloudantReplicatorException) as caught:
        replicator.replication_state(doc["_id"])
    assert caught.value.code == 404


def test_missing_replications(replicator: Replicator) -> None:
    for call in (replicator.stop_replication, replicator.replication_state,
                 lambda repl_id: next(replicator.follow_replication(repl_id))):
        with pytest.raises(CloudantReplicatorException) as caught:
            call("no such replication")
        assert caught.value.code == 404 and "no such replication" in str(caught.value)


def test_a_replication_needs_a_source_and_a_target(pair: Tuple[Any, Any], replicator: Replicator) -> None:
    source, target = pair
    with pytest.raises(CloudantReplicatorException) as no_source:
        replicator.create_replication(target_db=target)
    with pytest.raises(CloudantReplicatorException) as no_target:
        replicator.replicate(source, None)
    assert (no_source.value.code, no_target.value.code) == (101, 102)
    assert [repl["_id"] for repl in replicator.list_replications()] == []


def test_a_taken_replication_id_is_reported(couch_server: Any, pair: Tuple[Any, Any],
                                            replicator: Replicator) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0's _replicator refuses the second write with 403 before any conflict")
    source, target = pair
    sides = _sides(couch_server, source, target)
    replicator.create_replication(*sides, repl_id="twice")
    with pytest.raises(CloudantDatabaseException) as caught:  # python-cloudant's class for a taken id
        replicator.create_replication(*sides, repl_id="twice")
    assert (caught.value.code, str(caught.value)) == (409, "Document with id twice already exists.")
