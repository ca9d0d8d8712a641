"""Result and QueryResult: index, key and slice access, and the pagers, driven by fake fetch functions."""
from __future__ import annotations

import copy
import itertools
from typing import Any, Dict, List, Optional

import pytest

from cloudant._paging import pages as _pages
from cloudant.error import CloudantArgumentError, ResultException
from cloudant.result import KeyPager, KeysPager, QueryResult, Result, ResultByKey


class Pages:
    """A fetch function answering with the replies it was given, in order, recording every call's kwargs."""

    def __init__(self, *replies: Dict[str, Any]) -> None:
        self.replies = list(replies)
        self.calls: List[Dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Dict[str, Any]:
        self.calls.append(kwargs)
        return self.replies.pop(0) if self.replies else {"rows": []}


def _collate(key: Any) -> tuple:
    """CouchDB's order of JSON keys, for the few types the tests use."""
    if key is None:
        return (0,)
    if isinstance(key, bool):
        return (1, key)
    if isinstance(key, (int, float)):
        return (2, key)
    if isinstance(key, str):
        return (3, key)
    return (4, tuple(_collate(part) for part in key))


class FakeView:
    """A view over ``rows`` answering like CouchDB (startkey, startkey_docid, endkey, key, keys, skip, limit,
    descending). With ``honour_docid=False`` it ignores ``startkey_docid`` as pouchdb-server does; with
    ``honour_skip=False`` it ignores ``skip`` too."""

    def __init__(self, rows: List[Dict[str, Any]], honour_docid: bool = True, honour_skip: bool = True) -> None:
        self.rows = sorted(rows, key=lambda row: (_collate(row["key"]), row.get("id", "")))
        self.honour_docid = honour_docid
        self.honour_skip = honour_skip
        self.calls: List[Dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Dict[str, Any]:
        self.calls.append(kwargs)
        descending = kwargs.get("descending", False)
        rows = list(reversed(self.rows)) if descending else list(self.rows)
        if "keys" in kwargs:
            rows = [row for key in kwargs["keys"] for row in rows if row["key"] == key]
        if "key" in kwargs:
            rows = [row for row in rows if row["key"] == kwargs["key"]]
        if "startkey" in kwargs:
            rows = rows[self._start(rows, kwargs["startkey"], kwargs.get("startkey_docid"), descending):]
        if "endkey" in kwargs:
            end = _collate(kwargs["endkey"])
            rows = [row for row in rows if (_collate(row["key"]) >= end if descending else _collate(row["key"]) <= end)]
        if self.honour_skip:
            rows = rows[kwargs.get("skip", 0):]
        if kwargs.get("limit") is not None:
            rows = rows[:kwargs["limit"]]
        return {"total_rows": len(self.rows), "rows": [dict(row) for row in rows]}

    def _start(self, rows: List[Dict[str, Any]], key: Any, docid: Optional[str], descending: bool) -> int:
        wanted = (_collate(key), docid if (docid is not None and self.honour_docid) else None)
        for index, row in enumerate(rows):
            here = _collate(row["key"])
            if descending:
                if here < wanted[0] or (here == wanted[0] and (wanted[1] is None or row["id"] <= wanted[1])):
                    return index
            elif here > wanted[0] or (here == wanted[0] and (wanted[1] is None or row["id"] >= wanted[1])):
                return index
        return len(rows)


def rows_for(*keys: Any) -> List[Dict[str, Any]]:
    """One row per key (ids numbered in order), as a view would return them."""
    return [{"id": "d%03d" % number, "key": key, "value": number} for number, key in enumerate(keys)]


def ids(rows: List[Dict[str, Any]]) -> List[str]:
    return [row["id"] for row in rows]


# -- ResultByKey and construction ------------------------------------------------------------------------------
def test_result_by_key_returns_its_value_when_called() -> None:
    assert ResultByKey(9)() == 9
    assert ResultByKey(["a", 1])() == ["a", 1]


def test_nothing_is_fetched_at_construction_and_options_are_a_copy() -> None:
    fetch = Pages()
    options = {"include_docs": True, "startkey": "a"}
    result = Result(fetch, page_size=5, **options)
    assert fetch.calls == []
    assert result.options == {"include_docs": True, "startkey": "a"}
    result.options["startkey"] = "z"
    assert options["startkey"] == "a"


@pytest.mark.parametrize("page_size", [0, -1, "ten", None])
def test_a_bad_page_size_raises_104_on_iteration_not_at_construction(page_size: Any) -> None:
    fetch = Pages()
    result = Result(fetch, page_size=page_size)
    assert result._page_size == page_size and result.options == {}
    with pytest.raises(ResultException) as info:
        iter(result)
    assert info.value.status_code == 104
    assert str(info.value) == "Invalid page_size: %s" % (page_size,)
    assert fetch.calls == []


@pytest.mark.parametrize("page_size, read", [(True, 1), (1.5, 1), ("3", 3)])
def test_a_page_size_is_read_with_int_when_iterating(page_size: Any, read: int) -> None:
    fetch = Pages({"rows": []})
    result = Result(fetch, page_size=page_size)
    assert list(result) == []
    assert result._page_size == read and fetch.calls == [{"limit": read + 1}]


def test_the_fetch_function_and_page_size_are_kept_as_python_cloudant_named_them() -> None:
    fetch = Pages()
    result = Result(fetch, include_docs=True)
    assert (result._ref, result._page_size, result.options) == (fetch, 100, {"include_docs": True})


def test_a_page_size_given_as_text_is_read_as_a_number() -> None:
    fetch = Pages({"rows": rows_for("a", "b")})
    assert ids(list(Result(fetch, page_size="5"))) == ["d000", "d001"]
    assert fetch.calls == [{"limit": 6}]


@pytest.mark.parametrize("options", [{"key": "a", "keys": ["b"]}, {"skip": -1}, {"include_docs": "yes"}])
def test_options_are_left_to_the_fetch_function_to_judge(options: Dict[str, Any]) -> None:
    fetch = Pages({"rows": []})
    result = Result(fetch, **options)
    assert fetch.calls == []
    assert result.all() == []
    assert fetch.calls == [options]


@pytest.mark.parametrize("options", [{"skip": "2"}, {"limit": True}])
def test_index_access_checks_skip_and_limit_with_python_cloudant_types(options: Dict[str, Any]) -> None:
    fetch = Pages()
    with pytest.raises(CloudantArgumentError) as info:
        Result(fetch, **options)[0]
    name = next(iter(options))
    assert str(info.value) == "Argument %s not instance of expected type: (%r, %r, %r)" % (
        name, int, int, type(None))
    assert fetch.calls == []


def test_unknown_options_are_left_to_the_fetch_function() -> None:
    fetch = Pages({"rows": []})
    Result(fetch, partition_hint="p1").all()
    assert fetch.calls == [{"partition_hint": "p1"}]


# -- index, key and slice access -------------------------------------------------------------------------------
@pytest.mark.parametrize("options, index, expected", [
    ({}, 0, {"skip": 0, "limit": 1}),
    ({}, 9, {"skip": 9, "limit": 1}),
    ({"skip": 2}, 3, {"skip": 5, "limit": 1}),
    ({"skip": 0, "descending": True}, 0, {"skip": 0, "limit": 1, "descending": True}),
    ({"limit": 10}, 4, {"skip": 4, "limit": 1}),
    ({}, True, {"skip": 1, "limit": 1}),
])
def test_an_int_index_reads_one_row(options: Dict[str, Any], index: int, expected: Dict[str, Any]) -> None:
    fetch = Pages({"rows": [{"id": "x", "key": "x", "value": 1}]})
    assert Result(fetch, **options)[index] == [{"id": "x", "key": "x", "value": 1}]
    assert fetch.calls == [expected]


def test_an_index_beyond_the_limit_option_is_empty_without_a_request() -> None:
    fetch = Pages()
    assert Result(fetch, limit=3)[3] == []
    assert fetch.calls == []


@pytest.mark.parametrize("key, sent", [
    ("foo", "foo"), (["foo", 1], ["foo", 1]), (ResultByKey(9), 9), (ResultByKey(None), None),
])
def test_key_access_reads_the_rows_of_that_key(key: Any, sent: Any) -> None:
    fetch = Pages({"rows": []})
    assert Result(fetch, include_docs=True)[key] == []
    assert fetch.calls == [{"include_docs": True, "key": sent}]


@pytest.mark.parametrize("option", ["key", "keys", "startkey", "endkey", "start_key", "end_key"])
@pytest.mark.parametrize("access", [lambda r: r["k"], lambda r: r["a":"b"], lambda r: r[ResultByKey(1):]])
def test_key_access_with_key_options_raises_102(option: str, access: Any) -> None:
    fetch = Pages()
    value = ["a"] if option == "keys" else "a"
    with pytest.raises(ResultException) as info:
        access(Result(fetch, **{option: value}))
    assert info.value.status_code == 102
    assert fetch.calls == []


@pytest.mark.parametrize("options, arg, expected", [
    ({}, slice(2, 5), {"skip": 2, "limit": 3}),
    ({}, slice(2, None), {"skip": 2}),
    ({}, slice(None, 5), {"skip": 0, "limit": 5}),
    ({"skip": 10}, slice(2, 5), {"skip": 12, "limit": 3}),
    ({"limit": 4}, slice(2, 10), {"skip": 2, "limit": 2}),
    ({"limit": 4}, slice(1, None), {"skip": 1, "limit": 3}),
    ({"limit": 4}, slice(None, 10), {"skip": 0, "limit": 4}),
    ({"limit": 4, "reduce": False}, slice(None, None), {"limit": 4, "reduce": False}),
    ({}, slice("a", "c"), {"startkey": "a", "endkey": "c"}),
    ({}, slice(["a", 1], None), {"startkey": ["a", 1]}),
    ({}, slice(None, "c"), {"endkey": "c"}),
    ({}, slice(ResultByKey(1), ResultByKey(5)), {"startkey": 1, "endkey": 5}),
    ({}, slice(ResultByKey("a"), "c"), {"startkey": "a", "endkey": "c"}),
])
def test_slices_become_skip_limit_or_key_ranges(options: Dict[str, Any], arg: slice,
                                                 expected: Dict[str, Any]) -> None:
    fetch = Pages({"rows": rows_for("a")})
    assert ids(Result(fetch, **options)[arg]) == ["d000"]
    assert fetch.calls == [expected]


def test_a_slice_past_the_limit_option_is_empty_without_a_request() -> None:
    fetch = Pages()
    result = Result(fetch, limit=4)
    assert result[4:] == []
    assert result[5:9] == []
    assert fetch.calls == []


@pytest.mark.parametrize("arg", [
    -1, 1.5, ("a", "b"), {"a": 1}, None, slice(5, 2), slice(3, 3), slice(-1, 3), slice(None, -2),
    slice(0, 4, 2), slice("a", ["b"]), slice("a", 3), slice(ResultByKey(1), "b"),
])
def test_anything_else_raises_101_without_a_request(arg: Any) -> None:
    fetch = Pages()
    with pytest.raises(ResultException) as info:
        Result(fetch)[arg]
    assert info.value.status_code == 101
    assert fetch.calls == []


def test_all_reads_everything_in_one_request_whatever_the_page_size() -> None:
    fetch = Pages({"rows": rows_for(*"abcde")})
    assert ids(Result(fetch, page_size=2, descending=True).all()) == ["d000", "d001", "d002", "d003", "d004"]
    assert fetch.calls == [{"descending": True}]


def test_a_reply_without_rows_has_no_rows() -> None:
    assert Result(Pages({"error": "not_found"})).all() == []
    assert list(Result(Pages({"total_rows": 0}))) == []


@pytest.mark.parametrize("reply", [{"rows": None}, ["not", "a", "dict"]])
def test_a_reply_that_is_no_result_raises_106(reply: Any) -> None:
    with pytest.raises(ResultException) as info:
        Result(Pages(reply)).all()
    assert info.value.status_code == 106
    with pytest.raises(ResultException):
        list(Result(Pages(reply)))


# -- iteration by key -------------------------------------------------------------------------------------------
def test_iteration_asks_one_extra_row_and_starts_the_next_page_at_it() -> None:
    rows = rows_for("a", "b", "c", "d", "e")
    fetch = Pages({"rows": rows[0:3]}, {"rows": rows[2:5]}, {"rows": rows[4:5]})
    assert list(Result(fetch, page_size=2, include_docs=True)) == rows
    assert fetch.calls == [
        {"include_docs": True, "limit": 3},
        {"include_docs": True, "startkey": "c", "startkey_docid": "d002", "limit": 3},
        {"include_docs": True, "startkey": "e", "startkey_docid": "d004", "limit": 3},
    ]


def test_iteration_is_lazy_one_request_per_page() -> None:
    rows = rows_for(*"abcdef")
    fetch = Pages({"rows": rows[0:3]}, {"rows": rows[2:5]})
    iterator = iter(Result(fetch, page_size=2))
    assert fetch.calls == []
    assert [next(iterator)["id"], next(iterator)["id"]] == ["d000", "d001"]
    assert len(fetch.calls) == 1
    assert next(iterator)["id"] == "d002"
    assert len(fetch.calls) == 2


def test_skip_and_start_options_place_the_first_page_only_and_are_not_consumed() -> None:
    view = FakeView(rows_for(*"abcdefgh"))
    options = {"startkey": "b", "startkey_docid": "d001", "skip": 2, "endkey": "g"}
    result = Result(view, page_size=2, **options)
    first = ids(list(result))
    assert first == ["d003", "d004", "d005", "d006"]
    assert view.calls[0] == {**options, "limit": 3}
    assert view.calls[1] == {"endkey": "g", "startkey": "f", "startkey_docid": "d005", "limit": 3}
    assert result.options == options  # nothing popped: python-cloudant consumed skip and startkey
    assert ids(list(result)) == first


@pytest.mark.parametrize("limit", [5, None])
def test_iterating_with_a_limit_option_raises_103(limit: Optional[int]) -> None:
    fetch = Pages()
    result = Result(fetch, page_size=2, limit=limit, page="x")
    with pytest.raises(ResultException) as info:
        iter(result)
    assert info.value.status_code == 103
    assert str(info.value) == "Cannot use ('limit',) for iteration. Found %s" % ({"limit": limit, "page": "x"},)
    assert fetch.calls == []


@pytest.mark.parametrize("limit, expected_limits", [(5, [3, 3, 2]), (4, [3, 3]), (1, [2]), (0, [])])
def test_the_key_pager_caps_the_rows_at_a_limit(limit: int, expected_limits: List[int]) -> None:
    view = FakeView(rows_for(*"abcdefghij"))
    assert ids(list(_pages(view, KeyPager({"limit": limit}, 2)))) == ["d%03d" % n for n in range(limit)]
    assert [call["limit"] for call in view.calls] == expected_limits


def test_a_short_page_ends_the_iteration_without_another_request() -> None:
    fetch = Pages({"rows": rows_for("a", "b")})
    assert ids(list(Result(fetch, page_size=5))) == ["d000", "d001"]
    assert len(fetch.calls) == 1


def test_an_exactly_full_last_page_costs_no_extra_request() -> None:
    rows = rows_for(*"abcd")
    fetch = Pages({"rows": rows[0:3]}, {"rows": rows[2:4]})
    assert list(Result(fetch, page_size=2)) == rows
    assert len(fetch.calls) == 2


def test_reduced_rows_have_no_id_and_resume_from_their_unique_key() -> None:
    grouped = [{"key": ["a", n], "value": n} for n in range(5)]
    fetch = Pages({"rows": grouped[0:3]}, {"rows": grouped[2:5]}, {"rows": grouped[4:]})
    assert list(Result(fetch, page_size=2, group_level=2)) == grouped
    assert fetch.calls[1] == {"group_level": 2, "startkey": ["a", 2], "limit": 3}
    assert fetch.calls[2] == {"group_level": 2, "startkey": ["a", 4], "limit": 3}


def test_rows_sharing_a_key_across_pages_use_startkey_docid() -> None:
    view = FakeView(rows_for(1, 1, 1, 1, 1, 2, 2, 3))
    assert ids(list(Result(view, page_size=2))) == ids(view.rows)
    assert view.calls[1] == {"startkey": 1, "startkey_docid": "d002", "limit": 3}
    assert all("skip" not in call for call in view.calls)


DUPLICATE_KEYS = [5, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, None, None, None, 3, "x", "x", "x", "x", ["k", 1], ["k", 1], True]


@pytest.mark.parametrize("honour_docid", [True, False], ids=["couchdb", "pouchdb"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 7, 50])
def test_every_page_size_yields_the_unpaged_rows_exactly_once(honour_docid: bool, descending: bool,
                                                              page_size: int) -> None:
    view = FakeView(rows_for(*DUPLICATE_KEYS), honour_docid=honour_docid)
    expected = ids(view(descending=descending)["rows"])
    assert ids(list(Result(view, page_size=page_size, descending=descending))) == expected


@pytest.mark.parametrize("page_size", [1, 2, 3, 5])
@pytest.mark.parametrize("skip", [0, 1, 2, 4])
def test_a_server_ignoring_startkey_docid_still_gives_every_row_once_after_a_skip(page_size: int,
                                                                                   skip: int) -> None:
    view = FakeView(rows_for(1, 1, 1, 1, 1, 1, 2, 2, 2), honour_docid=False)
    assert ids(list(Result(view, page_size=page_size, skip=skip))) == ids(view.rows)[skip:]


def test_a_server_ignoring_startkey_docid_is_detected_once_then_paged_with_skip() -> None:
    view = FakeView(rows_for(1, 1, 1, 1, 1, 1, 1, 2), honour_docid=False)
    assert ids(list(Result(view, page_size=2))) == ids(view.rows)
    assert view.calls == [
        {"limit": 3},
        {"startkey": 1, "startkey_docid": "d002", "limit": 3},  # answered from d000 again: detected
        {"startkey": 1, "skip": 2, "limit": 3},  # the same page, counted within the key
        {"startkey": 1, "skip": 4, "limit": 3},
        {"startkey": 1, "skip": 6, "limit": 3},
    ]


def test_a_server_ignoring_skip_too_raises_105_instead_of_looping() -> None:
    view = FakeView(rows_for(1, 1, 1, 1, 1, 1), honour_docid=False, honour_skip=False)
    with pytest.raises(ResultException) as info:
        list(itertools.islice(Result(view, page_size=2), 100))
    assert info.value.status_code == 105
    assert len(view.calls) == 3


def test_null_keys_are_resumed_with_skip_from_the_start() -> None:
    view = FakeView(rows_for(None, None, None, "a"))
    assert ids(list(Result(view, page_size=2))) == ids(view.rows)
    assert view.calls[1] == {"skip": 2, "limit": 3}


def test_iterating_with_sorted_false_raises_103() -> None:
    fetch = Pages()
    with pytest.raises(ResultException) as info:
        iter(Result(fetch, sorted=False))
    assert info.value.status_code == 103
    assert fetch.calls == []


def test_options_edited_after_construction_are_used() -> None:
    fetch = Pages({"rows": []})
    result = Result(fetch, page_size=4)
    result.options["skip"] = 3
    assert list(result) == []
    assert fetch.calls == [{"skip": 3, "limit": 5}]


# -- iteration over a keys list ---------------------------------------------------------------------------------
def test_keys_are_sent_in_batches_of_page_size() -> None:
    view = FakeView(rows_for(*"abcde"))
    result = Result(view, page_size=2, keys=["e", "a", "c", "b", "d"], include_docs=True)
    assert ids(list(result)) == ["d004", "d000", "d002", "d001", "d003"]
    assert view.calls == [
        {"include_docs": True, "keys": ["e", "a"], "limit": 3},
        {"include_docs": True, "keys": ["c", "b"], "limit": 3},
        {"include_docs": True, "keys": ["d"], "limit": 3},
    ]


def test_a_batch_matching_more_rows_than_a_page_is_read_with_skip_within_it() -> None:
    view = FakeView(rows_for("a", "a", "a", "a", "a", "b"))
    assert ids(list(Result(view, page_size=2, keys=["a", "b"]))) == ids(view.rows)
    assert [call.get("skip") for call in view.calls] == [None, 2, 4]


@pytest.mark.parametrize("skip", [0, 1, 3, 7])
def test_skip_applies_to_the_whole_keys_result(skip: int) -> None:
    view = FakeView(rows_for(*"abcdef"))
    keys = list("fedcba")
    expected = ids(view(keys=keys)["rows"])[skip:]
    assert ids(list(Result(view, page_size=2, keys=keys, skip=skip))) == expected


@pytest.mark.parametrize("skip, limit", [(0, None), (3, 2), (0, 0)])
def test_the_keys_pager_caps_the_rows_at_a_limit(skip: int, limit: Optional[int]) -> None:
    view = FakeView(rows_for(*"abcdef"))
    keys = list("fedcba")
    expected = ids(view(keys=keys)["rows"])[skip:None if limit is None else skip + limit]
    assert ids(list(_pages(view, KeysPager({"keys": keys, "skip": skip, "limit": limit}, 2)))) == expected


# -- QueryResult ------------------------------------------------------------------------------------------------
class FakeQuery(dict):
    """A Mango query: calling it answers from ``replies`` and records the kwargs."""

    def __init__(self, replies: List[Dict[str, Any]], **body: Any) -> None:
        super().__init__(body)
        self.pages = Pages(*replies)

    def __call__(self, **kwargs: Any) -> Dict[str, Any]:
        return self.pages(**kwargs)


def docs(*names: str) -> List[Dict[str, Any]]:
    return [{"_id": name} for name in names]


def test_query_results_follow_the_bookmark_until_an_empty_page() -> None:
    query = FakeQuery([{"docs": docs("a", "b"), "bookmark": "b1"}, {"docs": docs("c", "d"), "bookmark": "b2"},
                       {"docs": docs("e"), "bookmark": "b3"}, {"docs": [], "bookmark": "b3"}], selector={"x": 1})
    result = QueryResult(query, page_size=2, fields=["_id"])
    assert [doc["_id"] for doc in result] == ["a", "b", "c", "d", "e"]
    # As python-cloudant did, a short page with a bookmark is followed by one more request.
    assert query.pages.calls == [
        {"fields": ["_id"], "limit": 2},
        {"fields": ["_id"], "bookmark": "b1", "limit": 2},
        {"fields": ["_id"], "bookmark": "b2", "limit": 2},
        {"fields": ["_id"], "bookmark": "b3", "limit": 2},
    ]


def test_iterating_a_query_result_with_a_limit_raises_103() -> None:
    query = FakeQuery([], selector={"x": 1}, limit=3)
    result = QueryResult(query)
    assert result.options == {"limit": 3}
    with pytest.raises(ResultException) as info:
        iter(result)
    assert info.value.status_code == 103
    assert query.pages.calls == []


def test_query_results_stop_on_an_empty_page() -> None:
    query = FakeQuery([{"docs": docs("a", "b"), "bookmark": "b1"}, {"docs": [], "bookmark": "b1"}])
    assert [doc["_id"] for doc in QueryResult(query, page_size=2)] == ["a", "b"]
    assert len(query.pages.calls) == 2


@pytest.mark.parametrize("bookmark", ["b1", "", None])
def test_query_results_stop_when_the_bookmark_cannot_take_them_further(bookmark: Optional[str]) -> None:
    query = FakeQuery([{"docs": docs("a", "b"), "bookmark": "b1"}, {"docs": docs("c", "d"), "bookmark": bookmark},
                       {"docs": docs("c", "d"), "bookmark": "b1"}])
    assert [doc["_id"] for doc in QueryResult(query, page_size=2)] == ["a", "b", "c", "d"]
    assert len(query.pages.calls) == 2


def test_query_results_without_bookmarks_are_paged_with_skip() -> None:
    query = FakeQuery([{"docs": docs("a", "b")}, {"docs": docs("c", "d")}, {"docs": docs("e")}])
    assert [doc["_id"] for doc in QueryResult(query, page_size=2, skip=1)] == ["a", "b", "c", "d", "e"]
    assert query.pages.calls == [{"skip": 1, "limit": 2}, {"skip": 3, "limit": 2}, {"skip": 5, "limit": 2}]


def test_a_query_holding_skip_hands_it_to_the_result() -> None:
    query = FakeQuery([{"docs": docs("a", "b"), "bookmark": "b1"}, {"docs": docs("c"), "bookmark": "b2"},
                       {"docs": [], "bookmark": "b2"}], selector={"x": 1}, skip=4)
    result = QueryResult(query, page_size=2)
    assert result.options == {"skip": 4}
    assert [doc["_id"] for doc in result] == ["a", "b", "c"]
    # later pages send skip=0, or the query's own skip would apply to every page again
    assert query.pages.calls == [{"skip": 4, "limit": 2}, {"skip": 0, "bookmark": "b1", "limit": 2},
                                 {"skip": 0, "bookmark": "b2", "limit": 2}]


def test_query_result_index_and_slice_access() -> None:
    query = FakeQuery([{"docs": docs("x")}, {"docs": docs("y")}, {"docs": docs("z")}], skip=2)
    result = QueryResult(query)
    assert result[3] == docs("x")
    assert result[1:4] == docs("y")
    assert result[:] == docs("z")
    assert query.pages.calls == [{"skip": 5, "limit": 1}, {"skip": 3, "limit": 3}, {"skip": 2}]


@pytest.mark.parametrize("arg", ["key", ["a"], ResultByKey(1), slice("a", "b"), -1, 1.0])
def test_query_results_take_only_int_indexes_and_slices(arg: Any) -> None:
    query = FakeQuery([])
    with pytest.raises(ResultException) as info:
        QueryResult(query)[arg]
    assert info.value.status_code == 101
    assert query.pages.calls == []


def test_query_result_options_are_left_to_the_query() -> None:
    query = FakeQuery([{"docs": []}])
    result = QueryResult(query, skip=-1, r="x")
    assert query.pages.calls == []
    assert result[:] == []
    assert query.pages.calls == [{"skip": -1, "r": "x"}]


def test_the_query_may_be_given_by_name() -> None:
    query = FakeQuery([])
    assert QueryResult(query=query)._ref is query


def test_iterating_a_query_twice_gives_the_same_documents_and_leaves_options_alone() -> None:
    replies = [{"docs": docs("a", "b"), "bookmark": "b1"}, {"docs": docs("c"), "bookmark": "b2"},
               {"docs": [], "bookmark": "b2"}]
    query = FakeQuery(copy.deepcopy(replies) + copy.deepcopy(replies))
    result = QueryResult(query, page_size=2, sort=[{"n": "asc"}])
    first = list(result)
    assert list(result) == first == docs("a", "b", "c")
    assert result.options == {"sort": [{"n": "asc"}]}
    assert query.pages.calls[0] == query.pages.calls[3] == {"sort": [{"n": "asc"}], "limit": 2}
