"""MapReduce views against a live server: map and reduce, grouping, keys, paging, partitions, broken views."""
from __future__ import annotations

from typing import Any, List

import pytest

from cloudant.design_document import DesignDocument
from cloudant.error import BadRequest, CloudantArgumentError, CloudantHTTPError, NotFound
from cloudant.result import Result
from cloudant.view import View

BY_TYPE = "function (doc) { if (doc.type) { emit([doc.type, doc.year], doc.amount); } }"
BY_N = "function (doc) { if (doc.n !== undefined) { emit(doc.n, null); } }"

SALES = [
    {"_id": "s1", "type": "book", "year": 2023, "amount": 10},
    {"_id": "s2", "type": "book", "year": 2024, "amount": 15},
    {"_id": "s3", "type": "book", "year": 2024, "amount": 5},
    {"_id": "s4", "type": "film", "year": 2023, "amount": 7},
    {"_id": "s5", "type": "film", "year": 2024, "amount": 3},
    {"_id": "s6", "type": "game", "year": 2022, "amount": 40},
]


def _save_ddoc(db: Any, name: str, **views: Any) -> DesignDocument:
    ddoc = DesignDocument(db, name)
    for view_name, definition in views.items():
        ddoc.add_view(view_name, *definition)
    ddoc.save()
    return ddoc


@pytest.fixture
def sales(db: Any) -> Any:
    db.bulk_docs(SALES, raise_on_error=True)
    _save_ddoc(db, "sales", by_type=(BY_TYPE, "_sum"), by_type_map=(BY_TYPE,))
    return db


def _keys(reply: Any) -> List[Any]:
    return [row["key"] for row in reply["rows"]]


def test_map_rows_come_sorted_by_key(sales: Any) -> None:
    reply = sales.get_view_result("sales", "by_type_map", raw_result=True)
    assert _keys(reply) == [["book", 2023], ["book", 2024], ["book", 2024], ["film", 2023], ["film", 2024],
                            ["game", 2022]]
    assert reply["total_rows"] == 6
    assert [row["id"] for row in reply["rows"]][1:3] == ["s2", "s3"]  # equal keys are ordered by id


def test_reduce_group_and_group_level(sales: Any) -> None:
    assert sales.get_view_result("_design/sales", "by_type", raw_result=True)["rows"] == [{"key": None,
                                                                                            "value": 80}]
    by_level = sales.get_view_result("sales", "by_type", raw_result=True, group_level=1)["rows"]
    assert [(row["key"], row["value"]) for row in by_level] == [(["book"], 30), (["film"], 10), (["game"], 40)]
    grouped = sales.get_view_result("sales", "by_type", raw_result=True, group=True)["rows"]
    assert [(row["key"], row["value"]) for row in grouped] == [
        (["book", 2023], 10), (["book", 2024], 20), (["film", 2023], 7), (["film", 2024], 3), (["game", 2022], 40)]
    unreduced = sales.get_view_result("sales", "by_type", raw_result=True, reduce=False)
    assert len(unreduced["rows"]) == 6


def test_key_range_descending_and_include_docs(sales: Any) -> None:
    reply = sales.get_view_result("sales", "by_type_map", raw_result=True, startkey=["book", 2024],
                                  endkey=["film", 2023], include_docs=True)
    assert [row["id"] for row in reply["rows"]] == ["s2", "s3", "s4"]
    assert reply["rows"][2]["doc"]["amount"] == 7
    backwards = sales.get_view_result("sales", "by_type_map", raw_result=True, descending=True, limit=2)
    assert [row["id"] for row in backwards["rows"]] == ["s6", "s5"]
    exact = sales.get_view_result("sales", "by_type_map", raw_result=True, key=["book", 2024])
    assert [row["id"] for row in exact["rows"]] == ["s2", "s3"]


def test_keys_are_sent_in_a_post_body(sales: Any) -> None:
    reply = sales.get_view_result("sales", "by_type_map", raw_result=True,
                                  keys=[["game", 2022], ["nope", 1], ["book", 2023]])
    assert [row["id"] for row in reply["rows"]] == ["s6", "s1"]
    grouped = sales.get_view_result("sales", "by_type", raw_result=True, group=True,
                                    keys=[["film", 2024], ["book", 2024]])
    assert [(row["key"], row["value"]) for row in grouped["rows"]] == [(["film", 2024], 3), (["book", 2024], 20)]


def test_result_access_by_index_key_and_slice(sales: Any) -> None:
    result = sales.get_view_result("sales", "by_type_map")
    assert isinstance(result, Result)
    assert result[0][0]["id"] == "s1"
    assert [row["id"] for row in result[["book", 2024]]] == ["s2", "s3"]
    assert [row["id"] for row in result[1:3]] == ["s2", "s3"]
    with_docs = sales.get_view_result("sales", "by_type_map", include_docs=True, page_size=2)
    assert [row["doc"]["amount"] for row in with_docs] == [10, 15, 5, 7, 3, 40]


def test_a_fetched_design_document_gives_callable_views(sales: Any) -> None:
    ddoc = DesignDocument(sales, "sales")
    ddoc.fetch()
    view = ddoc.get_view("by_type")
    assert isinstance(view, View) and view.reduce == "_sum"
    assert view(group_level=1, startkey=["film"])["rows"] == [{"key": ["film"], "value": 10},
                                                             {"key": ["game"], "value": 40}]
    with pytest.raises(CloudantArgumentError) as caught:
        ddoc.get_view("by_type_map")(group="yes")  # refused before the request
    assert caught.value.code == 117


def test_deep_paging_equals_the_unpaged_result(db: Any) -> None:
    """5,000 rows, 20 per key: paging by startkey/startkey_docid must neither skip nor repeat a row, also when
    a page ends in the middle of a key (333 is no multiple of 20)."""
    docs = [{"_id": "doc%05d" % number, "n": number % 250} for number in range(5000)]
    for start in range(0, len(docs), 1000):
        db.bulk_docs(docs[start:start + 1000], raise_on_error=True)
    _save_ddoc(db, "nums", by_n=(BY_N,))
    unpaged = db.get_view_result("nums", "by_n", raw_result=True)["rows"]
    assert len(unpaged) == 5000
    paged = list(db.get_view_result("nums", "by_n", page_size=333))
    assert paged == unpaged
    view = View(DesignDocument(db, "nums"), "by_n")
    assert [row["id"] for row in Result(view, page_size=1000, descending=True)] == [
        row["id"] for row in reversed(unpaged)]


def test_a_view_that_does_not_exist_raises_not_found(db: Any) -> None:
    _save_ddoc(db, "nums", by_n=(BY_N,))
    with pytest.raises(NotFound):
        db.get_view_result("nums", "no_such_view", raw_result=True)
    with pytest.raises(NotFound):
        db.get_view_result("no_such_ddoc", "by_n", raw_result=True)


def test_a_broken_view_reports_the_server_reason(db: Any) -> None:
    """CouchDB refuses the design document when it is saved; pouchdb-server accepts it and fails the query."""
    ddoc = DesignDocument(db, "broken")
    ddoc.add_view("bad", BY_N, "_nosuch")
    try:
        ddoc.save()
    except BadRequest as refused:
        assert "_nosuch" in (refused.reason or "")
        return
    with pytest.raises(CloudantHTTPError) as caught:  # pouchdb-server 4.2.0 answers 500, error "bad_request"
        db.get_view_result("broken", "bad", raw_result=True)
    assert "_nosuch" in (caught.value.reason or "")


def test_a_map_function_that_does_not_compile(couch_server: Any, db: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 stores a map function without compiling it")
    ddoc = DesignDocument(db, "syntax")
    ddoc.add_view("bad", "function (doc) { emit(doc.n,, }")
    with pytest.raises(BadRequest) as caught:
        ddoc.save()
    assert caught.value.error == "compilation_error" and "bad" in (caught.value.reason or "")


def test_the_server_refuses_reduce_on_a_map_view_known_by_name(couch_server: Any, sales: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 ignores reduce=true on a map-only view")
    with pytest.raises(BadRequest) as caught:
        sales.get_view_result("sales", "by_type_map", raw_result=True, reduce=True)
    assert caught.value.error == "query_parse_error"


@pytest.mark.requires("view_info")
def test_design_document_info(sales: Any) -> None:
    sales.get_view_result("sales", "by_type_map", raw_result=True, limit=1)  # builds the index
    info = DesignDocument(sales, "sales").info()
    assert info["name"] == "sales"
    assert info["view_index"]["language"] == "javascript" and "signature" in info["view_index"]


@pytest.mark.requires("partitioned")
def test_partitioned_views(client: Any, db_name: str) -> None:
    db = client.create_database(db_name + "-p", partitioned=True)
    try:
        db.bulk_docs([{"_id": "north:%d" % n, "n": n} for n in range(5)]
                     + [{"_id": "south:%d" % n, "n": n} for n in range(3)], raise_on_error=True)
        ddoc = DesignDocument(db, "nums", partitioned=True)
        ddoc.add_view("by_n", BY_N, "_count")
        ddoc.save()
        assert db.get_partitioned_view_result("south", "nums", "by_n", raw_result=True)["rows"][0]["value"] == 3
        rows = list(db.get_partitioned_view_result("north", "nums", "by_n", reduce=False, page_size=2))
        assert [row["id"] for row in rows] == ["north:%d" % n for n in range(5)]
    finally:
        client.delete_database(db_name + "-p")
