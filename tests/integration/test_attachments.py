"""Attachments against a live server: every kind of body, names that need quoting, streaming, stubs."""
from __future__ import annotations

import io
import os
import tempfile
from typing import Any, Iterator

import pytest
from _fakes import watch

from cloudant import couchdb
from cloudant.database import CouchDatabase
from cloudant.document import Document
from cloudant.error import Conflict, NotFound

SPECIAL_NAMES = ["a/b.txt", "q?x", "h#x", "p%x", "pl+x", "sp x", "é.txt", "amp&;=", "中文/😀"]


@pytest.fixture
def doc(db: Any) -> Document:
    document = Document(db, "holder")
    document["kind"] = "holder"
    document.save()
    return document


def _server_copy(doc: Document) -> Document:
    copy = Document(doc._database, doc["_id"])
    copy.fetch()
    return copy


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_names_that_need_quoting_round_trip(doc: Document, name: str) -> None:
    doc.put_attachment(name, "application/octet-stream", b"content of " + name.encode())
    assert doc.get_attachment(name) == b"content of " + name.encode()
    assert name in _server_copy(doc)["_attachments"]
    doc.delete_attachment(name)
    assert "_attachments" not in _server_copy(doc)
    with pytest.raises(NotFound):
        doc.get_attachment(name)


@pytest.mark.parametrize("doc_id", ["a/b", "sp ace?#", "_design/dd"])
def test_attachments_on_documents_whose_ids_need_quoting(db: Any, doc_id: str) -> None:
    doc = Document(db, doc_id)
    doc.put_attachment("f/1.txt", "text/plain", "hello")
    assert doc.get_attachment("f/1.txt") == "hello"
    assert _server_copy(doc)["_attachments"]["f/1.txt"]["content_type"] == "text/plain"


def test_bodies_of_every_kind(doc: Document) -> None:
    payload = os.urandom(200_000)
    with tempfile.TemporaryFile() as handle:
        handle.write(payload)
        handle.seek(0)
        doc.put_attachment("file.bin", "application/octet-stream", handle)
    doc.put_attachment("bytes.bin", "application/octet-stream", payload)
    doc.put_attachment("text.txt", "text/plain; charset=utf-8", "žluťoučký kůň")
    doc.put_attachment("chunks.bin", "application/octet-stream", iter([payload[:1000], payload[1000:]]))
    doc.put_attachment("data.json", "application/json", b'{"a": [1, 2]}')
    assert doc.get_attachment("file.bin") == payload
    assert doc.get_attachment("bytes.bin") == payload
    assert doc.get_attachment("chunks.bin") == payload
    assert doc.get_attachment("text.txt") == "žluťoučký kůň"
    assert doc.get_attachment("data.json") == {"a": [1, 2]}
    assert doc.get_attachment("data.json", attachment_type="text") == '{"a": [1, 2]}'
    assert doc.get_attachment("text.txt", attachment_type="binary") == "žluťoučký kůň".encode()


def test_put_keeps_local_edits_and_a_later_save_keeps_the_attachments(client: Any, doc: Document) -> None:
    doc["unsaved"] = "edit"
    responses = watch(client.r_session)
    doc.put_attachment("one.txt", "text/plain", "1")
    doc.put_attachment("two.bin", "application/octet-stream", b"\x00\x02")
    assert [r.request.method for r in responses] == ["PUT", "PUT"]  # no fetch before or after
    assert doc["unsaved"] == "edit"
    assert doc["_rev"] == _server_copy(doc)["_rev"]
    assert set(doc["_attachments"]) == {"one.txt", "two.bin"}
    doc.save()
    stored = _server_copy(doc)
    assert stored["unsaved"] == "edit"
    assert set(stored["_attachments"]) == {"one.txt", "two.bin"}
    assert doc.get_attachment("two.bin") == b"\x00\x02"
    doc.delete_attachment("one.txt")
    doc["after"] = 1
    doc.save()
    stored = _server_copy(doc)
    assert set(stored["_attachments"]) == {"two.bin"} and stored["after"] == 1


def test_attachment_calls_without_unsaved_edits_act_on_the_current_revision(db: Any, doc: Document) -> None:
    """As python-cloudant: a document that holds nothing unsaved is read first, so a stale copy still works."""
    other = Document(db, doc["_id"])
    other.fetch()
    other["v"] = 2
    other.save()
    doc.put_attachment("late.txt", "text/plain", "x")  # doc's _rev was stale; nothing local was unsaved
    assert doc == _server_copy(doc) and doc["v"] == 2
    assert doc.get_attachment("late.txt") == "x"
    reader = Document(db, doc["_id"])
    reply = reader.delete_attachment("late.txt")
    assert reader["_rev"] == reply["rev"] and "_attachments" not in _server_copy(doc)


def test_put_on_a_new_document_creates_it(db: Any) -> None:
    doc = Document(db, "born-with-attachment")
    doc.put_attachment("a.txt", "text/plain", "x")
    assert doc["_rev"].startswith("1-")
    assert doc.exists()
    doc["field"] = 1
    doc.save()
    assert _server_copy(doc)["_attachments"]["a.txt"]["stub"] is True


def test_writes_with_a_stale_revision_raise_conflict(doc: Document) -> None:
    doc.put_attachment("kept.txt", "text/plain", "x")
    stale = Document(doc._database, doc["_id"])
    stale.update(doc)
    doc["v"] = 2
    doc.save()
    with pytest.raises(Conflict) as caught:
        stale.put_attachment("late.txt", "text/plain", "x")
    assert caught.value.doc_id == "holder"
    with pytest.raises(Conflict):
        stale.delete_attachment("kept.txt")
    assert set(_server_copy(doc)["_attachments"]) == {"kept.txt"}


def test_stream_attachment_to_copies_into_files(client: Any, doc: Document) -> None:
    payload = os.urandom(3 * 1024 * 1024)
    doc.put_attachment("big.bin", "application/octet-stream", payload)
    target = io.BytesIO()
    responses = watch(client.r_session)
    assert doc.stream_attachment_to("big.bin", target) == len(payload)
    assert [r.request.method for r in responses] == ["GET"]  # the attachment only
    assert target.getvalue() == payload
    doc.put_attachment("big.txt", "text/plain", "ä" * 500_000)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as text_file:
        doc.stream_attachment_to("big.txt", text_file)
        text_file.seek(0)
        assert text_file.read() == "ä" * 500_000


@pytest.mark.parametrize("name, content_type, data, mode, expected", [
    ("w.bin", "application/octet-stream", b"\x00\xff", "w+b", b"\x00\xff"),
    ("w.txt", "text/plain", "žluť", "w+", "žluť"),
    ("w.json", "application/json", '{"a": [1]}', "w+", {"a": [1]}),
])
def test_get_attachment_writes_to_a_file_and_returns_the_content(doc: Document, name: str, content_type: str,
                                                                data: Any, mode: str, expected: Any) -> None:
    doc.put_attachment(name, content_type, data)
    with tempfile.TemporaryFile(mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
        assert doc.get_attachment(name, write_to=handle) == expected
        handle.seek(0)
        assert handle.read() == data


def test_get_attachment_leaves_the_headers_argument_alone(doc: Document) -> None:
    doc.put_attachment("h.txt", "text/plain", "x")
    headers = {"Accept": "*/*"}
    assert doc.get_attachment("h.txt", headers=headers) == "x"
    assert headers == {"Accept": "*/*"}


@pytest.fixture
def gzip_db(couch_server: Any, db: Any) -> Iterator[CouchDatabase]:
    with couchdb(couch_server.user, couch_server.password, url=couch_server.url, gzip_threshold=16) as client:
        yield CouchDatabase(client, db.database_name)


def test_attachments_are_stored_exactly_with_gzip_threshold_set(gzip_db: CouchDatabase, db: Any) -> None:
    payload = b"compressible " * 10_000
    doc = Document(gzip_db, "gz")
    doc.put_attachment("data.bin", "application/octet-stream", payload)
    doc.put_attachment("data.txt", "text/plain", payload.decode())
    reader = Document(db, "gz")
    assert reader.get_attachment("data.bin") == payload
    assert reader.get_attachment("data.txt") == payload.decode()
