"""Databases without a server: local checks first, the requests each method sends, the document cache."""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator, List
from urllib.parse import unquote

import pytest

from _fakes import FakeAdapter, Seen
from cloudant.client import Cloudant, CouchDB
from cloudant import _iteration
from cloudant import database as database_module
from cloudant.database import CloudantDatabase, CouchDatabase
from cloudant.document import Document
from cloudant.error import CloudantArgumentError, CloudantDatabaseException, MalformedResponse

SERVER = "http://couch.test:5984"


def refuse(seen: Seen) -> Any:
    raise AssertionError("no request expected, got %s %s" % (seen.method, seen.url))


def database(handler: Callable[[Seen], Any] = refuse, name: str = "db", **options: Any) -> CouchDatabase:
    client = CouchDB(None, None, admin_party=True, url=SERVER, adapter=FakeAdapter(handler))
    client.connect()
    return CouchDatabase(client, name, **options)


def seen(db: CouchDatabase) -> List[Seen]:
    return db.client.adapter.seen


@pytest.fixture
def db() -> Iterator[CouchDatabase]:
    database_ = database()
    yield database_
    database_.client.disconnect()


# -- local checks: nothing is sent -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Upper", "9lives", "a b", "_private", "x" * 239, "ünï"])
def test_database_names_are_judged_by_the_server_as_python_cloudant_let_them_be(name: str) -> None:
    answer = (400, {}, {"error": "illegal_database_name", "reason": "Name: '%s'." % name})
    db = database(lambda s: answer, name=name)  # nothing is checked or sent at construction
    with pytest.raises(CloudantDatabaseException) as caught:
        db.create()
    assert caught.value.status_code == 400
    assert str(caught.value) == "Invalid database name during creation. Found: %s" % db.database_url


@pytest.mark.parametrize("partitioned, sent", [(False, "false"), (True, "true")])
def test_create_is_one_put_telling_whether_the_database_is_partitioned(partitioned: bool, sent: str) -> None:
    db = database(lambda s: (201, {}, {"ok": True}), partitioned=partitioned)
    assert db.create() is db
    assert [(s.method, s.path, s.query) for s in seen(db)] == [("PUT", "/db", {"partitioned": [sent]})]


def test_create_maps_refusals_to_database_exceptions_with_python_cloudants_texts() -> None:
    exists = database(lambda s: (412, {}, {"error": "file_exists", "reason": "The database could not be created"}))
    assert exists.create() is exists
    with pytest.raises(CloudantDatabaseException) as caught:
        exists.create(throw_on_exists=True)
    assert (caught.value.status_code, str(caught.value)) == (412, "Database %s already exists." % exists.database_url)
    failing = database(lambda s: (500, {}, {"error": "unknown_error", "reason": "boom"}))
    with pytest.raises(CloudantDatabaseException) as caught:
        failing.create()
    assert caught.value.status_code == 500
    assert str(caught.value) == failing.database_url + ' {"error": "unknown_error", "reason": "boom"}'


@pytest.mark.parametrize("key", ["", "_system", "a:b", None])
@pytest.mark.parametrize("call", [
    lambda db, key: db.partition_metadata(key),
    lambda db, key: db.partitioned_all_docs(key),
    lambda db, key: db.database_partition_url(key),
])
def test_illegal_partition_keys_raise_141_before_sending(db: CouchDatabase, key: Any, call: Any) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        call(db, key)
    assert caught.value.code == 141
    assert seen(db) == []


@pytest.mark.parametrize("options, code", [
    ({"bogus": 1}, 116),
    ({"limit": "10"}, 117),
    ({"include_docs": "true"}, 117),
    ({"stale": "later"}, 135),
])
def test_bad_all_docs_options_raise_before_sending(db: CouchDatabase, options: dict, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        db.all_docs(**options)
    assert caught.value.code == code
    assert seen(db) == []


@pytest.mark.parametrize("limit", [0, -3, "5", True, 2.5])
def test_bad_revision_limits_raise_before_sending(db: CouchDatabase, limit: Any) -> None:
    with pytest.raises(CloudantArgumentError):
        db.set_revision_limit(limit)
    assert seen(db) == []


@pytest.mark.parametrize("call", [
    lambda db: db.missing_revisions("_bad", "1-a"),
    lambda db: db.revisions_diff("_bad", "1-a"),
    lambda db: db.create_document({"_id": "_bad"}),
    lambda db: db.bulk_docs([{"_id": "ok"}, "not a dict"]),
])
def test_bad_document_arguments_raise_before_sending(db: CouchDatabase, call: Any) -> None:
    with pytest.raises(CloudantArgumentError):
        call(db)
    assert seen(db) == []


def test_reserved_ids_raise_137_without_a_request_as_python_cloudant_did(db: CouchDatabase) -> None:
    for lookup in (lambda: db["_bad"], lambda: "_bad" in db, lambda: db.get("_bad", remote=True)):
        with pytest.raises(CloudantArgumentError) as caught:
            lookup()
        assert caught.value.code == 137
    with pytest.raises(KeyError):
        db[""]
    assert 42 not in db and "" not in db
    assert db.get(42, remote=True, default="default") == "default"
    assert seen(db) == []


# -- URLs ------------------------------------------------------------------------------------------------------
def test_urls_quote_the_database_name_and_partition_key() -> None:
    db = database(name="a/b$c")
    assert db.database_url == SERVER + "/a%2Fb%24c"
    assert db.database_partition_url("p é") == SERVER + "/a%2Fb%24c/_partition/p%20%C3%A9"


def test_security_url_quotes_the_database_name() -> None:
    client = Cloudant("user", "pass", url=SERVER)
    assert CloudantDatabase(client, "a/b").security_url == SERVER + "/_api/v2/db/a%2Fb/_security"


# -- _all_docs -------------------------------------------------------------------------------------------------
def test_all_docs_without_keys_is_a_get_with_json_keys() -> None:
    db = database(lambda s: (200, {}, {"rows": []}))
    db.all_docs(startkey="a", endkey=["b", 1], include_docs=True, limit=5)
    (get,) = seen(db)
    assert (get.method, get.path) == ("GET", "/db/_all_docs")
    assert get.query == {"startkey": ['"a"'], "endkey": ['["b", 1]'], "include_docs": ["true"], "limit": ["5"]}


def test_all_docs_with_keys_posts_them_in_the_body() -> None:
    db = database(lambda s: (200, {}, {"rows": []}))
    db.all_docs(keys=["a", "b/c"], include_docs=True)
    (post,) = seen(db)
    assert (post.method, post.path, post.query) == ("POST", "/db/_all_docs", {"include_docs": ["true"]})
    assert post.json() == {"keys": ["a", "b/c"]}


def test_partitioned_all_docs_uses_the_partition_endpoint() -> None:
    db = database(lambda s: (200, {}, {"rows": []}))
    db.partitioned_all_docs("sensor 1", limit=2)
    assert seen(db)[0].path == "/db/_partition/sensor%201/_all_docs"


# -- the document cache ----------------------------------------------------------------------------------------
def _store(docs: dict) -> Callable[[Seen], Any]:
    def handler(s: Seen) -> Any:
        doc = docs.get(unquote(s.path.split("/", 2)[2]))
        if doc is None:
            return 404, {}, {"error": "not_found", "reason": "missing"}
        return 200, {}, (b"" if s.method == "HEAD" else doc)
    return handler


def test_getitem_is_one_get_then_served_from_the_cache() -> None:
    db = database(_store({"a/b": {"_id": "a/b", "_rev": "1-x"}}))
    first = db["a/b"]
    assert db["a/b"] is first
    assert [(s.method, s.path) for s in seen(db)] == [("GET", "/db/a%2Fb")]
    assert isinstance(first, Document) and first["_rev"] == "1-x"


def test_getitem_of_a_missing_document_raises_key_error_and_caches_nothing() -> None:
    db = database(_store({}))
    with pytest.raises(KeyError):
        db["nope"]
    assert len(db) == 0


def test_contains_asks_with_one_head_and_caches_nothing() -> None:
    db = database(_store({"here": {"_id": "here"}}))
    assert "here" in db
    assert "gone" not in db
    assert [s.method for s in seen(db)] == ["HEAD", "HEAD"]
    assert len(db) == 0


def test_get_has_a_default_and_stays_local_unless_remote() -> None:
    db = database(_store({"here": {"_id": "here", "_rev": "1-x"}}))
    assert db.get("here", default="default") == "default"
    assert seen(db) == []
    assert db.get("here", remote=True)["_rev"] == "1-x"
    assert db.get("gone", default=0, remote=True) == 0
    assert db.get("here") is dict.__getitem__(db, "here")


def test_iterating_with_remote_false_yields_the_cached_documents() -> None:
    db = database(_store({"a": {"_id": "a"}, "b": {"_id": "b"}}))
    db["a"], db["b"]
    assert sorted(doc["_id"] for doc in db.__iter__(remote=False)) == ["a", "b"]
    assert len(seen(db)) == 2


def _all_docs_handler(ids: List[str], limits: List[int], text: str = "") -> Any:
    def handler(s: Seen) -> Any:
        start = json.loads(s.query["startkey"][0]) if "startkey" in s.query else ""
        limit = int(s.query["limit"][0])
        limits.append(limit)
        rows = [{"id": i, "key": i, "value": {}, "doc": {"_id": i, "n": i, "text": text}} for i in ids
                if i >= start][:limit]
        return 200, {}, {"total_rows": len(ids), "offset": 0, "rows": rows}
    return handler


def test_iteration_pages_through_all_docs_and_caches_each_document() -> None:
    ids = ["d%04d" % i for i in range(250)]
    limits: List[int] = []
    db = database(_all_docs_handler(ids, limits), fetch_limit=50)
    docs = list(db)
    assert [doc["_id"] for doc in docs] == ids
    assert all(isinstance(doc, Document) and doc["n"] == doc["_id"] for doc in docs)
    assert db.keys() == ids and all(dict.__getitem__(db, doc["_id"]) is doc for doc in docs)
    assert limits == [51] * 5  # a fetch_limit the program chose is the size of every page
    assert all(s.query["include_docs"] == ["true"] for s in seen(db))


def test_iteration_at_the_default_fetch_limit_sizes_pages_from_the_first_one() -> None:
    ids = ["d%05d" % i for i in range(2500)]
    small: List[int] = []
    assert [doc["_id"] for doc in database(_all_docs_handler(ids, small))] == ids
    assert small == [101, 1001, 1001, 1001]  # 100 rows first, then MAX_PAGE_ROWS of small documents
    large: List[int] = []
    big = "x" * 100000  # rows of about 100 kB: about PAGE_BYTES / 100 kB rows a page
    assert len(list(database(_all_docs_handler(ids[:300], large, big)))) == 300
    expected = _iteration.PAGE_BYTES // len(json.dumps({"id": ids[0], "key": ids[0], "value": {},
                                                        "doc": {"_id": ids[0], "n": ids[0], "text": big}}))
    assert large[0] == 101 and set(large[1:]) == {expected + 1}


def test_documents_from_iteration_are_built_like_new_ones() -> None:
    ids = ["a", "_design/b"]
    db = database(_all_docs_handler(ids, []))
    plain, design = list(db)
    fresh = Document(db, "a")
    assert type(plain) is Document and type(design).__name__ == "DesignDocument"
    assert set(vars(plain)) == set(vars(fresh))
    assert plain.document_url == fresh.document_url and plain.r_session is fresh.r_session
    assert plain._has_unsaved_edits()  # iterated content is not taken as the server's for attachment calls


def test_one_loop_leaves_at_most_the_most_recent_documents_in_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "ITERATION_CACHE_LIMIT", 3)
    ids = ["d%02d" % i for i in range(10)]

    def handler(s: Seen) -> Any:
        start = json.loads(s.query["startkey"][0]) if "startkey" in s.query else ""
        limit = int(s.query["limit"][0])
        rows = [{"id": i, "key": i, "value": {}, "doc": {"_id": i}} for i in ids if i >= start][:limit]
        return 200, {}, {"total_rows": len(ids), "offset": 0, "rows": rows}

    db = database(handler, fetch_limit=4)
    mine = Document(db, "d01")
    dict.__setitem__(db, "d01", mine)   # cached by the caller before the loop: replaced, then dropped
    assert [doc["_id"] for doc in db] == ids
    assert db.keys() == ["d07", "d08", "d09"]

    # Dropped by the id it was cached under, whatever the program did to the document's content since;
    # an object the program cached under an id meanwhile stays.
    db.clear()
    kept: List[Any] = []
    for doc in db:
        kept.append(doc)
        doc["_id"] = "copy-" + doc["_id"]
        if doc["_id"] == "copy-d02":
            dict.__setitem__(db, "d01", mine)
    assert sorted(db.keys()) == ["d01", "d07", "d08", "d09"] and dict.__getitem__(db, "d01") is mine
    assert [dict.__getitem__(db, i) for i in ("d07", "d08", "d09")] == kept[-3:]


# -- creating documents ----------------------------------------------------------------------------------------
def test_create_document_with_id_is_one_put_and_caches_it() -> None:
    db = database(lambda s: (201, {}, {"ok": True, "id": "o1", "rev": "1-x"}))
    doc = db.create_document({"_id": "o1", "total": 10})
    assert [(s.method, s.path) for s in seen(db)] == [("PUT", "/db/o1")]
    assert doc == {"_id": "o1", "_rev": "1-x", "total": 10}
    assert dict.__getitem__(db, "o1") is doc


def test_create_document_on_a_taken_id_raises_409_only_when_asked() -> None:
    db = database(lambda s: (409, {}, {"error": "conflict", "reason": "Document update conflict."}))
    with pytest.raises(CloudantDatabaseException) as caught:
        db.create_document({"_id": "o1"}, throw_on_exists=True)
    assert (caught.value.status_code, str(caught.value)) == (409, "Document with id o1 already exists.")
    assert len(db) == 0
    # python-cloudant's default: the unsaved local object is cached and returned (no _rev)
    doc = db.create_document({"_id": "o1", "total": 10})
    assert doc == {"_id": "o1", "total": 10}
    assert dict.__getitem__(db, "o1") is doc


def test_new_document_posts_an_empty_body() -> None:
    db = database(lambda s: (201, {}, {"ok": True, "id": "abc", "rev": "1-x"}))
    doc = db.new_document()
    assert [(s.method, s.path, s.json()) for s in seen(db)] == [("POST", "/db", {})]
    assert doc["_id"] == "abc" and dict.__getitem__(db, "abc") is doc


# -- bulk ------------------------------------------------------------------------------------------------------
def _bulk_reply(s: Seen) -> Any:
    results = []
    for doc in s.json()["docs"]:
        if doc["_id"].startswith("bad"):
            results.append({"id": doc["_id"], "error": "conflict", "reason": "Document update conflict."})
        else:
            results.append({"ok": True, "id": doc["_id"], "rev": "1-new"})
    return 201, {}, results


def test_bulk_docs_returns_every_result_and_updates_document_objects() -> None:
    db = database(_bulk_reply)
    doc = Document(db, "good")
    results = db.bulk_docs([doc, {"_id": "bad1"}])
    assert [r.get("error") for r in results] == [None, "conflict"]
    assert doc["_rev"] == "1-new"


def test_bulk_docs_raise_on_error_names_every_failed_document() -> None:
    db = database(_bulk_reply)
    with pytest.raises(CloudantDatabaseException) as caught:
        db.bulk_docs([{"_id": "bad1"}, {"_id": "good"}, {"_id": "bad2"}], raise_on_error=True)
    error = caught.value
    assert error.code == 102
    assert "'bad1'" in str(error) and "'bad2'" in str(error) and "2 of 3" in str(error)
    assert [f["id"] for f in error.failures] == ["bad1", "bad2"]
    assert len(error.results) == 3


def test_bulk_docs_with_a_result_missing_raises_malformed_response() -> None:
    db = database(lambda s: (201, {}, [{"ok": True, "id": "a", "rev": "1-x"}]))
    with pytest.raises(MalformedResponse):
        db.bulk_docs([{"_id": "a"}, {"_id": "b"}])


# -- other endpoints -------------------------------------------------------------------------------------------
def test_revision_limit_round_trip() -> None:
    db = database(lambda s: (200, {}, 7 if s.method == "GET" else {"ok": True}))
    assert db.set_revision_limit(7) == {"ok": True}
    assert db.get_revision_limit() == 7
    assert [(s.method, s.path, s.body) for s in seen(db)] == [("PUT", "/db/_revs_limit", b"7"),
                                                               ("GET", "/db/_revs_limit", b"")]


def test_a_non_integer_revision_limit_raises() -> None:
    db = database(lambda s: (200, {}, {"oops": 1}))
    with pytest.raises(CloudantDatabaseException) as caught:
        db.get_revision_limit()
    assert caught.value.status_code == 400  # python-cloudant's code for this case


@pytest.mark.parametrize("method, path", [("view_cleanup", "/db/_view_cleanup"), ("compact", "/db/_compact")])
def test_maintenance_posts_json(method: str, path: str) -> None:
    db = database(lambda s: (202, {}, {"ok": True}))
    assert getattr(db, method)() == {"ok": True}
    assert [(s.method, s.path, s.headers["Content-Type"]) for s in seen(db)] == [("POST", path, "application/json")]


def test_missing_revisions_and_revisions_diff_bodies() -> None:
    def handler(s: Seen) -> Any:
        if s.path.endswith("_missing_revs"):
            return 200, {}, {"missing_revs": {"a/b": ["2-y"]}}
        return 200, {}, {"a/b": {"missing": ["2-y"]}}

    db = database(handler)
    assert db.missing_revisions("a/b", "1-x", "2-y") == ["2-y"]
    assert db.revisions_diff("a/b", "2-y") == {"a/b": {"missing": ["2-y"]}}
    assert [s.json() for s in seen(db)] == [{"a/b": ["1-x", "2-y"]}, {"a/b": ["2-y"]}]


def test_creds_asks_for_the_session_once() -> None:
    def handler(s: Seen) -> Any:
        if s.path == "/_session" and s.method == "GET":
            return 200, {}, {"ok": True, "userCtx": {"name": "bob", "roles": []}}
        return 200, {"Set-Cookie": "AuthSession=abc; Path=/"}, {"ok": True}

    client = CouchDB("bob", "secret", url=SERVER, adapter=FakeAdapter(handler))
    client.connect()
    db = CouchDatabase(client, "db")
    first, second = db.creds, db.creds
    assert first == second and first["user_ctx"] == {"name": "bob", "roles": []}
    assert first["basic_auth"].startswith("Basic ")
    assert len(client.adapter.calls("GET", "/_session")) == 1
    assert "secret" not in repr(db)


# -- Cloudant sharing ------------------------------------------------------------------------------------------
def _cloudant_db(handler: Callable[[Seen], Any]) -> CloudantDatabase:
    client = Cloudant(None, None, admin_party=True, url=SERVER, adapter=FakeAdapter(handler))
    client.connect()
    return CloudantDatabase(client, "a/b")


def test_share_database_rejects_unknown_roles_before_sending() -> None:
    db = _cloudant_db(refuse)
    with pytest.raises(CloudantArgumentError) as caught:
        db.share_database("key", ["_reader", "_owner"])
    assert caught.value.code == 102


def test_share_and_unshare_keep_the_rest_of_the_security_object() -> None:
    security = {"admins": {"names": ["alice"], "roles": []}, "cloudant": {"other": ["_reader"]}}

    def handler(s: Seen) -> Any:
        if s.method == "GET":
            return 200, {}, security
        return 200, {}, {"ok": True}

    db = _cloudant_db(handler)
    assert db.share_database("key", ["_writer", "_reader", "_writer"]) == {"ok": True}
    db.unshare_database("other")
    gets, shares = [s for s in seen(db) if s.method == "GET"], [s for s in seen(db) if s.method == "PUT"]
    assert {s.path for s in gets} == {"/a%2Fb/_security"}
    assert [s.path for s in shares] == ["/_api/v2/db/a%2Fb/_security"] * 2
    assert shares[0].json() == {**security, "cloudant": {"other": ["_reader"], "key": ["_writer", "_reader"]}}
    assert shares[1].json() == {**security, "cloudant": {}}
