"""What every benchmark shares: the server, the two clients, the timing method and the result rows.

The method, the same for every workload:

* both sides talk to the same server over one kept-alive connection each, and
  authenticate the same way (a cookie session, or HTTP Basic with ``--auth basic``);
* both sides decode every JSON body with :func:`json.loads` on the raw bytes, as
  the library does, so the decoding work is the same;
* one untimed warm-up run per side, then ``reps`` timed runs per side,
  interleaved and alternating which side goes first, with a garbage collection
  before each run; the figure is the median run time of each side, and the ratio
  is ours / bare.
"""
from __future__ import annotations

import gc
import json
import os
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional

import requests

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Server:
    """The server named by ``COUCHDB_URL`` / ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``."""

    url: str
    user: str
    password: str
    kind: str = "unknown"
    version: str = ""

    @classmethod
    def from_environment(cls) -> Server:
        url = os.environ.get("COUCHDB_URL", "").strip().rstrip("/")
        if not url:
            raise SystemExit("COUCHDB_URL is not set: run `make bench`, or set COUCHDB_URL (and COUCHDB_USER, "
                             "COUCHDB_PASSWORD) to a CouchDB-compatible server")
        server = cls(url, os.environ.get("COUCHDB_USER") or "admin", os.environ.get("COUCHDB_PASSWORD") or "admin")
        with requests.Session() as session:
            session.auth = (server.user, server.password)
            root = session.get(url + "/", timeout=30).json()
        server.version = str(root.get("version", ""))
        if "express-pouchdb" in root:
            server.kind = "pouchdb-server"
        elif "cloudant" in str((root.get("vendor") or {}).get("name", "")).lower():
            server.kind = "Cloudant"
        else:
            server.kind = "Apache CouchDB"
        return server


def bare_session(server: Server, auth: str) -> requests.Session:
    """A plain :class:`requests.Session`, authenticated the way our client is (cookie or basic)."""
    session = requests.Session()
    if auth == "basic":
        session.auth = (server.user, server.password)
    else:
        response = session.post(server.url + "/_session", data={"name": server.user, "password": server.password},
                                headers={"Accept": "application/json"}, timeout=30)
        response.raise_for_status()
    return session


def our_client(server: Server, auth: str) -> Any:
    """A connected :class:`cloudant.client.CouchDB` (cookie session, or HTTP Basic)."""
    from cloudant.client import CouchDB

    return CouchDB(server.user, server.password, url=server.url, connect=True, use_basic_auth=(auth == "basic"))


def get_json(session: requests.Session, url: str, **kwargs: Any) -> Any:
    """GET and decode, raising for a non-2xx answer: what a careful bare caller does."""
    response = session.get(url, **kwargs)
    response.raise_for_status()
    return json.loads(response.content)


def post_json(session: requests.Session, url: str, body: Any, **kwargs: Any) -> Any:
    """POST a JSON body and decode the answer, raising for a non-2xx answer."""
    response = session.post(url, data=json.dumps(body).encode("utf-8"), headers=JSON_HEADERS, **kwargs)
    response.raise_for_status()
    return json.loads(response.content)


def unique_name(prefix: str) -> str:
    """A fresh database name, e.g. ``bench-data-1a2b3c4d``."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


# -- timing ----------------------------------------------------------------------------------------------------
@dataclass
class Timing:
    """The timed runs of both sides of one comparison."""

    ours: List[float]
    bare: List[float]

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def bare_median(self) -> float:
        return statistics.median(self.bare)

    @property
    def ratio(self) -> float:
        return self.ours_median / self.bare_median


def timed(run: Callable[[], Any], setup: Optional[Callable[[], Any]] = None) -> float:
    """Seconds ``run()`` takes, after ``setup()`` (untimed) and a garbage collection."""
    if setup is not None:
        setup()
    gc.collect()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def compare(ours: Callable[[], Any], bare: Callable[[], Any], reps: int, warmup: bool = True,
            setup: Optional[Callable[[], Any]] = None, teardown: Optional[Callable[[], Any]] = None) -> Timing:
    """Time ``ours`` and ``bare`` ``reps`` times each, interleaved, alternating which side goes first.

    ``setup``/``teardown`` run untimed around every single run (e.g. a fresh database for a write).
    """
    timing = Timing([], [])
    sides = [(ours, timing.ours), (bare, timing.bare)]
    for index in range(reps + (1 if warmup else 0)):
        order = sides if index % 2 == 0 else sides[::-1]
        for run, times in order:
            try:
                seconds = timed(run, setup)
            finally:
                if teardown is not None:
                    teardown()
            if index > 0 or not warmup:
                times.append(seconds)
    return timing


def compare_calls(ours: Callable[[], Any], bare: Callable[[], Any], calls: int, reps: int,
                  chunk: int = 1) -> Timing:
    """Time ``calls`` single calls per side, ``reps`` times, interleaving the sides every ``chunk`` calls.

    Small calls take a millisecond or two, so a slow moment of the machine would weigh on whichever side
    happened to run then; switching sides every few calls spreads such moments evenly over both.
    """
    timing = Timing([], [])
    for index in range(reps + 1):  # the first repetition warms up
        totals = [0.0, 0.0]
        gc.collect()
        for block in range(0, calls, chunk):
            count = min(chunk, calls - block)
            order = ((0, ours), (1, bare)) if (block // chunk) % 2 == 0 else ((1, bare), (0, ours))
            for side, call in order:
                started = time.perf_counter()
                for _ in range(count):
                    call()
                totals[side] += time.perf_counter() - started
        if index > 0:
            timing.ours.append(totals[0])
            timing.bare.append(totals[1])
    return timing


# -- results -----------------------------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the results table.

    ``value`` is what is compared with ``target``: a ratio (``ours / bare``, lower is better), a speed-up
    (higher is better) or megabytes (lower is better); ``kind`` says which.
    """

    workload: str
    what: str
    size: str
    ours: Optional[float]
    other: Optional[float]
    value: Optional[float]
    target: Optional[float]
    kind: str = "ratio"  # "ratio" (<= target), "speedup" (>= target) or "memory" (MB, < target)
    predecessor: Optional[float] = None
    note: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> Optional[bool]:
        if self.value is None or self.target is None:
            return None
        if self.kind == "speedup":
            return self.value >= self.target
        if self.kind == "memory":
            return self.value < self.target
        return self.value <= self.target


def ratio_row(workload: str, what: str, size: str, timing: Timing, target: Optional[float],
              note: str = "") -> Row:
    """A row comparing our median with the bare session's."""
    return Row(workload, what, size, timing.ours_median, timing.bare_median, timing.ratio, target, note=note)


def batches(items: List[Any], size: int) -> Iterable[List[Any]]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def make_docs(count: int, prefix: str = "doc") -> List[Dict[str, Any]]:
    """``count`` small documents with sortable ids, a number, a string and a short list."""
    return [{"_id": "%s-%07d" % (prefix, number), "n": number, "name": "item %d" % number,
             "kind": ("red", "green", "blue")[number % 3], "tags": ["a", "b"][: 1 + number % 2]}
            for number in range(count)]
