"""The progress of a replication, polled until it completes, fails or the caller stops.

:meth:`cloudant.replicator.Replicator.replication_progress` returns a :class:`ReplicationProgressIterator`
that yields a :class:`ReplicationProgress` now and then every ``interval`` seconds::

    progress = replicator.replication_progress(doc["_id"], interval=2)
    for status in progress:
        print(status.state, status.docs_written, status.pending, status.rate, status.eta)
    if status.failed:
        ...

Where the figures come from, best first:

- the scheduler (CouchDB 2.1+, Cloudant): ``GET /_scheduler/docs/_replicator/{id}`` gives the state and,
  since CouchDB 3.0, the job's statistics in ``info`` (the same ``info`` object ``_scheduler/jobs`` shows:
  ``docs_read``, ``docs_written``, ``doc_write_failures``, ``changes_pending``, ``through_seq``...);
- ``GET /_active_tasks``, the task whose ``doc_id`` is the replication's, for what ``info`` lacks
  (CouchDB 2.x reports no statistics for running jobs in ``info``);
- without a scheduler (pouchdb-server, CouchDB 1.x): the document's ``_replication_state`` and
  ``_replication_stats``;
- ``changes_pending`` is often ``null`` (CouchDB 3.4 leaves it so): when the source is a database of the
  same server, the source's own count is asked instead (``GET /{source}/_changes?since={through_seq}&limit=0``,
  its ``pending``). ``ReplicationProgress.pending_from`` says which.

The rate is documents written per second over the last ``window`` seconds of observation; the ETA is
``pending / rate``. Sequences are opaque: they are reported as the server gave them, never computed with.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, Optional, Tuple
from urllib.parse import unquote, urlsplit

from .error import CloudantException, CloudantHTTPError, CloudantReplicatorException
from .replicator import TERMINAL_STATES

__all__ = ["ReplicationProgress", "ReplicationProgressIterator", "TERMINAL_STATES", "FAILED_STATES"]

#: Terminal states that mean it did not succeed.
FAILED_STATES = frozenset({"failed", "error"})
_STAT_FIELDS = ("docs_read", "docs_written", "doc_write_failures", "changes_pending", "revisions_checked",
                "missing_revisions_found", "source_seq", "through_seq", "checkpointed_source_seq")


@dataclass(frozen=True)
class ReplicationProgress:
    """One observation of a replication. A figure the server does not report is ``None``.

    :ivar repl_id: the replication document id.
    :ivar state: the server's state (``initializing``, ``pending``, ``running``, ``crashing``,
        ``completed``, ``failed``, ``error``; ``triggered`` without a scheduler), ``None`` before it is taken up.
    :ivar docs_written: documents written to the target so far.
    :ivar docs_read: documents read from the source so far.
    :ivar doc_write_failures: documents the target refused.
    :ivar pending: changes of the source not replicated yet.
    :ivar pending_from: ``"server"`` (the replicator's ``changes_pending``), ``"source"`` (the source's
        ``_changes`` count), ``"completed"`` (0: a completed replication has nothing left) or ``None``.
    :ivar rate: documents written per second, over the last observation window.
    :ivar eta: seconds left at that rate (``0.0`` once nothing is pending).
    :ivar elapsed: seconds since the iterator began observing.
    :ivar error: the server's reason for a failure or a crash, if any.
    :ivar continuous: whether the replication is continuous (``None`` when unknown).
    :ivar info: the raw statistics merged from the sources above (sequences included, as given).
    """

    repl_id: str
    state: Optional[str]
    docs_written: Optional[int] = None
    docs_read: Optional[int] = None
    doc_write_failures: Optional[int] = None
    pending: Optional[int] = None
    pending_from: Optional[str] = None
    rate: Optional[float] = None
    eta: Optional[float] = None
    elapsed: float = 0.0
    error: Optional[str] = None
    continuous: Optional[bool] = None
    info: Dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """True in a terminal state (``completed``, ``failed``, ``error``)."""
        return self.state in TERMINAL_STATES

    @property
    def failed(self) -> bool:
        """True in ``failed`` or ``error``."""
        return self.state in FAILED_STATES

    @property
    def completed(self) -> bool:
        """True once ``completed``."""
        return self.state == "completed"

    def as_dict(self) -> Dict[str, Any]:
        """The observation as a JSON-ready dict (the raw ``info`` left out)."""
        return {"replication": self.repl_id, "state": self.state, "docs_written": self.docs_written,
                "docs_read": self.docs_read, "doc_write_failures": self.doc_write_failures,
                "pending": self.pending, "pending_from": self.pending_from,
                "rate": None if self.rate is None else round(self.rate, 1),
                "eta_seconds": None if self.eta is None else round(self.eta, 1),
                "elapsed_seconds": round(self.elapsed, 3), "error": self.error, "continuous": self.continuous}


class ReplicationProgressIterator:
    """Yields a :class:`ReplicationProgress` at once, then every ``interval`` seconds.

    It ends after yielding a terminal state, when the replication document is deleted, or after
    :meth:`stop` (callable from another thread or a signal handler; it also cuts the wait short).
    A continuous replication runs until stopped.

    :param replicator: a :class:`~cloudant.replicator.Replicator`.
    :param str repl_id: the replication document id.
    :param float interval: seconds between observations. Default 2.
    :param float window: seconds of observations the rate is computed over. Default 30.
    :param clock: a monotonic clock (for tests).
    :raises CloudantReplicatorException: code 404 on the first observation when there is no such replication.
    """

    def __init__(self, replicator: Any, repl_id: str, interval: float = 2.0, window: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
            raise ValueError("interval must be a number of seconds >= 0, not %r" % (interval,))
        self.replicator = replicator
        self.repl_id = repl_id
        self.interval = float(interval)
        self.window = float(window)
        self._clock = clock
        self._stop_event = threading.Event()
        self._samples: Deque[Tuple[float, int]] = deque()
        self._started: Optional[float] = None
        self._finished = False
        self.last: Optional[ReplicationProgress] = None

    def __iter__(self) -> ReplicationProgressIterator:
        return self

    def __next__(self) -> ReplicationProgress:
        if self._finished or self._stop_event.is_set():
            raise StopIteration
        if self._started is None:
            self._started = self._clock()
        elif self._stop_event.wait(self.interval):
            raise StopIteration
        try:
            progress = self._observe()
        except CloudantReplicatorException as err:
            if err.code == 404 and self.last is not None:  # the document was deleted: it is over
                self._finished = True
                raise StopIteration from None
            raise
        self.last = progress
        self._finished = progress.done
        return progress

    def stop(self) -> None:
        """End the iteration: the next ``next()`` (or the one waiting) raises ``StopIteration``."""
        self._stop_event.set()

    # -- one observation ---------------------------------------------------------------------------------
    def _observe(self) -> ReplicationProgress:
        status, state = self.replicator._snapshot(self.repl_id)
        status = dict(status)
        stats = _stats_of(status)
        if state not in TERMINAL_STATES and _missing(stats, ("docs_written", "changes_pending")):
            _fill(stats, self._active_task())
        pending = _int_or_none(stats.get("changes_pending"))
        pending_from: Optional[str] = "server"
        if pending is None:
            pending, pending_from = self._pending_from_source(status, state, stats)
        now = self._clock()
        written = _int_or_none(stats.get("docs_written"))
        rate = self._rate(now, written)
        return ReplicationProgress(
            repl_id=self.repl_id, state=state, docs_written=written, docs_read=_int_or_none(stats.get("docs_read")),
            doc_write_failures=_int_or_none(stats.get("doc_write_failures")), pending=pending,
            pending_from=pending_from if pending is not None else None, rate=rate, eta=_eta(pending, rate),
            elapsed=now - (self._started if self._started is not None else now), error=_error_of(status, stats),
            continuous=_continuous_of(status), info=stats)

    def _active_task(self) -> Dict[str, Any]:
        """The ``_active_tasks`` entry of this replication, or ``{}`` (none, or the list is not readable)."""
        try:
            tasks = self.replicator.client._endpoint.child("_active_tasks").json()
        except CloudantHTTPError:  # not an admin, or no such endpoint
            return {}
        for task in tasks if isinstance(tasks, list) else ():
            if isinstance(task, dict) and task.get("type") == "replication" and task.get("doc_id") == self.repl_id:
                return task
        return {}

    def _pending_from_source(self, status: Dict[str, Any], state: Optional[str],
                             stats: Dict[str, Any]) -> Tuple[Optional[int], Optional[str]]:
        if state == "completed" and not _continuous_of(status):
            return 0, "completed"
        if state in TERMINAL_STATES:
            return None, None
        database = _same_server_database(self.replicator.client, status.get("source"))
        if database is None:
            return None, None
        params: Dict[str, Any] = {"limit": 0}
        since = stats.get("through_seq") or stats.get("checkpointed_source_seq")
        if since is not None:
            params["since"] = since  # opaque: sent back exactly as the server gave it
        try:
            reply = self.replicator.client._endpoint.child(database, "_changes").json(params=params)
        except CloudantException:
            return None, None
        pending = _int_or_none(reply.get("pending")) if isinstance(reply, dict) else None
        return (pending, "source") if pending is not None else (None, None)

    def _rate(self, now: float, written: Optional[int]) -> Optional[float]:
        """Documents written per second over the samples of the last ``window`` seconds."""
        if written is None:
            return None
        if self._samples and written < self._samples[-1][1]:  # the job restarted its counters
            self._samples.clear()
        self._samples.append((now, written))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
            self._samples.popleft()
        first_time, first_written = self._samples[0]
        if now <= first_time:
            return None
        return (written - first_written) / (now - first_time)


def _stats_of(status: Dict[str, Any]) -> Dict[str, Any]:
    """The statistics a scheduler document (``info``) or a replication document (``_replication_stats``) holds."""
    for key in ("info", "_replication_stats"):
        value = status.get(key)
        if isinstance(value, dict):
            return dict(value)
    return {}


def _missing(stats: Dict[str, Any], names: Tuple[str, ...]) -> bool:
    return any(stats.get(name) is None for name in names)


def _fill(stats: Dict[str, Any], task: Dict[str, Any]) -> None:
    """Take from an active task the figures ``stats`` lacks (or has as ``None``)."""
    for name in _STAT_FIELDS:
        if stats.get(name) is None and task.get(name) is not None:
            stats[name] = task[name]


def _int_or_none(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _eta(pending: Optional[int], rate: Optional[float]) -> Optional[float]:
    if pending is None:
        return None
    if pending == 0:
        return 0.0
    if rate is None or rate <= 0:
        return None
    return pending / rate


def _error_of(status: Dict[str, Any], stats: Dict[str, Any]) -> Optional[str]:
    for value in (stats.get("error"), status.get("_replication_state_reason"), status.get("error"),
                  status.get("reason")):
        if value:
            return value if isinstance(value, str) else str(value)
    errors = stats.get("errors")  # pouchdb-server's list
    if isinstance(errors, list) and errors:
        return str(errors[-1])
    return None


def _continuous_of(status: Dict[str, Any]) -> Optional[bool]:
    if "continuous" in status or "_id" in status:  # a replication document: no field means one-shot
        return bool(status.get("continuous"))
    job_id = status.get("id")
    if isinstance(job_id, str):  # a scheduler job id ends in "+continuous" for continuous replications
        return job_id.endswith("+continuous")
    return None


def _same_server_database(client: Any, source: Any) -> Optional[str]:
    """The name of the source database when it lives on the server ``client`` talks to, else ``None``."""
    if isinstance(source, dict):
        source = source.get("url")
    if not isinstance(source, str) or not source:
        return None
    if "://" not in source:
        return source  # a bare name: a database of the same server
    server = urlsplit(str(getattr(client, "server_url", "") or ""))
    parts = urlsplit(source)
    if (parts.scheme, parts.hostname, parts.port) != (server.scheme, server.hostname, server.port):
        return None
    base = server.path.rstrip("/")
    path = parts.path.rstrip("/")
    if not path.startswith(base + "/"):
        return None
    name = unquote(path[len(base) + 1:])
    return name or None

