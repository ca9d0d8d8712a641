"""Python values to CouchDB query parameters, and the argument tables that check them (``cloudant._params``)."""
from __future__ import annotations

import datetime
import json
from typing import Any, Dict

import pytest

from cloudant._params import (CHANGES_ARGS, DB_UPDATES_ARGS, FEED_TYPES, VIEW_ARGS, bool_text, check_database_name,
                              check_document_id, check_partition_key, check_type, check_usage_period, feed_params,
                              json_value, view_params)
from cloudant.error import CloudantArgumentError


class DateEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.date):
            return o.isoformat()
        return super().default(o)


# -- view / _all_docs parameters -------------------------------------------------------------------------------
@pytest.mark.parametrize("options, params", [
    ({"descending": True, "include_docs": False}, {"descending": "true", "include_docs": "false"}),
    ({"key": "a"}, {"key": '"a"'}),
    ({"key": ["a", 1, None]}, {"key": '["a", 1, null]'}),  # json.dumps as python-cloudant sent it
    ({"key": True, "startkey": False}, {"key": "true", "startkey": "false"}),
    ({"startkey": 5, "endkey": {}}, {"startkey": "5", "endkey": "{}"}),
    ({"start_key": "\u00e9", "end_key": "z"}, {"start_key": '"\\u00e9"', "end_key": '"z"'}),
    ({"key": 1.5}, {"key": "1.5"}),
    ({"keys": ("a", "b")}, {"keys": ["a", "b"]}),  # kept as a list: it goes in a POST body
    ({"limit": 10, "skip": 0, "group_level": 2}, {"limit": 10, "skip": 0, "group_level": 2}),
    ({"startkey_docid": "doc/1", "endkey_docid": "doc 9"}, {"startkey_docid": "doc/1", "endkey_docid": "doc 9"}),
    ({"stale": "ok"}, {"stale": "ok"}),
    ({"stale": "update_after"}, {"stale": "update_after"}),
    ({"update": "lazy"}, {"update": "lazy"}),
    ({"update": False}, {"update": "false"}),
    ({"limit": None, "key": None}, {}),
    ({"partition": "p1", "conflicts": True}, {"partition": "p1", "conflicts": "true"}),
])
def test_view_params_conversion(options: Dict[str, Any], params: Dict[str, Any]) -> None:
    assert view_params(options) == params


def test_view_params_use_the_client_encoder() -> None:
    assert view_params({"key": datetime.date(2024, 1, 31)}, DateEncoder) == {"key": '"2024-01-31"'}


def test_view_params_do_not_change_the_options() -> None:
    options = {"keys": ["a"], "limit": 3}
    view_params(options)
    assert options == {"keys": ["a"], "limit": 3}


@pytest.mark.parametrize("options, code", [
    ({"colour": "blue"}, 116),
    ({"limit": "10"}, 117),
    ({"limit": True}, 117),       # a bool is not an int
    ({"skip": 1.0}, 117),
    ({"descending": "true"}, 117),
    ({"keys": "a"}, 117),
    ({"startkey_docid": 3}, 117),
    ({"stale": "false"}, 135),
    ({"colour": None}, 116),
    ({"key": object()}, 136),
])
def test_view_params_rejections(options: Dict[str, Any], code: int) -> None:
    with pytest.raises(CloudantArgumentError) as info:
        view_params(options)
    assert info.value.status_code == code


@pytest.mark.parametrize("options", [{"limit": -1}, {"group_level": -2}, {"key": "a", "keys": ["a"]}])
def test_view_params_leave_to_the_server_what_python_cloudant_sent(options: Dict[str, Any]) -> None:
    assert set(view_params(options)) == set(options)


@pytest.mark.parametrize("name, value, shown", [
    ("limit", "1", "(<class 'int'>, <class 'int'>, <class 'NoneType'>)"),
    ("update", 1, "(<class 'str'>,)"),
    ("descending", 1, "(<class 'bool'>,)"),
    ("sorted", 1, "(<class 'bool'>,)"),  # not a python-cloudant option: the table's own types
])
def test_a_type_error_names_python_cloudant_types(name: str, value: Any, shown: str) -> None:
    with pytest.raises(CloudantArgumentError) as info:
        view_params({name: value})
    assert str(info.value) == "Argument %s not instance of expected type: %s" % (name, shown)


def test_a_key_the_encoder_cannot_encode_raises_136_with_the_encoder_error() -> None:
    with pytest.raises(CloudantArgumentError) as info:
        view_params({"endkey": ["foo", 10]}, "AEncoder")  # type: ignore[arg-type]
    assert info.value.status_code == 136 and str(info.value).startswith("Error converting argument endkey: ")


def test_view_args_table_keeps_python_cloudant_names() -> None:
    predecessor = {"descending", "endkey", "endkey_docid", "group", "group_level", "include_docs", "inclusive_end",
                   "key", "keys", "limit", "reduce", "skip", "stale", "startkey", "startkey_docid", "stable",
                   "update"}
    assert predecessor <= set(VIEW_ARGS)


# -- feed parameters --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("options, params", [
    ({"include_docs": True, "descending": False}, {"include_docs": "true", "descending": "false"}),
    ({"feed": "continuous", "heartbeat": True}, {"feed": "continuous", "heartbeat": "true"}),
    ({"heartbeat": 5000, "timeout": 0, "limit": 3}, {"heartbeat": 5000, "timeout": 0, "limit": 3}),
    ({"since": "now"}, {"since": "now"}),
    ({"since": "12-g1AAAA"}, {"since": "12-g1AAAA"}),
    ({"since": 0}, {"since": 0}),
    ({"doc_ids": ["a", "b"]}, {"doc_ids": '["a","b"]'}),
    ({"selector": {"type": "order"}}, {"selector": '{"type":"order"}'}),
    ({"style": "all_docs", "filter": "app/mine"}, {"style": "all_docs", "filter": "app/mine"}),
    ({"limit": None}, {}),
])
def test_changes_params_conversion(options: Dict[str, Any], params: Dict[str, Any]) -> None:
    assert feed_params(options, CHANGES_ARGS, pass_through=True) == params


def test_changes_pass_unknown_options_to_custom_filters() -> None:
    assert feed_params({"filter": "app/by_owner", "owner": "bob", "depth": 2}, CHANGES_ARGS, True) == {
        "filter": "app/by_owner", "owner": "bob", "depth": 2}


@pytest.mark.parametrize("options, code", [
    ({"limit": -1}, 118),
    ({"heartbeat": -5}, 118),
    ({"timeout": -1}, 118),
    ({"limit": "5"}, 117),
    ({"since": 1.5}, 117),
    ({"since": True}, 117),
    ({"include_docs": 1}, 117),
    ({"doc_ids": "a"}, 117),
    ({"feed": "eventsource"}, 119),
    ({"style": "newest"}, 120),
])
def test_changes_params_rejections(options: Dict[str, Any], code: int) -> None:
    with pytest.raises(CloudantArgumentError) as info:
        feed_params(options, CHANGES_ARGS, pass_through=True)
    assert info.value.status_code == code


def test_db_updates_params() -> None:
    assert feed_params({"feed": "longpoll", "since": "now", "descending": True}, DB_UPDATES_ARGS, False) == {
        "feed": "longpoll", "since": "now", "descending": "true"}
    with pytest.raises(CloudantArgumentError) as info:
        feed_params({"include_docs": True}, DB_UPDATES_ARGS, pass_through=False)
    assert info.value.status_code == 116
    with pytest.raises(CloudantArgumentError) as info:
        feed_params({"feed": "normal"}, DB_UPDATES_ARGS, False, feed_types=("continuous", "longpoll"))
    assert info.value.status_code == 119
    assert set(FEED_TYPES) == {"continuous", "longpoll", "normal"}


# -- names and ids ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["a", "orders", "a-b_c$()+/9", "x" * 238, "_users", "_replicator",
                                  "_global_changes", "shards/00000000-7fffffff/orders.1554148353"])
def test_legal_database_names(name: str) -> None:
    assert check_database_name(name) == name


@pytest.mark.parametrize("name", [
    "", "A", "Orders", "1db", "_private", "a b", "a.b", "x" * 239, "caf\u00e9",
    "a\n",
])
def test_illegal_database_names(name: str) -> None:
    with pytest.raises(CloudantArgumentError) as info:
        check_database_name(name)
    assert info.value.status_code == 140
    assert repr(name) in str(info.value)


def test_database_name_must_be_a_string() -> None:
    with pytest.raises(CloudantArgumentError) as info:
        check_database_name(None)
    assert info.value.status_code == 117


@pytest.mark.parametrize("key, legal", [("p1", True), ("sensor 7", True), ("", False), ("_p", False),
                                        ("a:b", False), (None, False), (7, False)])
def test_partition_keys(key: Any, legal: bool) -> None:
    if legal:
        assert check_partition_key(key) == key
    else:
        with pytest.raises(CloudantArgumentError) as info:
            check_partition_key(key)
        assert info.value.status_code == 141


@pytest.mark.parametrize("doc_id, legal", [
    ("a", True), ("a/b", True), ("_design/app", True), ("_local/chk", True), ("_design/a/b", True),
    ("", False), ("_x", False), ("_design/", False), ("_local/", False), ("_design", False), (1, False),
    (None, False),
])
def test_document_ids(doc_id: Any, legal: bool) -> None:
    if legal:
        assert check_document_id(doc_id) == doc_id
    else:
        with pytest.raises(CloudantArgumentError) as info:
            check_document_id(doc_id)
        assert info.value.status_code == 137


# -- small helpers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("year, month, period", [(None, None, None), (2016, 1, (2016, 1)), ("2016", "12", (2016, 12))])
def test_usage_periods(year: Any, month: Any, period: Any) -> None:
    assert check_usage_period(year, month) == period


def test_check_type_rejects_bool_for_int_and_accepts_declared_bool() -> None:
    check_type("limit", 3, (int,))
    check_type("flag", True, (bool,))
    check_type("heartbeat", True, (int, bool))
    check_type("anything", object(), (object,))
    with pytest.raises(CloudantArgumentError) as info:
        check_type("limit", True, (int,))
    assert info.value.status_code == 117 and "limit" in str(info.value)
    with pytest.raises(CloudantArgumentError) as info:
        check_type("name", 3, (str,), code=128)
    assert info.value.status_code == 128


def test_json_value_and_bool_text() -> None:
    assert json_value({"a": [1, "x"]}) == '{"a":[1,"x"]}'
    assert json_value(datetime.date(2020, 2, 2), DateEncoder) == '"2020-02-02"'
    assert (bool_text(True), bool_text(False)) == ("true", "false")
