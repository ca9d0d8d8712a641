"""Bad input is refused with a documented exception before any request (property-based, over the public API).

Every call below gets a wrong type, an out-of-range value, an illegal name or id, or conflicting options, and
must raise the exception its docstring names (a ``CloudantArgumentError``, the module's ``Cloudant*Exception``,
or the ``TypeError`` python-cloudant 2.15.0 raised for a value JSON cannot encode), never an ``AttributeError``,
``KeyError`` or ``JSONDecodeError`` from inside the library, and the transport adapter mounted on the session
must have seen no request. The adapter answers anything it is sent (``200 {}``), so a request that slips out is
recorded rather than failing somewhere else. The Hypothesis profile (``dev``/``ci``) comes from ``conftest.py``.
"""
from __future__ import annotations

import io
import re
import warnings
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Sequence, Tuple, Type

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _fakes import FakeAdapter, Seen
from cloudant.client import Cloudant, CouchDB
from cloudant.database import SHARE_ROLES, CloudantDatabase, CouchDatabase
from cloudant.design_document import DesignDocument
from cloudant.document import Document
from cloudant.error import (CloudantArgumentError, CloudantClientException, CloudantDatabaseException,
                            CloudantDesignDocumentException, CloudantDocumentException, CloudantException,
                            CloudantIndexException, CloudantReplicatorException,
                            CloudantViewException, ResultException)
from cloudant.index import Index, SpecialIndex, TextIndex
from cloudant.query import Query
from cloudant.replicator import Replicator
from cloudant.result import QueryResult, Result
from cloudant.security_document import SecurityDocument
from cloudant.view import QueryIndexView, View

URL = "http://couch.test:5984"


def answer(seen: Seen) -> Any:
    return 200, {}, {}


class World:
    """Connected clients whose every request is answered and recorded by one adapter."""

    def __init__(self) -> None:
        self.adapter = FakeAdapter(answer)
        self.couch = self._connected(CouchDB("user", "secret", url=URL, adapter=self.adapter, use_basic_auth=True))
        self.cloudant = self._connected(Cloudant("user", "secret", url=URL, adapter=self.adapter,
                                                 use_basic_auth=True))
        self.party = self._connected(CouchDB(None, None, admin_party=True, url=URL, adapter=self.adapter))
        self.db = CouchDatabase(self.couch, "orders")
        self.cdb = CloudantDatabase(self.cloudant, "orders")
        self.replicator = Replicator(self.party)  # checks that _replicator exists: answered, then forgotten
        self.adapter.seen.clear()

    def _connected(self, client: CouchDB) -> Any:
        client.connect()
        assert client.r_session is not None
        for prefix in ("http://", "https://"):  # whatever the URL, nothing leaves unseen
            client.r_session.mount(prefix, self.adapter)
        return client

    def doc(self, doc_id: str = "d1", **content: Any) -> Document:
        doc = Document(self.db, doc_id)
        doc.update(content)
        return doc

    def ddoc(self, **content: Any) -> DesignDocument:
        ddoc = DesignDocument(self.db, "_design/app")
        ddoc.update(content)
        return ddoc

    def query(self, **content: Any) -> Query:
        return Query(self.db, selector={"type": "order"}, **content)


WORLD = World()


class Case(NamedTuple):
    """``call(world, value)`` with a ``value`` drawn from ``values`` raises one of ``errors`` (with a code of
    ``codes`` for a catalogued exception, when given)."""

    name: str
    values: st.SearchStrategy[Any]
    call: Callable[[World, Any], Any]
    errors: Tuple[Type[BaseException], ...] = (CloudantArgumentError,)
    codes: Optional[Sequence[int]] = None


# -- values ------------------------------------------------------------------------------------------------------
def _truthy(value: Any) -> bool:
    return bool(value)  # not .filter(bool), which Hypothesis rewrites into bounds that can break its draws


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
                     st.binary(max_size=6), st.builds(object))
ANY = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3), st.tuples(_SCALARS),
                st.dictionaries(st.text(max_size=3), _SCALARS, max_size=2), st.frozensets(st.integers(), max_size=2))
GIVEN = ANY.filter(lambda value: value is not None)  # None means "not given" for most options
NOT_STR = ANY.filter(lambda value: not isinstance(value, str))
GIVEN_NOT_STR = GIVEN.filter(lambda value: not isinstance(value, str))
NOT_CREDENTIAL = GIVEN.filter(lambda value: not isinstance(value, (str, bytes)))
NOT_BOOL = GIVEN.filter(lambda value: not isinstance(value, bool))
NOT_INT = GIVEN.filter(lambda value: isinstance(value, bool) or not isinstance(value, int))
NOT_DICT = ANY.filter(lambda value: not isinstance(value, dict))
BAD_COUNT = st.one_of(NOT_INT, st.integers(max_value=-1))  # a count below 0, or no int at all
BAD_POSITIVE = st.one_of(NOT_INT, st.integers(max_value=0))
EMPTY_OR_NOT_STR = st.one_of(NOT_STR, st.just(""))
UNENCODABLE = st.one_of(st.builds(object), st.binary(min_size=1), st.frozensets(st.integers(), min_size=1),
                        st.lists(st.builds(object), min_size=1))
_LEGAL_PREFIXED = re.compile(r"^_(design|local)/.+", re.S)
ILLEGAL_DOC_ID = st.one_of(NOT_STR, st.sampled_from(["", "_design/", "_local/", "_design", "_all_docs"]),
                           st.text(max_size=8).map(lambda text: "_" + text).filter(
                               lambda doc_id: not _LEGAL_PREFIXED.match(doc_id)))
GIVEN_ILLEGAL_DOC_ID = ILLEGAL_DOC_ID.filter(lambda doc_id: doc_id not in (None, ""))
ILLEGAL_PARTITION_KEY = st.one_of(GIVEN_NOT_STR, st.just(""), st.text(max_size=5).map(lambda text: "_" + text),
                                  st.tuples(st.text(max_size=3), st.text(max_size=3)).map(":".join))
_DB_NAME = re.compile(r"^[a-z][a-z0-9_$()+/-]*$")
ILLEGAL_DB_NAME = st.text(max_size=10).filter(
    lambda name: not _DB_NAME.match(name) and not name.startswith("shards/") and not name.startswith("_"))
NOT_FILE = GIVEN.filter(lambda value: not hasattr(value, "write"))
BAD_HEADERS = st.one_of(GIVEN.filter(lambda value: not isinstance(value, dict)),
                        st.dictionaries(st.text(max_size=3), GIVEN.filter(lambda value: not isinstance(
                            value, (str, bytes))), min_size=1, max_size=2))
BAD_ATTACHMENT_DATA = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.builds(object),
                                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                                st.frozensets(st.binary(max_size=3), max_size=2),
                                st.lists(st.one_of(st.integers(), st.none(), st.floats(), st.builds(object)),
                                         min_size=1, max_size=3))
UNKNOWN_VIEW_OPTION = st.text(min_size=1, max_size=8).filter(lambda name: name not in {
    "descending", "endkey", "end_key", "endkey_docid", "end_key_doc_id", "group", "group_level", "include_docs",
    "inclusive_end", "key", "keys", "limit", "reduce", "skip", "stale", "startkey", "start_key", "startkey_docid",
    "start_key_doc_id", "update", "stable", "conflicts", "attachments", "att_encoding_info", "update_seq",
    "sorted", "partition", "page_size"})


def _calls(*steps: Callable[[], Any]) -> Any:
    result = None
    for step in steps:
        result = step()
    return result


# -- the cases, by area -------------------------------------------------------------------------------------------
# A list or tuple of URLs names the nodes of a cluster: each must be a string (or None).
BAD_URL = st.one_of(GIVEN_NOT_STR.filter(lambda v: not isinstance(v, (list, tuple))),
                    st.lists(st.one_of(st.text(max_size=3), GIVEN_NOT_STR), max_size=3).filter(
                        lambda urls: any(url is not None and not isinstance(url, str) for url in urls)))
CLIENT = [
    Case("CouchDB(url=...)", BAD_URL, lambda w, v: CouchDB("u", "p", url=v), codes=[117]),
    Case("Cloudant(url=...)", BAD_URL.filter(_truthy), lambda w, v: Cloudant("u", "p", url=v), codes=[117]),
    Case("Cloudant() without url", st.none(), lambda w, v: Cloudant("u", "p", url=v), (CloudantClientException,),
         [102]),
    Case("create_database(partitioned=...)", NOT_BOOL, lambda w, v: w.couch.create_database("ok", partitioned=v)),
    Case("create_database(illegal name)", st.one_of(ILLEGAL_DB_NAME, GIVEN_NOT_STR.filter(
        lambda v: isinstance(v, (int, float, bytes)))), lambda w, v: w.couch.create_database(v),
         (CloudantDatabaseException, CloudantArgumentError), [400, 117]),
    Case("all_dbs(limit=...)", BAD_COUNT, lambda w, v: w.couch.all_dbs(limit=v), codes=[117, 142]),
    Case("all_dbs(skip=...)", BAD_COUNT, lambda w, v: w.couch.all_dbs(skip=v), codes=[117, 142]),
    Case("all_dbs(descending=...)", NOT_BOOL, lambda w, v: w.couch.all_dbs(descending=v), codes=[117]),
    Case("all_dbs(startkey=unencodable)", UNENCODABLE, lambda w, v: w.couch.all_dbs(startkey=v), codes=[136]),
    Case("all_dbs(unknown option)", st.sampled_from(["limt", "key", "keys", "include_docs", "colour"]),
         lambda w, v: w.couch.all_dbs(**{v: 1}), codes=[116]),
    Case("uuids(count)", BAD_POSITIVE, lambda w, v: w.couch.uuids(v), codes=[117, 118]),
    Case("session_login(user=...)", NOT_CREDENTIAL, lambda w, v: w.couch.session_login(v, None), codes=[117]),
    Case("session_login(passwd=...)", NOT_CREDENTIAL, lambda w, v: w.couch.session_login(None, v), codes=[117]),
    Case("change_credentials(...)", NOT_CREDENTIAL, lambda w, v: w.couch.change_credentials("u", v), codes=[117]),
    Case("create_reshard_job(db and shard)", st.text(min_size=1, max_size=5),
         lambda w, v: w.couch.create_reshard_job(db=v, shard=v), codes=[139]),
    Case("create_reshard_job(neither)", st.none(), lambda w, v: w.couch.create_reshard_job(db=v), codes=[139]),
    Case("set_reshard_state(...)", st.text(max_size=8).filter(lambda v: v not in ("running", "stopped")),
         lambda w, v: w.couch.set_reshard_state(v), codes=[143]),
    Case("reshard_job(job id)", EMPTY_OR_NOT_STR, lambda w, v: w.couch.reshard_job(v), codes=[117]),
    Case("bill(year, month)", st.tuples(st.integers(min_value=1), st.integers().filter(lambda m: not 1 <= m <= 12)),
         lambda w, v: w.cloudant.bill(*v), codes=[101]),
    Case("update_cors_configuration(origins=...)", st.one_of(GIVEN.filter(lambda v: not isinstance(v, (list, tuple))),
                                                             st.lists(GIVEN_NOT_STR, min_size=1, max_size=2)),
         lambda w, v: w.cloudant.update_cors_configuration(origins=v), codes=[117]),
    Case("Cloudant.bluemix(bad VCAP_SERVICES)", st.one_of(st.text(max_size=6), st.just({}), st.just("{}")),
         lambda w, v: Cloudant.bluemix(v), (CloudantClientException,), [103]),
]

DATABASE = [
    Case("CouchDatabase(fetch_limit=...)", BAD_POSITIVE, lambda w, v: CouchDatabase(w.couch, "x", fetch_limit=v),
         codes=[117, 118]),
    Case("CouchDatabase(partitioned=...)", NOT_BOOL, lambda w, v: CouchDatabase(w.couch, "x", partitioned=v),
         codes=[117]),
    Case("create_document(not a dict)", NOT_DICT, lambda w, v: w.db.create_document(v), codes=[117]),
    Case("create_document({'_id': illegal})", ILLEGAL_DOC_ID,
         lambda w, v: w.db.create_document({"_id": v, "n": 1}), codes=[137]),
    Case("bulk_docs(not a list of dicts)", st.one_of(st.text(min_size=1, max_size=4), st.builds(object),
                                                    st.integers(), st.dictionaries(st.text(max_size=2), st.integers()),
                                                    st.lists(NOT_DICT.filter(lambda v: not isinstance(v, Mapping)),
                                                             min_size=1, max_size=2)),
         lambda w, v: w.db.bulk_docs(v), codes=[117]),
    Case("bulk_docs(one illegal id among valid documents)", st.tuples(ILLEGAL_DOC_ID, st.integers(0, 3)),
         lambda w, v: w.db.bulk_docs(_with_one_bad_id(*v)), codes=[137]),
    Case("bulk_docs(raise_on_error=...)", NOT_BOOL, lambda w, v: w.db.bulk_docs([{"a": 1}], raise_on_error=v),
         codes=[117]),
    Case("missing_revisions(revision=...)", GIVEN_NOT_STR, lambda w, v: w.db.missing_revisions("d", "1-a", v),
         codes=[117]),
    Case("revisions_diff(illegal id)", GIVEN_ILLEGAL_DOC_ID, lambda w, v: w.db.revisions_diff(v, "1-a"),
         codes=[137]),
    Case("set_revision_limit(...)", BAD_POSITIVE, lambda w, v: w.db.set_revision_limit(v), codes=[117, 118]),
    Case("partition_metadata(illegal key)", ILLEGAL_PARTITION_KEY, lambda w, v: w.db.partition_metadata(v),
         codes=[141]),
    Case("db[reserved id]", st.text(min_size=1, max_size=6).map(lambda t: "_" + t).filter(
        lambda doc_id: not _LEGAL_PREFIXED.match(doc_id)), lambda w, v: w.db[v], codes=[137]),
    Case("all_docs(unknown option)", UNKNOWN_VIEW_OPTION, lambda w, v: w.db.all_docs(**{v: 1}), codes=[116]),
    Case("all_docs(limit=...)", NOT_INT, lambda w, v: w.db.all_docs(limit=v), codes=[117]),
    Case("all_docs(stale=...)", st.text(max_size=6).filter(lambda v: v not in ("ok", "update_after")),
         lambda w, v: w.db.all_docs(stale=v), codes=[135]),
    Case("all_docs(key=unencodable)", UNENCODABLE, lambda w, v: w.db.all_docs(key=v), codes=[136]),
    Case("get_view_result(illegal ddoc id)", ILLEGAL_DOC_ID,
         lambda w, v: w.db.get_view_result(v, "by_total"), codes=[137]),
    Case("get_view_result(view name)", EMPTY_OR_NOT_STR, lambda w, v: w.db.get_view_result("app", v),
         codes=[117]),
    Case("get_view_result(raw, bad option)", NOT_BOOL, lambda w, v: w.db.get_view_result(
        "app", "v", raw_result=True, include_docs=v), codes=[117]),
    Case("get_partitioned_view_result(illegal key)", ILLEGAL_PARTITION_KEY,
         lambda w, v: w.db.get_partitioned_view_result(v, "app", "v", raw_result=True), codes=[141]),
    Case("create_query_index(index_type=...)", ANY.filter(lambda v: v not in ("json", "text")),
         lambda w, v: w.db.create_query_index("app", "i", v, fields=["a"]), codes=[103]),
    Case("create_query_index(partitioned=...)", NOT_BOOL,
         lambda w, v: w.db.create_query_index("app", "i", partitioned=v, fields=["a"]), codes=[117]),
    Case("get_list_function_result(list name)", EMPTY_OR_NOT_STR,
         lambda w, v: w.db.get_list_function_result("app", v, "v"), codes=[117]),
    Case("get_show_function_result(doc id)", GIVEN_ILLEGAL_DOC_ID,
         lambda w, v: w.db.get_show_function_result("app", "s", v), codes=[137]),
    Case("update_handler_result(doc id)", GIVEN_ILLEGAL_DOC_ID,
         lambda w, v: w.db.update_handler_result("app", "u", v), codes=[137]),
    Case("get_query_result(selector=...)", GIVEN.filter(lambda v: not isinstance(v, dict)),
         lambda w, v: w.db.get_query_result(v, raw_result=True), codes=[130]),
    Case("get_query_result(empty selector)", st.just({}), lambda w, v: w.db.get_query_result(v, raw_result=True),
         codes=[131]),
    Case("get_search_result(query and q)", st.text(min_size=1, max_size=5),
         lambda w, v: w.cdb.get_search_result("app", "i", query=v, q=v), codes=[104]),
    Case("get_search_result(unknown option)", st.sampled_from(["limt", "keys", "selector"]),
         lambda w, v: w.cdb.get_search_result("app", "i", query="a:b", **{v: 1}), codes=[105]),
    Case("get_search_result(ddoc id)", EMPTY_OR_NOT_STR, lambda w, v: w.cdb.get_search_result(v, "i", q="a"),
         codes=[122]),
    Case("share_database(username)", GIVEN_NOT_STR, lambda w, v: w.cdb.share_database(v), codes=[117]),
    Case("share_database(roles)", st.lists(st.text(max_size=8), max_size=2).filter(
        lambda roles: not roles or any(role not in SHARE_ROLES for role in roles)),
         lambda w, v: w.cdb.share_database("bob", v), codes=[102]),
]

DOCUMENT = [
    Case("Document(db, illegal id).fetch()", ILLEGAL_DOC_ID, lambda w, v: Document(w.db, v).fetch(),
         (CloudantArgumentError, CloudantDocumentException), [101, 137]),
    Case("save() with an empty _id", st.sampled_from(["", None]),
         lambda w, v: _calls(lambda: (doc := Document(w.db)).update(_id=v) or doc.save()), codes=[137]),
    Case("create() with an illegal _id", ILLEGAL_DOC_ID,
         lambda w, v: _calls(lambda: (doc := Document(w.db)).update(_id=v) or doc.create()), codes=[137]),
    Case("delete() with a _rev that is no string", GIVEN_NOT_STR.filter(_truthy),
         lambda w, v: w.doc(_rev=v).delete(), codes=[117]),
    Case("delete() without _rev", st.sampled_from(["", None]), lambda w, v: w.doc(_rev=v).delete(),
         (CloudantDocumentException,), [103]),
    Case("update_field(action=...)", GIVEN.filter(lambda v: not callable(v)),
         lambda w, v: w.doc().update_field(v, "f", 1), codes=[117]),
    Case("update_field(max_tries=...)", GIVEN.filter(lambda v: isinstance(v, bool) or not isinstance(v, (int, float))),
         lambda w, v: w.doc().update_field(Document.field_set, "f", 1, max_tries=v), codes=[117]),
    Case("list_field_append(on a field that is no list)", GIVEN.filter(lambda v: not isinstance(v, list)),
         lambda w, v: Document.list_field_append({"f": v}, "f", 1), (CloudantDocumentException,), [102]),
]

ATTACHMENTS = [
    Case("put_attachment(illegal name)", st.one_of(EMPTY_OR_NOT_STR, st.text(max_size=5).map(lambda t: "_" + t)),
         lambda w, v: w.doc(_rev="1-a").put_attachment(v, "text/plain", b"x"), codes=[138]),
    Case("put_attachment(data=...)", BAD_ATTACHMENT_DATA,
         lambda w, v: w.doc(_rev="1-a").put_attachment("a.txt", "text/plain", v), codes=[117]),
    Case("put_attachment(content_type=...)", GIVEN.filter(lambda v: not isinstance(v, (str, bytes))),
         lambda w, v: w.doc(_rev="1-a").put_attachment("a.txt", v, b"x"), codes=[117]),
    Case("put_attachment(headers=...)", BAD_HEADERS,
         lambda w, v: w.doc(_rev="1-a").put_attachment("a.txt", "text/plain", b"x", v), codes=[117]),
    Case("get_attachment(headers=...)", BAD_HEADERS, lambda w, v: w.doc(_rev="1-a").get_attachment("a.txt", v),
         codes=[117]),
    Case("get_attachment(write_to=...)", NOT_FILE,
         lambda w, v: w.doc(_rev="1-a").get_attachment("a.txt", write_to=v), codes=[117]),
    Case("get_attachment(attachment_type=...)", GIVEN.filter(lambda v: v not in ("text", "json", "binary")),
         lambda w, v: w.doc(_rev="1-a").get_attachment("a.txt", attachment_type=v), codes=[143]),
    Case("stream_attachment_to(fileobj=...)", NOT_FILE,
         lambda w, v: w.doc(_rev="1-a").stream_attachment_to("a.txt", v), codes=[117]),
    Case("stream_attachment_to(headers=...)", BAD_HEADERS,
         lambda w, v: w.doc(_rev="1-a").stream_attachment_to("a.txt", io.BytesIO(), v), codes=[117]),
    Case("delete_attachment(headers=...)", BAD_HEADERS,
         lambda w, v: w.doc(_rev="1-a").delete_attachment("a.txt", v), codes=[117]),
    Case("attachment of a document with an illegal id", GIVEN_ILLEGAL_DOC_ID.filter(_truthy),
         lambda w, v: w.doc(v).put_attachment("a.txt", "text/plain", b"x"), codes=[137]),
]

DESIGN_DOCUMENT = [
    Case("DesignDocument(partitioned=...)", NOT_BOOL, lambda w, v: DesignDocument(w.db, "app", partitioned=v),
         codes=[117]),
    Case("DesignDocument(illegal id)", st.one_of(GIVEN_NOT_STR.filter(_truthy), st.sampled_from(
        ["_design/", "_local/x", "_x"])), lambda w, v: DesignDocument(w.db, v), codes=[137]),
    Case("add_view(view name)", EMPTY_OR_NOT_STR, lambda w, v: w.ddoc().add_view(v, "function (doc) {}"),
         codes=[117]),
    Case("add_view(map_func=...)", NOT_STR, lambda w, v: w.ddoc().add_view("v", v), codes=[117]),
    Case("add_view(reduce_func=...)", GIVEN_NOT_STR, lambda w, v: w.ddoc().add_view("v", "function (doc) {}", v),
         codes=[117]),
    Case("add_view() of a view that exists", st.text(min_size=1, max_size=5),
         lambda w, v: _calls(lambda: (ddoc := w.ddoc()).add_view(v, "f") or ddoc.add_view(v, "g")), codes=[107]),
    Case("add_view() in a Mango design document", ANY,
         lambda w, v: w.ddoc(language="query").add_view("v", v), (CloudantDesignDocumentException,), [101]),
    Case("update_view(map_func=...)", NOT_STR,
         lambda w, v: _calls(lambda: (ddoc := w.ddoc()).add_view("v", "f") or ddoc.update_view("v", v)),
         codes=[117]),
    Case("update_view() of a missing view", st.text(min_size=1, max_size=5),
         lambda w, v: w.ddoc().update_view(v, "function (doc) {}"), codes=[111]),
    Case("add_search_index(index name)", EMPTY_OR_NOT_STR, lambda w, v: w.ddoc().add_search_index(v, "f"),
         codes=[123]),
    Case("add_search_index(search_func=...)", NOT_STR, lambda w, v: w.ddoc().add_search_index("i", v),
         (CloudantDesignDocumentException,), [106]),
    Case("add_search_index(analyzer=...)", GIVEN.filter(lambda v: not isinstance(v, (str, dict))),
         lambda w, v: w.ddoc().add_search_index("i", "f", v), codes=[117]),
    Case("add_list_function(...)", st.tuples(st.booleans(), NOT_STR),
         lambda w, v: w.ddoc().add_list_function(*((v[1], "f") if v[0] else ("l", v[1]))), codes=[117]),
    Case("add_show_function(...)", st.tuples(st.booleans(), NOT_STR),
         lambda w, v: w.ddoc().add_show_function(*((v[1], "f") if v[0] else ("s", v[1]))), codes=[117]),
    Case("update_show_function() of a missing one", st.text(min_size=1, max_size=5),
         lambda w, v: w.ddoc().update_show_function(v, "f"), codes=[114]),
    Case("search_info(index name)", EMPTY_OR_NOT_STR, lambda w, v: w.ddoc().search_info(v), codes=[123]),
    Case("document_partition_url(illegal key)", ILLEGAL_PARTITION_KEY,
         lambda w, v: w.ddoc().document_partition_url(v), codes=[141]),
    Case("save() with a Mango view in a JavaScript design document", st.dictionaries(
        st.text(max_size=3), st.text(max_size=3), max_size=2),
         lambda w, v: _calls(lambda: (ddoc := w.ddoc()).views.update(
             v=QueryIndexView(ddoc, "v", v, "_count")) or ddoc.save()), (CloudantDesignDocumentException,), [104]),
]

VIEW = [
    Case("View(view name)", EMPTY_OR_NOT_STR, lambda w, v: View(w.ddoc(), v), codes=[117]),
    Case("View(map_func=...)", GIVEN_NOT_STR, lambda w, v: View(w.ddoc(), "v", v), codes=[117]),
    Case("View(partition_key=...)", ILLEGAL_PARTITION_KEY, lambda w, v: View(w.ddoc(), "v", partition_key=v),
         codes=[141]),
    Case("view.map = ...", GIVEN_NOT_STR, lambda w, v: setattr(View(w.ddoc(), "v"), "map", v), codes=[117]),
    Case("view(unknown option)", UNKNOWN_VIEW_OPTION, lambda w, v: View(w.ddoc(), "v")(**{v: 1}), codes=[116]),
    Case("view(skip=...)", NOT_INT, lambda w, v: View(w.ddoc(), "v")(skip=v), codes=[117]),
    Case("view(keys=...)", GIVEN.filter(lambda v: not isinstance(v, (list, tuple))),
         lambda w, v: View(w.ddoc(), "v")(keys=v), codes=[117]),
    Case("view(startkey=unencodable)", UNENCODABLE, lambda w, v: View(w.ddoc(), "v")(startkey=v), codes=[136]),
    Case("view of a design document without id", st.just({}),
         lambda w, v: View(DesignDocument(w.db), "v")(**v), codes=[137]),
    Case("QueryIndexView(map_fields=...)", NOT_DICT, lambda w, v: QueryIndexView(w.ddoc(), "v", v, "_count"),
         codes=[132]),
    Case("QueryIndexView(reduce_func=...)", NOT_STR, lambda w, v: QueryIndexView(w.ddoc(), "v", {}, v),
         codes=[133]),
    Case("QueryIndexView()", st.just(None), lambda w, v: QueryIndexView(w.ddoc(), "v", {}, "_count")(),
         (CloudantViewException,), [101]),
]

QUERY = [
    Case("Query(selector=...)()", GIVEN.filter(lambda v: not isinstance(v, dict)),
         lambda w, v: Query(w.db, selector=v)(), codes=[130]),
    Case("Query() without selector", st.just(None), lambda w, v: Query(w.db)(), codes=[131]),
    Case("query(unknown key)", st.sampled_from(["selectr", "keys", "include_docs"]),
         lambda w, v: w.query()(**{v: 1}), codes=[129]),
    Case("query(limit=...)", NOT_INT, lambda w, v: w.query()(limit=v), codes=[130]),
    Case("query(use_index=malformed list)", st.lists(NOT_STR, min_size=1, max_size=3),
         lambda w, v: w.query()(use_index=v), codes=[146, 130]),
    Case("Query(partition_key=...)", ILLEGAL_PARTITION_KEY, lambda w, v: Query(w.db, partition_key=v), codes=[141]),
    Case("query.explain(fields=...)", GIVEN.filter(lambda v: not isinstance(v, (list, tuple))),
         lambda w, v: w.query().explain(fields=v), codes=[130]),
]

INDEX = [
    Case("Index(design document id)", GIVEN_NOT_STR.filter(_truthy),
         lambda w, v: Index(w.db, v, "i", fields=["a"]).create(), codes=[122]),
    Case("Index(name)", GIVEN_NOT_STR.filter(_truthy), lambda w, v: Index(w.db, "app", v, fields=["a"]).create(),
         codes=[123]),
    Case("Index(definition beside fields)", st.sampled_from(["selector", "default_field", "analyzer"]),
         lambda w, v: Index(w.db, "app", "i", fields=["a"], **{v: {}}).create(), codes=[124]),
    Case("TextIndex(unknown key)", st.sampled_from(["colour", "sort", "limit"]),
         lambda w, v: TextIndex(w.db, "app", "i", **{v: 1}).create(), codes=[127]),
    Case("TextIndex(fields=...)", GIVEN.filter(lambda v: not isinstance(v, (list, tuple))),
         lambda w, v: TextIndex(w.db, "app", "i", fields=v).create(), codes=[128]),
    Case("Index.delete() without design document id", st.sampled_from([None, ""]),
         lambda w, v: Index(w.db, v, "i").delete(), codes=[125]),
    Case("Index.delete() without name", st.sampled_from([None, ""]), lambda w, v: Index(w.db, "app", v).delete(),
         codes=[126]),
    Case("SpecialIndex.create()/delete()", st.booleans(),
         lambda w, v: SpecialIndex(w.db).create() if v else SpecialIndex(w.db).delete(),
         (CloudantIndexException,), [101, 102]),
    Case("delete_query_index(index_type=...)", ANY.filter(lambda v: v not in ("json", "text")),
         lambda w, v: w.db.delete_query_index("app", v, "i"), codes=[103]),
]

RESULT = [
    Case("result[bad index]", st.one_of(st.integers(max_value=-1), st.floats(), st.builds(object),
                                        st.tuples(st.integers()), st.integers(1, 3).map(lambda s: slice(0, 5, s)),
                                        st.just(slice(1, "b")), st.just(slice(-2, None))),
         lambda w, v: Result(w.db.all_docs)[v], (ResultException,), [101]),
    Case("result[key] with key options", st.sampled_from(["key", "keys", "startkey", "endkey"]),
         lambda w, v: Result(w.db.all_docs, **{v: ["a"] if v == "keys" else "a"})["k"], (ResultException,), [102]),
    Case("iter(result) with limit", st.integers(0, 5), lambda w, v: iter(Result(w.db.all_docs, limit=v)),
         (ResultException,), [103]),
    Case("iter(result) with a bad page_size", st.one_of(st.integers(max_value=0), st.sampled_from(
        ["", "x", "1.5", "-3", "0"]), st.builds(object), st.none(), st.lists(st.integers(), max_size=2)),
         lambda w, v: iter(Result(w.db.all_docs, page_size=v)), (ResultException,), [104]),
    Case("result[0] with a skip that is no int", NOT_INT, lambda w, v: Result(w.db.all_docs, skip=v)[0],
         codes=[117]),
    Case("query result[key]", st.text(max_size=4), lambda w, v: QueryResult(w.query())[v], (ResultException,),
         [101]),
    Case("view result options", NOT_BOOL, lambda w, v: Result(View(w.ddoc(), "v"), include_docs=v)[0:2],
         codes=[117]),
]

FEEDS = [
    Case("changes(limit=...)", BAD_COUNT, lambda w, v: next(w.db.changes(limit=v)), codes=[117, 118]),
    Case("changes(feed=...)", st.text(max_size=8).filter(lambda v: v not in ("normal", "longpoll", "continuous")),
         lambda w, v: next(w.db.changes(feed=v)), codes=[119]),
    Case("changes(style=...)", st.text(max_size=8).filter(lambda v: v not in ("main_only", "all_docs")),
         lambda w, v: next(w.db.changes(style=v)), codes=[120]),
    Case("changes(include_docs=...)", NOT_BOOL, lambda w, v: next(w.db.changes(include_docs=v)), codes=[117]),
    Case("changes(chunk_size=...)", BAD_COUNT, lambda w, v: next(w.db.changes(chunk_size=v)), codes=[117, 118]),
    Case("db_updates(unknown option)", st.sampled_from(["include_docs", "style", "colour"]),
         lambda w, v: next(w.couch.db_updates(**{v: True})), codes=[116]),
    Case("infinite_changes(feed=...)", st.sampled_from(["normal", "longpoll"]),
         lambda w, v: next(w.db.infinite_changes(feed=v)), codes=[121]),
    Case("infinite_changes(max_reconnects=...)", BAD_COUNT,
         lambda w, v: w.db.infinite_changes(max_reconnects=v), codes=[117, 142]),
]

REPLICATOR = [
    Case("create_replication(no source)", st.sampled_from([None, "", {}]),
         lambda w, v: w.replicator.create_replication(v, "http://couch.test:5984/b"),
         (CloudantReplicatorException,), [101]),
    Case("create_replication(no target)", st.sampled_from([None, "", {}]),
         lambda w, v: w.replicator.create_replication("http://couch.test:5984/a", v),
         (CloudantReplicatorException,), [102]),
    Case("create_replication(repl_id=illegal)", GIVEN_ILLEGAL_DOC_ID.filter(_truthy),
         lambda w, v: w.replicator.create_replication("http://couch.test:5984/a", "http://couch.test:5984/b", v),
         codes=[137]),
    Case("replicate(no source)", st.sampled_from([None, "", {}, 0]),
         lambda w, v: w.replicator.replicate(v, "http://couch.test:5984/b"), (CloudantReplicatorException,), [101]),
    Case("replication_state(illegal id)", ILLEGAL_DOC_ID,
         lambda w, v: w.replicator.replication_state(v), (CloudantArgumentError, CloudantDocumentException),
         [101, 137]),
]

SECURITY = [
    Case("SecurityDocument.save() of content JSON cannot encode", UNENCODABLE,
         lambda w, v: _calls(lambda: (security := SecurityDocument(w.db)).update(members=v) or security.save()),
         (TypeError,)),  # json.dumps's TypeError, raised by 2.15.0 too
    Case("unshare_database(username)", GIVEN_NOT_STR, lambda w, v: w.cdb.unshare_database(v), codes=[117]),
]

AREAS: Dict[str, Sequence[Case]] = {
    "client": CLIENT, "database": DATABASE, "document": DOCUMENT, "attachments": ATTACHMENTS,
    "design document": DESIGN_DOCUMENT, "view": VIEW, "query": QUERY, "index": INDEX, "result": RESULT,
    "feed options": FEEDS, "replicator": REPLICATOR, "security document": SECURITY,
}


def _with_one_bad_id(bad_id: Any, position: int) -> list:
    docs: list = [{"_id": "ok-%d" % n, "n": n} for n in range(3)] + [{"_id": "_design/app"}, {"_id": "_local/x"}]
    docs.insert(position, {"_id": bad_id, "n": -1})
    return docs


def refused(world: World, case: Case, value: Any) -> BaseException:
    """Call the case with ``value``: it must raise one of its errors, and nothing may have been sent."""
    world.adapter.seen.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "keyword arguments ignored": not what is tested here
        with pytest.raises(case.errors) as caught:
            case.call(world, value)
    sent = [(seen.method, seen.url) for seen in world.adapter.seen]
    assert sent == [], "%s sent %r for %r" % (case.name, sent, value)
    error = caught.value
    if case.codes is not None and isinstance(error, CloudantException):
        assert error.code in case.codes, "%s raised code %r for %r: %s" % (case.name, error.code, value, error)
    return error


@pytest.mark.parametrize("area", sorted(AREAS))
@given(data=st.data())
def test_bad_input_raises_a_documented_exception_before_any_request(area: str, data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(AREAS[area]), label="case")
    value = data.draw(case.values, label=case.name)
    refused(WORLD, case, value)


@pytest.mark.parametrize("case", [case for cases in AREAS.values() for case in cases], ids=lambda case: case.name)
@settings(max_examples=10)
@given(data=st.data())
def test_each_case_on_its_own(case: Case, data: st.DataObject) -> None:
    # Every case a few times on its own too: one Hypothesis rarely draws in its area's property still runs.
    refused(WORLD, case, data.draw(case.values, label=case.name))


# -- the reported failures, one by one, with python-cloudant 2.15.0's outcome in the name ------------------------
REPORTED = [
    ("put_attachment with a dict stored its keys", lambda w: w.doc(_rev="1-a").put_attachment(
        "b.txt", "text/plain", {"k": "v"}), 117),
    ("create_database(partitioned='no') created a partitioned database",
     lambda w: w.couch.create_database("x", partitioned="no"), 117),
    ("bulk_docs with _reserved lost the whole batch", lambda w: w.db.bulk_docs(
        [{"_id": "a"}, {"_id": "_reserved"}]), 137),
    ("bulk_docs with id 42 lost the whole batch", lambda w: w.db.bulk_docs([{"_id": "a"}, {"_id": 42}]), 137),
    ("create_document(None) raised AttributeError", lambda w: w.db.create_document(None), 117),
    ("create_document([...]) raised AttributeError", lambda w: w.db.create_document([("_id", "a")]), 117),
    ("create_document('text') raised AttributeError", lambda w: w.db.create_document("text"), 117),
    ("get_view_result(None, 'v') raised KeyError", lambda w: w.db.get_view_result(None, "v"), 137),
    ("CouchDB(url=12345) raised AttributeError", lambda w: CouchDB("u", "p", url=12345), 117),
    ("create_document({'_id': ''}) was sent", lambda w: w.db.create_document({"_id": ""}), 137),
    ("all_dbs(limit=-1) was sent", lambda w: w.couch.all_dbs(limit=-1), 142),
    ("all_dbs(limit='ten') was sent", lambda w: w.couch.all_dbs(limit="ten"), 117),
    ("session_login(None, 12345) was sent", lambda w: w.couch.session_login(None, 12345), 117),
    ("add_view('v2', None) was accepted and save() got a 400", lambda w: w.ddoc().add_view("v2", None), 117),
]


@pytest.mark.parametrize("call, code", [(call, code) for _, call, code in REPORTED],
                         ids=[name for name, _, _ in REPORTED])
def test_each_reported_failure_is_refused_before_any_request(call: Callable[[World], Any], code: int) -> None:
    WORLD.adapter.seen.clear()
    with pytest.raises(CloudantArgumentError) as caught:
        call(WORLD)
    assert caught.value.code == code
    assert WORLD.adapter.seen == []


# -- valid input still goes out as before -------------------------------------------------------------------------
@pytest.mark.parametrize("partitioned, sent", [(True, "true"), (False, "false"), (None, "false")])
def test_create_database_sends_the_partitioned_flag_it_is_given(partitioned: Optional[bool], sent: str) -> None:
    adapter = FakeAdapter(lambda seen: (201, {}, {"ok": True}))
    client = CouchDB(None, None, admin_party=True, url=URL, adapter=adapter)
    client.connect()
    client.create_database("fresh", partitioned=partitioned)
    assert [(seen.method, seen.query) for seen in adapter.seen] == [("PUT", {"partitioned": [sent]})]


def test_bulk_docs_sends_design_local_and_server_chosen_ids() -> None:
    docs = [{"_id": "_design/app"}, {"_id": "_local/cp"}, {"n": 1}, {"_id": "a", "_deleted": True, "_rev": "1-x"}]
    adapter = FakeAdapter(lambda seen: (201, {}, [{"ok": True, "id": "i%d" % n, "rev": "1-r"} for n in range(4)]))
    client = CouchDB(None, None, admin_party=True, url=URL, adapter=adapter)
    client.connect()
    CouchDatabase(client, "orders").bulk_docs(docs)
    assert [seen.json() for seen in adapter.seen] == [{"docs": docs}]


def test_all_dbs_sends_its_options_as_couchdb_reads_them() -> None:
    adapter = FakeAdapter(lambda seen: (200, {}, ["a", "b"]))
    client = CouchDB(None, None, admin_party=True, url=URL, adapter=adapter)
    client.connect()
    assert client.all_dbs(start_key="a", end_key="b", inclusive_end=False, limit=0, skip=None) == ["a", "b"]
    assert adapter.seen[0].query == {"start_key": ['"a"'], "end_key": ['"b"'], "inclusive_end": ["false"],
                                     "limit": ["0"]}


@pytest.mark.parametrize("data, body", [
    ([b"ab", "c", bytearray(b"d")], b"abcd"),
    ((b"x" for _ in range(2)), b"xx"),
    ("text", b"text"),
])
def test_put_attachment_still_takes_chunks_and_text(data: Any, body: bytes) -> None:
    adapter = FakeAdapter(lambda seen: (201, {}, {"ok": True, "id": "d", "rev": "2-b"}))
    client = CouchDB(None, None, admin_party=True, url=URL, adapter=adapter)
    client.connect()
    doc = Document(CouchDatabase(client, "orders"), "d")
    doc["_rev"] = "1-a"
    doc["edited"] = True  # unsaved edits: only the PUT is sent
    doc.put_attachment("a.txt", "text/plain", data)
    assert [(seen.method, seen.body) for seen in adapter.seen] == [("PUT", body)]


def test_credentials_may_be_bytes_as_python_cloudant_sent_them() -> None:
    adapter = FakeAdapter(lambda seen: (200, {}, {"ok": True}))
    client = CouchDB("u", "p", url=URL, adapter=adapter)
    client.connect()
    adapter.seen.clear()
    client.session_login(b"bob", b"pw")
    assert [seen.form() for seen in adapter.seen] == [{"name": ["bob"], "password": ["pw"]}]
