"""Documents without a server: local checks, one request per operation, quoting, ETags, attachments."""
from __future__ import annotations

import io
import json
from typing import Any, Callable, Iterator, List

import pytest

from _fakes import FakeAdapter, Seen
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.document import Document
from cloudant.error import (CloudantArgumentError, CloudantDocumentException, Conflict, NotFound)

SERVER = "http://couch.test:5984"
REV1 = "1-aaaa"
REV2 = "2-bbbb"


def refuse(seen: Seen) -> Any:
    raise AssertionError("no request expected, got %s %s" % (seen.method, seen.url))


def connect(handler: Callable[[Seen], Any] = refuse, **options: Any) -> CouchDB:
    client = CouchDB(None, None, admin_party=True, url=SERVER, adapter=FakeAdapter(handler), **options)
    client.connect()
    return client


def seen(db: CouchDatabase) -> List[Seen]:
    return db.client.adapter.seen


@pytest.fixture
def db() -> Iterator[CouchDatabase]:
    client = connect()
    yield CouchDatabase(client, "db")
    client.disconnect()


def database(handler: Callable[[Seen], Any], **options: Any) -> CouchDatabase:
    return CouchDatabase(connect(handler, **options), "db")


# -- local checks: nothing is sent -----------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda doc: doc.fetch(),
    lambda doc: doc.delete(),
    lambda doc: doc.get_attachment("a"),
    lambda doc: doc.put_attachment("a", "text/plain", b"x"),
])
def test_operations_without_id_raise_101_before_sending(db: CouchDatabase, call: Callable[[Document], Any]) -> None:
    doc = Document(db)
    doc["_rev"] = REV1
    with pytest.raises(CloudantDocumentException) as caught:
        call(doc)
    assert caught.value.code == 101
    assert seen(db) == []


@pytest.mark.parametrize("bad_id", ["_bad", "_design/", "_local/", "_users"])
@pytest.mark.parametrize("call", [
    lambda doc: doc.fetch(),
    lambda doc: doc.save(),
    lambda doc: doc.create(),
    lambda doc: doc.exists(),
    lambda doc: doc.delete(),
    lambda doc: doc.put_attachment("a", "text/plain", b"x"),
])
def test_reserved_ids_raise_137_before_sending(db: CouchDatabase, bad_id: str,
                                               call: Callable[[Document], Any]) -> None:
    doc = Document(db, bad_id)
    doc["_rev"] = REV1
    with pytest.raises(CloudantArgumentError) as caught:
        call(doc)
    assert caught.value.code == 137
    assert seen(db) == []


def test_delete_without_rev_raises_103_before_sending(db: CouchDatabase) -> None:
    with pytest.raises(CloudantDocumentException) as caught:
        Document(db, "d").delete()
    assert caught.value.code == 103
    assert seen(db) == []


@pytest.mark.parametrize("name", ["_att", "", None, 7])
@pytest.mark.parametrize("call", [
    lambda doc, name: doc.get_attachment(name),
    lambda doc, name: doc.put_attachment(name, "text/plain", b"x"),
    lambda doc, name: doc.delete_attachment(name),
])
def test_bad_attachment_names_raise_138_before_sending(db: CouchDatabase, name: Any, call: Any) -> None:
    doc = Document(db, "d")
    doc["_rev"] = REV1
    with pytest.raises(CloudantArgumentError) as caught:
        call(doc, name)
    assert caught.value.code == 138
    assert seen(db) == []


def test_delete_attachment_without_rev_raises_105(db: CouchDatabase) -> None:
    with pytest.raises(CloudantDocumentException) as caught:
        Document(db, "d").delete_attachment("a.txt")
    assert caught.value.code == 105
    assert "a.txt" in str(caught.value)
    assert seen(db) == []


def test_unknown_attachment_type_raises_143(db: CouchDatabase) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        Document(db, "d").get_attachment("a", attachment_type="xml")
    assert caught.value.code == 143
    assert seen(db) == []


def test_update_field_rejects_negative_max_tries(db: CouchDatabase) -> None:
    with pytest.raises(CloudantArgumentError):
        Document(db, "d").update_field(Document.field_set, "f", 1, max_tries=-1)
    assert seen(db) == []


def test_exists_without_id_is_false_without_request(db: CouchDatabase) -> None:
    assert Document(db).exists() is False
    assert seen(db) == []


# -- quoting ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("doc_id, path", [
    ("a/b", "a%2Fb"), ("q?x", "q%3Fx"), ("h#x", "h%23x"), ("p%x", "p%25x"), ("a+b", "a%2Bb"),
    ("a b", "a%20b"), ("é", "%C3%A9"), ("_design/d d", "_design/d%20d"), ("_local/l/x", "_local/l%2Fx"),
])
@pytest.mark.parametrize("name, name_path", [("f/g.txt", "f%2Fg.txt"), ("a b?#%+", "a%20b%3F%23%25%2B"),
                                             ("ü", "%C3%BC")])
def test_attachment_urls_quote_every_part(doc_id: str, path: str, name: str, name_path: str) -> None:
    db = database(lambda s: (200, {"Content-Type": "application/octet-stream"}, b"x")
                  if s.method == "GET" else (201, {}, {"ok": True, "id": doc_id, "rev": REV2}))
    doc = Document(db, doc_id)
    doc["_rev"] = REV1
    doc.get_attachment(name)
    doc.put_attachment(name, "text/plain", b"x")
    doc.delete_attachment(name)
    expected = "/db/%s/%s" % (path, name_path)
    assert [s.path for s in seen(db)] == [expected] * 3
    assert doc.document_url == SERVER + "/db/" + path


# -- one request per operation ---------------------------------------------------------------------------------
def test_save_with_id_is_one_put_with_the_whole_body() -> None:
    db = database(lambda s: (201, {}, {"ok": True, "id": "d", "rev": REV2}))
    doc = Document(db, "d")
    doc.update(_rev=REV1, total=12)
    doc.save()
    assert [(s.method, s.path) for s in seen(db)] == [("PUT", "/db/d")]
    assert seen(db)[0].json() == {"_id": "d", "_rev": REV1, "total": 12}
    assert doc["_rev"] == REV2
    assert len(db) == 0  # a Document is never cached by constructing or saving it


def test_save_without_id_posts_and_takes_the_servers_id() -> None:
    db = database(lambda s: (201, {}, {"ok": True, "id": "generated", "rev": REV1}))
    doc = Document(db)
    doc["x"] = 1
    doc.save()
    assert [(s.method, s.path) for s in seen(db)] == [("POST", "/db")]
    assert doc == {"_id": "generated", "_rev": REV1, "x": 1}


def test_create_with_id_is_one_put_without_rev() -> None:
    db = database(lambda s: (201, {}, {"ok": True, "id": "d", "rev": REV1}))
    doc = Document(db, "d")
    doc.update(_rev="9-stale", x=1)
    doc.create()
    assert [(s.method, s.path) for s in seen(db)] == [("PUT", "/db/d")]
    assert seen(db)[0].json() == {"_id": "d", "x": 1}


def test_a_conflicting_save_raises_conflict_naming_the_document() -> None:
    db = database(lambda s: (409, {}, {"error": "conflict", "reason": "Document update conflict."}))
    doc = Document(db, "order/7")
    with pytest.raises(Conflict) as caught:
        doc.save()
    assert caught.value.doc_id == "order/7"
    assert "order/7" in str(caught.value)
    assert "_rev" not in doc


def test_document_encoder_and_decoder_are_used() -> None:
    class Upper(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            return sorted(o) if isinstance(o, set) else super().default(o)

    class Tagged(json.JSONDecoder):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(object_hook=lambda obj: {**obj, "decoded": True}, **kwargs)

    db = database(lambda s: (201, {}, {"ok": True, "id": "d", "rev": REV1}) if s.method == "PUT"
                  else (200, {}, {"_id": "d", "_rev": REV1}))
    doc = Document(db, "d", encoder=Upper, decoder=Tagged)
    doc["tags"] = {"b", "a"}
    doc.save()
    assert seen(db)[0].json()["tags"] == ["a", "b"]
    doc.fetch()
    assert doc["decoded"] is True


# -- fetch and ETags -------------------------------------------------------------------------------------------
def _etag_server(store: dict) -> Callable[[Seen], Any]:
    def handler(s: Seen) -> Any:
        if s.headers.get("If-None-Match") == '"%s"' % store["_rev"]:
            return 304, {"ETag": '"%s"' % store["_rev"]}, b""
        return 200, {"ETag": '"%s"' % store["_rev"]}, store
    return handler


def test_fetch_sends_if_none_match_and_keeps_content_on_304() -> None:
    store = {"_id": "d", "_rev": REV1, "n": 1}
    db = database(_etag_server(store))
    doc = Document(db, "d")
    doc.fetch()
    doc.fetch()
    assert "If-None-Match" not in seen(db)[0].headers
    assert seen(db)[1].headers["If-None-Match"] == '"%s"' % REV1
    assert doc == store


def test_fetch_after_a_local_edit_replaces_the_content() -> None:
    store = {"_id": "d", "_rev": REV1, "n": 1}
    db = database(_etag_server(store))
    doc = Document(db, "d")
    doc.fetch()
    doc["n"] = 99
    doc.fetch()
    assert "If-None-Match" not in seen(db)[1].headers
    assert doc["n"] == 1


def test_fetch_of_a_missing_document_raises_not_found() -> None:
    db = database(lambda s: (404, {}, {"error": "not_found", "reason": "missing"}))
    with pytest.raises(NotFound) as caught:
        Document(db, "gone").fetch()
    assert caught.value.doc_id == "gone"


# -- delete ----------------------------------------------------------------------------------------------------
def test_delete_sends_the_rev_clears_the_content_and_leaves_the_cache() -> None:
    db = database(lambda s: (200, {}, {"ok": True, "id": "d", "rev": REV2}))
    doc = Document(db, "d")
    doc.update(_rev=REV1, x=1)
    dict.__setitem__(db, "d", doc)
    doc.delete()
    assert [(s.method, s.path, s.query) for s in seen(db)] == [("DELETE", "/db/d", {"rev": [REV1]})]
    assert doc == {"_id": "d"}
    assert not dict.__contains__(db, "d")


# -- update_field ----------------------------------------------------------------------------------------------
def test_update_field_retries_after_conflicts_then_succeeds() -> None:
    puts: List[dict] = []

    def handler(s: Seen) -> Any:
        if s.method == "GET":
            return 200, {}, {"_id": "d", "_rev": "%d-x" % (len(puts) + 1), "tags": ["a"]}
        puts.append(s.json())
        if len(puts) < 3:
            return 409, {}, {"error": "conflict", "reason": "Document update conflict."}
        return 201, {}, {"ok": True, "id": "d", "rev": "9-z"}

    db = database(handler)
    doc = Document(db, "d")
    doc.update_field(Document.list_field_append, "tags", "b")
    assert [p["tags"] for p in puts] == [["a", "b"]] * 3
    assert [p["_rev"] for p in puts] == ["1-x", "2-x", "3-x"]
    assert doc["_rev"] == "9-z"


def test_update_field_raises_the_conflict_after_max_tries() -> None:
    def handler(s: Seen) -> Any:
        if s.method == "GET":
            return 200, {}, {"_id": "d", "_rev": REV1}
        return 409, {}, {"error": "conflict", "reason": "Document update conflict."}

    db = database(handler)
    with pytest.raises(Conflict):
        Document(db, "d").update_field(Document.field_set, "f", 1, max_tries=2)
    assert [s.method for s in seen(db)] == ["GET", "PUT"] * 3


def test_field_helpers() -> None:
    doc: dict = {"tags": None, "name": "x"}
    Document.list_field_append(doc, "tags", "a")
    Document.list_field_append(doc, "tags", None)
    Document.list_field_append(doc, "new", 1)
    assert doc["tags"] == ["a"] and doc["new"] == [1]
    Document.list_field_remove(doc, "tags", "a")
    assert doc["tags"] == []
    Document.field_set(doc, "name", None)
    Document.field_set(doc, "k", 2)
    assert "name" not in doc and doc["k"] == 2
    with pytest.raises(CloudantDocumentException) as caught:
        Document.list_field_append(doc, "k", 3)
    assert caught.value.code == 102


# -- context manager -------------------------------------------------------------------------------------------
def test_context_manager_on_a_missing_document_saves_the_local_content() -> None:
    def handler(s: Seen) -> Any:
        if s.method == "GET":
            return 404, {}, {"error": "not_found", "reason": "missing"}
        return 201, {}, {"ok": True, "id": "d", "rev": REV1}

    db = database(handler)
    with Document(db, "d") as doc:
        doc["x"] = 1
    assert [s.method for s in seen(db)] == ["GET", "PUT"]
    assert seen(db)[1].json() == {"_id": "d", "x": 1}


def test_context_manager_does_not_save_when_the_body_raises() -> None:
    db = database(lambda s: (200, {}, {"_id": "d", "_rev": REV1}))
    with pytest.raises(RuntimeError):
        with Document(db, "d") as doc:
            doc["x"] = 1
            raise RuntimeError("stop")
    assert [s.method for s in seen(db)] == ["GET"]


# -- attachments -----------------------------------------------------------------------------------------------
def _attachment_reply(s: Seen) -> Any:
    return 201, {}, {"ok": True, "id": "d", "rev": REV2}


@pytest.mark.parametrize("data, expected", [
    (b"\x00\x01binary", b"\x00\x01binary"),
    ("héllo", "héllo".encode()),
    (io.BytesIO(b"from a file"), b"from a file"),
    (iter([b"chunk1", b"chunk2"]), b"chunk1chunk2"),
])
def test_put_attachment_is_one_put_with_rev_that_keeps_local_edits(data: Any, expected: bytes) -> None:
    db = database(_attachment_reply, gzip_threshold=1)
    doc = Document(db, "d")
    doc.update(_rev=REV1, unsaved="edit")
    headers = {"X-Extra": "1"}
    reply = doc.put_attachment("a.bin", "application/octet-stream", data, headers=headers)
    (put,) = seen(db)
    assert (put.method, put.path, put.query) == ("PUT", "/db/d/a.bin", {"rev": [REV1]})
    assert put.body == expected
    assert "Content-Encoding" not in put.headers  # attachments are never gzipped by the wire layer
    assert put.headers["Content-Type"] == "application/octet-stream" and put.headers["X-Extra"] == "1"
    assert headers == {"X-Extra": "1"}
    assert reply["rev"] == REV2
    assert doc["_rev"] == REV2 and doc["unsaved"] == "edit"
    stub = doc["_attachments"]["a.bin"]
    assert stub["stub"] is True and stub["revpos"] == 2 and stub["content_type"] == "application/octet-stream"
    assert stub["length"] == len(expected)


def test_put_attachment_on_a_new_document_sends_no_rev() -> None:
    db = database(lambda s: (201, {}, {"ok": True, "id": "d", "rev": REV1}))
    doc = Document(db, "d")
    doc.put_attachment("a.txt", "text/plain", "x")
    assert seen(db)[0].query == {}
    assert doc["_rev"] == REV1


def test_put_attachment_conflict_raises_and_changes_nothing() -> None:
    db = database(lambda s: (409, {}, {"error": "conflict", "reason": "Document update conflict."}))
    doc = Document(db, "d")
    doc.update(_rev=REV1, x=1)
    with pytest.raises(Conflict):
        doc.put_attachment("a.txt", "text/plain", "x")
    assert doc == {"_id": "d", "_rev": REV1, "x": 1}


def test_delete_attachment_updates_rev_and_drops_the_stub_only() -> None:
    db = database(lambda s: (200, {}, {"ok": True, "id": "d", "rev": REV2}))
    doc = Document(db, "d")
    doc.update(_rev=REV1, edit=1, _attachments={"a.txt": {"stub": True}})
    doc.delete_attachment("a.txt")
    assert [(s.method, s.query) for s in seen(db)] == [("DELETE", {"rev": [REV1]})]
    assert doc == {"_id": "d", "_rev": REV2, "edit": 1}


@pytest.mark.parametrize("content_type, body, expected", [
    ("text/plain", "héllo".encode(), "héllo"),
    ("text/plain; charset=latin-1", "é".encode("latin-1"), "é"),
    ("application/json", b'{"a": [1]}', {"a": [1]}),
    ("image/png", b"\x89PNG", b"\x89PNG"),
])
def test_get_attachment_type_follows_the_content_type(content_type: str, body: bytes, expected: Any) -> None:
    db = database(lambda s: (200, {"Content-Type": content_type}, body))
    assert Document(db, "d").get_attachment("a") == expected


def test_get_attachment_sends_no_document_fetch_and_keeps_callers_headers() -> None:
    db = database(lambda s: (200, {"Content-Type": "text/plain"}, b"x"))
    doc = Document(db, "d")
    doc["_rev"] = REV1
    headers = {"X-Extra": "1"}
    assert doc.get_attachment("a.txt", headers=headers, attachment_type="binary") == b"x"
    assert [(s.method, s.path) for s in seen(db)] == [("GET", "/db/d/a.txt")]
    assert seen(db)[0].headers["X-Extra"] == "1"
    assert headers == {"X-Extra": "1"}


@pytest.mark.parametrize("target, expected", [(io.BytesIO(), "é".encode() * 50000),
                                              (io.StringIO(), "é" * 50000)])
def test_get_attachment_streams_into_write_to(target: Any, expected: Any) -> None:
    db = database(lambda s: (200, {"Content-Type": "text/plain"}, "é".encode() * 50000))
    assert Document(db, "d").get_attachment("a.txt", write_to=target) is None
    assert target.getvalue() == expected
