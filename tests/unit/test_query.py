"""Mango queries and search requests (``cloudant.query``): bodies, URLs, refusals before any request, paging."""
from __future__ import annotations

import json
from typing import Any, Iterator
from unittest import mock

import pytest
from _fakes import Answer, FakeCouch, Seen

from cloudant.error import CloudantArgumentError
from cloudant.query import Query, SearchResult, check_search, search, search_analyze
from cloudant.result import QueryResult

URL = "http://couch.test:5984"


@pytest.fixture
def fake() -> Iterator[FakeCouch]:
    server = FakeCouch((200, {}, {"docs": [], "bookmark": "nil"}))
    yield server
    server.close()


def test_call_posts_the_body_to_find(fake: FakeCouch) -> None:
    query = Query(fake.db, selector={"type": "order"}, fields=["_id", "total"], sort=[{"total": "desc"}],
                  skip=None)
    # Kept as given, as python-cloudant did (only fields=None is left out); None values are never sent.
    assert dict(query) == {"selector": {"type": "order"}, "fields": ["_id", "total"], "sort": [{"total": "desc"}],
                           "skip": None}
    query(limit=5)
    (seen,) = fake.adapter.seen
    assert (seen.method, seen.path) == ("POST", "/orders/_find")
    assert seen.json() == {"selector": {"type": "order"}, "fields": ["_id", "total"], "sort": [{"total": "desc"}],
                           "limit": 5}
    assert dict(query) == {"selector": {"type": "order"}, "fields": ["_id", "total"], "sort": [{"total": "desc"}],
                           "skip": None}
    assert query.url == URL + "/orders/_find"


def test_couchdb_3_keys_and_a_ddoc_name_pair_are_accepted(fake: FakeCouch) -> None:
    Query(fake.db, selector={"n": 1})(use_index=("by-n", "n-idx"), execution_stats=True, conflicts=False,
                                      stable=True, update=False, allow_fallback=False, r=1, bookmark="g1AAA")
    assert fake.adapter.seen[0].json() == {
        "selector": {"n": 1}, "use_index": ["by-n", "n-idx"], "execution_stats": True, "conflicts": False,
        "stable": True, "update": False, "allow_fallback": False, "r": 1, "bookmark": "g1AAA"}


@pytest.mark.parametrize("body, code", [
    ({"selector": {"n": 1}, "selectr": {}}, 129),
    ({"selector": {"n": 1}, "limit": "10"}, 130),
    ({"selector": {"n": 1}, "limit": True}, 130),
    ({"selector": {"n": 1}, "fields": "_id"}, 130),
    ({"selector": {"n": 1}, "execution_stats": "yes"}, 130),
    ({"selector": {"n": 1}, "use_index": ["a", "b", "c"]}, 146),
    ({"selector": {"n": 1}, "use_index": [""]}, 146),
    ({"fields": ["_id"]}, 131),
    ({"selector": {}}, 131),
    ({"selector": None}, 131),
])
def test_bad_bodies_are_refused_before_any_request(fake: FakeCouch, body: dict, code: int) -> None:
    query = Query(fake.db, **body)  # checked at each call, not when built
    with pytest.raises(CloudantArgumentError) as caught:
        query()
    assert caught.value.code == code
    with pytest.raises(CloudantArgumentError):
        query.explain()
    assert fake.adapter.seen == []


def test_a_stand_in_database_raises_the_same_argument_error() -> None:
    database = mock.Mock()
    with pytest.raises(CloudantArgumentError) as caught:
        Query(database, selector={"n": 1}, sort="n")()
    assert str(caught.value) == "Argument sort is not an instance of expected type: %r" % (list,)
    with pytest.raises(CloudantArgumentError) as caught:
        Query(database, selector={"n": 1}, limit="3")()
    assert str(caught.value) == "Argument limit is not an instance of expected type: (%r, %r, %r)" % (
        int, int, type(None))
    assert not database.mock_calls


def test_negative_counts_are_left_to_the_server(fake: FakeCouch) -> None:
    Query(fake.db, selector={"n": 1})(skip=-2)
    assert fake.adapter.seen[0].json() == {"selector": {"n": 1}, "skip": -2}


def test_an_encoder_assigned_to_the_query_encodes_its_body(fake: FakeCouch) -> None:
    class Upper(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            return str(o).upper()

    query = Query(fake.db, selector={"n": {"$eq": object}})
    assert query._encoder is fake.client.encoder
    query._encoder = Upper
    query()
    assert fake.adapter.seen[0].json() == {"selector": {"n": {"$eq": "<CLASS 'OBJECT'>"}}}


def test_explain_posts_the_same_body(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"index": {"name": "_all_docs"}, "dbname": "orders"})
    plan = Query(fake.db, selector={"n": {"$gt": 1}}, limit=3).explain()
    (seen,) = fake.adapter.seen
    assert (seen.path, seen.json()) == ("/orders/_explain", {"selector": {"n": {"$gt": 1}}, "limit": 3})
    assert plan["index"]["name"] == "_all_docs"


def test_partitioned_query_url(fake: FakeCouch) -> None:
    Query(fake.db, selector={"n": 1}, partition_key="sensor 7")()
    assert fake.adapter.seen[0].path == "/orders/_partition/sensor%207/_find"
    with pytest.raises(CloudantArgumentError) as caught:
        Query(fake.db, selector={"n": 1}, partition_key="_bad")
    assert caught.value.code == 141


DOCS = [{"_id": "d%02d" % number} for number in range(7)]


def bookmark_server(seen: Seen) -> Answer:
    """``_find`` over seven documents; the bookmark is the index of the next one."""
    body = seen.json()
    start = int(body.get("bookmark", "0"))
    page = DOCS[start:start + body["limit"]]
    return 200, {}, {"docs": page, "bookmark": str(start + len(page))}


def test_result_follows_bookmarks(fake: FakeCouch) -> None:
    fake.reply = bookmark_server
    query = Query(fake.db, selector={"_id": {"$gt": None}})
    with query.custom_result(page_size=3) as result:
        assert isinstance(result, QueryResult)
        assert list(result) == DOCS
    bodies = [seen.json() for seen in fake.adapter.seen]
    # the short page's bookmark is followed once more, as python-cloudant did: the empty page ends it
    assert [body.get("bookmark") for body in bodies] == [None, "3", "6", "7"]
    assert all(body["selector"] == {"_id": {"$gt": None}} and body["limit"] == 3 for body in bodies)
    assert list(query.result) == DOCS


# -- search -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, code", [
    ({}, 104),
    ({"q": "a:b", "query": "a:b"}, 104),
    ({"query": ""}, 104),
    ({"query": "*:*", "counts": "type"}, 106),
    ({"query": "*:*", "include_docs": "true"}, 106),
    ({"query": "*:*", "skip": 10}, 105),
    ({"query": ["x"]}, 106),
])
def test_bad_search_parameters_are_refused(params: dict, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        check_search(params)
    assert caught.value.code == code


def test_a_numeric_query_and_none_values_pass() -> None:
    assert check_search({"q": 0, "sort": None, "group_sort": ["-n"]}) == {"q": 0, "group_sort": ["-n"]}


def test_search_posts_the_parameters_as_json(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"total_rows": 0, "bookmark": "g1", "rows": []})
    reply = search(fake.db, "animals", "by name", query="class:bird", include_docs=True, limit=5,
                   drilldown=[["diet", "carnivore"]], ranges={"min_length": {"small": "[0 TO 1]"}})
    (seen,) = fake.adapter.seen
    assert (seen.method, seen.path) == ("POST", "/orders/_design/animals/_search/by%20name")
    assert seen.json() == {"query": "class:bird", "include_docs": True, "limit": 5,
                           "drilldown": [["diet", "carnivore"]], "ranges": {"min_length": {"small": "[0 TO 1]"}}}
    assert reply["bookmark"] == "g1"


def test_partitioned_search_url(fake: FakeCouch) -> None:
    search(fake.db, "_design/animals", "idx", partition_key="p1", q="*:*")
    assert fake.adapter.seen[0].path == "/orders/_partition/p1/_design/animals/_search/idx"


@pytest.mark.parametrize("ddoc, index, code", [("", "idx", 122), (None, "idx", 122), ("d", "", 123)])
def test_search_needs_names(fake: FakeCouch, ddoc: Any, index: Any, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        search(fake.db, ddoc, index, q="*:*")
    assert caught.value.code == code
    assert fake.adapter.seen == []


ROWS = [{"id": "a%02d" % number, "order": [1.0, number], "fields": {}} for number in range(5)]


def search_server(seen: Seen) -> Answer:
    body = seen.json()
    start = int(body.get("bookmark", "0"))
    page = ROWS[start:start + body["limit"]]
    return 200, {}, {"total_rows": len(ROWS), "bookmark": str(start + len(page)), "rows": page}


def test_search_result_pages_by_bookmark(fake: FakeCouch) -> None:
    fake.reply = search_server
    result = SearchResult(fake.db, "animals", "idx", query="*:*", page_size=2)
    assert fake.adapter.seen == []
    assert list(result) == ROWS
    assert [seen.json().get("bookmark") for seen in fake.adapter.seen] == [None, "2", "4", "5"]
    assert all(seen.json()["query"] == "*:*" for seen in fake.adapter.seen)


def test_search_result_checks_parameters_at_construction(fake: FakeCouch) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        SearchResult(fake.db, "animals", "idx", query="*:*", colour="red")
    assert caught.value.code == 105


def test_search_analyze_posts_analyzer_and_text(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"tokens": ["run"]})
    assert search_analyze(fake.client, "english", "running") == {"tokens": ["run"]}
    (seen,) = fake.adapter.seen
    assert (seen.path, seen.json()) == ("/_search_analyze", {"analyzer": "english", "text": "running"})
    with pytest.raises(CloudantArgumentError):
        search_analyze(fake.client, "english", 42)  # type: ignore[arg-type]
