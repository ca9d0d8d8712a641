"""The paging engine of :mod:`cloudant.result`: one generator driven by a pager, and the three pagers.

Every iteration of a :class:`~cloudant.result.Result` is the one generator
:func:`pages` driven by a pager:

- :class:`KeyPager` (views, ``_all_docs``) asks for ``limit=page_size+1``,
  yields ``page_size`` rows and starts the next page at the row held back:
  ``startkey`` is its key and ``startkey_docid`` its id. A server that ignores
  ``startkey_docid`` (pouchdb-server does) answers from the first row of the key
  again; the pager sees it and counts its way through the key with ``skip``.
- :class:`KeysPager` (a ``keys`` list) sends the keys in batches of ``page_size``.
- :class:`BookmarkPager` (``_find``, search) follows ``bookmark``; on a server
  that returns none (pouchdb-server) it pages with ``skip``.

A pager copies the options it is given and never changes them, so a result can
be iterated any number of times with the same outcome. The pagers are public
as :mod:`cloudant.result` names.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Protocol, Tuple

from ._read_ahead import PageAhead
from .error import ResultException

__all__ = ["pages", "page_lists", "rows_of", "Pager", "KeyPager", "KeysPager", "BookmarkPager"]

Row = Dict[str, Any]
Request = Dict[str, Any]
Fetch = Callable[..., Mapping[str, Any]]

#: Options that place the start of a result: they apply to the first page only.
_START_OPTIONS = frozenset({"startkey", "start_key", "startkey_docid", "start_key_doc_id", "skip"})


class Pager(Protocol):
    """What :func:`pages` needs of a pager (:class:`KeyPager`, :class:`KeysPager`, :class:`BookmarkPager`)."""

    def first(self) -> Optional[Request]:
        """The keyword arguments of the first ``fetch`` call, or ``None``: nothing to read."""

    def advance(self, reply: Mapping[str, Any]) -> Tuple[List[Row], Optional[Request]]:
        """The rows of ``reply`` to yield, and the arguments of the next call (``None`` ends the result)."""


def pages(fetch: Fetch, pager: Pager, read_ahead: bool = False) -> Iterator[Row]:
    """Yield every row of a result, one page per ``fetch`` call, as ``pager`` directs.

    ``pager.first()`` returns the keyword arguments of the first call (or
    ``None``: nothing to read); ``pager.advance(reply)`` returns the rows to
    yield and the arguments of the next call (``None`` ends the result).

    With ``read_ahead``, the next page is fetched in the background while the
    rows of the current one are yielded (see ``cloudant._read_ahead``): one
    page ahead at most, and its error raised where its rows would begin; only
    while pages take :data:`READ_AHEAD_AFTER` seconds or more to arrive and the
    caller spends :data:`READ_AHEAD_WORK` seconds or more on each.
    """
    for page in page_lists(fetch, pager, read_ahead):
        yield from page


#: Seconds a page must take to arrive for the next one to be read ahead: a page that comes faster (a server
#: on the same host, a small page) is read sequentially, as the thread would cost more than it saves.
READ_AHEAD_AFTER = 0.02
#: Seconds the caller must spend on a page (between receiving it and asking for the next) for the next one to be
#: read ahead: the overlap is never more than this, and below it the thread costs more CPU than it saves wall
#: time (a caller that only counts or collects rows).
READ_AHEAD_WORK = 0.01


def page_lists(fetch: Fetch, pager: Pager, read_ahead: bool = False) -> Iterator[List[Row]]:
    """:func:`pages`, a list of rows at a time."""
    clock = time.perf_counter
    request = pager.first()
    ahead: Optional[PageAhead] = None
    worked = 0.0  # seconds the caller spent on the last page
    while request is not None:
        if ahead is not None:
            reply, seconds = ahead.result(), ahead.seconds
        else:
            started = clock()
            reply = fetch(**request)
            seconds = clock() - started
        page, request = pager.advance(reply)
        del reply
        worth_it = seconds >= READ_AHEAD_AFTER and worked >= READ_AHEAD_WORK
        ahead = PageAhead(fetch, request) if read_ahead and worth_it and request is not None else None
        handed = clock()
        yield page
        worked = clock() - handed
        del page  # release the page before the next one: memory stays O(page_size)


def rows_of(reply: Any, field: str) -> List[Row]:
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

    def resize(self, page_size: int) -> None:
        """Ask for ``page_size`` rows from the next page on (called between ``fetch`` and ``advance``)."""
        self._page_size = page_size

    def advance(self, reply: Mapping[str, Any]) -> Tuple[List[Row], Optional[Request]]:
        """Take one reply; return the rows to yield and the arguments of the next call (or ``None``)."""
        rows = rows_of(reply, "rows")
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
        rows = rows_of(reply, "rows")
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
        page = rows_of(reply, self._field)[:self._asked]
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
