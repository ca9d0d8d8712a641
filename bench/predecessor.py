"""The benchmark's jobs done with python-cloudant 2.15.0 (the predecessor), in its own virtualenv.

``bench/run.py`` starts this script with ``bench/.venv-predecessor/bin/python -I`` (made by
``bench/setup_predecessor.py``) once per task, with the task's arguments as JSON (see :mod:`_side`). Only the
predecessor's public API is used, each job with the call :mod:`jobs` names for it. Its ``Replay429Adapter``
cannot be built with urllib3 2, so no adapter is mounted.
"""
from __future__ import annotations

import sys
import uuid
import warnings
from pathlib import Path
from typing import Any, Callable, Dict

# ``python -I`` leaves this directory off sys.path (so the checkout's own cloudant can never shadow the
# predecessor): add it back for _side, which imports only the standard library.
sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.simplefilter("ignore")  # the predecessor warns on import that it is deprecated

import _side  # noqa: E402
from _side import best_of, expect  # noqa: E402


def connect(args: Dict[str, Any]) -> Any:
    from cloudant.client import CouchDB

    url, user, password = _side.server()
    # A timeout, which 2.15 does not set by itself, so that a stalled server fails the task instead of hanging it.
    return CouchDB(user, password, url=url, connect=True, use_basic_auth=(args.get("auth", "basic") == "basic"),
                   timeout=(30, 60))


def with_client(task: Callable[[Any, Dict[str, Any]], Dict[str, Any]]) -> Callable[[Dict[str, Any]], Any]:
    def run(args: Dict[str, Any]) -> Dict[str, Any]:
        client = connect(args)
        try:
            return task(client, args)
        finally:
            client.disconnect()
    return run


def _calls(client: Any, args: Dict[str, Any]) -> Dict[str, Callable[[], None]]:
    name, calls, doc_id = args["db"], args["calls"], args["doc_id"]
    database = client[name]

    def lookup() -> None:
        for _ in range(calls):
            client[name]
            del client[name]

    def doc() -> None:
        for _ in range(calls):
            database[doc_id]
            del database[doc_id]

    def repeat(call: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                call()
        return run

    return {"lookup": lookup, "doc": doc, "metadata": repeat(database.metadata), "all_dbs": repeat(client.all_dbs)}


def small_call(op: str) -> Callable[[Any, Dict[str, Any]], Dict[str, Any]]:
    return lambda client, args: best_of(_calls(client, args)[op], args["reps"])


def task_iterate_db(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database = client[args["db"]]
    # 2.15 keeps every document it yields in the database object; each run starts with an empty cache.
    return best_of(lambda: expect(sum(1 for _ in database), args["docs"], "for doc in db"), args["reps"],
                   setup=database.clear)


def task_result(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    from cloudant.result import Result

    database = client[args["db"]]

    def run() -> None:
        result = Result(database.all_docs, include_docs=True, page_size=args["page_size"])
        expect(sum(1 for _ in result), args["docs"], "Result")
    return best_of(run, args["reps"])


def task_bulk(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    docs, size, state = _side.make_docs(args["docs"], "new"), args["batch_size"], {}

    def setup() -> None:
        state["db"] = client.create_database("bench-write-%s" % uuid.uuid4().hex[:8])
        state["docs"] = [dict(doc) for doc in docs]

    def run() -> None:
        for start in range(0, len(docs), size):
            if any("error" in result for result in state["db"].bulk_docs(state["docs"][start:start + size])):
                raise AssertionError("bulk write failed")

    return best_of(run, args["reps"], setup=setup, teardown=lambda: client.delete_database(state["db"].database_name))


def task_changes(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database = client[args["db"]]
    return best_of(lambda: expect(sum(1 for _ in database.changes(limit=args["docs"])), args["docs"], "changes"),
                   args["reps"])


def task_changes_cont(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database, expected = client[args["db"]], args["expected"]
    # As on the other sides: uncompressed (a gzipping server holds back the tail of a backlog).
    client.r_session.headers["Accept-Encoding"] = "identity"

    def run() -> None:  # stops after the changes the server sends (pouchdb-server ignores limit here)
        feed, count = database.changes(feed="continuous", limit=args["docs"]), 0
        for change in feed:
            if change and "seq" in change:
                count += 1
                if count == expected:
                    feed.stop()
        expect(count, expected, "continuous feed")
    return best_of(run, args["reps"])


def task_view(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database = client[args["db"]]

    def run() -> None:
        result = database.get_view_result(args["ddoc"], args["view"], page_size=args["page_size"])
        expect(sum(1 for _ in result), args["docs"], "view result")
    return best_of(run, args["reps"])


def task_query(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    database = client[args["db"]]

    def run() -> None:
        result = database.get_query_result(args["selector"], page_size=args["page_size"])
        expect(sum(1 for _ in result), args["docs"], "query result")
    return best_of(run, args["reps"])


def task_memory(client: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    """Peak RSS of this fresh process around one ``for doc in db`` (2.15 caches every document it yields)."""
    database = client[args["db"]]
    return _side.memory_of(lambda: sum(1 for _ in database), args["docs"])


TASKS = {name[5:]: with_client(function) for name, function in list(globals().items()) if name.startswith("task_")}
TASKS.update({op: with_client(small_call(op)) for op in ("lookup", "metadata", "all_dbs", "doc")})

if __name__ == "__main__":
    sys.exit(_side.main(TASKS, sys.argv[1:]))
