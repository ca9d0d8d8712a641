"""What every benchmark shares: the server, the two clients, the documents and the timing method.

The method, the same for every workload:

* both sides talk to the same server, each over its own kept-alive connection, and authenticate the same way
  (HTTP Basic; a cookie session with ``--auth cookie``);
* wall time is :func:`time.perf_counter`, client CPU time :func:`time.process_time` (this process and all its
  threads; the server is another process, so its work is not counted);
* one untimed warm-up run per side, then ``reps`` timed runs per side, interleaved and alternating which side
  goes first, with a garbage collection before each run; the figure of each side is its best run (the fewest
  seconds), separately for wall and CPU time, and the ratios are ours / bare.
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional

import requests

from _side import Run, make_docs, timed_between

__all__ = ["Server", "Best", "Pair", "bare_session", "our_client", "get_json", "post_json", "unique_name",
           "batches", "make_docs", "compare"]

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


def bare_session(server: Server, auth: str = "basic") -> requests.Session:
    """A plain :class:`requests.Session` with HTTP Basic credentials, or logged in to a cookie session."""
    session = requests.Session()
    if auth == "basic":
        session.auth = (server.user, server.password)
    else:
        response = session.post(server.url + "/_session", data={"name": server.user, "password": server.password},
                                headers={"Accept": "application/json"}, timeout=30)
        response.raise_for_status()
    return session


def our_client(server: Server, auth: str = "basic") -> Any:
    """A connected :class:`cloudant.client.CouchDB` (HTTP Basic, or a cookie session), with its defaults."""
    from cloudant.client import CouchDB

    return CouchDB(server.user, server.password, url=server.url, connect=True, use_basic_auth=(auth == "basic"))


def get_json(session: requests.Session, url: str, **kwargs: Any) -> Any:
    """GET and decode with one :func:`json.loads`, raising for a non-2xx answer: what a careful bare caller does."""
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


def batches(items: List[Any], size: int) -> Iterable[List[Any]]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- timing ----------------------------------------------------------------------------------------------------
@dataclass
class Best:
    """The best of one side's timed runs: the fewest wall seconds and the fewest CPU seconds (each on its own)."""

    wall: float
    cpu: float
    runs: List[Run]

    @classmethod
    def of(cls, runs: List[Run]) -> Best:
        return cls(min(wall for wall, _ in runs), min(cpu for _, cpu in runs), runs)

    @classmethod
    def from_json(cls, result: Dict[str, Any]) -> Optional[Best]:
        """The best runs another library's script reported, or ``None`` when it reported an error."""
        if result.get("wall") is None:
            return None
        return cls(result["wall"], result["cpu"], [tuple(run) for run in result.get("runs", [])])  # type: ignore


@dataclass
class Pair:
    """Both sides of one comparison."""

    ours: Best
    bare: Best


def compare(ours: Callable[[], Any], bare: Callable[[], Any], reps: int, warmup: bool = True,
            setup: Optional[Callable[[], Any]] = None, teardown: Optional[Callable[[], Any]] = None) -> Pair:
    """Time ``ours`` and ``bare`` ``reps`` times each after a warm-up, interleaved, alternating which goes first.

    ``setup``/``teardown`` run untimed around every single run (e.g. a fresh database for a write).
    """
    runs: Dict[str, List[Run]] = {"ours": [], "bare": []}
    sides = [("ours", ours), ("bare", bare)]
    for index in range(reps + (1 if warmup else 0)):
        for side, run in (sides if index % 2 == 0 else sides[::-1]):
            sample = timed_between(run, setup, teardown)
            if index > 0 or not warmup:
                runs[side].append(sample)
    return Pair(Best.of(runs["ours"]), Best.of(runs["bare"]))
