"""An infinite ``_changes`` feed whose connection is cut again and again: is every change delivered exactly once?

``python bench/feed_cuts.py [--changes 100000] [--cuts 1000] [--seed 1]`` against the server named by
``COUCHDB_URL`` / ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``.

The method:

* A fresh database gets ``changes`` documents, one change each: all but ``--live-share`` of them before the
  feed starts, the rest written by another thread, in batches of 100, while the feed runs (so the feed is
  cut both while it reads a backlog and while it waits at the tail). Writes go to the server directly.
* The feed, a :class:`cloudant.feed.InfiniteFeed` (``heartbeat`` 1 s), reads through the loopback fault proxy
  of the test suite (``tests/faults/proxy.py``). Every ``_changes`` request it sends is cut (the connection
  closed, the chunked body left unterminated) after a number of body bytes drawn uniformly between 1 and
  twice the mean, the mean chosen so that about ``1.3 * cuts`` cuts fall before the last change: most cuts
  land in the middle of a line, some right after one, a few before the first line of a response ends.
* The run ends once every document was seen, or when no new change came for ``--idle`` seconds (then
  changes were lost). The feed then stops; the database is deleted.

Reported: changes delivered (every item the feed yielded, heartbeats aside), distinct documents seen, lost
(never seen), duplicated (seen more than once), cuts the proxy applied, ``_changes`` requests it saw, wall
time, the client's CPU time, and how often and how long the feed waited before reconnecting. The exit status
is 1 when a change was lost or duplicated, or fewer than ``--cuts`` cuts were applied.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the fault proxy

from faults.proxy import FaultProxy, random_cuts  # noqa: E402

from cloudant import couchdb  # noqa: E402
from cloudant.database import CouchDatabase  # noqa: E402

BATCH = 1000
LIVE_BATCH = 100


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=100000, help="documents written, one change each")
    parser.add_argument("--cuts", type=int, default=1000, help="connection cuts to apply at least")
    parser.add_argument("--seed", type=int, default=1, help="seed of the cut points")
    parser.add_argument("--live-share", type=float, default=0.1,
                        help="share of the documents written while the feed runs; default 0.1")
    parser.add_argument("--idle", type=float, default=60.0,
                        help="seconds without a new change after which the run gives up (changes were lost)")
    return parser.parse_args(argv)


def write(database: CouchDatabase, ids: List[str]) -> None:
    for start in range(0, len(ids), BATCH):
        results = database.bulk_docs([{"_id": doc_id} for doc_id in ids[start:start + BATCH]])
        failed = [result for result in results if "error" in result]
        if failed:
            raise SystemExit("bulk_docs failed for %d documents, e.g. %r" % (len(failed), failed[0]))


def line_bytes(database: CouchDatabase) -> int:
    """The size of one line of the continuous feed, from a sample change."""
    sample = next(iter(database.changes(feed="continuous", limit=1)))
    return len(json.dumps(sample, separators=(",", ":"))) + 1


def follow(database: CouchDatabase, expected: int, idle: float, waited: List[float]) -> Counter[str]:
    """Read the infinite feed until ``expected`` distinct documents were seen, or nothing new for ``idle`` s.

    ``waited`` receives the seconds the feed spent waiting between reconnections.
    """
    feed = database.infinite_changes(heartbeat=1000)
    pause = feed._stop_event.wait  # what the feed waits on between reconnections (a measurement hook)

    def timed_pause(timeout: Any = None) -> bool:
        started = time.perf_counter()
        try:
            return pause(timeout)
        finally:
            waited.append(time.perf_counter() - started)

    feed._stop_event.wait = timed_pause  # type: ignore[method-assign]
    seen: Counter[str] = Counter()
    last_news = [time.monotonic()]
    done = threading.Event()

    def watchdog() -> None:
        while not done.wait(1.0):
            if time.monotonic() - last_news[0] > idle:
                feed.stop()
                return

    threading.Thread(target=watchdog, daemon=True).start()
    try:
        for change in feed:
            if change is None:  # a heartbeat
                continue
            doc_id = change["id"]
            if doc_id not in seen:
                last_news[0] = time.monotonic()
            seen[doc_id] += 1
            if len(seen) == expected:
                break
    finally:
        feed.stop()
        done.set()
    return seen


def run(args: argparse.Namespace) -> Dict[str, Any]:
    url = os.environ.get("COUCHDB_URL", "").rstrip("/")
    if not url:
        raise SystemExit("COUCHDB_URL is not set")
    user, password = os.environ.get("COUCHDB_USER") or "admin", os.environ.get("COUCHDB_PASSWORD") or "admin"
    ids = ["doc-%07d" % number for number in range(args.changes)]
    backlog = ids[:int(len(ids) * (1 - args.live_share))]
    live = ids[len(backlog):]
    name = "bench-feed-cuts-" + uuid.uuid4().hex[:12]
    with couchdb(user, password, url=url) as direct, FaultProxy(url) as proxy:
        info = direct.metadata()
        database = direct.create_database(name)
        try:
            started = time.perf_counter()
            write(database, backlog)
            print("wrote %d documents in %.1f s" % (len(backlog), time.perf_counter() - started), flush=True)
            mean = max(1, int(args.changes * line_bytes(database) / (1.3 * args.cuts)))
            for cut in random_cuts(2 * args.cuts, mean_bytes=mean, seed=args.seed):
                proxy.add(cut, path="/_changes")
            with couchdb(user, password, url=proxy.url) as client:
                writer = threading.Thread(target=lambda: [write(database, live[start:start + LIVE_BATCH])
                                                          for start in range(0, len(live), LIVE_BATCH)])
                waited: List[float] = []
                cpu, wall = time.process_time(), time.perf_counter()
                writer.start()
                seen = follow(CouchDatabase(client, name), len(ids), args.idle, waited)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                writer.join()
            proxy.clear()
        finally:
            direct.delete_database(name)
        return {
            "server": "%s %s" % (info.get("couchdb", "?"), info.get("version", "?")),
            "changes": len(ids), "delivered": sum(seen.values()), "distinct": len(seen),
            "lost": len(ids) - len(seen), "duplicated": sum(count - 1 for count in seen.values() if count > 1),
            "cuts": proxy.count(path="/_changes", faulty=True), "requests": proxy.count(path="/_changes"),
            "mean_cut_bytes": mean, "wall_s": round(wall, 1), "client_cpu_s": round(cpu, 1),
            "waits": len(waited), "waited_s": round(sum(waited), 1),
        }


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    report = run(args)
    for key, value in report.items():
        print("%-15s %s" % (key, value))
    ok = report["lost"] == 0 and report["duplicated"] == 0 and report["cuts"] >= args.cuts
    print("exactly once: %s" % ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
