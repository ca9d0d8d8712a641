"""Peak memory while iterating a large result, measured in a fresh process.

``python bench/memory.py MODE '<json args>'`` connects with the server in ``COUCHDB_URL``, reads the
process's peak resident set size (``VmHWM`` in ``/proc/self/status``, else ``ru_maxrss``), iterates once and
prints ``{"baseline_mb": ..., "growth_mb": ...}``: how far the peak rose above what importing and
connecting had already needed. A library that streams page by page stays flat whatever the row count.
"""
from __future__ import annotations

import json
import os
import resource
import sys
from typing import Any, Dict, Iterable

from cloudant.client import CouchDB


def peak_rss_kb() -> int:
    """The process's peak resident set size so far, in KiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def iterable_for(mode: str, database: Any, args: Dict[str, Any]) -> Iterable[Any]:
    """What to iterate for each mode."""
    page = args.get("page_size", 1000)
    if mode == "iterate_db":
        return database
    from cloudant.result import Result

    if mode == "result":
        return Result(database.all_docs, include_docs=True, page_size=page)
    if mode == "view":
        from cloudant.design_document import DesignDocument
        from cloudant.view import View

        return Result(View(DesignDocument(database, args["ddoc"]), args["view"]), page_size=page)
    if mode == "query":
        from cloudant.query import Query
        from cloudant.result import QueryResult

        return QueryResult(Query(database, selector=args["selector"]), page_size=page)
    raise SystemExit("unknown mode %r" % mode)


def measure(mode: str, args: Dict[str, Any]) -> Dict[str, Any]:
    client = CouchDB(os.environ.get("COUCHDB_USER") or "admin", os.environ.get("COUCHDB_PASSWORD") or "admin",
                     url=os.environ["COUCHDB_URL"], connect=True, use_basic_auth=args.get("auth") == "basic")
    try:
        database = client[args["db"]]
        iterable = iterable_for(mode, database, args)
        before = peak_rss_kb()
        count = _consume(iterable)
        growth = peak_rss_kb() - before
    finally:
        client.disconnect()
    if count != args["docs"]:
        return {"error": "%s yielded %d rows, expected %d" % (mode, count, args["docs"])}
    return {"baseline_mb": before / 1024.0, "growth_mb": growth / 1024.0, "rows": count}


def _consume(iterable: Iterable[Any]) -> int:
    count = 0
    for _ in iterable:
        count += 1
    return count


def main(argv: list) -> int:
    print(json.dumps(measure(argv[0], json.loads(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
