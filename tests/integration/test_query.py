"""Mango queries against a live server: selectors, fields, sort, paging, explain, partitions."""
from __future__ import annotations

from typing import Any

import pytest

from cloudant.error import BadRequest, CloudantArgumentError
from cloudant.query import Query
from cloudant.result import QueryResult

PEOPLE = [{"_id": "p%03d" % number, "age": number % 60, "name": "person %d" % number, "kind": "person"}
          for number in range(150)]


@pytest.fixture
def people(db: Any) -> Any:
    db.bulk_docs(PEOPLE, raise_on_error=True)
    db.bulk_docs([{"_id": "c1", "kind": "cat", "age": 3}], raise_on_error=True)
    db.create_query_index("by-age", "age-idx", fields=["age"])
    return db


def test_selector_fields_sort_and_limit(people: Any) -> None:
    reply = people.get_query_result({"age": {"$gt": 57}, "kind": "person"}, fields=["_id", "age"],
                                    raw_result=True, sort=[{"age": "asc"}], limit=4)
    assert [doc["age"] for doc in reply["docs"]] == [58, 58, 59, 59]
    assert {doc["_id"] for doc in reply["docs"]} == {"p058", "p118", "p059", "p119"}
    assert all(set(doc) == {"_id", "age"} for doc in reply["docs"])


def test_query_result_iterates_every_match_across_pages(people: Any) -> None:
    selector = {"kind": "person", "age": {"$gte": 0}}
    result = people.get_query_result(selector, fields=["_id"], page_size=40)
    assert isinstance(result, QueryResult)
    ids = [doc["_id"] for doc in result]
    assert sorted(ids) == [doc["_id"] for doc in PEOPLE]
    assert len(ids) == len(set(ids))  # no document twice across the page boundaries
    assert [doc["_id"] for doc in Query(people, selector={"kind": "cat"}).result] == ["c1"]


def test_bookmarks_move_on_page_by_page(couch_server: Any, people: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 returns no bookmark from _find")
    query = Query(people, selector={"kind": "person"}, fields=["_id"], limit=50)
    first = query()
    second = query(bookmark=first["bookmark"])
    assert len(first["docs"]) == len(second["docs"]) == 50
    assert not {doc["_id"] for doc in first["docs"]} & {doc["_id"] for doc in second["docs"]}


def test_couchdb_3_options_reach_the_server(couch_server: Any, people: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 ignores execution_stats and use_index")
    reply = people.get_query_result({"age": 5}, raw_result=True, execution_stats=True, use_index=["by-age", "age-idx"],
                                    conflicts=False, stable=True, update=True)
    assert reply["execution_stats"]["results_returned"] == len(reply["docs"]) == 3
    plan = Query(people, selector={"age": 5}, use_index="_design/by-age").explain()
    assert (plan["index"]["ddoc"], plan["index"]["name"]) == ("_design/by-age", "age-idx")


def test_explain_names_the_index(people: Any) -> None:
    plan = Query(people, selector={"age": {"$gt": 10}}, limit=3).explain()
    assert plan["index"]["name"] == "age-idx"
    assert plan["selector"] == {"age": {"$gt": 10}}


def test_bad_queries_are_refused_before_any_request(people: Any) -> None:
    with pytest.raises(CloudantArgumentError) as empty:
        people.get_query_result({}, raw_result=True)
    with pytest.raises(CloudantArgumentError) as unknown:
        people.get_query_result({"age": 1}, raw_result=True, sortt=[{"age": "asc"}])
    assert (empty.value.code, unknown.value.code) == (131, 129)


def test_the_server_reason_for_a_bad_query(couch_server: Any, people: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 accepts an invalid operator without complaint")
    with pytest.raises(BadRequest) as caught:
        people.get_query_result({"age": {"$nosuch": 1}}, raw_result=True)
    assert caught.value.reason and "$nosuch" in caught.value.reason


@pytest.mark.requires("partitioned")
def test_partitioned_queries(client: Any, db_name: str) -> None:
    db = client.create_database(db_name + "-p", partitioned=True)
    try:
        db.bulk_docs([{"_id": "red:%02d" % n, "n": n} for n in range(30)]
                     + [{"_id": "blue:%02d" % n, "n": n} for n in range(5)], raise_on_error=True)
        db.create_query_index("by-n", "n-idx", fields=["n"], partitioned=True)
        reply = db.get_partitioned_query_result("blue", {"n": {"$gte": 0}}, raw_result=True)
        assert sorted(doc["_id"] for doc in reply["docs"]) == ["blue:%02d" % n for n in range(5)]
        paged = db.get_partitioned_query_result("red", {"n": {"$gte": 10}}, fields=["_id"], page_size=7)
        assert sorted(doc["_id"] for doc in paged) == ["red:%02d" % n for n in range(10, 30)]
    finally:
        client.delete_database(db_name + "-p")
