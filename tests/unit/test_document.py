"""Documents without a server: local checks, one request per operation, quoting, ETags, attachments."""
from __future__ import annotations

import io
import json
from typing import Any, Callable, Iterator, List
from unittest import mock

import pytest
import requests

from _fakes import FakeAdapter, Seen
from cloudant import _synced
from cloudant import document as document_module
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
    doc = Document(db, "d")
    doc["unsaved"] = 1  # unsaved edits: the document is not read first, so no _rev is learnt
    with pytest.raises(CloudantDocumentException) as caught:
        doc.delete_attachment("a.txt")
    assert caught.value.code == 105
    assert "a.txt" in str(caught.value)
    assert seen(db) == []


def test_unknown_attachment_type_raises_143(db: CouchDatabase) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        Document(db, "d").get_attachment("a", attachment_type="xml")
    assert caught.value.code == 143
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
    # the message is requests' raise_for_status text; the id goes into a note
    assert str(caught.value).startswith("409 Client Error: ")
    assert "document 'order/7'" in getattr(caught.value, "__notes__", ["document 'order/7'"])
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


@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Every digest of a document's content, under each name the library calls it by."""
    seen_digests: List[Any] = []
    original = _synced.digest

    def counting(content: Any, encoder: Any) -> Any:
        seen_digests.append(1)
        return original(content, encoder)

    monkeypatch.setattr(_synced, "digest", counting)
    monkeypatch.setattr(document_module, "content_digest", counting)
    return seen_digests


def test_fetch_digests_nothing_until_a_comparison_needs_it(digests: List[Any]) -> None:
    store = {"_id": "d", "_rev": REV1, "n": 1, "nested": {"list": [1, 2, {"deep": True}]}}
    db = database(_etag_server(store))
    doc = Document(db, "d")
    doc.fetch()
    assert digests == [] and doc == store
    assert not doc._has_unsaved_edits()  # the body read is digested now, and the content's digest matches
    assert len(digests) == 2


def test_save_digests_nothing_and_its_content_counts_as_the_servers(digests: List[Any]) -> None:
    db = database(lambda s: (201, {}, {"ok": True, "id": "d", "rev": REV2}))
    doc = Document(db, "d")
    doc.update(_rev=REV1, nested={"list": [1, {"deep": True}]})
    doc.save()
    assert digests == [] and doc["_rev"] == REV2
    assert not doc._has_unsaved_edits()  # the body sent, with the server's _rev, is the content
    assert len(digests) == 2  # digested only now: the body sent, then the content
    doc["nested"]["list"][1]["deep"] = False
    assert doc._has_unsaved_edits()


@pytest.mark.parametrize("edit", [
    lambda doc: doc["nested"]["list"][2].update(deep=False),
    lambda doc: doc["nested"]["list"].append(3),
    lambda doc: doc.__setitem__("n", True),        # == 1, but another JSON value
    lambda doc: doc.__setitem__("n", 1.0),
    lambda doc: doc.pop("nested"),
    lambda doc: doc.__setitem__("extra", None),
])
def test_any_edit_after_a_fetch_counts_as_unsaved_and_is_not_read_over(edit: Callable[[Document], Any]) -> None:
    store = {"_id": "d", "_rev": REV1, "n": 1, "nested": {"list": [1, 2, {"deep": True}]}}
    db = database(_etag_server(store))
    doc = Document(db, "d")
    doc.fetch()
    edit(doc)
    assert doc._has_unsaved_edits()
    doc.fetch()  # the content changed: no If-None-Match, the server's content replaces it
    assert "If-None-Match" not in seen(db)[1].headers and doc == store
    assert not doc._has_unsaved_edits()


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


@pytest.mark.parametrize("max_tries, rounds", [(2, 3), (0, 1), (-1, 1)])  # a negative count: no retry
def test_update_field_raises_the_conflict_after_max_tries(max_tries: int, rounds: int) -> None:
    def handler(s: Seen) -> Any:
        if s.method == "GET":
            return 200, {}, {"_id": "d", "_rev": REV1}
        return 409, {}, {"error": "conflict", "reason": "Document update conflict."}

    db = database(handler)
    with pytest.raises(Conflict):
        Document(db, "d").update_field(Document.field_set, "f", 1, max_tries=max_tries)
    assert [s.method for s in seen(db)] == ["GET", "PUT"] * rounds


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
    store: dict = {}

    def handler(s: Seen) -> Any:
        if s.method == "GET":
            return (200, {}, store) if store else (404, {}, {"error": "not_found", "reason": "missing"})
        store.update(_id="d", _rev=REV1, _attachments={"a.txt": {"stub": True}})
        return 201, {}, {"ok": True, "id": "d", "rev": REV1}

    db = database(handler)
    doc = Document(db, "d")
    doc.put_attachment("a.txt", "text/plain", "x")
    assert [(s.method, s.query) for s in seen(db)] == [("GET", {}), ("PUT", {}), ("GET", {})]
    assert doc == store


def test_attachment_calls_read_the_document_first_when_nothing_is_unsaved() -> None:
    """As python-cloudant: fetch, then the attachment request on the current revision (put: fetch again)."""
    store = {"_id": "d", "_rev": REV1, "n": 1}

    def handler(s: Seen) -> Any:
        if s.path == "/db/d":
            return 200, {}, store
        if s.method == "GET":
            return 200, {"Content-Type": "text/plain"}, b"text"
        store["_rev"] = REV2
        return 201, {}, {"ok": True, "id": "d", "rev": REV2}

    db = database(handler)
    doc = Document(db, "d")
    headers = {"X-Extra": "1"}
    assert doc.get_attachment("a.txt", headers=headers) == "text"
    get_doc, get_att = seen(db)
    assert (get_doc.method, get_doc.path, get_att.path) == ("GET", "/db/d", "/db/d/a.txt")
    assert get_att.headers["If-Match"] == REV1 and get_att.headers["X-Extra"] == "1"
    assert headers == {"X-Extra": "1"}
    assert doc == {"_id": "d", "_rev": REV1, "n": 1}
    seen(db).clear()
    doc.put_attachment("b.txt", "text/plain", "x")
    assert [(s.method, s.path, s.query) for s in seen(db)] == [
        ("GET", "/db/d", {}), ("PUT", "/db/d/b.txt", {"rev": [REV1]}), ("GET", "/db/d", {})]
    assert doc["_rev"] == REV2
    seen(db).clear()
    doc.delete_attachment("b.txt")
    assert [(s.method, s.path, s.query) for s in seen(db)] == [
        ("GET", "/db/d", {}), ("DELETE", "/db/d/b.txt", {"rev": [REV2]})]


def test_attachment_calls_keep_unsaved_edits_and_send_one_request() -> None:
    db = database(lambda s: (200, {"Content-Type": "text/plain"}, b"text") if s.method == "GET"
                  else (201, {}, {"ok": True, "id": "d", "rev": REV2}))
    doc = Document(db, "d")
    doc.update(_rev=REV1, unsaved="edit")
    assert doc.get_attachment("a.txt") == "text"
    doc.put_attachment("a.txt", "text/plain", "x")
    assert [s.method for s in seen(db)] == ["GET", "PUT"]
    assert "If-Match" not in seen(db)[0].headers
    assert doc["unsaved"] == "edit" and doc["_rev"] == REV2


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
    db = database(lambda s: (200, {"Content-Type": content_type}, body) if s.path == "/db/d/a"
                  else (200, {}, {"_id": "d", "_rev": REV1}))
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
def test_get_attachment_writes_to_write_to_and_returns_the_content(target: Any, expected: Any) -> None:
    db = database(lambda s: (200, {"Content-Type": "text/plain"}, "é".encode() * 50000) if s.path == "/db/d/a.txt"
                  else (200, {}, {"_id": "d", "_rev": REV1}))
    assert Document(db, "d").get_attachment("a.txt", write_to=target) == "é" * 50000
    assert target.getvalue() == expected


@pytest.mark.parametrize("target, expected", [(io.BytesIO(), b'{"a": 1}'), (io.StringIO(), '{"a": 1}')])
def test_get_attachment_writes_json_as_received(target: Any, expected: Any) -> None:
    db = database(lambda s: (200, {"Content-Type": "application/json"}, b'{"a": 1}'))
    doc = Document(db, "d")
    doc["_rev"] = REV1
    assert doc.get_attachment("a.json", write_to=target) == {"a": 1}
    assert target.getvalue() == expected


@pytest.mark.parametrize("target, expected", [(io.BytesIO(), "é".encode() * 50000),
                                              (io.StringIO(), "é" * 50000)])
def test_stream_attachment_to_copies_in_one_request(target: Any, expected: Any) -> None:
    db = database(lambda s: (200, {"Content-Type": "text/plain"}, "é".encode() * 50000))
    doc = Document(db, "d")
    assert doc.stream_attachment_to("a.txt", target) == len("é".encode()) * 50000
    assert target.getvalue() == expected
    assert [(s.method, s.path) for s in seen(db)] == [("GET", "/db/d/a.txt")]
    assert doc == {"_id": "d"}


# -- python-cloudant compatibility -----------------------------------------------------------------------------
def _stand_in_database() -> Any:
    """A database object as python-cloudant's own tests built it: an autospec with plain attributes."""
    from cloudant import database as database_module
    db = mock.create_autospec(database_module)
    db.client = mock.Mock()
    db.client.server_url = "http://mocked.test"
    db.database_url = "http://mocked.test/my_db"
    db.database_name = "my_db"
    return db


def _stand_in_response(status: int, text: str = "") -> Any:
    response = mock.create_autospec(requests.Response)
    response.status_code = status
    response.text = text
    response.encoding = None
    if status >= 400:
        response.raise_for_status.side_effect = requests.HTTPError("%d" % status)
    return response


def test_a_document_on_a_stand_in_database_sends_through_its_r_session() -> None:
    db = _stand_in_database()
    with mock.patch("cloudant.document.Document.r_session") as session:
        session.head.return_value = _stand_in_response(404)
        session.get.side_effect = [_stand_in_response(200, '{"_id": "_design/a b", "_rev": "1-x"}'),
                                   _stand_in_response(200, "attached")]
        session.put.return_value = _stand_in_response(201, '{"ok": true, "id": "_design/a b", "rev": "2-y"}')
        doc = Document(db, "_design/a b")
        assert doc.exists() is False
        assert doc.get_attachment("f/g", attachment_type="text") == "attached"
        doc.save()
    assert session.head.call_args == mock.call("http://mocked.test/my_db/_design/a%20b")
    assert [c.args[0] for c in session.get.call_args_list] == [
        "http://mocked.test/my_db/_design/a%20b", "http://mocked.test/my_db/_design/a%20b/f%2Fg"]
    assert session.get.call_args.kwargs == {"headers": {"If-Match": "1-x"}}
    assert session.put.call_args.args == ("http://mocked.test/my_db/_design/a%20b",)
    assert doc["_rev"] == "2-y"


def test_a_stand_in_error_response_raises_its_own_http_error() -> None:
    with mock.patch("cloudant.document.Document.r_session") as session:
        session.get.return_value = _stand_in_response(404)
        with pytest.raises(requests.HTTPError):
            Document(_stand_in_database(), "d").fetch()


@pytest.mark.parametrize("doc_id, name, code", [("_index", "_design/x", 137), ("_design/", "a", 137),
                                                ("d", "_view/x", 138)])
def test_the_id_is_checked_before_the_attachment_name_before_any_request(doc_id: str, name: str, code: int) -> None:
    with mock.patch("cloudant.document.Document.r_session") as session:
        doc = Document(_stand_in_database(), doc_id)
        for call in (lambda: doc.get_attachment(name), lambda: doc.put_attachment(name, "text/plain", "x"),
                     lambda: doc.delete_attachment(name)):
            with pytest.raises(CloudantArgumentError) as caught:
                call()
            assert caught.value.code == code
            assert str(caught.value) == ("Invalid document ID: %s" % doc_id if code == 137
                                         else "Invalid attachment name: %s" % name)
    assert session.mock_calls == []


def test_unknown_constructor_keywords_are_ignored_with_a_warning(db: CouchDatabase) -> None:
    with pytest.warns(UserWarning, match="cache"):
        doc = Document(db, "d", cache=True)
    assert doc == {"_id": "d"}


def test_update_field_retries_on_any_http_error_with_status_409(db: CouchDatabase) -> None:
    conflict = requests.HTTPError(response=mock.Mock(status_code=409, reason="conflict"))
    with mock.patch.object(Document, "fetch"), mock.patch.object(Document, "save", side_effect=conflict) as save:
        with pytest.raises(requests.HTTPError) as caught:
            Document(db, "d").update_field(Document.field_set, "f", 1, max_tries=2)
    assert save.call_count == 3
    assert caught.value is conflict


def test_update_field_does_not_retry_other_http_errors(db: CouchDatabase) -> None:
    failure = requests.HTTPError(response=mock.Mock(status_code=500))
    with mock.patch.object(Document, "fetch"), mock.patch.object(Document, "save", side_effect=failure) as save:
        with pytest.raises(requests.HTTPError):
            Document(db, "d").update_field(Document.field_set, "f", 1)
    assert save.call_count == 1


def test_context_manager_ignores_any_http_error_with_status_404(db: CouchDatabase) -> None:
    missing = requests.HTTPError(response=mock.Mock(status_code=404))
    with mock.patch.object(Document, "fetch", side_effect=missing), mock.patch.object(Document, "save") as save:
        with Document(db, "d") as doc:
            doc["x"] = 1
    assert save.call_count == 1
