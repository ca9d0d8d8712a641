"""Mango queries (:class:`Query`, ``POST /{db}/_find``) and search queries (``_search``).

A :class:`Query` is a ``dict`` holding the ``_find`` body and a callable that
sends it::

    query = Query(db, selector={"type": "order", "total": {"$gt": 10}}, fields=["_id", "total"])
    query(limit=10)["docs"]                   # one request
    for doc in query.result:                  # every match, bookmark by bookmark
        ...

Every key and type is checked before anything is sent. The search helpers at
the end serve :meth:`~cloudant.database.CloudantDatabase.get_search_result`.
"""
from __future__ import annotations

import contextlib
import functools
import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Type, Union

from ._endpoint import DESIGN_PREFIX, Endpoint
from ._types import JsonObject
from ._params import (LEGACY_QUERY_TYPES, LEGACY_SEARCH_TYPES, QUERY_ARGS, SEARCH_ARGS, check_partition_key,
                      check_type, design_document_id)
from .error import CloudantArgumentError
from .result import QueryResult, Result
from .view import SessionAttribute, json_request, with_own_session

if TYPE_CHECKING:
    from .client import CouchDB
    from .database import CouchDatabase

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["Query", "SearchResult"]

class Query(dict[str, Any]):
    """A Mango query of a database: the ``_find`` body, callable.

    :param database: the :class:`~cloudant.database.CouchDatabase`.
    :param str partition_key: query this partition only (``/{db}/_partition/{key}/_find``).
    :param kwargs: the body: ``selector`` (required), ``fields``, ``sort``,
        ``limit``, ``skip``, ``r``, ``bookmark``, ``use_index``, and CouchDB 3's
        ``execution_stats``, ``conflicts``, ``stable``, ``update``, ``allow_fallback``.
        ``fields=None`` is left out; keys and types are checked at each call.

    .. versionchanged:: 3.0
       Accepts CouchDB 3's ``execution_stats``, ``conflicts``, ``stable``,
       ``update`` and ``allow_fallback``, and ``use_index`` as a
       ``[ddoc, name]`` list; ``None`` values are not sent; new
       :meth:`explain`; the session and encoder are read from the client at
       each call, unless assigned to ``_r_session`` / ``_encoder``.
    """

    _r_session = SessionAttribute()

    def __init__(self, database: CouchDatabase, **kwargs: Any) -> None:
        super().__init__()
        partition_key = kwargs.pop("partition_key", None)
        if partition_key is not None:
            check_partition_key(partition_key)
        self._database = database
        self._partition_key = partition_key
        if "fields" in kwargs and kwargs["fields"] is None:
            del kwargs["fields"]
        self.update(kwargs)
        #: Every match, read bookmark by bookmark (a :class:`~cloudant.result.QueryResult`).
        self.result = QueryResult(self)

    def __repr__(self) -> str:
        return "<Query %s %s>" % (self._database.database_name, dict.__repr__(self))

    def _endpoint(self, action: str) -> Endpoint:
        endpoint = self._database._endpoint
        if self._partition_key is not None:
            endpoint = endpoint.child("_partition", self._partition_key)
        return with_own_session(self, endpoint.child(action))

    def _client_of_session(self) -> CouchDB:
        client: CouchDB = self._database.client
        return client

    @property
    def _encoder(self) -> Type[json.JSONEncoder]:
        """The JSON encoder of the body: the client's, unless one is assigned."""
        own: Optional[Type[json.JSONEncoder]] = self.__dict__.get("_own_encoder")
        encoder: Type[json.JSONEncoder] = own if own is not None else self._database.client.encoder
        return encoder

    @_encoder.setter
    def _encoder(self, encoder: Type[json.JSONEncoder]) -> None:
        self.__dict__["_own_encoder"] = encoder

    @property
    def url(self) -> str:
        """The ``_find`` URL (below ``/_partition/{key}`` for a partitioned query)."""
        return self._endpoint("_find").url

    def __call__(self, **kwargs: Any) -> JsonObject:
        """Run the query once (``POST /{db}/_find``) and return the raw JSON.

        :param kwargs: body keys overriding this query's for this call (e.g.
            ``limit``, ``skip``, ``bookmark``).
        :returns: ``{"docs": [...], "bookmark": ..., "warning": ..., "execution_stats": ...}``.
        :raises CloudantArgumentError: 129 for an unknown key, 130 for a wrong
            type, 131 for a missing or empty selector, before any request.
        """
        return self._post("_find", kwargs)

    def explain(self, **kwargs: Any) -> JsonObject:
        """Return how the server would run the query (``POST /{db}/_explain``): the index, the range, the options.

        :param kwargs: as for calling the query.
        :raises CloudantArgumentError: as for calling the query.
        """
        return self._post("_explain", kwargs)

    def _post(self, action: str, overrides: Mapping[str, Any]) -> JsonObject:
        body = dict(self)
        body.update(overrides)
        body = check_query(body)  # before the database is touched
        return self._endpoint(action).json_object("POST", **json_request(body, self._encoder))

    @contextlib.contextmanager
    def custom_result(self, **options: Any) -> Iterator[QueryResult]:
        """Yield a :class:`~cloudant.result.QueryResult` over this query with these options.

        Nothing is sent until the result is indexed, sliced or iterated.
        """
        yield QueryResult(self, **options)


def check_query(body: Mapping[str, Any], need_selector: bool = True) -> Dict[str, Any]:
    """Check a ``_find`` body and return it without its ``None`` values.

    :raises CloudantArgumentError: 129 unknown key, 130 wrong type (naming
        python-cloudant's type for the keys it knew), 146 a malformed
        ``use_index`` list, 131 no selector.
    """
    checked = _checked_against(body, QUERY_ARGS, LEGACY_QUERY_TYPES, unknown_code=129, type_code=130)
    use_index = checked.get("use_index")
    if isinstance(use_index, (list, tuple)):
        if not 1 <= len(use_index) <= 2 or not all(isinstance(part, str) and part for part in use_index):
            raise CloudantArgumentError(146, use_index)
        checked["use_index"] = list(use_index)
    if need_selector and not checked.get("selector"):
        raise CloudantArgumentError(131)
    return checked


# -- search -------------------------------------------------------------------------------------------------
def check_search(params: Mapping[str, Any]) -> Dict[str, Any]:
    """Check search parameters and return them without their ``None`` values.

    Exactly one of ``query`` and ``q`` must be given (a non-empty str, or an int).

    :raises CloudantArgumentError: 104 without exactly one of ``query``/``q``,
        105 an unknown parameter, 106 a wrong type.
    """
    given = [key for key in ("query", "q") if params.get(key) is not None]
    if len(given) != 1 or params[given[0]] == "":
        raise CloudantArgumentError(104, dict(params))
    return _checked_against(params, SEARCH_ARGS, LEGACY_SEARCH_TYPES, unknown_code=105, type_code=106)


def _checked_against(options: Mapping[str, Any], table: Mapping[str, Any], shown: Mapping[str, Any],
                     unknown_code: int, type_code: int) -> Dict[str, Any]:
    """``options`` without ``None`` values, each a name of ``table`` with a value of its types.

    A type error names the types of ``shown`` (python-cloudant's table) for the names it holds.
    """
    checked = {key: value for key, value in options.items() if value is not None}
    for key, value in checked.items():
        types = table.get(key)
        if types is None:
            raise CloudantArgumentError(unknown_code, key)
        check_type(key, value, types, code=type_code, shown=shown.get(key))
    return checked


def search_endpoint(database: CouchDatabase, ddoc_id: str, index_name: str,
                    partition_key: Optional[str] = None) -> Endpoint:
    """The ``_search`` endpoint of an index (below ``/_partition/{key}`` when a key is given)."""
    endpoint = database._endpoint
    if partition_key is not None:
        endpoint = endpoint.child("_partition", check_partition_key(partition_key))
    return endpoint.document(design_id(ddoc_id), "_search", _name(index_name))


def search(database: CouchDatabase, ddoc_id: str, index_name: str, partition_key: Optional[str] = None,
           **params: Any) -> JsonObject:
    """Run a search once: ``POST /{db}/_design/{ddoc}/_search/{index}`` with the parameters as a JSON body.

    :returns: ``{"total_rows", "bookmark", "rows": [...]}`` plus ``counts``,
        ``ranges``, ``groups`` when asked for.
    :raises CloudantArgumentError: see :func:`check_search`; nothing is sent.
    """
    body = check_search(params)
    endpoint = search_endpoint(database, ddoc_id, index_name, partition_key)
    return endpoint.json_object("POST", **json_request(body, endpoint.client.encoder))


class SearchResult(QueryResult):
    """The rows of a search, read bookmark by bookmark: indexable by position, sliceable, iterable.

    ::

        for row in SearchResult(db, "ddoc", "animals", query="class:mammal", include_docs=True, page_size=50):
            ...

    :param database: the :class:`~cloudant.database.CloudantDatabase`.
    :param str ddoc_id: the design document holding the index.
    :param str index_name: the search index.
    :param str partition_key: search this partition only.
    :param int page_size: rows per request (at most 200 for a global search). Default 100.
    :param options: search parameters (``query`` or ``q``, ``sort``, ``include_docs``,
        ``limit``, ``bookmark``...), checked here, before any request.
    """

    _rows_field = "rows"
    _iteration_forbids = ()  # a search's limit caps the rows iterated

    def __init__(self, database: CouchDatabase, ddoc_id: str, index_name: str, partition_key: Optional[str] = None,
                 **options: Any) -> None:
        page_size = options.pop("page_size", None)
        check_search(options)
        fetch = functools.partial(search, database, ddoc_id, index_name, partition_key)
        search_endpoint(database, ddoc_id, index_name, partition_key)  # names checked now, not at the first page
        if page_size is not None:
            options["page_size"] = page_size
        Result.__init__(self, fetch, **options)  # not QueryResult's: "query" is one of the options here


def search_analyze(client: CouchDB, analyzer: Any, text: str) -> JsonObject:
    """Tokenize ``text`` with a search analyzer (``POST /_search_analyze``); returns ``{"tokens": [...]}``.

    :param analyzer: an analyzer name such as ``"standard"``, ``"keyword"``, ``"english"``.
    :param str text: the text to tokenize.
    """
    check_type("analyzer", analyzer, (str, dict), code=106)
    check_type("text", text, (str,), code=106)
    return client._endpoint.child("_search_analyze").json_object("POST", json_body={"analyzer": analyzer,
                                                                                     "text": text})


def design_id(ddoc_id: Any) -> str:
    """Return ``ddoc_id`` with its ``_design/`` prefix (added when missing).

    :raises CloudantArgumentError: code 122 for an id that is not a non-empty str.
    """
    if not isinstance(ddoc_id, str) or not ddoc_id or ddoc_id == DESIGN_PREFIX:
        raise CloudantArgumentError(122, ddoc_id)
    return design_document_id(ddoc_id)


def _name(index_name: Any) -> str:
    if not isinstance(index_name, str) or not index_name:
        raise CloudantArgumentError(123, index_name)
    return index_name


def query_result(database: CouchDatabase, partition_key: Optional[str], selector: Dict[str, Any],
                 fields: Optional[List[str]], raw_result: bool,
                 options: Dict[str, Any]) -> Union[JsonObject, QueryResult]:
    """What ``get_query_result`` returns: one request's JSON, a :class:`QueryResult`, or ``query.result``."""
    query = Query(database, selector=selector, fields=fields, partition_key=partition_key)
    if raw_result:
        return query(**options)
    if options:
        return QueryResult(query, **options)
    return query.result
