"""MapReduce views: :class:`View` (a JavaScript view) and :class:`QueryIndexView` (a Mango JSON index).

A view is a ``dict`` holding its definition (``map``, ``reduce``, ``options``)
as it sits in its design document, and a callable that queries it::

    view = View(ddoc, "by_total")
    view(startkey=10, endkey=20, include_docs=True)   # one request, the raw JSON
    for row in view.result:                          # every row, page by page
        ...

Query options are checked and converted by :func:`cloudant._params.view_params`
before anything is sent: keys are JSON-encoded with the client's encoder,
booleans become ``true``/``false`` and ``keys`` travels in a ``POST`` body.
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Mapping, Optional

from ._endpoint import Endpoint
from ._params import check_partition_key, view_params
from .error import CloudantArgumentError, CloudantViewException
from .result import Result

__all__ = ["View", "QueryIndexView"]

# Options that only make sense on a view with a reduce function (CouchDB answers 400 otherwise, pouchdb-server
# silently ignores them and returns the map rows).
_REDUCE_OPTIONS = ("reduce", "group", "group_level")


class _Code(str):
    """JavaScript source code: a ``str`` marked as code (kept from python-cloudant)."""


def codify(code: Any) -> Any:
    """Wrap JavaScript source as :class:`_Code`; ``None`` stays ``None``."""
    if code is None:
        return None
    return _Code(code)


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
    method, body = ("GET", None) if keys is None else ("POST", {"keys": keys})
    if text:
        return endpoint.text(method, params=params, json_body=body)
    return endpoint.json(method, params=params, json_body=body)


class View(dict):
    """A JavaScript MapReduce view of a design document.

    :param ddoc: the :class:`~cloudant.design_document.DesignDocument` holding the view.
    :param str view_name: the view name.
    :param str map_func: the map function's JavaScript source.
    :param str reduce_func: the reduce function: JavaScript, or a built-in
        such as ``_count``, ``_sum``, ``_stats``, ``_approx_count_distinct``.
    :param str partition_key: query this partition only (``/{db}/_partition/{key}/...``).
    :param kwargs: further keys of the definition, e.g. ``options``.
    :raises CloudantArgumentError: for an empty view name or an illegal partition key.

    .. versionchanged:: 3.0
       The session is read from the client at each call (not captured at
       construction); view and design document names are quoted in the URL;
       ``reduce``/``group``/``group_level`` on a view known to have no reduce
       function raise :class:`CloudantArgumentError` (144) before the request.
    """

    def __init__(self, ddoc: Any, view_name: str, map_func: Optional[str] = None,
                 reduce_func: Optional[str] = None, partition_key: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(view_name, str) or not view_name:
            raise CloudantArgumentError(117, "view_name", str)
        if partition_key is not None:
            check_partition_key(partition_key)
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
        self["map"] = codify(js_func)

    @property
    def reduce(self) -> Any:
        """The reduce function (JavaScript or a built-in such as ``_count``)."""
        return self.get("reduce")

    @reduce.setter
    def reduce(self, js_func: Any) -> None:
        self["reduce"] = codify(js_func)

    @property
    def _endpoint(self) -> Endpoint:
        endpoint = self.design_doc._database._endpoint
        if self._partition_key is not None:
            endpoint = endpoint.child("_partition", self._partition_key)
        return endpoint.document(self.design_doc["_id"], "_view", self.view_name)

    @property
    def _r_session(self) -> Any:
        """The client's current HTTP session (read at each call, never a stale one)."""
        return self.design_doc._database.client.r_session

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
        self._check_reduce_options(kwargs)
        return query_view(self._endpoint, kwargs)

    def _check_reduce_options(self, options: Mapping[str, Any]) -> None:
        """Refuse reduce-only options when the definition is known to have no reduce function."""
        if self.get("map") is None or self.get("reduce"):
            return  # the definition is unknown (a view built by name) or has a reduce function
        for name in _REDUCE_OPTIONS:
            value = options.get(name)
            if value is True or (name == "group_level" and value is not None):
                raise CloudantArgumentError(144, self.view_name, "%s=%r" % (name, value))

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

    def __init__(self, ddoc: Any, view_name: str, map_fields: Dict[str, Any], reduce_func: str,
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
        """Not allowed: raises :class:`CloudantViewException` (101)."""
        raise CloudantViewException(101)

    def custom_result(self, **options: Any) -> Any:
        """Not allowed: raises :class:`CloudantViewException` (102) at once."""
        raise CloudantViewException(102)


def view_result(database: Any, ddoc_id: str, view_name: str, partition_key: Optional[str], raw_result: bool,
                options: Dict[str, Any]) -> Any:
    """What ``get_view_result`` returns: one request's JSON, a :class:`Result` with options, or ``view.result``.

    :param options: view options, plus ``page_size`` for a result (not allowed with ``raw_result``).
    """
    from .design_document import DesignDocument  # imported here: design documents are built on views

    view = View(DesignDocument(database, ddoc_id), view_name, partition_key=partition_key)
    if raw_result:
        return view(**options)
    if options:
        return Result(view, **options)
    return view.result
