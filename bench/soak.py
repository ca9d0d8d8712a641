"""Soak: several threads share one client for minutes of mixed reads and writes while sessions keep expiring.

``python bench/soak.py [--minutes 10] [--threads 8] [--session-timeout 3]`` against the server named by
``COUCHDB_URL`` / ``COUCHDB_USER`` / ``COUCHDB_PASSWORD`` (Apache CouchDB 3.x: the session timeout is set
with ``PUT /_node/_local/_config/chttpd_auth/timeout`` for the run and restored afterwards).

The method:

* One :class:`cloudant.client.CouchDB` (cookie session, ``auto_renew=True``, the defaults) is shared by all
  threads. Each thread creates, reads, updates and deletes its own documents (so no conflict is expected),
  and reads ``_all_docs`` pages, a view, ``_find`` and ``_changes`` with a ``limit``.
* Under steady load CouchDB never lets a cookie expire: it sends a fresh one with any answer once 10% of
  the timeout has passed. So the threads work in *bursts*, separated by *quiet* periods longer than the
  timeout; every burst after the first begins with all threads at once holding an expired session -- the
  worst case for renewal. ``--quiet 0`` runs the load without pauses instead.
* Logins are counted on the wire: the client is given a :class:`CountingAdapter` (the library's default
  :class:`~cloudant.adapters.Replay429Adapter`, counting what it sends), which sees every ``POST /_session``
  and every 401, and how many logins are in flight at once (1 at most when renewals run under one lock).
* Each session (a login and the cookies the server refreshes from it) is told apart by its cookie values: a
  request's cookie, or, sent without one because the jar dropped it as expired, the cookie the jar held.
  An *expiry* is a session the server refused a request of (401); its logins are the logins made while its
  cookie was the client's. A login renewing a session never refused is redundant. A stall of the whole
  machine longer than the timeout in the middle of a burst is a real expiry, counted as such.
* Errors reaching callers are the exceptions the library raised to the threads (any of them).
* Resident memory (``VmRSS`` in ``/proc/self/status``) and open sockets (socket descriptors in
  ``/proc/self/fd``) are read after connecting, after the first burst (warmed up), every minute and at the end.

The run fails (exit status 1) when an error reached a caller, two logins overlapped, an expiry took more
than ``--max-logins-per-expiry`` logins, or a login was redundant.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional
from urllib.parse import urlsplit

import requests
from requests import PreparedRequest, Response

from cloudant.adapters import Replay429Adapter
from cloudant.client import CouchDB
from cloudant.document import Document

WORKING_SET = 24  # documents each thread keeps; one older is deleted when it has more
MAX_ERRORS_KEPT = 50


# -- measuring ---------------------------------------------------------------------------------------------------
def rss_kb() -> int:
    """This process's resident set size (``VmRSS``), in KiB; 0 where ``/proc`` is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_sockets() -> int:
    """How many of this process's file descriptors are sockets."""
    count = 0
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return 0
    for name in names:
        try:
            if os.readlink("/proc/self/fd/" + name).startswith("socket:"):
                count += 1
        except OSError:  # closed meanwhile (the listing's own descriptor among them)
            pass
    return count


@dataclass
class WireCounts:
    """What a :class:`CountingAdapter` saw so far.

    Sessions are numbered by the login that opened them (1: the login of ``connect()``); a cookie the server
    refreshes in an answer stays in the session of the cookie the request sent. ``refused_by_session`` counts
    the 401s of each session (a session with any is one *expiry*); ``logins_by_session`` counts the logins
    made while each session's cookie was the client's (``None``: before any), i.e. the renewals of each.
    """

    requests: int = 0
    logins: int = 0  # POST /_session answered 2xx
    login_attempts: int = 0
    refused: int = 0  # 401 on anything but /_session
    max_logins_in_flight: int = 0
    statuses: Dict[int, int] = field(default_factory=dict)
    refused_by_session: Dict[int, int] = field(default_factory=dict)
    logins_by_session: Dict[Optional[int], int] = field(default_factory=dict)


_JAR_COOKIE = "_soak_jar_cookie"  # set on each prepared request by CountingAdapter.observe
_KEPT_COOKIES = 256  # cookie values remembered (CouchDB's change once a second at most)


def _sent_cookie(request: PreparedRequest) -> Optional[str]:
    for pair in (request.headers.get("Cookie") or "").split(";"):
        name, _, value = pair.strip().partition("=")
        if name == "AuthSession":
            return value
    return None


class CountingAdapter(Replay429Adapter):
    """The library's default adapter, counting logins and refusals as they pass on the wire, by session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._counts = WireCounts()
        self._statuses: Counter[int] = Counter()
        self._refused: Counter[int] = Counter()
        self._renewals: Counter[Optional[int]] = Counter()
        self._sessions: OrderedDict[str, int] = OrderedDict()  # AuthSession value -> session number
        self._logins_in_flight = 0

    def observe(self, session: requests.Session) -> None:
        """Note on each request ``session`` prepares the ``AuthSession`` value its jar held just before.

        A request sent without a cookie (the jar dropped an expired one) is so told apart: it belongs to the
        session of the cookie it would have sent. Read before preparing, a login's new cookie cannot slip
        in between: a request prepared after it carries it.
        """
        prepare = session.prepare_request

        def prepare_request(request: requests.Request) -> PreparedRequest:
            jar: Any = session.cookies  # iterates over Cookie objects (typed as a mapping's keys)
            held = next((cookie.value for cookie in list(jar) if cookie.name == "AuthSession"), None)
            prepared = prepare(request)
            setattr(prepared, _JAR_COOKIE, held)
            return prepared

        session.prepare_request = prepare_request  # type: ignore[method-assign]

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        login = request.method == "POST" and urlsplit(request.url or "").path.endswith("/_session")
        cookie = _sent_cookie(request) or getattr(request, _JAR_COOKIE, None)
        with self._lock:
            session = self._sessions.get(cookie) if cookie else None
            if login:
                self._logins_in_flight += 1
                self._counts.login_attempts += 1
                self._counts.max_logins_in_flight = max(self._counts.max_logins_in_flight, self._logins_in_flight)
        try:
            response = super().send(request, *args, **kwargs)
        finally:
            if login:
                with self._lock:
                    self._logins_in_flight -= 1
        fresh = response.cookies.get("AuthSession")
        with self._lock:
            self._counts.requests += 1
            self._statuses[response.status_code] += 1
            if login and response.status_code < 300:
                self._counts.logins += 1
                self._renewals[session] += 1
                session = self._counts.logins
            elif not login and response.status_code == 401:
                self._counts.refused += 1
                if session is not None:
                    self._refused[session] += 1
            if fresh and session is not None:
                self._sessions[fresh] = session
                self._sessions.move_to_end(fresh)
                while len(self._sessions) > _KEPT_COOKIES:
                    self._sessions.popitem(last=False)
        return response

    def snapshot(self) -> WireCounts:
        with self._lock:
            counts = WireCounts(**{**asdict(self._counts), "statuses": dict(self._statuses),
                                   "refused_by_session": dict(self._refused),
                                   "logins_by_session": dict(self._renewals)})
        return counts


# -- the server's session timeout --------------------------------------------------------------------------------
@contextmanager
def session_timeout(url: str, user: str, password: str, seconds: int) -> Iterator[None]:
    """Set CouchDB's ``chttpd_auth/timeout`` for the block; restore the previous value (or its absence).

    :raises RuntimeError: when the server refuses the setting (pouchdb-server, Cloudant).
    """
    setting = url + "/_node/_local/_config/chttpd_auth/timeout"
    with requests.Session() as admin:
        admin.auth = (user, password)
        before = admin.get(setting, timeout=30)
        previous = before.json() if before.status_code == 200 else None
        answer = admin.put(setting, data=json.dumps(str(seconds)), timeout=30)
        if answer.status_code != 200:
            raise RuntimeError("the server does not take chttpd_auth/timeout (HTTP %d)" % answer.status_code)
        try:
            yield
        finally:
            if previous is None:
                admin.delete(setting, timeout=30)
            else:
                admin.put(setting, data=json.dumps(previous), timeout=30)


# -- the load ----------------------------------------------------------------------------------------------------
@dataclass
class Burst:
    """One burst of load: its operations and what the wire saw meanwhile."""

    index: int
    operations: int
    errors: int
    logins: int
    refused: int


@dataclass
class Report:
    """The figures of one soak run."""

    server: str
    threads: int
    seconds: float
    session_timeout: int
    operations: Dict[str, int]
    errors: List[str]
    error_count: int
    bursts: List[Burst]
    logins_total: int
    max_logins_in_flight: int
    statuses: Dict[int, int]
    refused_total: int
    refused_by_session: Dict[int, int]  # session number -> 401s (see WireCounts)
    logins_by_session: Dict[Optional[int], int]  # session number (None: none yet) -> logins renewing it
    samples: List[Dict[str, float]]  # {"t", "rss_kb", "sockets", "operations"}

    @property
    def expiries(self) -> List[int]:
        """The sessions the server refused a request of: each one expiry."""
        return sorted(self.refused_by_session)

    @property
    def logins_per_expiry(self) -> List[int]:
        """For each expiry, the logins made to renew that session."""
        return [self.logins_by_session.get(session, 0) for session in self.expiries]

    @property
    def logins_without_expiry(self) -> int:
        """Logins renewing a session never refused, besides ``connect()``'s: redundant ones."""
        expired = set(self.expiries)
        return sum(count for session, count in self.logins_by_session.items() if session not in expired) - 1

    @property
    def refused_unattributed(self) -> int:
        """401s whose session the counter could not tell (should be 0)."""
        return self.refused_total - sum(self.refused_by_session.values())

    def text(self) -> str:
        start, warm, end = self.samples[0], self.samples[min(1, len(self.samples) - 1)], self.samples[-1]
        expiries, per_expiry = self.expiries, self.logins_per_expiry
        herds = [burst.refused for burst in self.bursts[1:]]
        lines = [
            "server: %s; %d threads sharing one client for %.0f s; session timeout %d s"
            % (self.server, self.threads, self.seconds, self.session_timeout),
            "operations: %d (%s)" % (sum(self.operations.values()),
                                     ", ".join("%s %d" % item for item in sorted(self.operations.items()))),
            "errors reaching callers: %d" % self.error_count,
            "session expiries observed: %d, over %d bursts; %d requests refused with 401 (%d unattributed), "
            "%.1f per expiry; per burst after a quiet period: min %d, max %d"
            % (len(expiries), len(self.bursts), self.refused_total, self.refused_unattributed,
               self.refused_total / len(expiries) if expiries else 0.0, min(herds, default=0),
               max(herds, default=0)),
            "logins: %d in total (1 at connect); per expiry %.2f on average, min %d, max %d; %d redundant "
            "(renewing a session never refused); at most %d in flight at once"
            % (self.logins_total, sum(per_expiry) / len(per_expiry) if per_expiry else 0.0,
               min(per_expiry, default=0), max(per_expiry, default=0), self.logins_without_expiry,
               self.max_logins_in_flight),
            "RSS: %.1f MiB after connecting, %.1f MiB after the first burst, %.1f MiB at the end"
            % (start["rss_kb"] / 1024, warm["rss_kb"] / 1024, end["rss_kb"] / 1024),
            "open sockets: %d after connecting, %d after the first burst, %d at the end"
            % (start["sockets"], warm["sockets"], end["sockets"]),
            "HTTP statuses: %s" % ", ".join("%d x%d" % item for item in sorted(self.statuses.items())),
        ]
        unusual = [burst for burst in self.bursts if burst.logins > 1]
        lines += ["burst %d: %d logins, %d refused" % (b.index, b.logins, b.refused) for b in unusual[:10]]
        lines += ["error: %s" % error for error in self.errors[:10]]
        return "\n".join(lines)


class Worker(threading.Thread):
    """One thread's mixed load on its own documents, while ``running`` is set."""

    def __init__(self, number: int, database: Any, running: threading.Event, stop: threading.Event,
                 record_error: Callable[[str], None]) -> None:
        super().__init__(name="soak-%d" % number, daemon=True)
        self.number = number
        self.database = database
        self.running = running
        self.stop = stop
        self.idle = threading.Event()
        self.record_error = record_error
        self.random = random.Random(number)
        self.docs: List[Document] = []
        self.created = 0
        self.operations: Counter[str] = Counter()
        self.errors = 0

    def run(self) -> None:
        ops = [(self.create, 3), (self.read, 3), (self.update, 3), (self.delete, 1), (self.all_docs_page, 1),
               (self.view, 1), (self.find, 1), (self.changes, 1)]
        functions = [op for op, _ in ops]
        weights = [weight for _, weight in ops]
        while not self.stop.is_set():
            self.idle.clear()  # before looking at running: the coordinator waits for idle after clearing it
            if not self.running.is_set():
                self.idle.set()
                self.running.wait(0.25)
                continue
            op = self.random.choices(functions, weights)[0]
            try:
                op()
            except Exception as err:  # whatever reached the caller is what this run measures
                self.errors += 1
                self.record_error("%s in %s: %s: %s" % (self.name, op.__name__, type(err).__name__, err))
            else:
                self.operations[op.__name__] += 1
        self.idle.set()

    def _pick(self) -> Optional[Document]:
        return self.random.choice(self.docs) if self.docs else None

    def create(self) -> None:
        self.created += 1
        doc_id = "t%d-%08d" % (self.number, self.created)
        body = {"_id": doc_id, "thread": self.number, "n": 0, "pad": "x" * self.random.randrange(10, 2000)}
        self.docs.append(self.database.create_document(body, throw_on_exists=True))
        if len(self.docs) > WORKING_SET:
            self.docs.pop(0).delete()

    def read(self) -> None:
        doc = self._pick()
        if doc is None:
            return self.create()
        fresh = Document(self.database, doc["_id"])
        fresh.fetch()
        if fresh["n"] != doc["n"] or fresh["_rev"] != doc["_rev"]:
            raise AssertionError("read %s n=%s rev=%s, last wrote n=%s rev=%s"
                                 % (doc["_id"], fresh["n"], fresh["_rev"], doc["n"], doc["_rev"]))

    def update(self) -> None:
        doc = self._pick()
        if doc is None:
            return self.create()
        doc["n"] += 1
        doc.save()

    def delete(self) -> None:
        if len(self.docs) > 2:
            self.docs.pop(self.random.randrange(len(self.docs))).delete()

    def all_docs_page(self) -> None:
        prefix = "t%d-" % self.number
        page = self.database.all_docs(startkey=prefix, endkey=prefix + "\ufff0", limit=20)
        if len(page["rows"]) > 20:
            raise AssertionError("all_docs returned %d rows for limit=20" % len(page["rows"]))

    def view(self) -> None:
        rows = self.database.get_view_result("_design/soak", "by_thread", raw_result=True, key=self.number,
                                             limit=10)["rows"]
        if any(row["key"] != self.number for row in rows):
            raise AssertionError("the view returned another thread's rows")

    def find(self) -> None:
        docs = self.database.get_query_result({"thread": self.number}, raw_result=True, limit=10)["docs"]
        if any(doc["thread"] != self.number for doc in docs):
            raise AssertionError("_find returned another thread's documents")

    def changes(self) -> None:
        seen = sum(1 for _ in self.database.changes(limit=10, descending=True))
        if seen > 10:
            raise AssertionError("_changes returned %d changes for limit=10" % seen)


def _prepare(client: CouchDB) -> Any:
    database = client.create_database("soak-" + uuid.uuid4().hex, throw_on_exists=True)
    database.create_document({"_id": "_design/soak", "views": {"by_thread": {
        "map": "function (doc) { if (doc.thread !== undefined) { emit(doc.thread, doc.n); } }"}}})
    database.create_query_index(fields=["thread"])
    return database


def _sample(started: float, operations: int) -> Dict[str, float]:
    gc.collect()
    return {"t": round(time.monotonic() - started, 1), "rss_kb": rss_kb(), "sockets": open_sockets(),
            "operations": operations}


def run_soak(url: str, user: str, password: str, *, seconds: float, threads: int = 8, session_timeout: int = 3,
             burst: float = 5.0, quiet: Optional[float] = None,
             progress: Optional[Callable[[str], None]] = None) -> Report:
    """Run the soak against a server whose session timeout is already ``session_timeout`` seconds.

    :param float quiet: seconds between bursts; default ``session_timeout + 2`` (every session expires).
        With 0 the load runs without pauses, in bursts of ``burst`` seconds for the figures.
    """
    quiet = session_timeout + 2.0 if quiet is None else quiet
    adapter = CountingAdapter()
    client = CouchDB(user, password, url=url, connect=True, adapter=adapter)
    assert client.r_session is not None
    adapter.observe(client.r_session)
    errors: List[str] = []
    error_lock = threading.Lock()

    def record_error(text: str) -> None:
        with error_lock:
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append(text)

    database = _prepare(client)
    running, stop = threading.Event(), threading.Event()
    workers = [Worker(number, database, running, stop, record_error) for number in range(threads)]
    started = time.monotonic()
    samples = [_sample(started, 0)]
    bursts: List[Burst] = []
    last_minute = 0

    def total_operations() -> int:
        return sum(sum(worker.operations.values()) for worker in workers)

    try:
        for worker in workers:
            worker.start()
        before, ops_before, errors_before = adapter.snapshot(), 0, 0
        deadline = started + seconds
        while True:
            running.set()  # every waiting thread wakes at once
            time.sleep(max(0.0, min(burst, deadline - time.monotonic())))
            running.clear()
            for worker in workers:
                worker.idle.wait(120)
            after, ops_after = adapter.snapshot(), total_operations()
            errors_after = sum(worker.errors for worker in workers)
            bursts.append(Burst(len(bursts), ops_after - ops_before, errors_after - errors_before,
                                after.logins - before.logins, after.refused - before.refused))
            before, ops_before, errors_before = after, ops_after, errors_after
            if len(bursts) == 1:
                samples.append(_sample(started, ops_after))
            minute = int((time.monotonic() - started) // 60)
            if minute > last_minute:
                last_minute = minute
                samples.append(_sample(started, ops_after))
                if progress is not None:
                    sample = samples[-1]
                    progress("%5.0f s: %d operations, %d errors, %d logins, %d expiries, RSS %.1f MiB, %d sockets"
                             % (sample["t"], ops_after, errors_after, after.logins,
                                len(after.refused_by_session), sample["rss_kb"] / 1024, sample["sockets"]))
            if time.monotonic() + quiet >= deadline:  # no time left for a quiet period and another burst
                break
            time.sleep(quiet)
        samples.append(_sample(started, total_operations()))
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        running.set()
        for worker in workers:
            worker.join(60)
        try:
            database.delete()
        finally:
            client.disconnect()
    counts = adapter.snapshot()
    operations: Counter[str] = Counter()
    for worker in workers:
        operations.update(worker.operations)
    return Report(server=url, threads=threads, seconds=elapsed, session_timeout=session_timeout,
                  operations=dict(operations), errors=errors, error_count=sum(worker.errors for worker in workers),
                  bursts=bursts, logins_total=counts.logins, max_logins_in_flight=counts.max_logins_in_flight,
                  statuses=counts.statuses, refused_total=counts.refused,
                  refused_by_session=counts.refused_by_session, logins_by_session=counts.logins_by_session,
                  samples=samples)


def failures(report: Report, max_logins_per_expiry: int) -> List[str]:
    """What is wrong with a run: errors reached callers, overlapping logins, too many logins per expiry."""
    found = []
    if report.error_count:
        found.append("%d errors reached callers" % report.error_count)
    if report.max_logins_in_flight > 1:
        found.append("%d logins were in flight at once" % report.max_logins_in_flight)
    most = max(report.logins_per_expiry, default=0)
    if most > max_logins_per_expiry:
        found.append("an expiry took %d logins" % most)
    if report.logins_without_expiry:
        found.append("%d logins renewed a session the server never refused" % report.logins_without_expiry)
    return found


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs (default 10)")
    parser.add_argument("--threads", type=int, default=8, help="threads sharing the client (default 8)")
    parser.add_argument("--session-timeout", type=int, default=3, help="the server's session timeout, seconds")
    parser.add_argument("--burst", type=float, default=5.0, help="seconds of load per burst (default 5)")
    parser.add_argument("--quiet", type=float, default=None,
                        help="seconds between bursts (default session timeout + 2; 0: no pauses)")
    parser.add_argument("--max-logins-per-expiry", type=int, default=2, help="more fails the run (default 2)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("COUCHDB_URL", "").strip().rstrip("/")
    if not url:
        raise SystemExit("COUCHDB_URL is not set: name an Apache CouchDB 3.x (and COUCHDB_USER, COUCHDB_PASSWORD)")
    user, password = os.environ.get("COUCHDB_USER") or "admin", os.environ.get("COUCHDB_PASSWORD") or "admin"

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with session_timeout(url, user, password, args.session_timeout):
        report = run_soak(url, user, password, seconds=args.minutes * 60, threads=args.threads,
                          session_timeout=args.session_timeout, burst=args.burst, quiet=args.quiet,
                          progress=progress)
    print(report.text())
    if args.json:
        with open(args.json, "w") as out:
            figures = asdict(report)
            figures.update(expiries=len(report.expiries), logins_per_expiry=report.logins_per_expiry,
                           logins_without_expiry=report.logins_without_expiry)
            json.dump(figures, out, indent=2)
    found = failures(report, args.max_logins_per_expiry)
    for problem in found:
        print("FAIL: " + problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
