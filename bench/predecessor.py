"""The same workloads, run with python-cloudant 2.15.0 (the predecessor) in its own virtualenv.

``bench/run.py`` starts this script with ``bench/.venv-predecessor/bin/python`` (made by
``bench/setup_predecessor.py``) for one task at a time, with the task's arguments as JSON; it prints one
JSON object: ``{"seconds": <median>, "runs": [...]}``, or ``{"error": "..."}``. Only the predecessor's
public API is used. Its ``Replay429Adapter`` cannot be built with urllib3 2, so no adapter is mounted.
"""
from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
import uuid
import warnings
from typing import Any, Callable, Dict, List

warnings.simplefilter("ignore")  # the predecessor warns on import that it is deprecated

# run.py starts this script with ``python -I``: the checkout's own ``cloudant`` is never on sys.path.
from cloudant.client import CouchDB  # noqa: E402
from cloudant.result import Result  # noqa: E402


def connect(auth: str) -> Any:
    # A timeout, which 2.15 does not set by itself, so that a stalled server fails the task instead of hanging it.
    return CouchDB(os.environ.get("COUCHDB_USER") or "admin", os.environ.get("COUCHDB_PASSWORD") or "admin",
                   url=os.environ["COUCHDB_URL"].rstrip("/"), connect=True, use_basic_auth=(auth == "basic"),
                   timeout=(30, 60))


def measure(run: Callable[[], Any], reps: int, setup: Callable[[], Any] = None,
            teardown: Callable[[], Any] = None) -> Dict[str, Any]:
    """One warm-up run, then ``reps`` timed runs; the median."""
    runs: List[float] = []
    for index in range(reps + 1):
        if setup is not None:
            setup()
        gc.collect()
        started = time.perf_counter()
        try:
            run()
        finally:
            elapsed = time.perf_counter() - started
            if teardown is not None:
                teardown()
        if index:
            runs.append(elapsed)
    return {"seconds": statistics.median(runs), "runs": runs}


def expect(count: int, expected: int, what: str) -> None:
    if count != expected:
        raise AssertionError("%s yielded %d rows, expected %d" % (what, count, expected))


def task_w1(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    name, calls, op = args["db"], args["calls"], args["op"]
    database = client[name]

    def lookup() -> None:
        for _ in range(calls):
            client[name]
            del client[name]

    calls_of = {"lookup": lookup, "metadata": database.metadata, "all_dbs": client.all_dbs,
                "session": client.session}
    call = calls_of[op]
    if op == "lookup":
        return measure(lookup, args["reps"])
    return measure(lambda: [call() for _ in range(calls)], args["reps"])


def task_iterate_db(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database = client[args["db"]]
    # 2.15 keeps every document it yields in the database object; start each run with an empty cache.
    return measure(lambda: expect(sum(1 for _ in database), args["docs"], "for doc in db"), args["reps"],
                   setup=database.clear)


def task_result(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database = client[args["db"]]

    def run() -> None:
        result = Result(database.all_docs, include_docs=True, page_size=args["page_size"])
        expect(sum(1 for _ in result), args["docs"], "Result")
    return measure(run, args["reps"])


def task_view(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    from cloudant.design_document import DesignDocument
    from cloudant.view import View

    database = client[args["db"]]
    view = View(DesignDocument(database, args["ddoc"]), args["view"])

    def run() -> None:
        result = Result(view, page_size=args["page_size"])
        expect(sum(1 for _ in result), args["docs"], "view Result")
    return measure(run, args["reps"])


def task_query(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    from cloudant.query import Query
    from cloudant.result import QueryResult

    database = client[args["db"]]

    def run() -> None:
        result = QueryResult(Query(database, selector=args["selector"]), page_size=args["page_size"])
        expect(sum(1 for _ in result), args["docs"], "query result")
    return measure(run, args["reps"])


def task_bulk(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    docs = [{"_id": "new-%07d" % n, "n": n, "name": "item %d" % n, "kind": ("red", "green", "blue")[n % 3],
             "tags": ["a", "b"][: 1 + n % 2]} for n in range(args["docs"])]
    state: Dict[str, Any] = {}

    def setup() -> None:
        state["db"] = client.create_database("bench-write-%s" % uuid.uuid4().hex[:8])

    def run() -> None:
        size = args["batch_size"]
        for start in range(0, len(docs), size):
            results = state["db"].bulk_docs([dict(doc) for doc in docs[start:start + size]])
            if any("error" in result for result in results):
                raise AssertionError("bulk write failed")

    return measure(run, args["reps"], setup=setup,
                   teardown=lambda: client.delete_database(state["db"].database_name))


def task_changes(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database = client[args["db"]]
    # The same request as the new library's: uncompressed, so that the server sends every line at once.
    client.r_session.headers["Accept-Encoding"] = "identity"

    def run() -> None:  # stops by itself after the last change, as the new library's run does
        feed = database.changes(feed="continuous", since=0, limit=args["docs"], timeout=10000)
        count = 0
        for change in feed:
            if change and "seq" in change:
                count += 1
                if count == args["docs"]:
                    feed.stop()
                    break
        expect(count, args["docs"], "continuous feed")
    return measure(run, args["reps"])


def task_memory(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    """Peak RSS growth (MB) while ``for doc in db`` runs once, in this fresh process."""
    database = client[args["db"]]
    before = _peak_rss_kb()
    expect(sum(1 for _ in database), args["docs"], "for doc in db")
    return {"growth_mb": (_peak_rss_kb() - before) / 1024.0}


def _peak_rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


TASKS = {name[5:]: function for name, function in globals().items() if name.startswith("task_")}


def main(argv: List[str]) -> int:
    task, args = argv[0], json.loads(argv[1])
    try:
        client = connect(args.get("auth", "cookie"))
        try:
            result = TASKS[task](client, args)
        finally:
            client.disconnect()
    except Exception as err:  # reported in the table; the new library's run goes on
        result = {"error": "%s: %s" % (type(err).__name__, str(err)[:200])}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
