"""Results of views, ``_all_docs`` and queries: index and key access, slices, and page-by-page iteration.

A :class:`Result` wraps a *fetch function*: any callable that takes view-style
keyword arguments and returns the decoded JSON reply (``db.all_docs``, a
:class:`~cloudant.view.View`, a ``functools.partial`` over a partitioned
call...). A :class:`QueryResult` wraps a :class:`~cloudant.query.Query` the same
way. Nothing is sent at construction; each index or slice access is one
request, and iteration reads the result one page at a time, so memory stays
proportional to the page size however many rows there are.

Every iteration is the one generator ``_pages()`` driven by a pager:

- :class:`KeyPager` (views, ``_all_docs``) asks for ``limit=page_size+1``,
  yields ``page_size`` rows and starts the next page at the row held back:
  ``startkey`` is its key and ``startkey_docid`` its id. A server that ignores
  ``startkey_docid`` (pouchdb-server does) answers from the first row of the key
  again; the pager sees it and counts its way through the key with ``skip``.
- :class:`KeysPager` (a ``keys`` list) sends the keys in batches of ``page_size``.
- :class:`BookmarkPager` (``_find``, search) follows ``bookmark``; on a server
  that returns none (pouchdb-server) it pages with ``skip``.

A pager copies the options it is given and never changes them, so a result can
be iterated any number of times with the same outcome.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from ._params import INT, LEGACY_VIEW_TYPES, check_type
from .error import ResultException

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["ResultByKey", "Result", "QueryResult", "KeyPager", "KeysPager", "BookmarkPager"]

Row = Dict[str, Any]
Request = Dict[str, Any]
Fetch = Callable[..., Mapping[str, Any]]

DEFAULT_PAGE_SIZE = 100
#: Options that place the start of a result: they apply to the first page only.
_START_OPTIONS = frozenset({"startkey", "start_key", "startkey_docid", "start_key_doc_id", "skip"})


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


# -- the paging engine ---------------------------------------------------------------------------------------
def _pages(fetch: Fetch, pager: Any) -> Iterator[Row]:
    """Yield every row of a result, one page per ``fetch`` call, as ``pager`` directs.

    ``pager.first()`` returns the keyword arguments of the first call (or
    ``None``: nothing to read); ``pager.advance(reply)`` returns the rows to
    yield and the arguments of the next call (``None`` ends the result).
    """
    request = pager.first()
    while request is not None:
        page, request = pager.advance(fetch(**request))
        yield from page
        del page  # release the page before the next request: memory stays O(page_size)


def _rows(reply: Any, field: str) -> List[Row]:
    """The list of rows (``rows``, ``docs``) of a reply (none when it has no such member, as before).

    :raises ResultException: code 106 for a reply that is not an object, or whose rows are not a list.
    """
    rows = reply.get(field, []) if isinstance(reply, Mapping) else None
    if not isinstance(rows, list):
        raise ResultException(106, field, _preview(reply))
    return rows


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _same(left: Any, right: Any) -> bool:
    """True when two decoded JSON keys are the same key (``True`` is not ``1``; object member order counts)."""
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return len(left) == len(right) and all(
            name_a == name_b and _same(a, b) for (name_a, a), (name_b, b) in zip(left.items(), right.items()))
    if isinstance(left, (bool, list, tuple, dict)) or isinstance(right, (bool, list, tuple, dict)):
        return type(left) is type(right) and left == right
    return bool(left == right)


def _is_row(row: Row, other: Row) -> bool:
    return row.get("id") == other.get("id") and _same(row.get("key"), other.get("key"))


class _Run:
    """The last rows yielded that share one key: how many, the first of them, and whether the count is
    the row's true position within its key (it is not when the result began mid-key)."""

    __slots__ = ("key", "count", "first", "known")

    def __init__(self, row: Row, known: bool) -> None:
        self.key = row.get("key")
        self.count = 1
        self.first = row
        self.known = known


class KeyPager:
    """Pages through a view or ``_all_docs`` by key.

    Each page asks for ``limit=page_size+1``; the extra row is held back and the
    next page starts at it (``startkey`` = its key, ``startkey_docid`` = its id),
    so no row is read twice and no page is found with ``skip``. Grouped reduce
    rows have no id, but their keys are unique, so ``startkey`` alone is exact.

    A server that ignores ``startkey_docid`` answers again from the first row of
    the key when rows sharing a key straddle a page boundary. The pager sees that
    (the page does not begin with the row held back), re-reads that page with
    ``startkey`` and ``skip`` = the rows of that key already yielded, and keeps
    doing so from then on. A null key, which cannot be sent as ``startkey``, and
    a key run whose start lies before the first row yielded, are resumed with
    ``skip`` from the original start. Should the server ignore ``skip`` too, the
    pager raises :class:`~cloudant.error.ResultException` (code 105) instead of
    looping.

    :param dict options: the result's options; ``limit`` caps the rows yielded in
        all, ``skip``/``startkey``/``startkey_docid`` place the first page only.
    :param int page_size: rows per page.
    """

    def __init__(self, options: Mapping[str, Any], page_size: int) -> None:
        self._page_size = page_size
        self._remaining: Optional[int] = options.get("limit")
        self._origin = {name: value for name, value in options.items() if name != "limit"}
        self._base = {name: value for name, value in self._origin.items() if name not in _START_OPTIONS}
        self._origin_skip: int = options.get("skip") or 0
        # After a skip or a start document id the first row may sit in the middle of its key.
        self._origin_at_key_start = not (self._origin_skip or options.get("startkey_docid")
                                         or options.get("start_key_doc_id"))
        self._skip_mode = False
        self._yielded = 0
        self._asked = 0
        self._run: Optional[_Run] = None
        self._held: Optional[Row] = None

    def first(self) -> Optional[Request]:
        """The arguments of the first call, or ``None`` when ``limit`` is 0."""
        return self._ask(self._origin)

    def advance(self, reply: Mapping[str, Any]) -> Tuple[List[Row], Optional[Request]]:
        """Take one reply; return the rows to yield and the arguments of the next call (or ``None``)."""
        rows = _rows(reply, "rows")
        if self._held is not None and not self._starts_right(rows):
            return [], self._resume()  # the same page again, now counted with skip
        page = rows[:self._asked]
        self._count(page)
        if len(rows) <= self._asked or self._remaining == 0:
            return page, None
        self._held = rows[self._asked]
        return page, self._resume()

    def _ask(self, options: Mapping[str, Any]) -> Optional[Request]:
        size = self._page_size if self._remaining is None else min(self._page_size, self._remaining)
        if size <= 0:
            return None
        self._asked = size
        return {**options, "limit": size + 1}

    def _starts_right(self, rows: List[Row]) -> bool:
        """False when the server ignored ``startkey_docid`` and the page must be read again with ``skip``."""
        held = self._held
        assert held is not None
        if not rows or _is_row(rows[0], held):
            return True
        run = self._run
        if run is None or not _same(run.key, held.get("key")):
            return True  # no row of that key was yielded, so startkey alone was exact: the data changed meanwhile
        if not self._skip_mode:
            self._skip_mode = True
            return False
        if _is_row(rows[0], run.first):
            raise ResultException(105, run.key)
        return True

    def _resume(self) -> Optional[Request]:
        """The arguments of the page that starts at the held-back row."""
        held = self._held
        assert held is not None
        key = held.get("key")
        run = self._run if self._run is not None and _same(self._run.key, key) else None
        if key is None or (self._skip_mode and run is not None and not run.known):
            # A null startkey cannot be sent (None means "not given"), and a run that began before the
            # first row has an unknown offset within its key: count from the original start instead.
            return self._ask({**self._origin, "skip": self._origin_skip + self._yielded})
        request = {**self._base, "startkey": key}
        if not self._skip_mode and "id" in held:
            request["startkey_docid"] = held["id"]
        elif self._skip_mode and run is not None:
            request["skip"] = run.count
        return self._ask(request)

    def _count(self, page: List[Row]) -> None:
        # Only the rows sharing the page's last key matter for resuming: walk back over them alone, so the
        # cost is the length of that run, not of the page.
        if page:
            last_key = page[-1].get("key")
            start = len(page) - 1
            while start > 0 and _same(page[start - 1].get("key"), last_key):
                start -= 1
            run = self._run
            if start == 0 and run is not None and _same(run.key, last_key):
                run.count += len(page)
            else:
                self._run = _Run(page[start], known=self._yielded + start > 0 or self._origin_at_key_start)
                self._run.count = len(page) - start
        self._yielded += len(page)
        if self._remaining is not None:
            self._remaining -= len(page)


class KeysPager:
    """Pages through a ``keys`` lookup, which cannot be combined with ``startkey``.

    The keys are sent in batches of ``page_size``; a batch whose keys match more
    than ``page_size`` rows (a view emitting a key many times) is read
    ``page_size`` rows at a time with ``skip`` within the batch. A ``skip``
    option drops that many rows from the start of the whole result, and
    ``limit`` caps the rows yielded in all.

    :param dict options: the result's options, ``keys`` among them.
    :param int page_size: keys per batch and rows per page.
    """

    def __init__(self, options: Mapping[str, Any], page_size: int) -> None:
        self._page_size = page_size
        self._keys = list(options["keys"])
        self._base = {name: value for name, value in options.items() if name not in ("keys", "skip", "limit")}
        self._to_drop: int = options.get("skip") or 0
        self._remaining: Optional[int] = options.get("limit")
        self._start = 0  # index of the batch's first key
        self._offset = 0  # rows of the batch already read

    def first(self) -> Optional[Request]:
        """The arguments of the first call, or ``None`` for no keys or ``limit`` 0."""
        return self._ask()

    def advance(self, reply: Mapping[str, Any]) -> Tuple[List[Row], Optional[Request]]:
        """Take one reply; return the rows to yield and the arguments of the next call (or ``None``)."""
        rows = _rows(reply, "rows")
        if len(rows) > self._page_size:
            self._offset += self._page_size
        else:
            self._start, self._offset = self._start + self._page_size, 0
        page = rows[:self._page_size]
        if self._to_drop:
            dropped, page = page[:self._to_drop], page[self._to_drop:]
            self._to_drop -= len(dropped)
        if self._remaining is not None:
            page = page[:self._remaining]
            self._remaining -= len(page)
        return page, self._ask()

    def _ask(self) -> Optional[Request]:
        if self._start >= len(self._keys) or self._remaining == 0:
            return None
        request = {**self._base, "keys": self._keys[self._start:self._start + self._page_size],
                   "limit": self._page_size + 1}
        if self._offset:
            request["skip"] = self._offset
        return request


class BookmarkPager:
    """Pages through a Mango query (``_find``) or a search by bookmark.

    Each page asks for ``limit=page_size`` and the next one sends the
    ``bookmark`` of the reply. Iteration ends on an empty page, or when the
    bookmark comes back unchanged or empty. A server that sends no bookmark at
    all (pouchdb-server) is paged with ``skip`` and ends on a short page.

    :param dict options: the result's options; ``limit`` caps the rows yielded in
        all, ``skip`` and ``bookmark`` place the first page only.
    :param int page_size: rows per page.
    :param str field: the reply's list of results: ``docs`` or ``rows``.
    """

    def __init__(self, options: Mapping[str, Any], page_size: int, field: str = "docs") -> None:
        self._page_size = page_size
        self._field = field
        self._remaining: Optional[int] = options.get("limit")
        self._origin = {name: value for name, value in options.items() if name != "limit"}
        self._base = {name: value for name, value in self._origin.items() if name not in ("skip", "bookmark")}
        if "skip" in options:
            self._base["skip"] = 0  # a skip the query object holds itself must not apply to every page
        self._origin_skip: int = options.get("skip") or 0
        self._bookmark = options.get("bookmark")
        self._yielded = 0
        self._asked = 0

    def first(self) -> Optional[Request]:
        """The arguments of the first call, or ``None`` when ``limit`` is 0."""
        return self._ask(self._origin)

    def advance(self, reply: Mapping[str, Any]) -> Tuple[List[Row], Optional[Request]]:
        """Take one reply; return the rows to yield and the arguments of the next call (or ``None``)."""
        page = _rows(reply, self._field)[:self._asked]
        self._yielded += len(page)
        if self._remaining is not None:
            self._remaining -= len(page)
        if not page or self._remaining == 0:
            return page, None
        if "bookmark" not in reply:
            if len(page) < self._asked:
                return page, None
            return page, self._ask({**self._base, "skip": self._origin_skip + self._yielded})
        # As python-cloudant did, a short page with a bookmark is followed by one more request (CouchDB
        # answers it with an empty page): the server, not the page size, says where the result ends.
        bookmark = reply["bookmark"]
        if not bookmark or bookmark == self._bookmark:
            return page, None  # the server cannot take us further: asking again would repeat this page
        self._bookmark = bookmark
        return page, self._ask({**self._base, "bookmark": bookmark})

    def _ask(self, options: Mapping[str, Any]) -> Optional[Request]:
        size = self._page_size if self._remaining is None else min(self._page_size, self._remaining)
        if size <= 0:
            return None
        self._asked = size
        return {**options, "limit": size}


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

    def __init__(self, method_ref: Fetch, **options: Any) -> None:
        #: The options sent with every request.
        self.options: Dict[str, Any] = options
        self._ref = method_ref
        self._page_size: Any = options.pop("page_size", DEFAULT_PAGE_SIZE)

    def __repr__(self) -> str:
        return "<%s of %r>" % (type(self).__name__, self._ref)

    # -- access --------------------------------------------------------------------------------------------
    def __getitem__(self, arg: Union[int, str, list, ResultByKey, slice]) -> List[Row]:
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
        return _pages(self._ref, self._pager())

    def _pager(self) -> Any:
        if self.options.get("keys") is not None:
            return KeysPager(self.options, self._page_size)
        if self.options.get("sorted") is False:
            raise ResultException(103, "sorted=False", self.options)
        return KeyPager(self.options, self._page_size)

    # -- helpers -------------------------------------------------------------------------------------------
    def _fetch_rows(self, options: Mapping[str, Any]) -> List[Row]:
        return _rows(self._ref(**options), self._rows_field)

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

    def _pager(self) -> Any:
        return BookmarkPager(self.options, self._page_size, self._rows_field)
