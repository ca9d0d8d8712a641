"""Documents against a live server: create, fetch, save, delete, conflicts, ETags, field updates."""
from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List

import pytest
from _fakes import watch
import requests

from cloudant.document import Document
from cloudant.error import CloudantDocumentException, Conflict, NotFound

SPECIAL_IDS = ["a/b", "what?", "hash#tag", "100%", "a+b", "with space", "é-ü-中文", "a&b;c=d", "_design/x y",
               "_local/l/1", "tab\tnew\nline", "emoji-😀"]


def _stored(admin_session: requests.Session, doc: Document) -> Dict[str, Any]:
    response = admin_session.get(doc.document_url, timeout=30)
    response.raise_for_status()
    return response.json()


def test_create_save_fetch_delete(db: Any, admin_session: requests.Session) -> None:
    doc = Document(db, "life")
    doc["stage"] = "born"
    doc.create()
    assert doc.exists()
    assert _stored(admin_session, doc)["stage"] == "born"
    doc["stage"] = "grown"
    doc.save()
    assert doc["_rev"].startswith("2-")
    other = Document(db, "life")
    other.fetch()
    assert other == doc
    doc.delete()
    assert doc == {"_id": "life"}
    assert not other.exists()
    with pytest.raises(NotFound):
        other.fetch()


@pytest.mark.parametrize("doc_id", SPECIAL_IDS)
def test_special_ids_round_trip(db: Any, doc_id: str) -> None:
    doc = Document(db, doc_id)
    doc["v"] = doc_id
    doc.save()
    fetched = Document(db, doc_id)
    fetched.fetch()
    assert fetched["_id"] == doc_id and fetched["v"] == doc_id
    assert fetched.exists()
    doc["v"] = "changed"
    doc.save()
    doc.delete()
    assert not Document(db, doc_id).exists()


@pytest.mark.parametrize("doc_id", [".", "..", "_design/.", "_local/.."])
def test_dot_segment_ids_round_trip(db: Any, doc_id: str) -> None:
    """Ids that are URL dot segments reach the document, not its database or server."""
    doc = Document(db, doc_id)
    doc["v"] = 1
    doc.save()
    fetched = Document(db, doc_id)
    fetched.fetch()
    assert fetched["_id"] == doc_id and fetched["v"] == 1
    assert db.exists()


def test_save_is_one_request(client: Any, db: Any) -> None:
    doc = Document(db, "one")
    responses = watch(client.r_session)
    doc.save()
    doc["x"] = 1
    doc.save()
    new = Document(db)
    new.save()
    assert [r.request.method for r in responses] == ["PUT", "PUT", "POST"]
    assert new["_id"] and new.exists()


def test_a_stale_save_raises_conflict_and_loses_nothing(db: Any, admin_session: requests.Session) -> None:
    first = Document(db, "contested")
    first["owner"] = "first"
    first.save()
    second = Document(db, "contested")
    second.fetch()
    second["owner"] = "second"
    second.save()
    first["owner"] = "first again"
    with pytest.raises(Conflict) as caught:
        first.save()
    assert caught.value.status_code == 409
    assert caught.value.doc_id == "contested"
    assert str(caught.value).startswith("409 Client Error: ")  # requests' raise_for_status text, as before
    assert "document 'contested'" in getattr(caught.value, "__notes__", ["document 'contested'"])
    assert _stored(admin_session, first)["owner"] == "second"
    assert first["owner"] == "first again"  # the local edit is still there to merge


def test_save_without_rev_on_an_existing_document_conflicts(db: Any) -> None:
    Document(db, "exists").save()
    with pytest.raises(Conflict):
        Document(db, "exists").save()
    with pytest.raises(Conflict):
        Document(db, "exists").create()


def test_delete_needs_a_rev(db: Any) -> None:
    with pytest.raises(CloudantDocumentException) as caught:
        Document(db, "no-rev").delete()
    assert caught.value.code == 103


def test_a_stale_delete_raises_conflict(db: Any) -> None:
    doc = Document(db, "d")
    doc.save()
    stale = dict(doc)
    doc["v"] = 2
    doc.save()
    old = Document(db, "d")
    old.update(stale)
    with pytest.raises(Conflict):
        old.delete()
    assert doc.exists()


@pytest.mark.requires("real_etag")
def test_fetch_of_an_unchanged_document_is_answered_304(client: Any, db: Any,
                                                       admin_session: requests.Session) -> None:
    doc = Document(db, "etag")
    doc["v"] = 1
    doc.save()
    doc.fetch()
    responses = watch(client.r_session)
    doc.fetch()
    assert [r.status_code for r in responses] == [304]
    assert doc["v"] == 1 and doc["_rev"].startswith("1-")
    current = _stored(admin_session, doc)
    admin_session.put(doc.document_url, json={**current, "v": 2}, timeout=30).raise_for_status()
    doc.fetch()
    assert responses[-1].status_code == 200
    assert doc["v"] == 2 and doc["_rev"].startswith("2-")


def test_fetch_after_a_local_edit_restores_the_servers_content(client: Any, db: Any) -> None:
    doc = Document(db, "restore")
    doc["v"] = 1
    doc.save()
    doc.fetch()
    doc["v"] = "local"
    responses = watch(client.r_session)
    doc.fetch()
    assert [r.status_code for r in responses] == [200]
    assert doc["v"] == 1


def test_update_field_retries_over_a_concurrent_writer(db: Any, admin_session: requests.Session) -> None:
    doc = Document(db, "counter")
    doc["tags"] = ["a"]
    doc.save()
    interfered: List[bool] = []

    def append_after_interference(target: Dict[str, Any], field: str, value: Any) -> None:
        if not interfered:  # another writer slips in between our fetch and our save, once
            interfered.append(True)
            current = _stored(admin_session, doc)
            current["tags"].append("other")
            admin_session.put(doc.document_url, json=current, timeout=30).raise_for_status()
        Document.list_field_append(target, field, value)

    doc.update_field(append_after_interference, "tags", "b")
    assert _stored(admin_session, doc)["tags"] == ["a", "other", "b"]
    assert doc["tags"] == ["a", "other", "b"]


def test_update_field_gives_up_after_max_tries(db: Any, admin_session: requests.Session) -> None:
    doc = Document(db, "busy")
    doc.save()
    attempts: List[int] = []

    def always_interfere(target: Dict[str, Any], field: str, value: Any) -> None:
        attempts.append(1)
        current = _stored(admin_session, doc)
        admin_session.put(doc.document_url, json={**current, "n": len(attempts)}, timeout=30).raise_for_status()
        Document.field_set(target, field, value)

    with pytest.raises(Conflict):
        doc.update_field(always_interfere, "mine", 1, max_tries=2)
    assert len(attempts) == 3
    assert "mine" not in _stored(admin_session, doc)


def test_field_helpers_through_update_field(db: Any) -> None:
    doc = Document(db, "fields")
    doc.save()
    doc.update_field(Document.list_field_append, "tags", "x")
    doc.update_field(Document.list_field_append, "tags", "y")
    doc.update_field(Document.list_field_remove, "tags", "x")
    doc.update_field(Document.field_set, "name", "n")
    fetched = Document(db, "fields")
    fetched.fetch()
    assert fetched["tags"] == ["y"] and fetched["name"] == "n"
    doc.update_field(Document.field_set, "name", None)
    fetched.fetch()
    assert "name" not in fetched


def test_context_manager_creates_and_updates(db: Any) -> None:
    with Document(db, "ctx") as doc:
        doc["n"] = 1
    with Document(db, "ctx") as again:
        assert again["n"] == 1
        again["n"] += 1
    check = Document(db, "ctx")
    check.fetch()
    assert check["n"] == 2 and check["_rev"].startswith("2-")


def test_context_manager_saves_nothing_when_the_body_raises(db: Any) -> None:
    with pytest.raises(ValueError):
        with Document(db, "never") as doc:
            doc["n"] = 1
            raise ValueError("abandon")
    assert not Document(db, "never").exists()


def test_create_document_context_manager_saves_on_exit(db: Any) -> None:
    with db.create_document({"_id": "o1", "total": 10}) as doc:
        doc["total"] = 12
    dict.clear(db)
    assert db["o1"]["total"] == 12


def test_custom_encoder_and_decoder(db: Any) -> None:
    class DateEncoder(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            return o.isoformat() if isinstance(o, datetime.date) else super().default(o)

    class DateDecoder(json.JSONDecoder):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(object_hook=self.dates, **kwargs)

        @staticmethod
        def dates(obj: Dict[str, Any]) -> Dict[str, Any]:
            if "when" in obj:
                obj["when"] = datetime.date.fromisoformat(obj["when"])
            return obj

    doc = Document(db, "dated", encoder=DateEncoder, decoder=DateDecoder)
    doc["when"] = datetime.date(2024, 2, 29)
    doc.save()
    fetched = Document(db, "dated", decoder=DateDecoder)
    fetched.fetch()
    assert fetched["when"] == datetime.date(2024, 2, 29)
    assert json.loads(doc.json())["when"] == "2024-02-29"


def test_local_documents(db: Any) -> None:
    doc = Document(db, "_local/checkpoint")
    doc["seq"] = 42
    doc.save()
    fetched = Document(db, "_local/checkpoint")
    fetched.fetch()
    assert fetched["seq"] == 42
    assert "_local/checkpoint" not in db.keys(remote=True)
