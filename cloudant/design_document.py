"""Design documents: :class:`DesignDocument` holds views, search indexes, list/show/update functions and more.

A design document is a :class:`~cloudant.document.Document` whose ``_id``
starts with ``_design/``. Its ``views`` are :class:`~cloudant.view.View`
objects (or :class:`~cloudant.view.QueryIndexView` in a Mango design document,
``language: "query"``), so a fetched view can be queried at once::

    ddoc = DesignDocument(db, "orders")
    ddoc.add_view("by_total", "function (doc) { emit(doc.total, 1); }", "_count")
    ddoc.save()
    ddoc.get_view("by_total")(group=True)

Everything but :meth:`~DesignDocument.fetch`, :meth:`~DesignDocument.save`,
:meth:`~DesignDocument.info`, :meth:`~DesignDocument.search_info` and
:meth:`~DesignDocument.search_disk_size` works on the local content only.
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple, cast

from ._endpoint import DESIGN_PREFIX, Endpoint
from ._params import (STR, bool_text, check_document_id, check_partition_key, check_partitioned, check_type,
                      design_document_id)
from .document import Document
from .error import CloudantArgumentError, CloudantDesignDocumentException
from .result import Result
from ._types import JsonObject
from .view import QueryIndexView, View, codify, query_view

if TYPE_CHECKING:
    from .database import CouchDatabase

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["DesignDocument"]

QUERY_LANGUAGE = "query"
# Kept present locally (empty when the server has none) and left out of the saved body when empty.
_NESTED = ("views", "indexes", "lists", "shows")


class DesignDocument(Document):
    """A design document: views, search indexes, list, show and update functions, filters, validation.

    :param database: the :class:`~cloudant.database.CouchDatabase` it belongs to.
    :param str document_id: the id; ``_design/`` is prepended when missing.
    :param bool partitioned: mark the design document partitioned
        (``options.partitioned``; for a partitioned database). Default False.
    :raises CloudantArgumentError: code 137 for an invalid id (e.g. ``_design/`` alone), 117 for a
        ``partitioned`` that is neither a bool nor ``None``.

    .. versionchanged:: 3.0
       Names are quoted in every URL; ``partitioned`` must be a bool or ``None`` (2.15.0 marked the design
       document partitioned for any true value).
    """

    def __init__(self, database: CouchDatabase, document_id: Optional[str] = None, partitioned: bool = False) -> None:
        check_partitioned(partitioned)
        super().__init__(database, _design_id(document_id) if document_id else None)
        self.setdefault("options", {"partitioned": bool(partitioned)})
        for name in _NESTED:
            self.setdefault(name, {})
        self._remember_synced()  # the defaults above are not unsaved edits

    def __setitem__(self, key: str, value: Any) -> None:
        """Set a key; an ``_id`` without the ``_design/`` prefix gets it."""
        if key == "_id" and isinstance(value, str):
            value = design_document_id(value)
        super().__setitem__(key, value)

    # -- accessors -----------------------------------------------------------------------------------------
    @property
    def validate_doc_update(self) -> Any:
        """The ``validate_doc_update`` function, or ``None``."""
        return self.get("validate_doc_update")

    @property
    def filters(self) -> Any:
        """The ``filters`` (name → JavaScript) for ``_changes``, or ``None``."""
        return self.get("filters")

    @property
    def updates(self) -> Any:
        """The update handlers (name → JavaScript), or ``None``."""
        return self.get("updates")

    @property
    def st_indexes(self) -> Any:
        """The Cloudant Geo indexes, or ``None``."""
        return self.get("st_indexes")

    @property
    def lists(self) -> Any:
        """The list functions (name → JavaScript)."""
        return self.get("lists")

    @property
    def shows(self) -> Any:
        """The show functions (name → JavaScript)."""
        return self.get("shows")

    @property
    def rewrites(self) -> Any:
        """The rewrite rules, or ``None``."""
        return self.get("rewrites")

    @property
    def views(self) -> Any:
        """The views (name → :class:`~cloudant.view.View`)."""
        return self.get("views")

    @property
    def indexes(self) -> Any:
        """The search indexes (name → ``{"index": ..., "analyzer": ...}``)."""
        return self.get("indexes")

    def document_partition_url(self, partition_key: str) -> str:
        """Return ``/{db}/_partition/{partition_key}/_design/{ddoc}``."""
        check_partition_key(partition_key)
        return self._database._endpoint.child("_partition", partition_key).document(self["_id"]).url

    # -- views ---------------------------------------------------------------------------------------------
    def add_view(self, view_name: str, map_func: str, reduce_func: Optional[str] = None, **kwargs: Any) -> None:
        """Add a MapReduce view (use ``create_query_index`` for a Mango index).

        :raises CloudantArgumentError: code 107 when the view exists; 117 for a view name that is not a
            non-empty string, a ``map_func`` that is not a string or a ``reduce_func`` neither a string nor
            ``None`` (2.15.0 accepted them, and the next :meth:`save` got a 400).
        :raises CloudantDesignDocumentException: code 101 in a Mango design document.
        """
        _check_name("view_name", view_name)
        if self.get_view(view_name) is not None:
            raise CloudantArgumentError(107, view_name, self.get("_id"))
        if self.get("language") == QUERY_LANGUAGE:
            raise CloudantDesignDocumentException(101)
        self._section("views")[view_name] = View(self, view_name, *_view_functions(map_func, reduce_func), **kwargs)

    def update_view(self, view_name: str, map_func: str, reduce_func: Optional[str] = None, **kwargs: Any) -> None:
        """Replace a MapReduce view.

        :raises CloudantArgumentError: code 111 when the view does not exist; 117 as :meth:`add_view`.
        :raises CloudantDesignDocumentException: code 102 for a Mango index view.
        """
        _check_name("view_name", view_name)
        view = self.get_view(view_name)
        if view is None:
            raise CloudantArgumentError(111, view_name, self.get("_id"))
        if isinstance(view, QueryIndexView):
            raise CloudantDesignDocumentException(102)
        self._section("views")[view_name] = View(self, view_name, *_view_functions(map_func, reduce_func), **kwargs)

    def delete_view(self, view_name: str) -> None:
        """Remove a view; a missing one is fine.

        :raises CloudantDesignDocumentException: code 103 for a Mango index view.
        """
        view = self.get_view(view_name)
        if view is None:
            return
        if isinstance(view, QueryIndexView):
            raise CloudantDesignDocumentException(103)
        del self.views[view_name]

    # -- search indexes ------------------------------------------------------------------------------------
    def add_search_index(self, index_name: str, search_func: str, analyzer: Any = None) -> None:
        """Add a search index.

        :param analyzer: an analyzer name or definition (``{"name": "perfield", ...}``).
        :raises CloudantArgumentError: code 108 when the index exists; 123 for a name that is not a
            non-empty string, 117 for an ``analyzer`` neither a string, a dict nor ``None``.
        :raises CloudantDesignDocumentException: code 106 for a ``search_func`` that is not a string
            (2.15.0 stored its ``str()``).
        """
        _index_name(index_name)
        if self.get_index(index_name) is not None:
            raise CloudantArgumentError(108, index_name, self.get("_id"))
        self._section("indexes")[index_name] = _search_index(search_func, analyzer, index_name)

    def update_search_index(self, index_name: str, search_func: str, analyzer: Any = None) -> None:
        """Replace a search index.

        :raises CloudantArgumentError: code 112 when the index does not exist; 123 and 117 as :meth:`add_search_index`.
        :raises CloudantDesignDocumentException: code 106 as :meth:`add_search_index`.
        """
        _index_name(index_name)
        if self.get_index(index_name) is None:
            raise CloudantArgumentError(112, index_name, self.get("_id"))
        self._section("indexes")[index_name] = _search_index(search_func, analyzer, index_name)

    def delete_index(self, index_name: str) -> None:
        """Remove a search index; a missing one is fine."""
        if self.get_index(index_name) is not None:
            del self.indexes[index_name]

    # -- list and show functions ---------------------------------------------------------------------------
    def add_list_function(self, list_name: str, list_func: str) -> None:
        """Add a list function.

        :raises CloudantArgumentError: code 109 when it exists; 117 for a name or function that is not a
            (non-empty) string.
        """
        _check_function("list", list_name, list_func)
        if self.get_list_function(list_name) is not None:
            raise CloudantArgumentError(109, list_name, self.get("_id"))
        self._section("lists")[list_name] = codify(list_func)

    def update_list_function(self, list_name: str, list_func: str) -> None:
        """Replace a list function.

        :raises CloudantArgumentError: code 113 when it does not exist; 117 as :meth:`add_list_function`.
        """
        _check_function("list", list_name, list_func)
        if self.get_list_function(list_name) is None:
            raise CloudantArgumentError(113, list_name, self.get("_id"))
        self._section("lists")[list_name] = codify(list_func)

    def delete_list_function(self, list_name: str) -> None:
        """Remove a list function.

        :raises KeyError: when there is no list function of that name (unlike
            the other ``delete_*`` methods, as in python-cloudant).
        """
        del self._section("lists")[list_name]

    def add_show_function(self, show_name: str, show_func: str) -> None:
        """Add a show function.

        :raises CloudantArgumentError: code 110 when it exists; 117 for a name or function that is not a
            (non-empty) string.
        """
        _check_function("show", show_name, show_func)
        if self.get_show_function(show_name) is not None:
            raise CloudantArgumentError(110, show_name, self.get("_id"))
        self._section("shows")[show_name] = show_func

    def update_show_function(self, show_name: str, show_func: str) -> None:
        """Replace a show function.

        :raises CloudantArgumentError: code 114 when it does not exist; 117 as :meth:`add_show_function`.
        """
        _check_function("show", show_name, show_func)
        if self.get_show_function(show_name) is None:
            raise CloudantArgumentError(114, show_name, self.get("_id"))
        self._section("shows")[show_name] = show_func

    def delete_show_function(self, show_name: str) -> None:
        """Remove a show function; a missing one is fine."""
        if self.get_show_function(show_name) is not None:
            del self.shows[show_name]

    # -- listing -------------------------------------------------------------------------------------------
    def iterviews(self) -> Iterator[Tuple[str, Any]]:
        """Yield ``(name, view)`` for each view."""
        yield from (self.views or {}).items()

    def iterindexes(self) -> Iterator[Tuple[str, Any]]:
        """Yield ``(name, definition)`` for each search index."""
        yield from (self.indexes or {}).items()

    def iterlists(self) -> Iterator[Tuple[str, Any]]:
        """Yield ``(name, function)`` for each list function."""
        yield from (self.lists or {}).items()

    def itershows(self) -> Iterator[Tuple[str, Any]]:
        """Yield ``(name, function)`` for each show function."""
        yield from (self.shows or {}).items()

    def list_views(self) -> List[str]:
        """Return the view names."""
        return list(self.views or {})

    def list_indexes(self) -> List[str]:
        """Return the search index names."""
        return list(self.indexes or {})

    def list_list_functions(self) -> List[str]:
        """Return the list function names."""
        return list(self.lists or {})

    def list_show_functions(self) -> List[str]:
        """Return the show function names."""
        return list(self.shows or {})

    def get_view(self, view_name: str) -> Any:
        """Return the view of that name, or ``None``."""
        return (self.views or {}).get(view_name)

    def get_index(self, index_name: str) -> Any:
        """Return the search index of that name, or ``None``."""
        return (self.indexes or {}).get(index_name)

    def get_list_function(self, list_name: str) -> Any:
        """Return the list function of that name, or ``None``."""
        return (self.lists or {}).get(list_name)

    def get_show_function(self, show_name: str) -> Any:
        """Return the show function of that name, or ``None``."""
        return (self.shows or {}).get(show_name)

    def _section(self, name: str) -> Dict[str, Any]:
        """The sub-dict ``name``, created when missing or ``None``."""
        section = self.get(name)
        if section is None:
            section = {}
            dict.__setitem__(self, name, section)
        return section

    # -- server --------------------------------------------------------------------------------------------
    def fetch(self) -> None:
        """Replace the local content with the server's; views become :class:`~cloudant.view.View` objects.

        ``GET /{db}/_design/{ddoc}``.

        :raises NotFound: when the design document does not exist.
        """
        super().fetch()
        self._wrap_views()
        for name in _NESTED:
            if self.get(name) is None:
                dict.__setitem__(self, name, {})

    def _wrap_views(self) -> None:
        views = self.get("views")
        if not isinstance(views, dict):
            return
        query = self.get("language") == QUERY_LANGUAGE
        for name, definition in list(views.items()):
            if not isinstance(definition, dict):
                continue
            rest = dict(definition)
            map_part, reduce_part = rest.pop("map", None), rest.pop("reduce", None)
            try:
                if query:
                    views[name] = QueryIndexView(self, name, map_part, reduce_part, **rest)
                else:
                    views[name] = View(self, name, map_part, reduce_part, **rest)
            except CloudantArgumentError:
                pass  # a definition the classes cannot hold stays a plain dict, as the server sent it

    def save(self) -> None:
        """Check the design document, then write it with :meth:`~cloudant.document.Document.save`; empty
        sections are left out.

        The empty ``views``, ``indexes``, ``lists`` and ``shows`` are removed
        for the write and put back afterwards.

        :raises CloudantDesignDocumentException: before any request, code 104
            for a :class:`~cloudant.view.QueryIndexView` in a JavaScript design
            document, 105 for a view that is not one in a Mango
            (``language: "query"``) one, 106 for a search index function that
            is not a string, 107 for a Mango text index definition that is not a dict.
        :raises Conflict: when ``_rev`` is not the current revision.
        """
        self.check()
        with self._empty_sections_left_out():
            super().save()

    @contextlib.contextmanager
    def _empty_sections_left_out(self) -> Iterator[None]:
        """Remove the empty ``views``, ``indexes``, ``lists`` and ``shows`` for a write; put them back after."""
        empty = [name for name in _NESTED if name in self and not self[name]]
        for name in empty:
            dict.__delitem__(self, name)
        try:
            yield
        finally:
            for name in empty:
                self.setdefault(name, {})

    def check(self) -> None:
        """Check that views and indexes suit the design document's language; see :meth:`save`."""
        query = self.get("language") == QUERY_LANGUAGE
        for name, view in self.iterviews():
            if query and not isinstance(view, QueryIndexView):
                raise CloudantDesignDocumentException(105, name)
            if not query and isinstance(view, QueryIndexView):
                raise CloudantDesignDocumentException(104, name)
        for name, index in self.iterindexes():
            definition = index.get("index") if isinstance(index, dict) else None
            if query and not isinstance(definition, dict):
                raise CloudantDesignDocumentException(107, name)
            if not query and not isinstance(definition, str):
                raise CloudantDesignDocumentException(106, name)

    def info(self) -> Dict[str, Any]:
        """Return the view index information (``GET /{db}/_design/{ddoc}/_info``): size, signature, updates pending."""
        return cast(JsonObject, self._document_endpoint().child("_info").json())

    def search_info(self, search_index: str) -> Dict[str, Any]:
        """Return a search index's information (``GET /{db}/_design/{ddoc}/_search_info/{index}``).

        :returns: ``{"name", "search_index": {"doc_count", "doc_del_count", "disk_size", "pending_seq", ...}}``.
        """
        return cast(JsonObject, self._document_endpoint().child("_search_info", _index_name(search_index)).json())

    def search_disk_size(self, search_index: str) -> Dict[str, Any]:
        """Return a search index's size (``GET /{db}/_design/{ddoc}/_search_disk_size/{index}``, Cloudant)."""
        endpoint = self._document_endpoint().child("_search_disk_size", _index_name(search_index))
        return cast(JsonObject, endpoint.json())


def _design_id(document_id: Any) -> str:
    """``document_id`` with the ``_design/`` prefix, checked."""
    if isinstance(document_id, str) and not document_id.startswith(DESIGN_PREFIX):
        if document_id.startswith("_"):  # "_design", "_index/...": reserved, not a name to prefix
            raise CloudantArgumentError(137, document_id)
        document_id = design_document_id(document_id)
    return check_document_id(document_id)


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise CloudantArgumentError(117, kind, str)


def _check_function(kind: str, name: Any, function: Any) -> None:
    """A list or show function's name and JavaScript source: non-empty, and a string."""
    _check_name(kind + "_name", name)
    check_type(kind + "_func", function, STR)


def _view_functions(map_func: Any, reduce_func: Any) -> Tuple[str, Optional[str]]:
    """A view's map function (a string) and reduce function (a string or ``None``), checked."""
    check_type("map_func", map_func, STR)
    if reduce_func is not None:
        check_type("reduce_func", reduce_func, STR)
    return map_func, reduce_func


def _search_index(search_func: str, analyzer: Any, index_name: str) -> Dict[str, Any]:
    if not isinstance(search_func, str):
        raise CloudantDesignDocumentException(106, index_name)
    if analyzer is not None:
        check_type("analyzer", analyzer, (str, dict))
    index: Dict[str, Any] = {"index": codify(search_func)}
    if analyzer is not None:
        index["analyzer"] = analyzer
    return index


def _index_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise CloudantArgumentError(123, name)
    return name


def view_result(database: CouchDatabase, ddoc_id: str, view_name: str, partition_key: Optional[str], raw_result: bool,
                options: Dict[str, Any]) -> Any:
    """What ``get_view_result`` returns: one request's JSON, a :class:`Result` with options, or ``view.result``.

    :param options: view options, plus ``page_size`` for a result (not allowed with ``raw_result``).
    :raises CloudantArgumentError: code 137 for a design document id that is not a non-empty string
        (2.15.0 raised ``TypeError``), 117 for a view name that is not one, 141 for a bad partition key.
    """
    view = View(DesignDocument(database, _design_id(ddoc_id)), view_name, partition_key=partition_key)
    if raw_result:
        return view(**options)
    if options:
        return Result(view, **options)
    return view.result


# -- list, show and update functions (for the database methods of the same names) ------------------------------
def _function_endpoint(database: CouchDatabase, ddoc_id: str, kind: str, name: Any, *rest: str) -> Endpoint:
    if not isinstance(name, str) or not name:
        raise CloudantArgumentError(117, kind, str)
    return database._endpoint.document(_design_id(ddoc_id), kind, name, *rest)


def list_function_result(database: CouchDatabase, ddoc_id: str, list_name: str, view_name: str,
                         options: Dict[str, Any]) -> str:
    """Run a list function over a view of the same design document; its output as text."""
    endpoint = _function_endpoint(database, ddoc_id, "_list", list_name, _index_name(view_name))
    return query_view(endpoint, options, text=True)


def show_function_result(database: CouchDatabase, ddoc_id: str, show_name: str, doc_id: Optional[str]) -> str:
    """Run a show function, on a document (its id quoted) or on none; its output as text."""
    rest = () if doc_id is None else (check_document_id(doc_id),)
    return _function_endpoint(database, ddoc_id, "_show", show_name, *rest).text()


def update_handler_result(database: CouchDatabase, ddoc_id: str, handler_name: str, doc_id: Optional[str], data: Any,
                          params: Dict[str, Any]) -> str:
    """Run an update handler: ``PUT`` on a document (its id quoted), ``POST`` without one; its output as text."""
    rest = () if doc_id is None else (check_document_id(doc_id),)
    endpoint = _function_endpoint(database, ddoc_id, "_update", handler_name, *rest)
    query = {name: bool_text(value) if isinstance(value, bool) else value for name, value in params.items()}
    return endpoint.text("POST" if doc_id is None else "PUT", params=query or None, data=data)
