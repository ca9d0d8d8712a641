"""Design documents (``cloudant.design_document``): local editing, consistency checks before saving, URLs."""
from __future__ import annotations

from typing import Any, Iterator
from unittest import mock

import pytest
from _fakes import FakeCouch

from cloudant.design_document import DesignDocument
from cloudant.error import CloudantArgumentError, CloudantDesignDocumentException
from cloudant.view import QueryIndexView, View

URL = "http://couch.test:5984"
MAP = "function (doc) { emit(doc.n, 1); }"


@pytest.fixture
def fake() -> Iterator[FakeCouch]:
    server = FakeCouch((201, {}, {"ok": True, "id": "x", "rev": "1-a"}))
    yield server
    server.close()


def test_the_design_prefix_is_added(fake: FakeCouch) -> None:
    ddoc = DesignDocument(fake.db, "reports")
    assert ddoc["_id"] == "_design/reports"
    ddoc["_id"] = "other"
    assert ddoc["_id"] == "_design/other"
    assert DesignDocument(fake.db, "_design/kept")["_id"] == "_design/kept"
    assert dict(DesignDocument(fake.db, "p", partitioned=True)) == {
        "_id": "_design/p", "options": {"partitioned": True}, "views": {}, "indexes": {}, "lists": {}, "shows": {}}


@pytest.mark.parametrize("doc_id", ["_design/", 5])
def test_an_invalid_id_is_refused(fake: FakeCouch, doc_id: Any) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        DesignDocument(fake.db, doc_id)
    assert caught.value.code == 137


def test_views_are_added_updated_and_deleted_locally(fake: FakeCouch) -> None:
    ddoc = DesignDocument(fake.db, "d")
    ddoc.add_view("by_n", MAP, "_count")
    assert isinstance(ddoc.get_view("by_n"), View) and ddoc.get_view("by_n").reduce == "_count"
    with pytest.raises(CloudantArgumentError) as added:
        ddoc.add_view("by_n", MAP)
    with pytest.raises(CloudantArgumentError) as updated:
        ddoc.update_view("missing", MAP)
    assert (added.value.code, updated.value.code) == (107, 111)
    ddoc.update_view("by_n", MAP, "_sum", options={"collation": "raw"})
    assert dict(ddoc.get_view("by_n")) == {"map": MAP, "reduce": "_sum", "options": {"collation": "raw"}}
    assert ddoc.list_views() == ["by_n"] and dict(ddoc.iterviews()) == {"by_n": ddoc.views["by_n"]}
    ddoc.delete_view("missing")
    ddoc.delete_view("by_n")
    assert ddoc.views == {}
    assert fake.adapter.seen == []


def test_mango_views_are_protected(fake: FakeCouch) -> None:
    ddoc = DesignDocument(fake.db, "q")
    ddoc["language"] = "query"
    with pytest.raises(CloudantDesignDocumentException) as added:
        ddoc.add_view("v", MAP)
    ddoc.views["idx"] = QueryIndexView(ddoc, "idx", {"fields": {"n": "asc"}}, "_count")
    with pytest.raises(CloudantDesignDocumentException) as updated:
        ddoc.update_view("idx", MAP)
    with pytest.raises(CloudantDesignDocumentException) as deleted:
        ddoc.delete_view("idx")
    assert (added.value.code, updated.value.code, deleted.value.code) == (101, 102, 103)


def test_search_indexes_list_and_show_functions(fake: FakeCouch) -> None:
    ddoc = DesignDocument(fake.db, "d")
    ddoc.add_search_index("animals", "function (doc) { index('default', doc.name); }", analyzer="standard")
    assert ddoc.get_index("animals") == {"index": "function (doc) { index('default', doc.name); }",
                                         "analyzer": "standard"}
    ddoc.update_search_index("animals", "function (doc) {}")
    assert ddoc.get_index("animals") == {"index": "function (doc) {}"}
    ddoc.add_list_function("csv", "function (head, req) {}")
    ddoc.add_show_function("html", "function (doc, req) {}")
    assert (ddoc.list_indexes(), ddoc.list_list_functions(), ddoc.list_show_functions()) == (
        ["animals"], ["csv"], ["html"])
    assert dict(ddoc.iterlists()) == {"csv": "function (head, req) {}"}
    assert dict(ddoc.itershows()) == {"html": "function (doc, req) {}"}
    codes = []
    for call in (lambda: ddoc.add_search_index("animals", "f"), lambda: ddoc.update_search_index("x", "f"),
                 lambda: ddoc.add_list_function("csv", "f"), lambda: ddoc.update_list_function("x", "f"),
                 lambda: ddoc.add_show_function("html", "f"), lambda: ddoc.update_show_function("x", "f")):
        with pytest.raises(CloudantArgumentError) as caught:
            call()
        codes.append(caught.value.code)
    assert codes == [108, 112, 109, 113, 110, 114]
    ddoc.update_list_function("csv", "function (head, req) { send('x'); }")
    ddoc.update_show_function("html", "function (doc, req) { return 'x'; }")
    assert ddoc.get_list_function("csv").endswith("send('x'); }")
    for delete in (ddoc.delete_index, ddoc.delete_show_function):
        delete("missing")  # a missing name is fine...
    with pytest.raises(KeyError):
        ddoc.delete_list_function("missing")  # ...except for list functions, as in python-cloudant
    ddoc.delete_index("animals")
    ddoc.delete_list_function("csv")
    ddoc.delete_show_function("html")
    assert (ddoc.indexes, ddoc.lists, ddoc.shows) == ({}, {}, {})


def test_save_puts_the_document_without_empty_sections(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (201, {}, {"ok": True, "id": "_design/d", "rev": "1-abc"})
    ddoc = DesignDocument(fake.db, "d")
    ddoc.add_view("by_n", MAP, "_count")
    ddoc["validate_doc_update"] = "function (newDoc) {}"
    ddoc.save()
    (seen,) = fake.adapter.seen
    assert (seen.method, seen.path) == ("PUT", "/orders/_design/d")
    assert seen.json() == {"_id": "_design/d", "options": {"partitioned": False},
                           "views": {"by_n": {"map": MAP, "reduce": "_count"}},
                           "validate_doc_update": "function (newDoc) {}"}
    assert ddoc["_rev"] == "1-abc"
    assert (ddoc.indexes, ddoc.lists, ddoc.shows) == ({}, {}, {})  # still there locally


def mango(ddoc: DesignDocument) -> DesignDocument:
    ddoc["language"] = "query"
    return ddoc


@pytest.mark.parametrize("build, code", [
    (lambda ddoc: mango(ddoc)["views"].update(v={"map": MAP}), 105),
    (lambda ddoc: ddoc["views"].update(v=QueryIndexView(ddoc, "v", {"fields": {"n": "asc"}}, "_count")), 104),
    (lambda ddoc: ddoc["indexes"].update(s={"index": {"fields": []}}), 106),
    (lambda ddoc: mango(ddoc)["indexes"].update(s={"index": "function (doc) {}"}), 107),
])
def test_save_refuses_mixed_languages_before_any_request(fake: FakeCouch, build: Any, code: int) -> None:
    ddoc = DesignDocument(fake.db, "mixed")
    build(ddoc)
    with pytest.raises(CloudantDesignDocumentException) as caught:
        ddoc.save()
    assert caught.value.code == code
    assert fake.adapter.seen == []


def test_fetch_turns_views_into_view_objects(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"_id": "_design/d", "_rev": "2-b", "views": {
        "by_n": {"map": MAP, "reduce": "_sum", "options": {"collation": "raw"}}}})
    ddoc = DesignDocument(fake.db, "d")
    ddoc.fetch()
    view = ddoc.get_view("by_n")
    assert isinstance(view, View) and dict(view) == {"map": MAP, "reduce": "_sum", "options": {"collation": "raw"}}
    assert (ddoc.indexes, ddoc.lists, ddoc.shows) == ({}, {}, {})
    fake.reply = lambda seen: (200, {}, {"rows": []})
    view(group=True)  # the fetched definition has a reduce function, so grouping is allowed
    assert fake.adapter.seen[-1].path == "/orders/_design/d/_view/by_n"


def test_fetch_of_a_mango_design_document_gives_query_index_views(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"_id": "_design/q", "_rev": "1-c", "language": "query", "views": {
        "idx": {"map": {"fields": {"n": "asc"}, "partial_filter_selector": {}}, "reduce": "_count",
                "options": {"def": {"fields": ["n"]}}}}})
    ddoc = DesignDocument(fake.db, "q")
    ddoc.fetch()
    assert isinstance(ddoc.get_view("idx"), QueryIndexView)
    fake.reply = lambda seen: (201, {}, {"ok": True, "id": "_design/q", "rev": "2-d"})
    ddoc.save()  # a fetched Mango design document passes the checks unchanged
    assert fake.adapter.seen[-1].json()["views"]["idx"]["reduce"] == "_count"


def test_info_and_search_urls_are_quoted(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (200, {}, {"name": "x"})
    ddoc = DesignDocument(fake.db, "my ddoc")
    ddoc.info()
    ddoc.search_info("by name")
    ddoc.search_disk_size("a/b")
    assert [seen.path for seen in fake.adapter.seen] == [
        "/orders/_design/my%20ddoc/_info",
        "/orders/_design/my%20ddoc/_search_info/by%20name",
        "/orders/_design/my%20ddoc/_search_disk_size/a%2Fb",
    ]
    assert ddoc.document_partition_url("p 1") == URL + "/orders/_partition/p%201/_design/my%20ddoc"
    with pytest.raises(CloudantArgumentError):
        ddoc.search_info("")


def test_save_goes_through_document_save_without_the_empty_sections(fake: FakeCouch) -> None:
    ddoc = DesignDocument(fake.db, "d")
    ddoc.add_view("by_n", MAP)
    sent = []
    with mock.patch("cloudant.document.Document.save", autospec=True,
                    side_effect=lambda doc: sent.append(dict(doc))) as save:
        ddoc.save()
    save.assert_called_once_with(ddoc)
    assert sent == [{"_id": "_design/d", "options": {"partitioned": False}, "views": {"by_n": {"map": MAP}}}]
    assert (ddoc.indexes, ddoc.lists, ddoc.shows) == ({}, {}, {})  # put back afterwards
    assert fake.adapter.seen == []


def test_a_mango_design_document_may_hold_other_members(fake: FakeCouch) -> None:
    fake.reply = lambda seen: (201, {}, {"ok": True, "id": "_design/q", "rev": "1-a"})
    ddoc = DesignDocument(fake.db, "q")
    ddoc["language"] = "query"
    ddoc["validate_doc_update"] = "function () {}"
    ddoc.save()  # the server judges it, as with python-cloudant
    assert fake.adapter.seen[0].json()["validate_doc_update"] == "function () {}"
