"""Result and QueryResult against the live server: paged iteration equals the unpaged answer.

pouchdb-server ignores ``startkey_docid`` and sends no ``_find`` bookmarks, so the same tests exercise the
pagers' fallbacks there and the direct paths on CouchDB.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, Iterator, List

import pytest
import requests

from cloudant.result import QueryResult, Result, ResultByKey

DOC_COUNT = 1050
GROUPS = 7  # about 150 documents share each view key: runs of one key straddle many page boundaries
_JSON_OPTIONS = ("key", "startkey", "endkey", "start_key", "end_key")


def make_doc(number: int) -> Dict[str, Any]:
    group = None if number % 50 == 0 else number % GROUPS  # some null keys, which sort first
    return {"_id": "d%04d" % number, "n": number, "group": group, "pair": [number % 3, "x"]}


@pytest.fixture
def filled(db: Any) -> Any:
    """The ``db`` fixture with 1,050 documents."""
    for start in range(0, DOC_COUNT, 500):
        results = db.bulk_docs([make_doc(n) for n in range(start, min(start + 500, DOC_COUNT))])
        assert all("error" not in result for result in results)
    return db


@pytest.fixture
def designed(filled: Any, admin_session: requests.Session) -> Any:
    """``filled`` with a design document ``paging``."""
    design = {"views": {
        "by_group": {"map": "function (doc) { if (doc.n !== undefined) emit(doc.group, doc.n); }",
                     "reduce": "_count"},
        "by_pair": {"map": "function (doc) { if (doc.pair) emit(doc.pair, null); }", "reduce": "_count"},
    }}
    response = admin_session.put("%s/_design/paging" % filled.database_url, json=design, timeout=30)
    assert response.status_code == 201, response.text
    return filled


def view_fetch(session: requests.Session, url: str) -> Callable[..., Dict[str, Any]]:
    """A fetch function over a view with a plain ``requests`` session: Result takes any such callable."""
    def fetch(**options: Any) -> Dict[str, Any]:
        params = {name: json.dumps(value) if name in _JSON_OPTIONS or isinstance(value, bool) else value
                  for name, value in options.items() if name != "keys"}
        if "keys" in options:
            response = session.post(url, params=params, json={"keys": options["keys"]}, timeout=60)
        else:
            response = session.get(url, params=params, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]
    return fetch


def ids(rows: Iterator[Dict[str, Any]]) -> List[str]:
    return [row["id"] for row in rows]


@pytest.fixture
def by_group(designed: Any, admin_session: requests.Session) -> Callable[..., Dict[str, Any]]:
    return view_fetch(admin_session, "%s/_design/paging/_view/by_group" % designed.database_url)


# -- _all_docs -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page_size", [7, 100, DOC_COUNT - 1, DOC_COUNT])
def test_paging_all_docs_gives_the_unpaged_rows(filled: Any, page_size: int) -> None:
    expected = filled.all_docs()["rows"]
    assert len(expected) == DOC_COUNT
    assert list(Result(filled.all_docs, page_size=page_size)) == expected


def test_paging_with_documents_options_and_a_range(filled: Any) -> None:
    options = {"include_docs": True, "descending": True, "startkey": "d0900", "endkey": "d0100", "skip": 3}
    expected = filled.all_docs(**options)["rows"]
    result = Result(filled.all_docs, page_size=40, **options)
    assert list(result) == expected
    assert [row["doc"]["n"] for row in expected[:2]] == [897, 896]
    assert list(result) == expected  # a second pass reads the same rows: nothing was consumed


def test_a_skip_places_the_paged_rows(filled: Any) -> None:
    result = Result(filled.all_docs, page_size=30, skip=10)
    assert list(result) == filled.all_docs()["rows"][10:]
    assert list(result) == filled.all_docs()["rows"][10:]  # the options are not consumed


def test_a_keys_list_is_paged_in_batches(filled: Any) -> None:
    keys = ["d%04d" % n for n in range(1000, 0, -9)] + ["missing"]
    rows = list(Result(filled.all_docs, page_size=25, keys=keys))
    assert [row["key"] for row in rows] == keys
    assert rows[-1].get("error") == "not_found"


def test_index_key_and_slice_access(filled: Any) -> None:
    result = Result(filled.all_docs, include_docs=True)
    assert ids(iter(result[5])) == ["d0005"]
    assert result["d0042"][0]["doc"]["n"] == 42
    assert result[ResultByKey("d0043")][0]["id"] == "d0043"
    assert ids(iter(result[10:20])) == ["d%04d" % n for n in range(10, 20)]
    assert ids(iter(result["d0100":"d0109"])) == ["d%04d" % n for n in range(100, 110)]
    assert ids(iter(result[:"d0002"])) == ["d0000", "d0001", "d0002"]
    assert ids(iter(result["d1040":])) == ["d%04d" % n for n in range(1040, 1050)]
    assert result["no-such-id"] == []
    assert len(result.all()) == DOC_COUNT


# -- views --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page_size", [4, 149, 500])
def test_paging_a_view_whose_keys_repeat_across_pages_gives_every_row_once(by_group: Any, page_size: int,
                                                                           couch_server: Any) -> None:
    expected = by_group(reduce=False)["rows"]
    assert len(expected) == DOC_COUNT
    calls: List[Dict[str, Any]] = []
    paged = list(Result(lambda **options: calls.append(options) or by_group(**options),
                        page_size=page_size, reduce=False))
    assert ids(iter(paged)) == ids(iter(expected))
    assert paged == expected
    if couch_server.kind == "pouchdb":  # it ignores startkey_docid: the pager counted through keys with skip
        assert any("skip" in call for call in calls)
    else:  # no skip on a server that honours startkey_docid (except through the null keys, which sort first)
        assert all("skip" not in call and "startkey_docid" in call for call in calls[1:] if "startkey" in call)
        assert all(call.get("skip", 0) <= DOC_COUNT // 50 + 1 for call in calls)


def test_paging_a_view_descending_from_the_middle_of_a_key(by_group: Any) -> None:
    options = {"reduce": False, "descending": True, "startkey": 5, "skip": 20, "endkey": 2}
    expected = by_group(**options)["rows"]
    assert [row["key"] for row in expected[:1]] == [5]
    assert list(Result(by_group, page_size=13, **options)) == expected


def test_paging_the_rows_of_one_key(by_group: Any) -> None:
    expected = by_group(reduce=False, key=4)["rows"]
    assert len(expected) > 100
    assert list(Result(by_group, page_size=40, reduce=False, key=4)) == expected
    assert list(Result(by_group, page_size=40, reduce=False, key=4, descending=True)) == expected[::-1]


def test_paging_grouped_reduce_rows(designed: Any, admin_session: requests.Session) -> None:
    fetch = view_fetch(admin_session, "%s/_design/paging/_view/by_pair" % designed.database_url)
    expected = fetch(group_level=1)["rows"]
    assert [row["key"] for row in expected] == [[0], [1], [2]]
    assert list(Result(fetch, page_size=1, group_level=1)) == expected
    by_group = view_fetch(admin_session, "%s/_design/paging/_view/by_group" % designed.database_url)
    assert list(Result(by_group, page_size=2, group=True)) == by_group(group=True)["rows"]


def test_view_key_access_and_key_slices(by_group: Any) -> None:
    result = Result(by_group, reduce=False)
    threes = result[ResultByKey(3)]
    assert ids(iter(threes)) == [doc["_id"] for doc in map(make_doc, range(DOC_COUNT)) if doc["group"] == 3]
    assert ids(iter(result[ResultByKey(None)])) == ["d%04d" % n for n in range(0, DOC_COUNT, 50)]
    assert {row["key"] for row in result[ResultByKey(1):ResultByKey(2)]} == {1, 2}
    assert result[3] == by_group(reduce=False, skip=3, limit=1)["rows"]


# -- Mango queries -------------------------------------------------------------------------------------------------
def find_fetch(session: requests.Session, url: str, body: Dict[str, Any]) -> Callable[..., Dict[str, Any]]:
    def fetch(**options: Any) -> Dict[str, Any]:
        response = session.post(url, json={**body, **options}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]
    return fetch


def test_paging_a_mango_query_gives_every_match_once(filled: Any, admin_session: requests.Session,
                                                    couch_server: Any) -> None:
    index = {"index": {"fields": ["n"]}, "name": "by-n", "type": "json"}
    assert admin_session.post("%s/_index" % filled.database_url, json=index, timeout=60).status_code == 200
    body = {"selector": {"n": {"$gte": 100, "$lt": 420}}, "fields": ["_id", "n"], "sort": [{"n": "asc"}]}
    fetch = find_fetch(admin_session, "%s/_find" % filled.database_url, body)
    expected = fetch(limit=1000)["docs"]
    assert [doc["n"] for doc in expected] == list(range(100, 420))
    calls: List[Dict[str, Any]] = []
    assert list(QueryResult(lambda **options: calls.append(options) or fetch(**options), page_size=33)) == expected
    # The 10th page is short; with a bookmark, one more request finds the end, as python-cloudant did.
    pouchdb = couch_server.kind == "pouchdb"  # pouchdb-server sends no bookmarks: paged by skip
    assert len(calls) == (10 if pouchdb else 11)
    assert all(("skip" if pouchdb else "bookmark") in call for call in calls[1:])
    assert list(QueryResult(fetch, page_size=40, skip=5)) == expected[5:]
    assert QueryResult(fetch)[10:12] == expected[10:12]
