"""Databases: :class:`CouchDatabase` and its IBM Cloudant flavour :class:`CloudantDatabase`.

A database object is a ``dict`` of the document objects it has handed out,
keyed by id: ``db['o1']`` returns the cached document or fetches it with one
``GET``; ``'o1' in db`` asks the server with one ``HEAD`` when it is not
cached. Iterating over a database reads every document page by page and caches
each one, as python-cloudant did. Everything that is not an override (``len(db)``,
``db.values()``, ``db.items()``) sees only the cache.
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, cast

import requests

from . import _iteration
from ._database_endpoints import DatabaseEndpoints
from ._endpoint import database_endpoint
from ._endpoint import DESIGN_PREFIX, Endpoint
from ._params import CHANGES_ARGS, check_document_id, check_partitioned, check_type
from ._types import JsonObject
from .design_document import (DesignDocument, list_function_result, show_function_result, update_handler_result,
                              view_result)
from .document import Document
from .error import CloudantArgumentError, CloudantDatabaseException, Conflict, NotFound
from .feed import Feed, FeedTarget, InfiniteFeed
from .index import Index, create_index, delete_index, list_indexes
from .query import query_result, search, search_analyze
from .result import Result
from .security_document import SecurityDocument
from .view import query_view

if TYPE_CHECKING:
    from .client import CouchDB

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["CouchDatabase", "CloudantDatabase"]

_JSON_HEADERS = {"Content-Type": "application/json"}
_KEYS_PAGE_SIZE = 10000
#: How many of the documents one ``for doc in db`` loop leaves in the database's cache: the most recent ones.
ITERATION_CACHE_LIMIT = 1000
SHARE_ROLES = ("_reader", "_writer", "_admin", "_replicator", "_db_updates", "_design", "_shards", "_security")


class CouchDatabase(DatabaseEndpoints, dict[str, Document]):  # subscripted builtin: the MRO stays (..., dict)
    """A database on a CouchDB server: a ``dict`` of the document objects it has handed out.

    Nothing is sent at construction.

    :param client: the :class:`~cloudant.client.CouchDB` client.
    :param str database_name: the database name.
    :param int fetch_limit: page size when iterating over every document. Default 100.
    :param bool partitioned: the database is (or is to be created) partitioned.
    :raises CloudantArgumentError: 117 for a ``fetch_limit`` that is not an int or a ``partitioned`` neither a
        bool nor ``None`` (2.15.0 partitioned for any true value, e.g. ``'no'``), 118 for a ``fetch_limit`` below 1.
    """

    def __init__(self, client: CouchDB, database_name: str, fetch_limit: int = 100, partitioned: bool = False) -> None:
        super().__init__()
        check_type("fetch_limit", fetch_limit, (int,))
        if fetch_limit < 1:
            raise CloudantArgumentError(118, "fetch_limit", fetch_limit)
        check_partitioned(partitioned)
        self.client = client
        self.database_name = database_name
        self._fetch_limit = fetch_limit
        self._partitioned = partitioned
        self._database_host = client.server_url
        self._endpoint: Endpoint = database_endpoint(client, database_name)
        self._user_context: Optional[Tuple[Tuple[Any, Any], Any]] = None  # ((session, user), userCtx)

    def __repr__(self) -> str:
        return "<%s %r>" % (type(self).__name__, self.database_name)

    # -- properties ----------------------------------------------------------------------------------------
    @property
    def r_session(self) -> Optional[requests.Session]:
        """The client's HTTP session."""
        return self.client.r_session

    @property
    def admin_party(self) -> bool:
        """True when the client sends no credentials."""
        return self.client.admin_party

    @property
    def creds(self) -> Optional[Dict[str, Any]]:
        """``{'basic_auth': 'Basic ...', 'user_ctx': {...}}`` for the client's user, or ``None`` in admin party.

        ``user_ctx`` comes from ``GET /_session``, asked once per HTTP session
        and user. The value holds the credentials: never log it.

        .. versionchanged:: 3.0
           ``GET /_session`` is not sent on every access.
        """
        if self.admin_party:
            return None
        key = (self.r_session, self.client._user)
        if self._user_context is None or self._user_context[0] != key:
            session = self.client.session() or {}
            self._user_context = (key, session.get("userCtx"))
        return {"basic_auth": self.client.basic_auth_str(), "user_ctx": self._user_context[1]}

    @property
    def result(self) -> Result:
        """A :class:`~cloudant.result.Result` over ``_all_docs`` (nothing is sent until it is used)."""
        return Result(self.all_docs)

    # -- the database itself -------------------------------------------------------------------------------
    def _load_properties(self) -> bool:
        """Read the database's metadata; False when it does not exist."""
        response = self._endpoint.request("GET", allow_status=(404,))
        if response.status_code == 404:
            return False
        properties = response.json().get("props") or {}
        self._partitioned = bool(properties.get("partitioned", False))
        return True

    def create(self, throw_on_exists: bool = False) -> CouchDatabase:
        """Create the database (``PUT /{db}?partitioned=true|false``) in one request.

        An existing database is returned as it is, unless ``throw_on_exists`` is set.

        :raises CloudantDatabaseException: with the HTTP status as code when the
            server refuses: 412 when the database exists and ``throw_on_exists``
            is set, 400 for an illegal name, 401 without the right to create it,
            and any other status (its message is the URL and the server's reply).
        """
        partitioned = "true" if self._partitioned else "false"
        response = self._endpoint.request("PUT", params={"partitioned": partitioned},
                                          allow_status=range(300, 600))
        status = response.status_code
        if status in (201, 202) or (status == 412 and not throw_on_exists):
            return self
        raise CloudantDatabaseException(status, self.database_url, response.text)

    def delete(self) -> None:
        """Delete the database (``DELETE /{db}``)."""
        self._endpoint.request("DELETE")

    # -- documents -----------------------------------------------------------------------------------------
    def _document_class(self, doc_id: Any) -> Type[Document]:
        """:class:`~cloudant.design_document.DesignDocument` for a ``_design/`` id, else :class:`Document`."""
        if isinstance(doc_id, str) and doc_id.startswith(DESIGN_PREFIX):
            return DesignDocument
        return Document

    def create_document(self, data: Mapping[str, Any], throw_on_exists: bool = False) -> Document:
        """Create a document from ``data`` in one request and cache it under its id.

        With an ``_id`` the request is ``PUT /{db}/{id}``, else ``POST /{db}``.
        A ``_design/`` id gives a :class:`~cloudant.design_document.DesignDocument`.

        When the id is taken and ``throw_on_exists`` is False, nothing is
        written and, as python-cloudant did, the local object is cached and
        returned as it is: without a new ``_rev``, holding ``data`` rather than
        the server's document. Call its ``fetch()`` to get the server's copy
        (it replaces the local content), or pass ``throw_on_exists=True`` to be
        told.

        :param dict data: the document body.
        :param bool throw_on_exists: raise :class:`~cloudant.error.CloudantDatabaseException`
            (code 409) when the id is taken.
        :returns: the :class:`~cloudant.document.Document`, with ``_id`` and ``_rev`` once created.
        :raises CloudantDatabaseException: code 409 when the id exists and ``throw_on_exists`` is set.
        :raises CloudantArgumentError: before any request: 117 when ``data`` is not a dict (2.15.0 raised
            ``AttributeError``), 137 for an ``_id`` CouchDB refuses (reserved, empty, ``None`` or not a string).
        """
        if not isinstance(data, Mapping):
            raise CloudantArgumentError(117, "data", dict)
        if "_id" in data:
            check_document_id(data["_id"])
        doc_id = data.get("_id")
        doc = self._document_class(doc_id)(self, doc_id)
        doc.update(data)
        try:
            doc.create()
        except Conflict:
            if throw_on_exists:
                raise CloudantDatabaseException(409, doc_id) from None
        super().__setitem__(doc["_id"], doc)
        return doc

    def new_document(self) -> Document:
        """Create an empty document with a server-chosen id (``POST /{db}``) and cache it."""
        doc = Document(self)
        doc.create()
        super().__setitem__(doc["_id"], doc)
        return doc

    def design_documents(self) -> List[JsonObject]:
        """Return the ``_all_docs`` rows of every design document, documents included."""
        rows = self.all_docs(startkey=DESIGN_PREFIX, endkey="_design0", include_docs=True)["rows"]
        return cast(List[JsonObject], rows)

    def list_design_documents(self) -> List[str]:
        """Return the ids of every design document."""
        return [row["key"] for row in self.all_docs(startkey=DESIGN_PREFIX, endkey="_design0")["rows"]]

    def get_design_document(self, ddoc_id: str) -> Document:
        """Return the design document ``ddoc_id`` fetched from the server, or an empty one when it is missing.

        The object is not cached.
        """
        ddoc = DesignDocument(self, ddoc_id)
        try:
            ddoc.fetch()
        except NotFound:
            pass
        return ddoc

    def get_security_document(self) -> SecurityDocument:
        """Return the database's :class:`~cloudant.security_document.SecurityDocument`, fetched."""
        security = SecurityDocument(self)
        security.fetch()
        return security

    # -- _all_docs -----------------------------------------------------------------------------------------
    def all_docs(self, **kwargs: Any) -> JsonObject:
        """Query ``_all_docs``: ``GET /{db}/_all_docs``, or ``POST`` with ``{"keys": [...]}`` when ``keys`` is given.

        :param kwargs: view options: ``include_docs``, ``limit``, ``skip``,
            ``startkey``, ``endkey``, ``key``, ``keys``, ``descending``, ...
        :returns: the raw JSON response (``total_rows``, ``offset``, ``rows``).
        :raises CloudantArgumentError: for an unknown or ill-typed option, before any request.
        """
        return cast(JsonObject, query_view(self._endpoint.child("_all_docs"), kwargs))

    @contextlib.contextmanager
    def custom_result(self, **options: Any) -> Iterator[Result]:
        """A context manager yielding ``Result(self.all_docs, **options)``; nothing is sent until it is used."""
        yield Result(self.all_docs, **options)

    def _rows(self, **options: Any) -> Iterator[JsonObject]:
        """Every ``_all_docs`` row, read page by page through the one paging engine."""
        return iter(Result(self.all_docs, **options))

    # -- the dict protocol ---------------------------------------------------------------------------------
    def keys(self, remote: bool = False) -> List[str]:  # type: ignore[override]
        """Return the cached document ids, or with ``remote=True`` every id in the database.

        .. versionchanged:: 3.0
           ``remote=True`` reads ``_all_docs`` page by page instead of in one response.
        """
        if not remote:
            return list(dict.keys(self))
        return [row["id"] for row in self._rows(page_size=max(self._fetch_limit, _KEYS_PAGE_SIZE))]

    def __getitem__(self, key: str) -> Document:
        """Return the document ``key``: from the cache, or fetched with one ``GET`` and cached.

        :raises KeyError: when the document does not exist.
        :raises CloudantArgumentError: code 137, as python-cloudant did, for an
            id starting with ``_`` other than ``_design/x`` or ``_local/x``.

        .. versionchanged:: 3.0
           One ``GET`` (python-cloudant sent ``HEAD`` first).
        """
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            pass
        if not _possible_id(key):
            raise KeyError(key)
        try:
            doc = self._document_class(key)(self, key)
            doc.fetch()
        except NotFound as err:
            raise KeyError(key) from err
        super().__setitem__(key, doc)
        return doc

    def __contains__(self, key: object) -> bool:
        """True when ``key`` is cached or the document exists (one ``HEAD``; the answer is not cached).

        :raises CloudantArgumentError: code 137 for a reserved id, as :meth:`__getitem__`.
        """
        if dict.__contains__(self, key):
            return True
        if not _possible_id(key):
            return False
        return Document(self, key).exists()  # type: ignore[arg-type]

    def get(self, key: str, remote: bool = False, default: Any = None) -> Any:  # type: ignore[override]
        """Return the cached document ``key``, or ``default``; ``remote=True`` fetches (and caches) a missing one.

        The second parameter is ``remote``, as in python-cloudant (not ``default`` as for ``dict.get``).

        .. versionadded:: 3.0
           ``default``.
        """
        if not remote:
            return dict.get(self, key, default)
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self, remote: bool = True) -> Iterator[Document]:  # type: ignore[override]
        """Yield every document of the database, page by page; ``remote=False``: the cached ones.

        As in python-cloudant, each document yielded is also cached (replacing
        the cached object of the same id), so ``keys()`` lists them afterwards.

        .. versionchanged:: 3.0
           ``remote=False`` yields the cached documents (python-cloudant yielded nothing). One loop leaves at
           most :data:`ITERATION_CACHE_LIMIT` of the documents it read in the cache (the most recent ones), so
           iterating a large database keeps memory flat; python-cloudant kept every document, which exhausts
           memory on large databases. A document dropped from the cache is fetched again by ``db[id]``.
           Left at its default of 100, ``fetch_limit`` sizes the first page only; the next ones hold up to
           1,000 documents, fewer for large documents (see ``cloudant._iteration``), and each is read while
           the previous one is iterated (:attr:`cloudant.result.Result.read_ahead`).
        """
        if not remote:
            return iter(list(dict.values(self)))
        return _iteration.documents(self, ITERATION_CACHE_LIMIT)

    # -- feeds ---------------------------------------------------------------------------------------------
    def changes(self, raw_data: bool = False, **kwargs: Any) -> Feed:
        """Return a :class:`~cloudant.feed.Feed` over ``_changes``."""
        return Feed(self, raw_data, **kwargs)

    def infinite_changes(self, **kwargs: Any) -> InfiniteFeed:
        """Return an :class:`~cloudant.feed.InfiniteFeed` over ``_changes``.

        ``checkpoint=`` (a file path or a store of :mod:`cloudant.checkpoint`) makes it resumable across
        restarts: at least once, with no gap.
        """
        return InfiniteFeed(self, **kwargs)

    def _feed_target(self) -> FeedTarget:
        return FeedTarget(self._endpoint.child("_changes"), CHANGES_ARGS, pass_through=True)

    # -- views, queries, indexes, list/show/update functions -----------------------------------------------
    # (the logic lives in cloudant.view, cloudant.design_document, cloudant.query and cloudant.index)
    def get_view_result(self, ddoc_id: str, view_name: str, raw_result: bool = False, **kwargs: Any) -> Any:
        """Query a view: one request's raw JSON (``raw_result=True``), else a lazy :class:`~cloudant.result.Result`.

        ``GET /{db}/_design/{ddoc}/_view/{view}`` (``POST`` with ``keys``).

        :param kwargs: view options (``startkey``, ``keys``, ``group_level``, ``include_docs``...) and
            ``page_size`` for the result.
        :raises CloudantArgumentError: for a bad option, 137 for a design document id that is not a non-empty
            string (2.15.0: ``TypeError``), 117 for such a view name; before any request.
        """
        return view_result(self, ddoc_id, view_name, None, raw_result, kwargs)

    def get_partitioned_view_result(self, partition_key: str, ddoc_id: str, view_name: str,
                                    raw_result: bool = False, **kwargs: Any) -> Any:
        """As :meth:`get_view_result`, within one partition (``/{db}/_partition/{key}/_design/...``)."""
        return view_result(self, ddoc_id, view_name, partition_key, raw_result, kwargs)

    def get_list_function_result(self, ddoc_id: str, list_name: str, view_name: str, **kwargs: Any) -> str:
        """Run a list function over a view and return its output as text.

        ``GET /{db}/_design/{ddoc}/_list/{list}/{view}`` with view options (``POST`` with ``keys``).
        """
        return list_function_result(self, ddoc_id, list_name, view_name, kwargs)

    def get_show_function_result(self, ddoc_id: str, show_name: str, doc_id: Optional[str] = None) -> str:
        """Run a show function and return its output as text (``GET /{db}/_design/{ddoc}/_show/{show}/{doc_id}``).

        .. versionchanged:: 3.0
           The document id is quoted; without one the function runs with no document.
        """
        return show_function_result(self, ddoc_id, show_name, doc_id)

    def update_handler_result(self, ddoc_id: str, handler_name: str, doc_id: Optional[str] = None,
                              data: Any = None, **params: Any) -> str:
        """Run an update handler and return its output as text.

        ``PUT /{db}/_design/{ddoc}/_update/{handler}/{doc_id}``, or ``POST`` without a document id;
        ``params`` go in the query string, ``data`` is the raw body (a dict is form-encoded).
        """
        return update_handler_result(self, ddoc_id, handler_name, doc_id, data, params)

    def get_query_indexes(self, raw_result: bool = False) -> Any:
        """Return the Mango indexes (``GET /{db}/_index``) as :class:`~cloudant.index.Index` objects, or raw JSON."""
        return list_indexes(self, raw_result)

    def create_query_index(self, design_document_id: Optional[str] = None, index_name: Optional[str] = None,
                           index_type: str = "json", partitioned: Optional[bool] = None, **kwargs: Any) -> Index:
        """Create a Mango index (``POST /{db}/_index``) and return it; ``kwargs`` are its definition (``fields``...).

        :raises CloudantArgumentError: code 103 for a type other than ``json``/``text``, 117 for a
            ``partitioned`` that is neither a bool nor ``None``; before any request.
        """
        check_partitioned(partitioned)
        return create_index(self, design_document_id, index_name, index_type, partitioned, **kwargs)

    def delete_query_index(self, design_document_id: str, index_type: str, index_name: str) -> None:
        """Delete a Mango index (``DELETE /{db}/_index/{ddoc}/{type}/{name}``)."""
        delete_index(self, design_document_id, index_type, index_name)

    def get_query_result(self, selector: Dict[str, Any], fields: Optional[List[str]] = None,
                         raw_result: bool = False, **kwargs: Any) -> Any:
        """Run a Mango query: the raw JSON of one ``POST /{db}/_find`` (``raw_result=True``), else a
        :class:`~cloudant.result.QueryResult` that pages by bookmark.

        :param kwargs: ``sort``, ``limit``, ``skip``, ``bookmark``, ``use_index``, ``r``, CouchDB 3's
            ``execution_stats``, ``conflicts``, ``stable``, ``update``, and ``page_size`` for the result.
        """
        return query_result(self, None, selector, fields, raw_result, kwargs)

    def get_partitioned_query_result(self, partition_key: str, selector: Dict[str, Any],
                                     fields: Optional[List[str]] = None, raw_result: bool = False,
                                     **kwargs: Any) -> Any:
        """As :meth:`get_query_result`, within one partition (``POST /{db}/_partition/{key}/_find``)."""
        return query_result(self, partition_key, selector, fields, raw_result, kwargs)


def _possible_id(key: object) -> bool:
    """False for a key no document can have (not a string, or empty).

    :raises CloudantArgumentError: code 137 for an id CouchDB reserves, as python-cloudant did.
    """
    if not isinstance(key, str) or not key:
        return False
    check_document_id(key)
    return True


class CloudantDatabase(CouchDatabase):
    """A database on IBM Cloudant: :class:`CouchDatabase` plus sharing and shard information."""

    @property
    def security_url(self) -> str:
        """The URL of Cloudant's security endpoint: ``{server}/_api/v2/db/{db}/_security`` (name quoted).

        .. versionchanged:: 3.0
           The database name is quoted.
        """
        return self._security_endpoint().url

    def _security_endpoint(self) -> Endpoint:
        return self.client._endpoint.child("_api", "v2", "db", self.database_name, "_security")

    def security_document(self) -> JsonObject:
        """Return the security object as a plain ``dict`` (``GET /{db}/_security``)."""
        return dict(self.get_security_document())

    def share_database(self, username: str, roles: Optional[Sequence[str]] = None) -> JsonObject:
        """Give ``username`` (a user or API key) ``roles`` on the database (``PUT /_api/v2/db/{db}/_security``).

        :param str username: the user name or API key.
        :param list roles: from ``_reader``, ``_writer``, ``_admin``,
            ``_replicator``, ``_db_updates``, ``_design``, ``_shards``,
            ``_security``. Default ``["_reader"]``.
        :raises CloudantArgumentError: code 102 for an unknown role, before any request.

        .. versionchanged:: 3.0
           The roles keep their order (python-cloudant went through a set).
        """
        roles = list(roles) if roles is not None else ["_reader"]
        if not roles or any(role not in SHARE_ROLES for role in roles):
            raise CloudantArgumentError(102, roles, list(SHARE_ROLES))
        check_type("username", username, (str,))
        security = self.security_document()
        sharing = dict(security.get("cloudant") or {})
        sharing[username] = list(dict.fromkeys(roles))
        security["cloudant"] = sharing
        return cast(JsonObject, self._security_endpoint().json("PUT", json_body=security))

    def unshare_database(self, username: str) -> JsonObject:
        """Take every role on the database away from ``username`` (``PUT /_api/v2/db/{db}/_security``)."""
        check_type("username", username, (str,))
        security = self.security_document()
        sharing = dict(security.get("cloudant") or {})
        sharing.pop(username, None)
        security["cloudant"] = sharing
        return cast(JsonObject, self._security_endpoint().json("PUT", json_body=security))

    # -- search (the logic lives in cloudant.query) -----------------------------------------------------
    def get_search_result(self, ddoc_id: str, index_name: str, **query_params: Any) -> JsonObject:
        """Run a search (``POST /{db}/_design/{ddoc}/_search/{index}``) and return the raw JSON.

        :param query_params: ``query`` or ``q`` (exactly one), ``sort``, ``limit``, ``bookmark``,
            ``include_docs``, ``counts``, ``ranges``, ``drilldown``, ``group_field``, ``highlight_fields``...
        :raises CloudantArgumentError: 104 without exactly one of ``query``/``q``, 105 unknown, 106 wrong type.
        """
        return search(self, ddoc_id, index_name, None, **query_params)

    def get_partitioned_search_result(self, partition_key: str, ddoc_id: str, index_name: str,
                                      **query_params: Any) -> JsonObject:
        """As :meth:`get_search_result`, within one partition (``/{db}/_partition/{key}/_design/...``)."""
        return search(self, ddoc_id, index_name, partition_key, **query_params)

    def get_search_analyze(self, analyzer: Any, text: str) -> JsonObject:
        """Tokenize ``text`` with a search analyzer (``POST /_search_analyze``); returns ``{"tokens": [...]}``."""
        return search_analyze(self.client, analyzer, text)

    search_analyze = get_search_analyze
