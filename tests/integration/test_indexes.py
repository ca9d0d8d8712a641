"""Mango indexes against a live server: create, list, use, delete; names that need quoting."""
from __future__ import annotations

from typing import Any

import pytest

from cloudant.error import CloudantArgumentError, NotFound
from cloudant.index import Index, SpecialIndex, TextIndex


def _by_name(db: Any) -> dict:
    return {index.name: index for index in db.get_query_indexes()}


def test_create_list_and_delete_a_json_index(db: Any) -> None:
    index = db.create_query_index("by-total", "total-idx", fields=["total", "date"])
    assert (index.design_document_id, index.name, index.type) == ("_design/by-total", "total-idx", "json")
    indexes = _by_name(db)
    assert isinstance(indexes["_all_docs"], SpecialIndex)
    listed = indexes["total-idx"]
    assert type(listed) is Index and listed.design_document_id == "_design/by-total"
    assert listed.definition["fields"] == [{"total": "asc"}, {"date": "asc"}]
    raw = db.get_query_indexes(raw_result=True)
    assert {entry["name"] for entry in raw["indexes"]} == {"_all_docs", "total-idx"}
    db.delete_query_index("by-total", "json", "total-idx")
    assert set(_by_name(db)) == {"_all_docs"}


def test_the_server_names_an_index_created_without_names(db: Any) -> None:
    index = Index(db, fields=["n"])
    index.create()
    assert index.design_document_id.startswith("_design/") and index.name
    assert index.name in _by_name(db)
    index.delete()
    assert index.name not in _by_name(db)


def test_creating_the_same_index_twice_keeps_one(db: Any) -> None:
    first = db.create_query_index("same", "same-idx", fields=["a"])
    second = db.create_query_index("same", "same-idx", fields=["a"])
    assert (first.design_document_id, first.name) == (second.design_document_id, second.name)
    assert list(_by_name(db)).count("same-idx") == 1


def test_names_that_need_quoting(db: Any) -> None:
    index = db.create_query_index("my index", "by name?", fields=["name"])
    assert index.design_document_id == "_design/my index"
    db.bulk_docs([{"_id": "x", "name": "ada"}, {"_id": "y", "name": "bob"}], raise_on_error=True)
    reply = db.get_query_result({"name": "bob"}, raw_result=True, use_index=["my index", "by name?"])
    assert [doc["_id"] for doc in reply["docs"]] == ["y"]
    index.delete()
    assert "by name?" not in _by_name(db)


def test_a_partial_index(couch_server: Any, db: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 ignores partial_filter_selector")
    db.bulk_docs([{"_id": "a", "n": 1, "live": True}, {"_id": "b", "n": 2, "live": False}], raise_on_error=True)
    db.create_query_index("live", "live-n", fields=["n"], partial_filter_selector={"live": True})
    reply = db.get_query_result({"n": {"$gt": 0}}, raw_result=True, use_index=["live", "live-n"])
    assert [doc["_id"] for doc in reply["docs"]] == ["a"]


def test_deleting_a_missing_index_raises_not_found(couch_server: Any, db: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 answers 500 for an index that does not exist")
    with pytest.raises(NotFound):
        db.delete_query_index("nothing", "json", "here")


def test_bad_definitions_are_refused_before_any_request(db: Any) -> None:
    with pytest.raises(CloudantArgumentError) as no_fields:
        db.create_query_index("d", "i")
    with pytest.raises(CloudantArgumentError) as bad_type:
        db.create_query_index("d", "i", index_type="special", fields=["a"])
    with pytest.raises(CloudantArgumentError) as bad_delete:
        db.delete_query_index("d", "geo", "i")
    assert (no_fields.value.code, bad_type.value.code, bad_delete.value.code) == (124, 103, 103)
    assert set(_by_name(db)) == {"_all_docs"}


@pytest.mark.requires("search")
def test_a_text_index(db: Any) -> None:
    index = db.create_query_index("text", "everything", index_type="text")
    assert type(index) is TextIndex
    assert isinstance(_by_name(db)["everything"], TextIndex)
    db.delete_query_index("text", "text", "everything")
