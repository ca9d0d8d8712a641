"""Mango index objects (``cloudant.index``): bodies sent, URLs built, arguments refused before any request."""
from __future__ import annotations

from typing import Any, Iterator
from unittest import mock

import pytest
from _fakes import FakeCouch

from cloudant.error import BadRequest, CloudantArgumentError, CloudantDatabaseException, CloudantIndexException
from cloudant.index import Index, SpecialIndex, TextIndex, create_index, delete_index, list_indexes

URL = "http://couch.test:5984"


@pytest.fixture
def fake() -> Iterator[FakeCouch]:
    server = FakeCouch((200, {}, {"ok": True}))
    yield server
    server.close()


def test_create_posts_the_definition_and_learns_the_server_names(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"result": "created", "id": "_design/by-total", "name": "total-idx"})
    index = Index(fake.db, "_design/by-total", "total-idx", fields=["total", {"date": "desc"}])
    index.create()
    (seen,) = fake.adapter.seen
    assert (seen.method, seen.path) == ("POST", "/orders/_index")
    # The ddoc goes without its _design/ prefix, as CouchDB expects it in the body.
    assert seen.json() == {"type": "json", "ddoc": "by-total", "name": "total-idx",
                           "index": {"fields": ["total", {"date": "desc"}]}}
    assert (index.design_document_id, index.name) == ("_design/by-total", "total-idx")


def test_create_without_names_takes_the_generated_ones(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"result": "created", "id": "_design/a1b2", "name": "a1b2"})
    index = create_index(fake.db, fields=["n"], partitioned=False)
    assert fake.adapter.seen[0].json() == {"type": "json", "index": {"fields": ["n"]}, "partitioned": False}
    assert (index.design_document_id, index.name, index.type) == ("_design/a1b2", "a1b2", "json")


def test_partial_filter_selector_is_accepted(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"result": "created", "id": "_design/x", "name": "y"})
    Index(fake.db, fields=["n"], partial_filter_selector={"type": "order"}).create()
    assert fake.adapter.seen[0].json()["index"] == {"fields": ["n"], "partial_filter_selector": {"type": "order"}}


@pytest.mark.parametrize("kwargs, code", [
    ({}, 124),                                       # no fields at all
    ({"fields": ["n"], "selector": {}}, 124),        # a key a JSON index does not take
    ({"fields": ["n"], "design_document_id": 7}, 122),
    ({"fields": ["n"], "name": ["x"]}, 123),
])
def test_bad_json_index_is_refused_before_any_request(fake: FakeCouch, kwargs: dict, code: int) -> None:
    ddoc = kwargs.pop("design_document_id", None)
    name = kwargs.pop("name", None)
    with pytest.raises(CloudantArgumentError) as caught:
        Index(fake.db, ddoc, name, **kwargs).create()
    assert caught.value.code == code
    assert fake.adapter.seen == []


@pytest.mark.parametrize("fields", [[], "n"])
def test_json_index_field_values_are_left_to_the_server(fake: FakeCouch, fields: Any) -> None:
    fake.reply = lambda seen: (400, {}, {"error": "invalid_sort_json", "reason": "Sort must be an array"})
    with pytest.raises(BadRequest):
        Index(fake.db, fields=fields).create()
    assert fake.adapter.seen[0].json() == {"type": "json", "index": {"fields": fields}}


@pytest.mark.parametrize("make", [lambda db: Index(db, "d", "n", fields=["a"], colour="red").create(),
                                  lambda db: Index(db, 7, "n", fields=["a"]).create(),
                                  lambda db: TextIndex(db, "d", "n", fields="a").create(),
                                  lambda db: Index(db, None, "n").delete(),
                                  lambda db: Index(db, "d", None).delete()])
def test_a_stand_in_database_raises_the_same_argument_error(make: Any) -> None:
    database = mock.Mock()
    with pytest.raises(CloudantArgumentError):
        make(database)
    assert not database.mock_calls


def test_a_text_index_type_error_names_python_cloudant_type(fake: FakeCouch) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        TextIndex(fake.db, fields="n").create()
    assert str(caught.value) == "Argument fields is not an instance of expected type: %r" % (list,)


@pytest.mark.parametrize("kwargs, code", [
    ({"fields": [{"name": "n", "type": "number"}], "unknown": 1}, 127),
    ({"default_field": "yes"}, 128),
    ({"index_array_lengths": "no"}, 128),
])
def test_bad_text_index_is_refused_before_any_request(fake: FakeCouch, kwargs: dict, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        TextIndex(fake.db, **kwargs).create()
    assert caught.value.code == code
    assert fake.adapter.seen == []


def test_text_index_may_index_everything(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"result": "created", "id": "_design/t", "name": "t"})
    TextIndex(fake.db, "t", "t", analyzer="standard", index_array_lengths=False).create()
    assert fake.adapter.seen[0].json() == {"type": "text", "ddoc": "t", "name": "t",
                                           "index": {"analyzer": "standard", "index_array_lengths": False}}


def test_delete_quotes_the_design_document_id_and_name_as_whole_segments(fake: FakeCouch) -> None:
    Index(fake.db, "id x/y", "by n?").delete()
    (seen,) = fake.adapter.seen
    assert seen.method == "DELETE"
    assert seen.url == URL + "/orders/_index/_design%2Fid%20x%2Fy/json/by%20n%3F"


def test_delete_by_type_builds_the_text_url(fake: FakeCouch) -> None:
    delete_index(fake.db, "_design/t", "text", "t1")
    assert fake.adapter.seen[0].path == "/orders/_index/_design%2Ft/text/t1"


@pytest.mark.parametrize("ddoc, name, code", [(None, "n", 125), ("d", None, 126), ("", "n", 125)])
def test_delete_needs_both_names(fake: FakeCouch, ddoc: Any, name: Any, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        Index(fake.db, ddoc, name).delete()
    assert caught.value.code == code
    assert fake.adapter.seen == []


@pytest.mark.parametrize("index_type", ["special", "geo", None])
def test_only_json_and_text_indexes_can_be_made_or_deleted(fake: FakeCouch, index_type: Any) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        create_index(fake.db, fields=["n"], index_type=index_type)
    assert caught.value.code == 103
    with pytest.raises(CloudantArgumentError):
        delete_index(fake.db, "d", index_type, "n")
    assert fake.adapter.seen == []


def test_the_special_index_is_never_created_or_deleted(fake: FakeCouch) -> None:
    special = SpecialIndex(fake.db)
    with pytest.raises(CloudantIndexException) as created:
        special.create()
    with pytest.raises(CloudantIndexException) as deleted:
        special.delete()
    assert (created.value.code, deleted.value.code) == (101, 102)
    assert special.name == "_all_docs" and special.type == "special"
    assert fake.adapter.seen == []


LISTING = {"total_rows": 3, "indexes": [
    {"ddoc": None, "name": "_all_docs", "type": "special", "def": {"fields": [{"_id": "asc"}]}},
    {"ddoc": "_design/j", "name": "by-n", "type": "json", "partitioned": True, "def": {"fields": [{"n": "asc"}]}},
    {"ddoc": "_design/t", "name": "txt", "type": "text", "def": {"default_field": {}, "fields": []}},
]}


def test_list_indexes_builds_one_object_per_index(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, LISTING)
    special, json_index, text_index = list_indexes(fake.db)
    assert fake.adapter.seen[0].path == "/orders/_index"
    assert (type(special), type(json_index), type(text_index)) == (SpecialIndex, Index, TextIndex)
    assert json_index.as_a_dict() == {"ddoc": "_design/j", "name": "by-n", "type": "json",
                                      "def": {"fields": [{"n": "asc"}]}, "partitioned": True}
    assert text_index.as_a_dict() == {"ddoc": "_design/t", "name": "txt", "type": "text",
                                      "def": {"default_field": {}, "fields": []}}
    assert list_indexes(fake.db, raw_result=True) == LISTING


def test_an_unknown_index_type_from_the_server_is_reported(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"indexes": [{"ddoc": "_design/n", "name": "n", "type": "nouveau",
                                                       "def": {}}]})
    with pytest.raises(CloudantDatabaseException) as caught:
        list_indexes(fake.db)
    assert caught.value.code == 101 and "nouveau" in str(caught.value)
