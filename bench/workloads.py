"""The workloads: each times our client against a bare ``requests.Session`` issuing the same HTTP calls.

Every ``w*`` function takes the :class:`Context` and returns result rows. A
workload whose library modules do not exist yet returns a row saying so instead
of failing.
"""
from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import requests

from _common import (Row, Server, Timing, batches, compare, compare_calls, get_json, make_docs, post_json, ratio_row,
                     timed, unique_name)

FEED_CHUNK = 64 * 1024  # bytes per read, the same on both sides (the library's default)
# The library asks for continuous feeds uncompressed, so that each line and heartbeat arrives at once (a gzip
# stream is buffered by the server); the bare side sends the same request.
IDENTITY = {"Accept-Encoding": "identity"}


@dataclass
class Context:
    """Everything a workload needs: the server, both clients, the sizes and the populated database."""

    server: Server
    client: Any
    bare: requests.Session
    reps: int
    calls: int
    docs: int
    page_size: int
    batch_size: int
    data_db: Optional[str] = None
    query_docs: Optional[int] = None  # documents the W4 query selects (fewer where only skip can page)
    w1_reps: int = 5  # small calls are cheap and noisy: more repetitions (fewer with --quick)
    predecessor: Optional[Callable[..., Dict[str, Any]]] = None
    memory: Optional[Callable[..., Dict[str, Any]]] = None
    notes: List[str] = field(default_factory=list)

    def url(self, *segments: str) -> str:
        return "/".join((self.server.url,) + segments)


def has_module(name: str) -> bool:
    """True when ``cloudant.<name>`` exists in this checkout."""
    return importlib.util.find_spec("cloudant." + name) is not None


def missing(workload: str, what: str, modules: str) -> Row:
    return Row(workload, what, "-", None, None, None, None, note="skipped: %s not written yet" % modules)


def _with_predecessor(ctx: Context, row: Row, task: str, **args: Any) -> Row:
    """Add the predecessor's median (as a ratio to the same bare median) when its virtualenv exists."""
    if ctx.predecessor is None or row.other is None:
        return row
    result = ctx.predecessor(task, **args)
    if result.get("seconds") is not None:
        row.predecessor = result["seconds"] / row.other
    elif result.get("error"):
        row.note = (row.note + "; " if row.note else "") + "predecessor: " + result["error"]
    return row


# -- W1: small calls ---------------------------------------------------------------------------------------------
def w1_small_calls(ctx: Context) -> List[Row]:
    """``client[db]`` (cache entry dropped each time), ``db.metadata()``, ``all_dbs()``, ``session()``."""
    name = unique_name("bench-small")
    ctx.bare.put(ctx.url(name)).raise_for_status()
    try:
        return _w1_rows(ctx, name)
    finally:
        ctx.bare.delete(ctx.url(name))


def _w1_rows(ctx: Context, name: str) -> List[Row]:
    client, bare, per_op = ctx.client, ctx.bare, max(1, ctx.calls // 4)
    database = client[name]
    db_url = ctx.url(name)

    def lookup() -> None:
        client[name]
        del client[name]  # forget the cached object, so the next lookup asks the server

    operations = [
        ("client[db] lookup", lookup, lambda: get_json(bare, db_url), "lookup"),
        ("db.metadata()", database.metadata, lambda: get_json(bare, db_url), "metadata"),
        ("client.all_dbs()", client.all_dbs, lambda: get_json(bare, ctx.url("_all_dbs")), "all_dbs"),
        ("client.session()", client.session, lambda: get_json(bare, ctx.url("_session")), "session"),
    ]
    rows, ours_total, bare_total, pred_total = [], 0.0, 0.0, 0.0
    for label, ours, bare_call, task in operations:
        timing = compare_calls(ours, bare_call, per_op, ctx.w1_reps)
        row = _with_predecessor(ctx, ratio_row("W1", label, "%d calls" % per_op, timing, 1.10),
                                "w1", op=task, db=name, calls=per_op, reps=ctx.w1_reps)
        ours_total += timing.ours_median
        bare_total += timing.bare_median
        pred_total = pred_total + row.predecessor * timing.bare_median if row.predecessor else float("nan")
        rows.append(row)
    total = Row("W1", "all small calls", "%d calls" % (4 * per_op), ours_total, bare_total,
                ours_total / bare_total, 1.10)
    if ctx.predecessor is not None and pred_total == pred_total:  # not NaN: every operation was measured
        total.predecessor = pred_total / bare_total
    return rows + [total]


# -- W2: iterating and writing documents --------------------------------------------------------------------------
def w2_documents(ctx: Context) -> List[Row]:
    """Iterate every document (``for doc in db``, ``Result(db.all_docs, ...)``) and write them with bulk_docs."""
    if not has_module("result"):
        return [missing("W2", "iterate / bulk_docs", "cloudant/result.py")]
    if get_json(ctx.bare, ctx.url(ctx.data_db))["doc_count"] != ctx.docs:
        raise AssertionError("W2 runs on a database of exactly %d documents: run it before W4" % ctx.docs)
    from cloudant.database import CouchDatabase

    rows: List[Row] = []
    if CouchDatabase.__iter__ is not dict.__iter__:
        rows += _w2_iterate_db(ctx)
    else:
        rows.append(missing("W2", "for doc in db", "CouchDatabase.__iter__"))
    rows += _w2_result(ctx)
    if hasattr(CouchDatabase, "bulk_docs"):
        rows.append(_w2_bulk(ctx))
    else:
        rows.append(missing("W2", "db.bulk_docs()", "CouchDatabase.bulk_docs"))
    return rows


def bare_key_pager(session: requests.Session, url: str, page_size: int, params: Dict[str, Any],
                   consume: Callable[[Dict[str, Any]], Any]) -> int:
    """Page through ``url`` with the library's requests: ``limit=page_size+1``, and the next page from the
    extra row (``startkey`` = its key, ``startkey_docid`` = its id). Returns the number of rows consumed.
    """
    count, start = 0, {}
    while True:
        rows = get_json(session, url, params=dict(params, limit=page_size + 1, **start))["rows"]
        for row in rows[:page_size]:
            consume(row)
            count += 1
        if len(rows) <= page_size:
            return count
        held = rows[page_size]
        start = {"startkey": json.dumps(held["key"]), "startkey_docid": held["id"]}


def bare_skip_pager(session: requests.Session, url: str, page_size: int, params: Dict[str, Any],
                    consume: Callable[[Dict[str, Any]], Any]) -> int:
    """The naive pager: ``limit`` and a growing ``skip`` (the server walks every skipped row again)."""
    count, skip = 0, 0
    while True:
        rows = get_json(session, url, params=dict(params, limit=page_size, skip=skip))["rows"]
        for row in rows:
            consume(row)
            count += 1
        if len(rows) < page_size:
            return count
        skip += page_size


def _counted(expected: int, run: Callable[[], int], label: str) -> Callable[[], None]:
    """Wrap ``run`` so that a wrong row count fails the benchmark instead of timing the wrong thing."""
    def checked() -> None:
        got = run()
        if got != expected:
            raise AssertionError("%s yielded %d rows, expected %d" % (label, got, expected))
    return checked


def _w2_iterate_db(ctx: Context) -> List[Row]:
    database = ctx.client[ctx.data_db]
    fetch_limit = getattr(database, "_fetch_limit", 100)
    url = ctx.url(ctx.data_db, "_all_docs")

    def ours() -> int:
        return sum(1 for _ in database)

    def bare() -> int:
        return bare_key_pager(ctx.bare, url, fetch_limit, {"include_docs": "true"}, lambda row: dict(row["doc"]))

    timing = compare(_counted(ctx.docs, ours, "for doc in db"), _counted(ctx.docs, bare, "bare pager"), ctx.reps)
    row = ratio_row("W2", "for doc in db (page %d)" % fetch_limit, "%d docs" % ctx.docs, timing, 1.15)
    row = _with_predecessor(ctx, row, "iterate_db", db=ctx.data_db, docs=ctx.docs)
    rows = [row]
    if ctx.memory is not None:
        rows.append(_memory_row(ctx, "iterate_db", "for doc in db: peak RSS growth"))
    return rows


def _w2_result(ctx: Context) -> List[Row]:
    from cloudant.result import Result

    database = ctx.client[ctx.data_db]
    url, page, size = ctx.url(ctx.data_db, "_all_docs"), ctx.page_size, "%d docs" % ctx.docs

    def ours() -> int:
        return sum(1 for _ in Result(database.all_docs, include_docs=True, page_size=page))

    def bare() -> int:
        return bare_key_pager(ctx.bare, url, page, {"include_docs": "true"}, lambda row: row["doc"])

    timing = compare(_counted(ctx.docs, ours, "Result"), _counted(ctx.docs, bare, "bare pager"), ctx.reps)
    row = ratio_row("W2", "Result(all_docs, include_docs, page_size=%d)" % page, size, timing, 1.15)
    rows = [_with_predecessor(ctx, row, "result", db=ctx.data_db, docs=ctx.docs, page_size=page),
            _skip_row(ctx, timing)]
    if ctx.memory is not None:
        rows.append(_memory_row(ctx, "result", "Result iteration: peak RSS growth", page_size=page))
    return rows


def _skip_row(ctx: Context, timing: Timing) -> Row:
    """How much faster our pages are than ``skip`` pages. The skip pager slows down with every page, so it is
    timed once; and as each page costs the server every row before it, the target is set for 100,000 documents.
    """
    url, page = ctx.url(ctx.data_db, "_all_docs"), ctx.page_size

    def skip() -> int:
        return bare_skip_pager(ctx.bare, url, page, {"include_docs": "true"}, lambda row: row["doc"])

    seconds = timed(_counted(ctx.docs, skip, "skip pager"))
    full_size = ctx.docs >= 100000
    return Row("W2", "Result vs skip-based pager (speed-up)", "%d docs" % ctx.docs, timing.ours_median, seconds,
               seconds / timing.ours_median, 3.0 if full_size else None, kind="speedup",
               note="" if full_size else "the >= 3x target is for 100,000 documents")


def _w2_bulk(ctx: Context) -> Row:
    docs = make_docs(ctx.docs, prefix="new")
    state: Dict[str, Any] = {}

    def setup() -> None:
        name = unique_name("bench-write")
        ctx.bare.put(ctx.url(name)).raise_for_status()
        state["name"] = name
        state["docs"] = [dict(doc) for doc in docs]  # fresh copies: a client may add _rev to what it wrote

    def teardown() -> None:
        ctx.bare.delete(ctx.url(state["name"]))
        ctx.client.pop(state["name"], None)

    def ours() -> None:
        database = ctx.client[state["name"]]
        for batch in batches(state["docs"], ctx.batch_size):
            _check_written(database.bulk_docs(batch))

    def bare() -> None:
        url = ctx.url(state["name"], "_bulk_docs")
        for batch in batches(state["docs"], ctx.batch_size):
            _check_written(post_json(ctx.bare, url, {"docs": batch}))

    timing = compare(ours, bare, ctx.reps, setup=setup, teardown=teardown)
    row = ratio_row("W2", "db.bulk_docs() in batches of %d" % ctx.batch_size, "%d docs" % ctx.docs, timing, 1.10)
    return _with_predecessor(ctx, row, "bulk", docs=ctx.docs, batch_size=ctx.batch_size)


def _check_written(results: List[Dict[str, Any]]) -> None:
    failed = [result for result in results if "error" in result]
    if failed:
        raise AssertionError("bulk write failed for %d documents, e.g. %r" % (len(failed), failed[0]))


def _memory_row(ctx: Context, mode: str, label: str, **args: Any) -> Row:
    args.setdefault("docs", ctx.docs)
    size = "%d docs" % args["docs"]
    workload = {"view": "W4", "query": "W4"}.get(mode, "W2")
    result = ctx.memory(mode, db=ctx.data_db, **args)  # type: ignore[misc]
    if "error" in result:
        return Row(workload, label, size, None, None, None, 60.0, kind="memory", note=result["error"])
    note = "baseline %.0f MB" % result["baseline_mb"]
    if mode == "iterate_db" and ctx.predecessor is not None:
        old = ctx.predecessor("memory", db=ctx.data_db, docs=ctx.docs)
        if "growth_mb" in old:
            note += "; 2.15.0 grew %.1f MB (it caches every document it yields)" % old["growth_mb"]
    return Row(workload, label, size, None, None, result["growth_mb"], 60.0, kind="memory", note=note)


# -- W3: a long continuous _changes feed -------------------------------------------------------------------------
def _continuous_changes_sent(ctx: Context, url: str) -> int:
    """How many changes a continuous feed from ``since=0`` delivers before the server falls silent."""
    params = {"feed": "continuous", "since": 0, "limit": ctx.docs, "timeout": 10000}
    count = 0
    with ctx.bare.get(url, params=params, stream=True, timeout=(30, 5), headers=IDENTITY) as response:
        response.raise_for_status()
        try:
            for line in response.iter_lines(chunk_size=FEED_CHUNK):
                if line and "seq" in json.loads(line):
                    count += 1
                    if count == ctx.docs:
                        break
        except requests.ConnectionError:  # five silent seconds: the server sent all it is going to send
            pass
    return count


def ours_continuous(database: Any, docs: int, expected: int) -> int:
    """Our continuous feed, stopped after ``expected`` changes."""
    feed = database.changes(feed="continuous", since=0, limit=docs, timeout=10000)
    count = 0
    for _ in feed:
        count += 1
        if count == expected:
            feed.stop()
    return count


def bare_continuous(session: requests.Session, url: str, docs: int, expected: int) -> int:
    """The same request read with ``iter_lines`` and ``json.loads``, stopped after ``expected`` changes."""
    params = {"feed": "continuous", "since": 0, "limit": docs, "timeout": 10000}
    count = 0
    with session.get(url, params=params, stream=True, timeout=(30, 40), headers=IDENTITY) as response:
        response.raise_for_status()
        for line in response.iter_lines(chunk_size=FEED_CHUNK):
            if line and "seq" in json.loads(line):
                count += 1
                if count == expected:
                    break
    return count


def w3_changes(ctx: Context) -> List[Row]:
    """Read every change of the populated database as a continuous feed, and as a normal one."""
    database, url = ctx.client[ctx.data_db], ctx.url(ctx.data_db, "_changes")
    # pouchdb-server 4.2.0 ignores ``limit`` and ``timeout`` on continuous feeds and never ends them (and,
    # when gzip is accepted, holds back the tail of a large backlog). So both sides stop by themselves after
    # the number of changes the server really sends, counted once beforehand (CouchDB ends the feed there).
    expected = _continuous_changes_sent(ctx, url)
    if expected < ctx.docs:
        ctx.notes.append("W3: %s sent %d of %d changes on a continuous feed from since=0; both sides read "
                         "those %d" % (ctx.server.kind, expected, ctx.docs, expected))
    continuous = compare(_counted(expected, lambda: ours_continuous(database, ctx.docs, expected), "feed"),
                         _counted(expected, lambda: bare_continuous(ctx.bare, url, ctx.docs, expected), "lines"),
                         ctx.reps)
    row = ratio_row("W3", "db.changes(feed='continuous') vs iter_lines+json.loads", "%d changes" % expected,
                    continuous, 1.10)
    rows = [_with_predecessor(ctx, row, "changes", db=ctx.data_db, docs=expected)]
    normal = compare(_counted(ctx.docs, lambda: sum(1 for _ in database.changes(since=0, limit=ctx.docs)), "feed"),
                     _counted(ctx.docs, lambda: len(get_json(ctx.bare, url, params={"since": 0, "limit": ctx.docs})
                                                    ["results"]), "json.loads"), ctx.reps)
    rows.append(ratio_row("W3", "db.changes() normal feed, streamed vs one json.loads", "%d changes" % ctx.docs,
                          normal, None,
                          note="informational: ours decodes incrementally (flat memory), bare holds the body"))
    return rows
