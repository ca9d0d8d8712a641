"""Reading one page ahead: the next page of a result is fetched while the caller works on the current one.

:func:`cloudant._paging.pages` starts a :class:`PageAhead` for page *n+1*
as soon as it has page *n*, and waits for it only when the caller has taken
every row of page *n*. So at most one request is in flight and at most two
pages are held; an error of the next page is raised at the row where that page
would begin; and when the caller stops iterating, no further page is asked
for (the one in flight is finished and dropped).

Reading ahead is for a caller that works on each page while the next one
is on its way. Pages that arrive within ``cloudant._paging.READ_AHEAD_AFTER``
seconds (a server on the same host), and pages the caller is done with within
``cloudant._paging.READ_AHEAD_WORK`` seconds (a loop that only counts or
collects), are read sequentially: there the thread costs more CPU than the
overlap saves wall time.

Reading ahead needs a real :class:`requests.Session`, which is safe to share
between threads. A session a program replaced or patched (a test's mock, a
patched ``get``/``request``) is read from sequentially, so that the calls it
records stay in their order and number.
"""
from __future__ import annotations

import threading
import time
import types
from typing import Any, Callable, Mapping, Optional

import requests

__all__ = ["PageAhead", "can_read_ahead"]

_SENDING_METHODS = ("request", "get", "post", "send")


class PageAhead:
    """One ``fetch(**request)`` running in a daemon thread.

    :param fetch: the fetch function of the result.
    :param dict request: its keyword arguments.
    """

    __slots__ = ("_thread", "_reply", "_error", "seconds")

    def __init__(self, fetch: Callable[..., Mapping[str, Any]], request: Mapping[str, Any]) -> None:
        self._reply: Optional[Mapping[str, Any]] = None
        self._error: Optional[BaseException] = None
        #: How long the fetch took, once it is done.
        self.seconds = 0.0
        self._thread = threading.Thread(target=self._run, args=(fetch, request), name="cloudant-read-ahead",
                                        daemon=True)
        self._thread.start()

    def _run(self, fetch: Callable[..., Mapping[str, Any]], request: Mapping[str, Any]) -> None:
        started = time.perf_counter()
        try:
            self._reply = fetch(**request)
        except BaseException as err:  # handed to the reader, who raises it in its own thread
            self._error = err
        self.seconds = time.perf_counter() - started

    def result(self) -> Mapping[str, Any]:
        """Wait for the fetch; return its reply, or raise its error."""
        self._thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error
        reply, self._reply = self._reply, None
        assert reply is not None
        return reply


def can_read_ahead(fetch: Callable[..., Any]) -> bool:
    """True when ``fetch`` sends through a real, unpatched :class:`requests.Session`.

    The session is found on the object ``fetch`` belongs to: a bound method's
    ``__self__`` (``db.all_docs``), the first argument of a
    :func:`functools.partial`, or ``fetch`` itself (a view or a query), read as
    its ``_r_session`` or ``r_session``. Anything else, a function of the
    program's own included, is read sequentially.
    """
    owner: Any = getattr(fetch, "__self__", None)
    if owner is None and hasattr(fetch, "func") and getattr(fetch, "args", None):
        owner = fetch.args[0]  # type: ignore[attr-defined]
    if owner is None:
        owner = fetch
    session = getattr(owner, "_r_session", None) or getattr(owner, "r_session", None)
    return is_plain_session(session)


def is_plain_session(session: Any) -> bool:
    """True for a :class:`requests.Session` whose sending methods are plain functions at every level."""
    if not issubclass(type(session), requests.Session):  # not isinstance: a mock with a spec passes that
        return False
    own = vars(session)
    if any(name in own for name in _SENDING_METHODS):
        return False  # patched on the instance
    # Every definition along the class hierarchy: a subclass's request() ends in requests.Session.request.
    return all(isinstance(vars(cls)[name], types.FunctionType)
               for cls in type(session).__mro__ for name in _SENDING_METHODS if name in vars(cls))
