"""MapReduce views: :class:`View` (a JavaScript view) and :class:`QueryIndexView` (a Mango JSON index).

A view is a ``dict`` holding its definition (``map``, ``reduce``, ``options``)
as it sits in its design document, and a callable that queries it::

    view = View(ddoc, "by_total")
    view(startkey=10, endkey=20, include_docs=True)   # one request, the raw JSON
    for row in view.result:                          # every row, page by page
        ...

Query options are checked and converted by ``cloudant._params.view_params()``
before anything is sent: keys are JSON-encoded with the client's encoder,
booleans become ``true``/``false`` and ``keys`` travels in a ``POST`` body.
"""
from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, Literal, Mapping, NoReturn, Optional, Type, cast, overload

import requests

from ._endpoint import Endpoint
from ._params import STR, check_document_id, check_partition_key, check_type, view_params
from ._types import JsonObject, JsonValue, SessionOwner
from .error import CloudantArgumentError, CloudantViewException
from .result import Result

if TYPE_CHECKING:
    from .client import CouchDB
    from .design_document import DesignDocument

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["View", "QueryIndexView"]


class _Code(str):
    """JavaScript source code: a ``str`` marked as code (kept from python-cloudant)."""

    def __new__(cls, code: Any) -> _Code:
        return str.__new__(cls, code)


def codify(code_or_str: Any) -> Any:
    """Wrap JavaScript source as :class:`_Code`; ``None`` stays ``None``."""
    if code_or_str is None:
        return None
    return _Code(code_or_str)


class _OwnSession:
    """A client as an :class:`Endpoint` sees it, with another HTTP session: one a program set on an object."""

    __slots__ = ("_client", "r_session")

    def __init__(self, client: SessionOwner, r_session: Optional[requests.Session]) -> None:
        self._client = client
        self.r_session = r_session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class SessionAttribute:
    """The ``_r_session`` attribute of views, queries and indexes (python-cloudant's name).

    Reading it gives the client's current session (never a stale one); a
    session assigned to it is used for that object's requests from then on,
    as python-cloudant did with the session it captured.
    """

    def __get__(self, owner: Any, cls: Any = None) -> Any:
        if owner is None:
            return self
        own = owner.__dict__.get("_own_r_session")
        return own if own is not None else owner._client_of_session().r_session

    def __set__(self, owner: Any, session: Any) -> None:
        owner.__dict__["_own_r_session"] = session


def with_own_session(owner: Any, endpoint: Endpoint) -> Endpoint:
    """``endpoint``, sending through the session assigned to ``owner._r_session`` when there is one."""
    own = owner.__dict__.get("_own_r_session")
    if own is None:
        return endpoint
    return Endpoint(_OwnSession(endpoint.client, own), endpoint.url)


@overload
def query_view(endpoint: Endpoint, options: Mapping[str, Any], text: Literal[False] = False) -> JsonValue: ...


@overload
def query_view(endpoint: Endpoint, options: Mapping[str, Any], text: Literal[True]) -> str: ...


def query_view(endpoint: Endpoint, options: Mapping[str, Any], text: bool = False) -> Any:
    """Query a view-like endpoint (a view, ``_all_docs``, a list function) with view options.

    ``GET`` with the options in the query string, or ``POST`` with
    ``{"keys": [...]}`` as the body when ``keys`` is given.

    :param endpoint: the endpoint to query.
    :param options: view options (see :data:`cloudant._params.VIEW_ARGS`).
    :param bool text: return the body as text (list functions) instead of decoded JSON.
    :raises CloudantArgumentError: for an unknown option or a wrong type, before any request.
    """
    params = view_params(options, endpoint.client.encoder)
    keys = params.pop("keys", None)
    method, body = ("GET", {}) if keys is None else ("POST", json_request({"keys": keys}, endpoint.client.encoder))
    if text:
        return endpoint.text(method, params=params, **body)
    return endpoint.json(method, params=params, **body)


def json_request(body: Any, encoder: Optional[Type[json.JSONEncoder]]) -> Dict[str, Any]:
    """The ``data`` and ``headers`` of a JSON request body, as python-cloudant passed them to the session.

    The body is ``json.dumps(body, cls=encoder)`` (ASCII text: non-ASCII
    characters are escaped unless the encoder says otherwise, when it is sent as UTF-8).
    """
    text = json.dumps(body, cls=encoder)
    data: Any = text if text.isascii() else text.encode("utf-8")
    return {"data": data, "headers": {"Content-Type": "application/json"}}


def _check_function(name: str, js_func: Any) -> None:
    """``CloudantArgumentError(117)`` for JavaScript source that is neither a string nor ``None``."""
    if js_func is not None:
        check_type(name, js_func, STR)


class View(dict[str, Any]):  # subscripted builtin: the bases stay (dict,)
    """A JavaScript MapReduce view of a design document.

    :param ddoc: the :class:`~cloudant.design_document.DesignDocument` holding the view.
    :param str view_name: the view name.
    :param str map_func: the map function's JavaScript source.
    :param str reduce_func: the reduce function: JavaScript, or a built-in
        such as ``_count``, ``_sum``, ``_stats``, ``_approx_count_distinct``.
    :param str partition_key: query this partition only (``/{db}/_partition/{key}/...``).
    :param kwargs: further keys of the definition, e.g. ``options``.
    :raises CloudantArgumentError: code 117 for a view name that is not a non-empty string or a map or
        reduce function neither a string nor ``None`` (2.15.0 stored its ``str()``), 141 for an illegal
        partition key.

    .. versionchanged:: 3.0
       The session is read from the client at each call (not captured at
       construction), unless one is assigned to ``_r_session``; view and
       design document names are quoted in the URL.
    """

    _r_session = SessionAttribute()

    def __init__(self, ddoc: DesignDocument, view_name: str, map_func: Optional[str] = None,
                 reduce_func: Optional[str] = None, partition_key: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(view_name, str) or not view_name:
            raise CloudantArgumentError(117, "view_name", str)
        if partition_key is not None:
            check_partition_key(partition_key)
        _check_function("map_func", map_func)
        _check_function("reduce_func", reduce_func)
        self.design_doc = ddoc
        self.view_name = view_name
        self._partition_key = partition_key
        if map_func is not None:
            self["map"] = codify(map_func)
        if reduce_func is not None:
            self["reduce"] = codify(reduce_func)
        self.update(kwargs)
        #: Every row of the view, read page by page (a :class:`~cloudant.result.Result`).
        self.result: Optional[Result] = Result(self)

    def __repr__(self) -> str:
        return "<%s %s/%s %s>" % (type(self).__name__, self.design_doc.get("_id"), self.view_name,
                                  dict.__repr__(self))

    @property
    def map(self) -> Any:
        """The map function."""
        return self.get("map")

    @map.setter
    def map(self, js_func: Any) -> None:
        _check_function("map", js_func)
        self["map"] = codify(js_func)

    @property
    def reduce(self) -> Any:
        """The reduce function (JavaScript or a built-in such as ``_count``)."""
        return self.get("reduce")

    @reduce.setter
    def reduce(self, js_func: Any) -> None:
        _check_function("reduce", js_func)
        self["reduce"] = codify(js_func)

    @property
    def _endpoint(self) -> Endpoint:
        endpoint = self.design_doc._database._endpoint
        if self._partition_key is not None:
            endpoint = endpoint.child("_partition", self._partition_key)
        ddoc_id = check_document_id(self.design_doc.get("_id"))  # 137 for a design document without one
        return with_own_session(self, endpoint.document(ddoc_id, "_view", self.view_name))

    def _client_of_session(self) -> CouchDB:
        client: CouchDB = self.design_doc._database.client
        return client

    @property
    def url(self) -> str:
        """The view's URL: ``/{db}/_design/{ddoc}/_view/{view}``, or below ``/_partition/{key}``."""
        return self._endpoint.url

    def __call__(self, **kwargs: Any) -> Dict[str, Any]:
        """Query the view once and return the raw JSON (``rows``, ``total_rows``, ``offset``).

        ``GET /{db}/_design/{ddoc}/_view/{view}``, or ``POST`` with a
        ``{"keys": [...]}`` body when ``keys`` is given.

        :param kwargs: view options: ``key``, ``keys``, ``startkey``, ``endkey``,
            ``startkey_docid``, ``endkey_docid``, ``include_docs``, ``descending``,
            ``group``, ``group_level``, ``reduce``, ``limit``, ``skip``,
            ``inclusive_end``, ``stable``, ``update``, ``stale``...
        :returns: the decoded response.
        :raises CloudantArgumentError: for a bad option, before any request.
        :raises CloudantHTTPError: when the server refuses the query (e.g. a
            broken view: the server's ``error`` and ``reason`` are on the exception).
        """
        return cast(JsonObject, query_view(self._endpoint, kwargs))

    @contextlib.contextmanager
    def custom_result(self, **options: Any) -> Iterator[Result]:
        """Yield a :class:`~cloudant.result.Result` over the view with these options.

        Nothing is sent until the result is indexed, sliced or iterated::

            with view.custom_result(include_docs=True, page_size=500) as rows:
                for row in rows:
                    ...
        """
        yield Result(self, **options)


class QueryIndexView(View):
    """A Mango JSON index as stored in a ``language: "query"`` design document.

    :param ddoc: the design document holding it.
    :param str view_name: the index name.
    :param dict map_fields: the indexed fields, e.g. ``{"fields": {"name": "asc"}}``.
    :param str reduce_func: the reduce function, normally ``_count``.
    :param kwargs: further keys, e.g. ``options``.
    :raises CloudantArgumentError: code 132 when ``map_fields`` is not a dict,
        133 when ``reduce_func`` is not a str.

    It cannot be queried directly: use
    :meth:`~cloudant.database.CouchDatabase.get_query_result`.
    """

    def __init__(self, ddoc: DesignDocument, view_name: str, map_fields: Dict[str, Any], reduce_func: str,
                 **kwargs: Any) -> None:
        if not isinstance(map_fields, dict):
            raise CloudantArgumentError(132)
        if not isinstance(reduce_func, str):
            raise CloudantArgumentError(133)
        super().__init__(ddoc, view_name, **kwargs)
        self["map"] = map_fields
        self["reduce"] = reduce_func
        self.result = None

    @property
    def map(self) -> Any:
        """The indexed fields (a dict)."""
        return self.get("map")

    @map.setter
    def map(self, map_fields: Any) -> None:
        if not isinstance(map_fields, dict):
            raise CloudantArgumentError(132)
        self["map"] = map_fields

    @property
    def reduce(self) -> Any:
        """The reduce function (a str)."""
        return self.get("reduce")

    @reduce.setter
    def reduce(self, reduce_func: Any) -> None:
        if not isinstance(reduce_func, str):
            raise CloudantArgumentError(133)
        self["reduce"] = reduce_func

    def __call__(self, **kwargs: Any) -> Dict[str, Any]:
        """Not allowed: raises :class:`~cloudant.error.CloudantViewException` (101)."""
        raise CloudantViewException(101)

    def custom_result(self, **options: Any) -> NoReturn:
        """Not allowed: raises :class:`~cloudant.error.CloudantViewException` (102) at once."""
        raise CloudantViewException(102)
