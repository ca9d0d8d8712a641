"""Design document functions against a live server: list, show and update functions, validation."""
from __future__ import annotations

from typing import Any

import pytest

from cloudant.design_document import DesignDocument
from cloudant.document import Document
from cloudant.error import CloudantDesignDocumentException, Forbidden, NotFound

SHOW = "function (doc, req) { return {body: 'hello ' + (doc ? doc._id + ' ' + doc.n : 'nobody')}; }"
LIST = ("function (head, req) { var row, keys = []; while ((row = getRow())) { keys.push(row.key); } "
        "return keys.join(',') + (req.query.suffix || ''); }")
UPDATE = ("function (doc, req) {"
          " if (!doc) { return [{_id: req.id || req.uuid, n: 0, body: req.body}, 'created'] }"
          " doc.n = doc.n + Number(req.query.by || 1); return [doc, 'bumped to ' + doc.n]; }")
VALIDATE = ("function (newDoc, oldDoc, userCtx) {"
            " if (newDoc.forbidden) { throw({forbidden: 'no forbidden documents'}); } }")
BY_N = "function (doc) { if (doc.n !== undefined) { emit(doc.n, null); } }"

pytestmark = pytest.mark.requires("show_list_update")


@pytest.fixture
def functions(db: Any) -> Any:
    ddoc = DesignDocument(db, "fns")
    ddoc.add_view("by_n", BY_N)
    ddoc.add_show_function("hello", SHOW)
    ddoc.add_list_function("keys", LIST)
    ddoc["updates"] = {"bump": UPDATE}
    ddoc.save()
    db.bulk_docs([{"_id": "a b/c?", "n": 3}, {"_id": "d", "n": 1}, {"_id": "e", "n": 2}], raise_on_error=True)
    return db


def test_show_function_with_an_id_that_needs_quoting(functions: Any) -> None:
    assert functions.get_show_function_result("fns", "hello", "a b/c?") == "hello a b/c? 3"
    assert functions.get_show_function_result("_design/fns", "hello", "d") == "hello d 1"


def test_show_function_of_a_missing_document_runs_with_no_document(couch_server: Any, functions: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 answers 404 for a show function of a missing document")
    assert functions.get_show_function_result("fns", "hello", "missing") == "hello nobody"


def test_list_function_over_a_view(functions: Any) -> None:
    assert functions.get_list_function_result("fns", "keys", "by_n") == "1,2,3"
    assert functions.get_list_function_result("fns", "keys", "by_n", descending=True, limit=2) == "3,2"
    assert functions.get_list_function_result("fns", "keys", "by_n", keys=[3, 1]) == "3,1"


def test_update_handler_creates_and_updates(functions: Any) -> None:
    assert functions.update_handler_result("fns", "bump", "new one", data="payload") == "created"
    created = Document(functions, "new one")
    created.fetch()
    assert (created["n"], created["body"]) == (0, "payload")
    assert functions.update_handler_result("fns", "bump", "a b/c?", by=4) == "bumped to 7"
    bumped = Document(functions, "a b/c?")
    bumped.fetch()
    assert bumped["n"] == 7
    assert functions.update_handler_result("fns", "bump") == "created"  # POST: the server picks the id


def test_a_missing_function_raises_not_found(couch_server: Any, functions: Any) -> None:
    with pytest.raises(NotFound):
        functions.get_show_function_result("fns", "no_such_show", "d")
    if couch_server.kind == "pouchdb":
        return  # a request for a missing list function kills pouchdb-server 4.2.0: never send it there
    with pytest.raises(NotFound):
        functions.get_list_function_result("fns", "no_such_list", "by_n")


def test_validate_doc_update_refuses_with_the_server_reason(db: Any) -> None:
    ddoc = DesignDocument(db, "rules")
    ddoc["validate_doc_update"] = VALIDATE
    ddoc.save()
    with pytest.raises(Forbidden) as caught:
        db.create_document({"_id": "bad", "forbidden": True})
    assert caught.value.reason == "no forbidden documents"
    db.create_document({"_id": "good"})
    fetched = DesignDocument(db, "rules")
    fetched.fetch()
    assert fetched.validate_doc_update == VALIDATE


def test_a_javascript_view_in_a_mango_design_document_is_refused_before_saving(db: Any) -> None:
    ddoc = DesignDocument(db, "mixed")
    ddoc["language"] = "query"
    ddoc["views"]["by_n"] = {"map": BY_N}
    with pytest.raises(CloudantDesignDocumentException) as caught:
        ddoc.save()
    assert caught.value.code == 105
    assert "_design/mixed" not in db.list_design_documents()


def test_design_document_round_trip(db: Any) -> None:
    ddoc = DesignDocument(db, "round")
    ddoc.add_view("by_n", BY_N, "_count")
    ddoc.add_search_index("names", "function (doc) { index('default', doc._id); }", analyzer="standard")
    ddoc.add_list_function("keys", LIST)
    ddoc["filters"] = {"odd": "function (doc, req) { return doc.n % 2 === 1; }"}
    ddoc.save()
    fetched = DesignDocument(db, "round")
    fetched.fetch()
    assert fetched == ddoc
    assert fetched.filters == {"odd": "function (doc, req) { return doc.n % 2 === 1; }"}
    fetched.delete_list_function("keys")
    with pytest.raises(KeyError):
        fetched.delete_list_function("keys")  # a missing list function raises, as in python-cloudant
    fetched.save()
    again = DesignDocument(db, "round")
    again.fetch()
    assert again.lists == {} and again["_rev"].startswith("2-")
