"""Databases against a live server: documents in and out, the cache, _all_docs, bulk writes, maintenance."""
from __future__ import annotations

from typing import Any

import pytest
from _fakes import watch
import requests

from cloudant import couchdb
from cloudant.database import ITERATION_CACHE_LIMIT, CouchDatabase
from cloudant.document import Document
from cloudant.error import CloudantArgumentError, CloudantDatabaseException


def _skip_on_pouchdb(couch_server: Any, what: str) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 does not serve %s" % what)


# -- the database ----------------------------------------------------------------------------------------------
def test_create_exists_metadata_and_delete(client: Any, db_name: str) -> None:
    db = CouchDatabase(client, db_name)
    assert db.exists() is False
    db.create()
    try:
        assert db.exists() is True
        assert db.metadata()["db_name"] == db_name
        assert db.doc_count() == 0
        assert db.is_partitioned() is False
        with pytest.raises(CloudantDatabaseException) as caught:
            db.create(throw_on_exists=True)
        assert caught.value.code == 412
        assert db.create() is db
    finally:
        db.delete()
    assert db.exists() is False


@pytest.mark.parametrize("suffix", ["$(odd)+name_-", "with/slash"])
def test_a_database_name_with_special_characters_works(client: Any, couch_server: Any, db_name: str,
                                                        suffix: str) -> None:
    name = db_name + suffix
    db = client.create_database(name)
    try:
        db.create_document({"_id": "d", "v": 1})
        dict.clear(client)
        assert client[name]["d"]["v"] == 1
        if "/" not in name or couch_server.kind != "pouchdb":  # pouchdb-server 4.2.0 reports "a/b" as "ab"
            assert db.metadata()["db_name"] == name
            assert name in client.all_dbs()
    finally:
        client.delete_database(name)


def test_a_database_object_is_built_without_a_request_whatever_its_name(client: Any, couch_server: Any) -> None:
    responses = watch(client.r_session)
    db = CouchDatabase(client, "Not-Legal")  # python-cloudant let the server judge the name
    assert responses == []
    if couch_server.kind != "pouchdb":  # pouchdb-server 4.2.0 creates it
        with pytest.raises(CloudantDatabaseException) as caught:
            db.create()
        assert caught.value.status_code == 400
        assert str(caught.value) == "Invalid database name during creation. Found: " + db.database_url


# -- documents and the cache -----------------------------------------------------------------------------------
def test_create_document_then_read_it_back(db: Any, admin_session: requests.Session) -> None:
    doc = db.create_document({"_id": "o1", "total": 10, "items": ["a"]})
    assert doc["_rev"].startswith("1-")
    stored = admin_session.get(db.database_url + "/o1", timeout=30).json()
    assert stored == {"_id": "o1", "_rev": doc["_rev"], "total": 10, "items": ["a"]}
    assert db["o1"] is doc


def test_create_document_without_id_lets_the_server_choose(db: Any) -> None:
    doc = db.create_document({"n": 1})
    assert doc["_id"] and doc["_rev"]
    assert Document(db, doc["_id"]).exists()


def test_create_document_on_a_taken_id_raises_only_with_throw_on_exists(db: Any) -> None:
    db.create_document({"_id": "taken", "v": 1})
    dict.clear(db)
    with pytest.raises(CloudantDatabaseException) as caught:
        db.create_document({"_id": "taken", "v": 2}, throw_on_exists=True)
    assert caught.value.status_code == 409
    assert "taken" not in dict.keys(db)
    unsaved = db.create_document({"_id": "taken", "v": 2})  # python-cloudant's default: nothing is written
    assert unsaved == {"_id": "taken", "v": 2} and dict.__getitem__(db, "taken") is unsaved
    unsaved.fetch()  # the server's copy
    assert unsaved["v"] == 1 and unsaved["_rev"].startswith("1-")


def test_new_document_is_empty_and_cached(db: Any) -> None:
    doc = db.new_document()
    assert set(doc) == {"_id", "_rev"}
    assert dict.__getitem__(db, doc["_id"]) is doc


def test_getitem_is_one_get_and_missing_ids_are_key_errors(client: Any, db: Any) -> None:
    db.create_document({"_id": "a/b c", "v": 1})
    dict.clear(db)
    responses = watch(client.r_session)
    assert db["a/b c"]["v"] == 1
    assert [r.request.method for r in responses] == ["GET"]
    with pytest.raises(KeyError):
        db["missing"]
    with pytest.raises(CloudantArgumentError):  # python-cloudant's answer to a reserved id
        db["_reserved"]


def test_contains_and_get(db: Any) -> None:
    db.create_document({"_id": "here"})
    dict.clear(db)
    assert "here" in db
    assert "gone" not in db
    assert len(db) == 0  # __contains__ caches nothing
    assert db.get("here") is None
    assert db.get("here", remote=True)["_id"] == "here"
    assert db.get("gone", default="fallback", remote=True) == "fallback"
    assert db.get("here") is not None


def test_deleting_a_document_removes_it_from_server_and_cache(db: Any) -> None:
    doc = db.create_document({"_id": "bye"})
    doc.delete()
    assert "bye" not in db
    with pytest.raises(KeyError):
        db["bye"]


# -- iteration and _all_docs -----------------------------------------------------------------------------------
def test_iterating_1050_documents_yields_each_once_and_caches_the_last_ones(client: Any, db_name: str) -> None:
    db = client.create_database(db_name)
    try:
        ids = ["doc-%05d" % i for i in range(1050)]
        db.bulk_docs([{"_id": doc_id, "n": n} for n, doc_id in enumerate(ids)], raise_on_error=True)
        db._fetch_limit = 50  # a fetch_limit the program chose: every page has that size
        responses = watch(client.r_session)
        seen = [(doc["_id"], doc["n"]) for doc in db]
        assert sorted(seen) == [(doc_id, n) for n, doc_id in enumerate(ids)]
        assert len(seen) == len(set(seen)) == 1050
        # Cached as python-cloudant did, but one loop leaves only the most recent ITERATION_CACHE_LIMIT documents.
        assert sorted(db.keys()) == sorted(doc_id for doc_id, _ in seen[-ITERATION_CACHE_LIMIT:])
        assert all(isinstance(doc, Document) for doc in db.__iter__(remote=True))
        assert len(responses) >= 21  # page by page, never the whole database in one response
        assert sorted(db.keys(remote=True)) == ids
    finally:
        client.delete_database(db_name)


def test_all_docs_get_and_post_with_keys(db: Any) -> None:
    db.bulk_docs([{"_id": "k%d" % i, "v": i} for i in range(5)], raise_on_error=True)
    page = db.all_docs(startkey="k1", endkey="k3", include_docs=True)
    assert [row["doc"]["v"] for row in page["rows"]] == [1, 2, 3]
    by_keys = db.all_docs(keys=["k4", "nope", "k0"])
    assert [row["key"] for row in by_keys["rows"]] == ["k4", "nope", "k0"]
    assert by_keys["rows"][1]["error"] == "not_found"


def test_custom_result_pages_over_all_docs(db: Any) -> None:
    db.bulk_docs([{"_id": "r%03d" % i} for i in range(30)], raise_on_error=True)
    with db.custom_result(page_size=7, startkey="r010") as result:
        assert [row["id"] for row in result] == ["r%03d" % i for i in range(10, 30)]
        assert result[0][0]["id"] == "r010"
    assert [row["id"] for row in db.result[:3]] == ["r000", "r001", "r002"]


def test_design_document_listing(db: Any) -> None:
    db.bulk_docs([{"_id": "_design/one", "views": {}}, {"_id": "_design/two", "language": "javascript"},
                  {"_id": "plain"}], raise_on_error=True)
    assert db.list_design_documents() == ["_design/one", "_design/two"]
    assert [row["doc"]["_id"] for row in db.design_documents()] == ["_design/one", "_design/two"]


def test_design_documents_come_back_as_design_document_objects(db: Any) -> None:
    design_document = pytest.importorskip("cloudant.design_document")
    doc = db.create_document({"_id": "_design/d", "views": {}})
    assert isinstance(doc, design_document.DesignDocument)
    dict.clear(db)
    assert isinstance(db["_design/d"], design_document.DesignDocument)
    assert isinstance(db.get_design_document("_design/d"), design_document.DesignDocument)
    missing = db.get_design_document("_design/missing")
    assert missing["_id"] == "_design/missing" and "_rev" not in missing
    assert [type(doc).__name__ for doc in db] == ["DesignDocument"]


# -- bulk writes -----------------------------------------------------------------------------------------------
def test_bulk_docs_reports_the_failed_document(db: Any) -> None:
    db.create_document({"_id": "exists"})
    fresh = Document(db, "fresh")
    fresh["v"] = 1
    results = db.bulk_docs([{"_id": "exists"}, fresh])
    assert results[0]["id"] == "exists" and results[0]["error"] == "conflict"
    assert results[1]["ok"] is True
    assert fresh["_rev"] == results[1]["rev"]
    with pytest.raises(CloudantDatabaseException) as caught:
        db.bulk_docs([{"_id": "new-one"}, {"_id": "exists"}], raise_on_error=True)
    assert [failure["id"] for failure in caught.value.failures] == ["exists"]
    assert "'exists'" in str(caught.value)
    assert Document(db, "new-one").exists()  # the documents that succeeded are written all the same


def test_bulk_docs_updates_and_deletes(db: Any) -> None:
    docs = [Document(db, "u%d" % i) for i in range(3)]
    db.bulk_docs(docs, raise_on_error=True)
    docs[0]["v"] = "changed"
    docs[1]["_deleted"] = True
    db.bulk_docs(docs[:2], raise_on_error=True)
    assert db["u0"]["v"] == "changed"
    assert "u1" not in db


def test_gzipped_bulk_docs_are_stored_intact(couch_server: Any, db: Any) -> None:
    docs = [{"_id": "gz-%04d" % i, "text": "payload %d " % i * 20, "n": i} for i in range(500)]
    with couchdb(couch_server.user, couch_server.password, url=couch_server.url, gzip_threshold=1024) as gz:
        gz_db = CouchDatabase(gz, db.database_name)
        responses = watch(gz.r_session)
        gz_db.bulk_docs(docs, raise_on_error=True)
        assert responses[0].request.headers.get("Content-Encoding") == "gzip"
    assert db.doc_count() == 500
    stored = {row["id"]: row["doc"] for row in db.all_docs(include_docs=True)["rows"]}
    assert all(stored[doc["_id"]]["text"] == doc["text"] and stored[doc["_id"]]["n"] == doc["n"] for doc in docs)


# -- revisions and maintenance ---------------------------------------------------------------------------------
def test_revision_limit(couch_server: Any, db: Any) -> None:
    _skip_on_pouchdb(couch_server, "_revs_limit (it answers 404)")
    assert db.get_revision_limit() == 1000
    assert db.set_revision_limit(7) == {"ok": True}
    assert db.get_revision_limit() == 7


def test_missing_revisions(couch_server: Any, db: Any) -> None:
    _skip_on_pouchdb(couch_server, "a JSON _missing_revs (it answers only_multipart_accepted)")
    doc = db.create_document({"_id": "r/1"})
    assert db.missing_revisions("r/1", doc["_rev"], "2-abc") == ["2-abc"]
    assert db.missing_revisions("r/1", doc["_rev"]) == []


def test_revisions_diff(db: Any) -> None:
    doc = db.create_document({"_id": "r/1"})
    diff = db.revisions_diff("r/1", doc["_rev"], "9-abc")
    assert diff["r/1"]["missing"] == ["9-abc"]


def test_view_cleanup(db: Any) -> None:
    assert db.view_cleanup() == {"ok": True}


@pytest.mark.requires("compact")
def test_compact_keeps_the_current_revisions(db: Any) -> None:
    doc = db.create_document({"_id": "c", "v": 1})
    doc["v"] = 2
    doc.save()
    assert db.compact() == {"ok": True}
    assert db["c"]["v"] == 2


@pytest.mark.requires("reshard")
def test_shards_maps_ranges_to_nodes(db: Any) -> None:
    shards = db.shards()["shards"]
    assert shards and all(isinstance(nodes, list) and nodes for nodes in shards.values())


# -- security, credentials, errors -----------------------------------------------------------------------------
def test_security_document_round_trip(db: Any) -> None:
    security = db.get_security_document()
    security["members"] = {"names": ["reader"], "roles": []}
    security.save()
    assert db.get_security_document()["members"] == {"names": ["reader"], "roles": []}


def test_creds_describe_the_user(client: Any, couch_server: Any, db: Any) -> None:
    creds = db.creds
    assert creds["user_ctx"]["name"] == couch_server.user
    assert creds["basic_auth"].startswith("Basic ")
    assert couch_server.password not in repr(db)

