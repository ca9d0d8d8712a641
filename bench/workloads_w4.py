"""W4: paging a large view and a large Mango query end to end, ours against a bare session."""
from __future__ import annotations

import time
from typing import Any, Dict, List

from _common import Row, compare, get_json, post_json, ratio_row
from workloads import Context, _counted, _memory_row, _with_predecessor, bare_key_pager, has_module, missing

DDOC = "bench"
VIEW = "by_n"
#: Without bookmarks (pouchdb-server) a query can only be paged with ``skip``, and every page costs the server
#: all the rows before it: the query is then limited to this many documents so that the run ends in minutes.
SKIP_PAGED_QUERY_DOCS = 10000


def selector(ctx: Context) -> Dict[str, Any]:
    """The W4 query: every document, or the first ``ctx.query_docs`` of them."""
    return {"n": {"$gte": 0, "$lt": ctx.query_docs if ctx.query_docs is not None else ctx.docs}}


def prepare_w4(ctx: Context) -> None:
    """Add a view and a Mango index on ``n`` to the shared database and build both (untimed)."""
    started = time.perf_counter()
    design = {"_id": "_design/" + DDOC, "views": {VIEW: {"map": "function (doc) { emit(doc.n, null); }"}}}
    ctx.bare.put(ctx.url(ctx.data_db, "_design", DDOC), json=design).raise_for_status()
    index = {"index": {"fields": ["n"]}, "ddoc": "bench-mango", "name": "by-n", "type": "json"}
    post_json(ctx.bare, ctx.url(ctx.data_db, "_index"), index)
    # The first query of each builds its index over every document: done here, outside any timing.
    get_json(ctx.bare, ctx.url(ctx.data_db, "_design", DDOC, "_view", VIEW), params={"limit": 1}, timeout=3600)
    reply = post_json(ctx.bare, ctx.url(ctx.data_db, "_find"), {"selector": selector(ctx), "limit": 1}, timeout=3600)
    ctx.query_docs = ctx.docs
    if "bookmark" not in reply and ctx.docs > SKIP_PAGED_QUERY_DOCS:
        ctx.query_docs = SKIP_PAGED_QUERY_DOCS
        ctx.notes.append("W4: %s sends no bookmarks, so queries are paged with skip (quadratic on the server); "
                         "the query selects the first %d documents" % (ctx.server.kind, SKIP_PAGED_QUERY_DOCS))
    ctx.notes.append("setup: view and Mango index built over %d documents in %.1fs"
                     % (ctx.docs, time.perf_counter() - started))


def w4_view_and_query(ctx: Context) -> List[Row]:
    rows: List[Row] = []
    prepare_w4(ctx)  # the design documents it adds would be counted by W2 and W3, so it comes last
    if has_module("view") and has_module("design_document"):
        rows += _w4_view(ctx)
    else:
        rows.append(missing("W4", "view paging", "cloudant/view.py, cloudant/design_document.py"))
    if has_module("query"):
        rows += _w4_query(ctx)
    else:
        rows.append(missing("W4", "Mango query paging", "cloudant/query.py"))
    return rows


def _w4_view(ctx: Context) -> List[Row]:
    from cloudant.design_document import DesignDocument
    from cloudant.result import Result
    from cloudant.view import View

    database = ctx.client[ctx.data_db]
    view = View(DesignDocument(database, "_design/" + DDOC), VIEW)
    url, page = ctx.url(ctx.data_db, "_design", DDOC, "_view", VIEW), ctx.page_size

    def ours() -> int:
        return sum(1 for _ in Result(view, page_size=page))

    def bare() -> int:
        return bare_key_pager(ctx.bare, url, page, {}, lambda row: row["value"])

    timing = compare(_counted(ctx.docs, ours, "view Result"), _counted(ctx.docs, bare, "bare pager"), ctx.reps)
    row = ratio_row("W4", "Result(view, page_size=%d)" % page, "%d rows" % ctx.docs, timing, 1.15)
    rows = [_with_predecessor(ctx, row, "view", db=ctx.data_db, ddoc="_design/" + DDOC, view=VIEW,
                              docs=ctx.docs, page_size=page)]
    if ctx.memory is not None:
        rows.append(_memory_row(ctx, "view", "view paging: peak RSS growth", ddoc="_design/" + DDOC, view=VIEW,
                                page_size=page))
    return rows


def bare_bookmark_pager(ctx: Context, page_size: int) -> int:
    """``_find`` pages of ``page_size`` documents, each from the previous page's bookmark (or with ``skip`` on a
    server that sends no bookmark, as the library does)."""
    url, count, place = ctx.url(ctx.data_db, "_find"), 0, {}
    while True:
        page = post_json(ctx.bare, url, dict({"selector": selector(ctx), "limit": page_size}, **place))
        count += len(page["docs"])
        if len(page["docs"]) < page_size:
            return count
        if "bookmark" not in page:
            place = {"skip": count}
        elif not page["bookmark"] or page["bookmark"] == place.get("bookmark"):
            return count
        else:
            place = {"bookmark": page["bookmark"]}


def _w4_query(ctx: Context) -> List[Row]:
    from cloudant.query import Query
    from cloudant.result import QueryResult

    database, page, query = ctx.client[ctx.data_db], ctx.page_size, selector(ctx)
    count = ctx.query_docs if ctx.query_docs is not None else ctx.docs

    def ours() -> int:
        return sum(1 for _ in QueryResult(Query(database, selector=query), page_size=page))

    timing = compare(_counted(count, ours, "QueryResult"),
                     _counted(count, lambda: bare_bookmark_pager(ctx, page), "bookmark pager"), ctx.reps)
    row = ratio_row("W4", "QueryResult(Query(selector), page_size=%d)" % page, "%d docs" % count, timing, 1.15)
    rows = [_with_predecessor(ctx, row, "query", db=ctx.data_db, selector=query, docs=count, page_size=page)]
    if ctx.memory is not None:
        rows.append(_memory_row(ctx, "query", "query paging: peak RSS growth", selector=query, page_size=page,
                                docs=count))
    return rows
