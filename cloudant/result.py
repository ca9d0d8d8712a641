"""Results of views, ``_all_docs`` and queries: index and key access, slices, and page-by-page iteration.

A :class:`Result` wraps a *fetch function*: any callable that takes view-style
keyword arguments and returns the decoded JSON reply (``db.all_docs``, a
:class:`~cloudant.view.View`, a ``functools.partial`` over a partitioned
call...). A :class:`QueryResult` wraps a :class:`~cloudant.query.Query` the same
way. Nothing is sent at construction; each index or slice access is one
request, and iteration reads the result one page at a time, so memory stays
proportional to the page size however many rows there are.

Iteration is driven by a pager (their engine is ``cloudant._paging``):
:class:`KeyPager` for views and ``_all_docs``, :class:`KeysPager` for a ``keys``
list, :class:`BookmarkPager` for ``_find`` and search. A pager copies the options
it is given and never changes them, so a result can be iterated any number of
times with the same outcome.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from ._paging import BookmarkPager, Fetch, KeyPager, KeysPager, Pager, Row, pages, rows_of
from ._params import INT, LEGACY_VIEW_TYPES, check_type
from ._read_ahead import can_read_ahead
from .error import ResultException

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["ResultByKey", "Result", "QueryResult", "KeyPager", "KeysPager", "BookmarkPager"]

DEFAULT_PAGE_SIZE = 100


class ResultByKey:
    """A key for :class:`Result` access that is never read as a row index.

    ``result[ResultByKey(9)]`` returns the rows whose key is ``9``, whereas
    ``result[9]`` returns the tenth row. Calling the instance returns the key.

    :param value: the key.
    """

    def __init__(self, value: Any) -> None:
        self._value = value

    def __call__(self) -> Any:
        return self._value

    def __repr__(self) -> str:
        return "ResultByKey(%r)" % (self._value,)


# -- the public classes ---------------------------------------------------------------------------------------
def _page_size(value: Any) -> int:
    """``page_size`` as a positive int (anything ``int()`` takes), else ``ResultException(104)``."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ResultException(104, value) from None
    if size <= 0:
        raise ResultException(104, size)
    return size


def _is_key(value: Any) -> bool:
    return isinstance(value, (str, list, ResultByKey))


def _key_value(value: Any) -> Any:
    return value() if isinstance(value, ResultByKey) else value


#: The options that select keys, as python-cloudant named them in the message of code 102.
_KEY_OPTION_NAMES = ("key", "keys", "startkey", "endkey")
#: Options that cannot be iterated with, as python-cloudant named them in the message of code 103.
_ITERATION_FORBIDS = ("limit",)


class Result:
    """The rows of a view or of ``_all_docs``: indexable, sliceable and iterable page by page.

    ::

        result = Result(db.all_docs, include_docs=True, page_size=1000)
        result[9]                      # the tenth row (skip=9, limit=1)
        result["foo"]                  # the rows whose key is "foo"
        result[ResultByKey(9)]         # the rows whose key is 9
        result[100:200]                # rows 101 to 200
        result["bar":"foo"]            # the rows with keys from "bar" to "foo", both included
        result[["foo", 10]:]           # complex keys work the same
        for row in result: ...         # every row, 1000 per request

    Rows are the server's row dicts (``id``, ``key``, ``value``, ``doc``), never
    document objects. Nothing is sent at construction; each access is one
    request; iteration is one request per page (see :class:`KeyPager`, and
    :class:`KeysPager` when ``keys`` is given). The options are checked by the
    fetch function, at each request.

    :param method_ref: the fetch function: called with view options as keyword
        arguments, it returns the reply, a dict with a ``rows`` list.
    :param int page_size: rows per request when iterating. Default 100;
        checked when iterating (``ResultException`` 104).
    :param options: view options sent with every request (``descending``,
        ``endkey``, ``include_docs``, ``reduce``, ``group_level``, ``keys``,
        ``limit``, ``skip``, ``startkey``...), in :attr:`options`.

    .. versionchanged:: 3.0
       Iterating twice gives the same rows (``skip`` and ``startkey`` are no
       longer removed from :attr:`options`); ``keys`` lists are iterated in
       batches; rows sharing a key are paged exactly on servers that ignore
       ``startkey_docid``.
    """

    #: The reply's list of results.
    _rows_field = "rows"
    #: Options iteration refuses (``ResultException`` 103).
    _iteration_forbids: Tuple[str, ...] = _ITERATION_FORBIDS
    #: Read the next page while the current one is iterated (one page ahead, see
    #: ``cloudant._read_ahead``). Set it to False on a result, or on the class for every result, to read
    #: strictly one page after the other.
    read_ahead: bool = True

    def __init__(self, method_ref: Fetch, **options: Any) -> None:
        #: The options sent with every request.
        self.options: Dict[str, Any] = options
        self._ref = method_ref
        self._page_size: Any = options.pop("page_size", DEFAULT_PAGE_SIZE)

    def __repr__(self) -> str:
        return "<%s of %r>" % (type(self).__name__, self._ref)

    # -- access --------------------------------------------------------------------------------------------
    def __getitem__(self, arg: Union[int, str, List[Any], ResultByKey, slice]) -> List[Row]:
        """Return the rows an index, a key or a slice selects (one request).

        - ``int`` *i* (``>= 0``): the row after the first *i* (``skip``, ``limit=1``), as a list.
        - ``str``, ``list`` or :class:`ResultByKey`: the rows with that key.
        - ``[a:b]``, ``[a:]``, ``[:b]`` with ints: rows *a* to *b*-1, clipped to a ``limit`` option.
        - ``[k1:k2]``, ``[k1:]``, ``[:k2]`` with keys: ``startkey``/``endkey``, both ends included.
        - ``[:]``: the whole result in one reply.

        :raises ResultException: code 101 for anything else (a negative index, a
            float, a step, ends of different types); code 102 for key access
            when the options already select keys.
        :raises CloudantArgumentError: code 117 for a ``skip`` or ``limit``
            option that is not an int, with index access.
        """
        if isinstance(arg, int):
            return self._by_index(arg)
        if _is_key(arg):
            return self._by_key(arg)
        if isinstance(arg, slice) and arg.step is None:
            if arg.start is None and arg.stop is None:
                return self._fetch_rows(self.options)
            if all(end is None or _is_key(end) for end in (arg.start, arg.stop)):
                return self._by_key_slice(arg)
            if all(end is None or isinstance(end, int) for end in (arg.start, arg.stop)):
                return self._by_index_slice(arg)
        raise ResultException(101, arg)

    def all(self) -> List[Row]:
        """Return every row in one request (``page_size`` is not used; ``limit`` and ``skip`` are)."""
        return self[:]

    def __iter__(self) -> Iterator[Row]:
        """Yield every row, reading ``page_size`` rows per request.

        :raises ResultException: code 103 with a ``limit`` option (or
            ``sorted=False``, which leaves no order to page by); code 104 for a
            ``page_size`` that is not a positive int.
        """
        forbidden = [name for name in self._iteration_forbids if name in self.options]
        if forbidden:
            raise ResultException(103, self._iteration_forbids, self.options)
        self._page_size = _page_size(self._page_size)
        return pages(self._ref, self._pager(), read_ahead=self.read_ahead and can_read_ahead(self._ref))

    def _pager(self) -> Pager:
        if self.options.get("keys") is not None:
            return KeysPager(self.options, self._page_size)
        if self.options.get("sorted") is False:
            raise ResultException(103, "sorted=False", self.options)
        return KeyPager(self.options, self._page_size)

    # -- helpers -------------------------------------------------------------------------------------------
    def _fetch_rows(self, options: Mapping[str, Any]) -> List[Row]:
        return rows_of(self._ref(**options), self._rows_field)

    def _skip_and_limit(self) -> Tuple[Dict[str, Any], int, Optional[int]]:
        """The other options, and the ``skip`` (default 0) and ``limit`` options, checked."""
        request = dict(self.options)
        skip = request.pop("skip", 0)
        limit = request.pop("limit", None)
        for name, value in (("skip", skip), ("limit", limit)):
            if value is not None:
                check_type(name, value, INT, shown=LEGACY_VIEW_TYPES[name])
        return request, skip or 0, limit

    def _by_index(self, index: int) -> List[Row]:
        if index < 0:
            raise ResultException(101, index)
        request, skip, limit = self._skip_and_limit()
        if limit is not None and index >= limit:
            return []
        return self._fetch_rows({**request, "skip": skip + index, "limit": 1})

    def _by_index_slice(self, arg: slice) -> List[Row]:
        start, stop = arg.start, arg.stop
        if (start is not None and start < 0) or (stop is not None and stop < 0) or (
                start is not None and stop is not None and start >= stop):
            raise ResultException(101, arg)
        request, skip, limit = self._skip_and_limit()
        start = start or 0
        if limit is not None:
            if start >= limit:
                return []
            stop = limit if stop is None else min(stop, limit)
        request["skip"] = skip + start
        if stop is not None:
            request["limit"] = stop - start
        return self._fetch_rows(request)

    def _check_no_key_options(self) -> None:
        if any(name in self.options for name in _KEY_OPTION_NAMES + ("start_key", "end_key")):
            raise ResultException(102, _KEY_OPTION_NAMES, self.options)

    def _by_key(self, key: Any) -> List[Row]:
        self._check_no_key_options()
        return self._fetch_rows({**self.options, "key": _key_value(key)})

    def _by_key_slice(self, arg: slice) -> List[Row]:
        self._check_no_key_options()
        start, stop = _key_value(arg.start), _key_value(arg.stop)
        if start is not None and stop is not None and not isinstance(start, type(stop)):
            raise ResultException(101, arg)
        request = dict(self.options)
        if start is not None:
            request["startkey"] = start
        if stop is not None:
            request["endkey"] = stop
        return self._fetch_rows(request)


class QueryResult(Result):
    """The documents a Mango query (``_find``) selects: indexable by position, sliceable, iterable page by page.

    ::

        result = QueryResult(query, page_size=200)
        result[0]            # the first document
        result[10:20]        # documents 11 to 20
        for doc in result:   # every document, bookmark by bookmark
            ...

    :param query: the fetch function, usually a :class:`~cloudant.query.Query`:
        called with query options (``limit``, ``skip``, ``bookmark``...) it
        returns the reply, a dict with a ``docs`` list and a ``bookmark``. A
        ``skip`` or ``limit`` the query holds itself is taken over as an option.
    :param int page_size: documents per request when iterating. Default 100.
    :param options: query options sent with every request (``fields``, ``sort``,
        ``use_index``, ``limit``, ``skip``...).

    .. versionchanged:: 3.0
       Servers without bookmarks are paged with ``skip``; a query's own
       ``skip`` is no longer re-applied on every page; a bookmark that comes
       back unchanged ends the iteration.
    """

    _rows_field = "docs"

    def __init__(self, query: Fetch, **options: Any) -> None:
        if isinstance(query, Mapping):
            for name in ("skip", "limit"):
                if query.get(name) is not None and name not in options:
                    options[name] = query[name]
        super().__init__(query, **options)

    def __getitem__(self, arg: Union[int, slice]) -> List[Row]:  # type: ignore[override]
        """Return the documents an index or an index slice selects (one request).

        :raises ResultException: code 101 for anything but an int or an int slice.
        """
        if isinstance(arg, int) or (isinstance(arg, slice) and arg.step is None and all(
                end is None or isinstance(end, int) for end in (arg.start, arg.stop))):
            return super().__getitem__(arg)
        raise ResultException(101, arg)

    def _pager(self) -> Pager:
        return BookmarkPager(self.options, self._page_size, self._rows_field)
