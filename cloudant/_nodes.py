"""Several node URLs of one cluster, and when a request moves from one node to the next.

A client given several URLs (``url=[...]``) keeps them in a :class:`NodeList`:
every request is sent to the *node in use*, and moves on to the next node only
when the transport failed, as the policy below allows:

- the request never reached a server (connection refused, connect timeout, the
  host unknown): it is sent to the next node, whatever its method;
- it failed after it was sent (a read error or timeout, the response cut short):
  it is sent again to the next node only when sending it twice cannot change
  anything: ``GET``, ``HEAD`` and ``OPTIONS``, and the ``POST`` requests that only
  read (:func:`is_idempotent`: ``_all_docs``, ``_find``, ``_bulk_get``,
  ``_changes``, view queries, ...). Any other request raises
  :class:`OutcomeUnknown`: it may or may not have been applied, and it is never
  replayed (``bulk_docs`` names the documents in ``unacknowledged``).

The node in use stays in use while it answers (any HTTP answer counts, an error
status included). A node that failed is passed over for :data:`RETRY_AFTER`
seconds, then tried again in its turn; when every node has failed recently they
are all tried anyway, in order. A request visits each node at most once.

URLs: requests are built against the first URL (or any of them) and sent to the
node in use with the same path. Cookies: the nodes of a CouchDB cluster share the
cookie secret, so the cookie of a ``_users`` user is valid on each; that of an
admin of the nodes' ini files is not (each node hashes its admins with a salt of
its own), nor is a cookie sent to another host. The 401 such a node answers makes
the session log in again, against the node in use (``CookieSession``).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError

from .error import OutcomeUnknown, OutcomeUnknownTimeout, redact_url

__all__ = ["NodeList", "OutcomeUnknown", "OutcomeUnknownTimeout", "RETRY_AFTER", "NOT_SENT", "SENT",
           "failure_kind", "is_idempotent", "may_move_on"]

LOG = logging.getLogger("cloudant")

#: Seconds a node that failed is passed over before requests try it again.
RETRY_AFTER = 10.0

#: The request never reached a server: sending it elsewhere cannot apply it twice.
NOT_SENT = "not sent"
#: The request was sent, and then the connection failed: it may have been applied.
SENT = "sent"

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``POST /{db}/<endpoint>`` (also below ``/_partition/{key}``, and ``.../queries``) that only reads.
_READING_ENDPOINTS = frozenset({"_all_docs", "_design_docs", "_local_docs", "_find", "_explain", "_bulk_get",
                                "_changes", "_revs_diff", "_missing_revs"})
#: ``POST /<endpoint>`` at the server's root that only reads, or only logs in.
_READING_SERVER_ENDPOINTS = frozenset({"_dbs_info", "_session", "_iam_session"})
#: ``POST /{db}/_design/{ddoc}/<kind>/{name}``: a query (views, Cloudant search).
_QUERY_KINDS = frozenset({"_view", "_search"})

#: What the transport raises for a request that failed (requests maps a body cut short to ChunkedEncodingError).
_TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def failure_kind(error: BaseException) -> str:
    """:data:`NOT_SENT` when ``error`` shows the request never reached a server, else :data:`SENT`.

    A connect timeout, a refused connection and an unknown host are urllib3
    ``ConnectTimeoutError`` (``NewConnectionError`` is one); anything else (a
    reset, a response cut short, a read timeout, a TLS failure) may have come
    after the request was sent.
    """
    if isinstance(error, requests.ConnectTimeout):
        return NOT_SENT
    return NOT_SENT if any(isinstance(cause, ConnectTimeoutError) for cause in _causes(error)) else SENT


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what it wraps: exception arguments, urllib3's ``reason``, ``__cause__``/``__context__``."""
    pending: List[BaseException] = [error]
    seen = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def is_idempotent(method: str, path: str) -> bool:
    """Whether sending the request twice cannot change anything: a safe method, or a ``POST`` that reads.

    :param str method: the HTTP method.
    :param str path: the URL path below the node's URL (``/{db}/_all_docs``), query string allowed.
    """
    method = method.upper()
    if method in _SAFE_METHODS:
        return True
    if method != "POST":
        return False
    segments = [unquote(segment) for segment in urlsplit(path).path.split("/") if segment]
    if len(segments) == 1:
        return segments[0] in _READING_SERVER_ENDPOINTS
    if len(segments) >= 3 and segments[1] == "_partition":
        segments = segments[:1] + segments[3:]
    if segments and segments[-1] == "queries":
        segments = segments[:-1]
    if len(segments) == 2:
        return segments[1] in _READING_ENDPOINTS
    return len(segments) == 5 and segments[1] == "_design" and segments[3] in _QUERY_KINDS


def may_move_on(method: str, path: str, kind: str) -> bool:
    """Whether a request that failed (``kind``: :data:`NOT_SENT` or :data:`SENT`) may go to another node."""
    return kind == NOT_SENT or is_idempotent(method, path)


class NodeList:
    """The URLs of a cluster's nodes, the node in use, and the nodes that failed lately.

    Safe to share between threads.

    :param urls: the node URLs (no trailing ``/``, no credentials), in the order they are tried.
    :param float retry_after: seconds a failed node is passed over.
    :param clock: the monotonic clock (seconds).
    """

    def __init__(self, urls: Sequence[str], retry_after: float = RETRY_AFTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError("a NodeList needs at least one URL")
        self.urls: Tuple[str, ...] = tuple(urls)
        self.retry_after = retry_after
        self._clock = clock
        self._current = 0
        self._failed_until: Dict[int, float] = {}
        self._lock = threading.Lock()
        # Longest first, so that a URL below another node's path is matched to the right node.
        self._by_length = sorted(range(len(self.urls)), key=lambda index: -len(self.urls[index]))

    def __repr__(self) -> str:
        return "<NodeList %s in use of %s>" % (self.current, ", ".join(self.urls))

    @property
    def current(self) -> str:
        """The URL of the node in use."""
        return self.urls[self._current]

    def path_of(self, url: str) -> Optional[str]:
        """The part of ``url`` after the node URL it starts with (``""``, or from ``/`` or ``?``); ``None`` when
        it is on none of the nodes (an IAM token endpoint, another server)."""
        for index in self._by_length:
            base = self.urls[index]
            if url.startswith(base) and url[len(base):len(base) + 1] in ("", "/", "?"):
                return url[len(base):]
        return None

    def candidates(self) -> List[int]:
        """The nodes to try, in order: the node in use, then the others after it; those that failed less than
        ``retry_after`` seconds ago last."""
        now = self._clock()
        with self._lock:
            order = [(self._current + step) % len(self.urls) for step in range(len(self.urls))]
            fresh = [index for index in order if self._failed_until.get(index, 0.0) <= now]
        return fresh + [index for index in order if index not in fresh]

    def succeeded(self, index: int) -> None:
        """Node ``index`` answered: it becomes (or stays) the node in use."""
        with self._lock:
            self._failed_until.pop(index, None)
            moved, self._current = self._current != index, index
        if moved:
            LOG.warning("cloudant: now using node %s", redact_url(self.urls[index]))

    def failed(self, index: int) -> None:
        """Node ``index`` failed: pass it over for ``retry_after`` seconds."""
        with self._lock:
            self._failed_until[index] = self._clock() + self.retry_after

    def send(self, method: str, url: str, attempt: Callable[[str], requests.Response],
             replayable: Callable[[], bool]) -> requests.Response:
        """Send a request to the node in use, and on to the next nodes as the policy allows.

        :param str method: the HTTP method.
        :param str url: the request URL, on any of the nodes.
        :param attempt: sends the request to the URL it is given.
        :param replayable: makes the body sendable again (rewinds a file); False when it cannot be.
        :raises OutcomeUnknown: the request failed after it was sent and may not be sent twice.
        :raises requests.RequestException: the transport's error of the last node tried.
        """
        path = self.path_of(url)
        if path is None:
            return attempt(url)
        order = self.candidates()
        for position, index in enumerate(order):
            node_url = self.urls[index] + path
            try:
                response = attempt(node_url)
            except _TRANSPORT_ERRORS as err:
                self.failed(index)
                kind = failure_kind(err)
                if not may_move_on(method, path, kind):
                    LOG.warning("cloudant: %s %s failed after it was sent (%s): outcome unknown, not sent again",
                                method, redact_url(node_url), type(err).__name__)
                    raise _outcome_unknown(method, node_url, err) from None
                if position + 1 == len(order) or not replayable():
                    raise
                LOG.warning("cloudant: %s %s failed (%s, %s); trying node %s", method, redact_url(node_url),
                            type(err).__name__, kind, redact_url(self.urls[order[position + 1]]))
                continue
            self.succeeded(index)
            return response
        raise AssertionError("unreachable: a NodeList has at least one URL")  # pragma: no cover


def _outcome_unknown(method: str, url: str, error: BaseException) -> OutcomeUnknown:
    timed_out = any(isinstance(cause, (requests.Timeout, ReadTimeoutError, TimeoutError)) for cause in _causes(error))
    return (OutcomeUnknownTimeout if timed_out else OutcomeUnknown)(method, url, error)
