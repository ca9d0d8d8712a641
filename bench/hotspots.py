"""Where our time goes: one workload of our client under cProfile, summed by file and function.

``python bench/hotspots.py SCENARIO [--docs N] [--calls N]`` against the server in ``COUCHDB_URL``. Scenarios:
``lookup``, ``metadata``, ``all_dbs``, ``session`` (W1), ``iterate_db``, ``result``, ``bulk`` (W2),
``changes`` (W3), ``view``, ``query`` (W4). It prints the functions of the library, of requests and of urllib3
that take the most time of their own, and the share of the run spent waiting on the socket, so that a ratio
that misses its target can be traced to a ``file:function``.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from typing import Any, Callable, Dict, List, Tuple

from _common import Server, bare_session, batches, make_docs, our_client, post_json, unique_name

SOCKET_WAITS = ("recv_into", "sendall", "connect", "poll", "select")


def small_calls(client: Any, db_name: str, calls: int) -> Dict[str, Callable[[], Any]]:
    """The W1 scenarios: ``calls`` calls each."""
    database = client[db_name]

    def lookup() -> None:
        for _ in range(calls):
            client[db_name]
            del client[db_name]

    def repeat(call: Callable[[], Any]) -> Callable[[], None]:
        return lambda: [call() for _ in range(calls)]

    return {"lookup": lookup, "metadata": repeat(database.metadata), "all_dbs": repeat(client.all_dbs),
            "session": repeat(client.session)}


def bulk(client: Any, docs: int) -> None:
    """Write ``docs`` documents with ``bulk_docs`` into a fresh database, then delete it."""
    target = client.create_database(unique_name("bench-profile"))
    try:
        for batch in batches(make_docs(docs, "new"), 1000):
            target.bulk_docs(batch)
    finally:
        target.delete()


def large_results(client: Any, db_name: str, docs: int) -> Dict[str, Callable[[], Any]]:
    """The W2-W4 scenarios over a database of ``docs`` documents."""
    from cloudant.design_document import DesignDocument
    from cloudant.query import Query
    from cloudant.result import QueryResult, Result
    from cloudant.view import View

    database = client[db_name]

    def changes() -> int:
        feed, count = database.changes(feed="continuous", since=0, limit=docs, timeout=10000), 0
        for _ in feed:
            count += 1
            if count == docs:
                feed.stop()
        return count

    view = View(DesignDocument(database, "_design/bench"), "by_n")
    query = Query(database, selector={"n": {"$gte": 0}})
    return {
        "iterate_db": lambda: sum(1 for _ in database), "bulk": lambda: bulk(client, docs), "changes": changes,
        "result": lambda: sum(1 for _ in Result(database.all_docs, include_docs=True, page_size=1000)),
        "view": lambda: sum(1 for _ in Result(view, page_size=1000)),
        "query": lambda: sum(1 for _ in QueryResult(query, page_size=1000)),
    }


def scenario(name: str, client: Any, db_name: str, args: argparse.Namespace) -> Callable[[], Any]:
    scenarios = {**small_calls(client, db_name, args.calls), **large_results(client, db_name, args.docs)}
    return scenarios[name]


def prepare(server: Server, name: str, docs: int) -> str:
    bare = bare_session(server, "cookie")
    db_name = unique_name("bench-profile")
    bare.put(server.url + "/" + db_name).raise_for_status()
    if name in ("iterate_db", "result", "changes", "view", "query"):
        for batch in batches(make_docs(docs), 1000):
            post_json(bare, server.url + "/" + db_name + "/_bulk_docs", {"docs": batch})
    if name == "view":
        design = {"views": {"by_n": {"map": "function (doc) { emit(doc.n, null); }"}}}
        bare.put(server.url + "/" + db_name + "/_design/bench", json=design).raise_for_status()
        bare.get(server.url + "/" + db_name + "/_design/bench/_view/by_n", params={"limit": 1}, timeout=3600)
    if name == "query":
        post_json(bare, server.url + "/" + db_name + "/_index", {"index": {"fields": ["n"]}})
    return db_name


def summary(stats: pstats.Stats, top: int) -> Tuple[float, List[str]]:
    total, waits, lines = 0.0, 0.0, []
    entries = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += own
        if any(function.endswith(wait) or wait in function for wait in SOCKET_WAITS) and "method" in function:
            waits += own
        for package in ("/cloudant/", "/requests/", "/urllib3/", "/json/", "/http/"):
            if package in filename:
                short = filename[filename.index(package) + 1:]
                entries.append((own, cumulative, calls, "%s:%d(%s)" % (short, line, function)))
    entries.sort(reverse=True)
    lines.append("%-64s %9s %9s %9s" % ("file:line(function)", "own s", "cum s", "calls"))
    for own, cumulative, calls, where in entries[:top]:
        lines.append("%-64s %9.3f %9.3f %9d" % (where[-64:], own, cumulative, calls))
    return waits / total if total else 0.0, lines


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["lookup", "metadata", "all_dbs", "session", "iterate_db", "result",
                                             "bulk", "changes", "view", "query"])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    server = Server.from_environment()
    db_name = prepare(server, args.scenario, args.docs)
    client = our_client(server, "cookie")
    try:
        run = scenario(args.scenario, client, db_name, args)
        run()  # warm-up
        profiler = cProfile.Profile()
        profiler.runcall(run)
        stats = pstats.Stats(profiler)
        waiting, lines = summary(stats, args.top)
        print("%s: %.2fs in all, %.0f%% waiting on the socket" % (args.scenario, stats.total_tt, 100 * waiting))  # type: ignore[attr-defined]
        print("\n".join(lines))
    finally:
        client.delete_database(db_name)
        client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
