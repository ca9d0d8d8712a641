"""W4: paging a large view and a large Mango query end to end, ours against a bare session."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from _common import Row, compare, get_json, post_json, ratio_row
from workloads import Context, _counted, _memory_row, _with_predecessor, bare_key_pager, has_module, missing

DDOC = "bench"
VIEW = "by_n"
SELECTOR: Dict[str, Any] = {"n": {"$gte": 0}}


def prepare_w4(ctx: Context) -> None:
    """Add a view and a Mango index on ``n`` to the shared database and build both (untimed)."""
    started = time.perf_counter()
    design = {"_id": "_design/" + DDOC, "views": {VIEW: {"map": "function (doc) { emit(doc.n, null); }"}}}
    ctx.bare.put(ctx.url(ctx.data_db, "_design", DDOC), json=design).raise_for_status()
    index = {"index": {"fields": ["n"]}, "ddoc": "bench-mango", "name": "by-n", "type": "json"}
    post_json(ctx.bare, ctx.url(ctx.data_db, "_index"), index)
    # The first query of each builds its index over every document: done here, outside any timing.
    get_json(ctx.bare, ctx.url(ctx.data_db, "_design", DDOC, "_view", VIEW), params={"limit": 1}, timeout=3600)
    post_json(ctx.bare, ctx.url(ctx.data_db, "_find"), {"selector": SELECTOR, "limit": 1}, timeout=3600)
    ctx.notes.append("setup: view and Mango index built over %d documents in %.1fs"
                     % (ctx.docs, time.perf_counter() - started))


def w4_view_and_query(ctx: Context) -> List[Row]:
    rows: List[Row] = []
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
    """``_find`` pages of ``page_size`` documents, each from the previous page's bookmark."""
    url, count, bookmark = ctx.url(ctx.data_db, "_find"), 0, None
    while True:
        body: Dict[str, Any] = {"selector": SELECTOR, "limit": page_size}
        if bookmark is not None:
            body["bookmark"] = bookmark
        page = post_json(ctx.bare, url, body)
        count += len(page["docs"])
        next_bookmark: Optional[str] = page.get("bookmark")
        if len(page["docs"]) < page_size or not next_bookmark or next_bookmark == bookmark:
            return count
        bookmark = next_bookmark


def _w4_query(ctx: Context) -> List[Row]:
    from cloudant.query import Query

    database = ctx.client[ctx.data_db]
    page = ctx.page_size

    def ours() -> int:
        return sum(1 for _ in Query(database, selector=SELECTOR).result)

    timing = compare(_counted(ctx.docs, ours, "Query.result"),
                     _counted(ctx.docs, lambda: bare_bookmark_pager(ctx, page), "bookmark pager"), ctx.reps)
    row = ratio_row("W4", "Query(selector).result", "%d docs" % ctx.docs, timing, 1.15)
    rows = [_with_predecessor(ctx, row, "query", db=ctx.data_db, selector=SELECTOR, docs=ctx.docs)]
    if ctx.memory is not None:
        rows.append(_memory_row(ctx, "query", "query paging: peak RSS growth", selector=SELECTOR))
    return rows
