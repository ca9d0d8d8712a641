"""The jobs the benchmark times: each is the library's natural call for it, and the floor's calls for the same job.

Every job also names the task that ``predecessor.py`` and ``sdk_ibmcloudant.py`` run for it, with its arguments,
so python-cloudant 2.15.0 and IBM's ``ibmcloudant`` SDK do the same job with their own natural calls.

====================  ================================================  ============================================
key                   ours                                              the floor (:mod:`floor`)
====================  ================================================  ============================================
``iterate_db``        ``for doc in db``                                 ``_all_docs?include_docs`` pages of 1,000
``iterate_work``      ``for doc in db``, the caller working 25 µs on    the same pages, the same work
                      each document (informational)
``result``            ``Result(db.all_docs, include_docs=True,          the same pages
                      page_size=1000)``
``bulk``              ``db.bulk_docs(batch)``, batches of 1,000         ``POST _bulk_docs``, batches of 1,000
``changes``           ``db.changes(limit=N)``                           a continuous feed, line by line
``changes_cont``      ``db.changes(feed='continuous', limit=N)``        the same
``changes_body``      ``db.changes(limit=N)`` (informational)           one normal request, one ``json.loads``
``view``              ``db.get_view_result(ddoc, view,                  view pages of 1,000
                      page_size=1000)``
``query``             ``db.get_query_result(selector, page_size=1000)`` ``_find`` pages of 1,000 by bookmark
``lookup``            ``client[db]``, uncached (2,000 calls)            ``HEAD /db``
``metadata``          ``db.metadata()`` (2,000 calls)                   ``GET /db``
``all_dbs``           ``client.all_dbs()`` (2,000 calls)                ``GET /_all_dbs``
``doc``               ``db[id]``, uncached (2,000 calls)                ``GET /db/id``
``doc_large``         ``db[id]`` of a 120 kB document, uncached         ``GET /db/id``
                      (200 calls; informational)
====================  ================================================  ============================================
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import requests

import floor
from _common import Server, batches, get_json, make_docs, post_json, unique_name

DDOC, VIEW = "_design/bench", "by_n"
SELECTOR: Dict[str, Any] = {"n": {"$gte": 0}}
#: Without bookmarks (pouchdb-server 4.2.0) a query can only be paged with ``skip``, and every page costs the
#: server all the rows before it: the query then selects at most this many documents.
SKIP_PAGED_QUERY_DOCS = 20000
#: Seconds the caller of ``iterate_work`` spends on each document: a program's own work, where reading the next
#: page ahead overlaps the server's time with the caller's.
WORK_PER_DOC = 25e-6
GROUPS = {
    "W1": ("lookup", "metadata", "all_dbs", "doc", "doc_large"),
    "W2": ("iterate_db", "iterate_work", "result", "bulk"),
    "W3": ("changes", "changes_cont"),
    "W4": ("view", "query"),
}
ORDER = [key for keys in GROUPS.values() for key in keys]


@dataclass
class Context:
    """What the jobs need: the server, both clients, the sizes and the populated database."""

    server: Server
    client: Any
    bare: requests.Session
    docs: int
    calls: int
    page_size: int
    batch_size: int
    data_db: str = ""
    continuous_sent: Optional[int] = None  # changes a continuous feed really delivers (see prepare_changes)
    query_docs: Optional[int] = None  # documents the query selects (fewer where only skip can page)
    notes: List[str] = field(default_factory=list)
    extra_dbs: List[str] = field(default_factory=list)  # databases of single jobs, deleted with the data

    def url(self, *segments: str) -> str:
        return "/".join((self.server.url,) + segments)

    @property
    def db_url(self) -> str:
        return self.url(self.data_db)


@dataclass
class Job:
    """One comparison: ``ours`` and ``bare`` do the same job; ``task``/``args`` tell the other libraries."""

    key: str
    label: str
    size: str
    ours: Callable[[], Any]
    bare: Callable[[], Any]
    args: Dict[str, Any]
    setup: Optional[Callable[[], Any]] = None
    teardown: Optional[Callable[[], Any]] = None
    in_geomean: bool = True
    task: str = ""
    stands_for: str = ""  # an informational job: the key of the job it times against a stricter floor

    def __post_init__(self) -> None:
        self.task = self.task or self.key


def counted(expected: int, run: Callable[[], int], label: str) -> Callable[[], None]:
    """Wrap ``run`` so that a wrong row count fails the benchmark instead of timing the wrong thing."""
    def checked() -> None:
        got = run()
        if got != expected:
            raise AssertionError("%s yielded %d rows, expected %d" % (label, got, expected))
    return checked


def populate(ctx: Context, name: str, docs: int) -> float:
    """Create database ``name`` holding ``docs`` documents, written with bare ``_bulk_docs``; seconds taken."""
    started = time.perf_counter()
    ctx.bare.put(ctx.url(name)).raise_for_status()
    for batch in batches(make_docs(docs), 1000):
        floor.check_written(post_json(ctx.bare, ctx.url(name, "_bulk_docs"), {"docs": batch}, timeout=600))
    return time.perf_counter() - started


def prepare_changes(ctx: Context) -> None:
    """Count the changes a continuous feed delivers before the server falls silent (untimed).

    pouchdb-server 4.2.0 ignores ``limit`` on a continuous feed and never ends it: every side stops by itself
    after this many changes (CouchDB ends the feed there).
    """
    count = 0
    with ctx.bare.get(ctx.db_url + "/_changes", params={"feed": "continuous", "limit": ctx.docs}, stream=True,
                      timeout=(30, 5), headers=floor.IDENTITY) as response:
        response.raise_for_status()
        try:
            for line in response.iter_lines(chunk_size=floor.FEED_CHUNK):
                if line and b'"seq"' in line:
                    count += 1
                    if count == ctx.docs:
                        break
        except requests.ConnectionError:  # five silent seconds: the server sent all it is going to send
            pass
    ctx.continuous_sent = count
    if count < ctx.docs:
        ctx.notes.append("%s sent %d of %d changes on a continuous feed; every side reads those %d"
                         % (ctx.server.kind, count, ctx.docs, count))


def prepare_views(ctx: Context) -> None:
    """Add a view and a Mango index on ``n`` and build both (untimed). Comes after the other jobs: the design
    documents it adds would be counted by ``_all_docs`` and ``_changes``."""
    started = time.perf_counter()
    design = {"views": {VIEW: {"map": "function (doc) { emit(doc.n, null); }"}}}
    ctx.bare.put(ctx.url(ctx.data_db, DDOC), json=design).raise_for_status()
    post_json(ctx.bare, ctx.url(ctx.data_db, "_index"),
              {"index": {"fields": ["n"]}, "ddoc": "bench-mango", "name": "by-n", "type": "json"})
    get_json(ctx.bare, ctx.url(ctx.data_db, DDOC, "_view", VIEW), params={"limit": 1}, timeout=3600)
    reply = post_json(ctx.bare, ctx.url(ctx.data_db, "_find"), {"selector": SELECTOR, "limit": 1}, timeout=3600)
    ctx.query_docs = ctx.docs
    if "bookmark" not in reply:
        ctx.query_docs = min(ctx.docs, SKIP_PAGED_QUERY_DOCS)
        ctx.notes.append("%s sends no _find bookmarks: queries are paged with skip; the query selects %d "
                         "documents" % (ctx.server.kind, ctx.query_docs))
    ctx.notes.append("view and Mango index built in %.1fs" % (time.perf_counter() - started))


# -- the jobs --------------------------------------------------------------------------------------------------
def small_call_jobs(ctx: Context) -> List[Job]:
    """2,000 single calls each (``--calls``): the per-call cost of the library."""
    client, bare, name, calls = ctx.client, ctx.bare, ctx.data_db, ctx.calls
    database, doc_id = client[name], "doc-%07d" % 0
    db_url, dbs_url, doc_url = ctx.db_url, ctx.url("_all_dbs"), ctx.url(name, doc_id)

    def lookup() -> None:
        for _ in range(calls):
            client[name]
            del client[name]  # forget the cached object, so that the next lookup asks the server

    def doc() -> None:
        for _ in range(calls):
            database[doc_id]
            del database[doc_id]  # forget the cached document, so that the next one is fetched

    def repeat(call: Callable[..., Any], *args: Any) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                call(*args)
        return run

    size, args = "%d calls" % calls, {"db": name, "calls": calls, "doc_id": doc_id}
    return [
        Job("lookup", "client[db], uncached", size, lookup, repeat(floor.head, bare, db_url), args),
        Job("metadata", "db.metadata()", size, repeat(database.metadata), repeat(floor.get, bare, db_url), args),
        Job("all_dbs", "client.all_dbs()", size, repeat(client.all_dbs), repeat(floor.get, bare, dbs_url), args),
        Job("doc", "db[id], uncached", size, doc, repeat(floor.get, bare, doc_url), args),
        _large_doc_job(ctx, max(1, calls // 10)),
    ]


def _large_doc_job(ctx: Context, calls: int) -> Job:
    """Informational: reading a document of about 120 kB (2,000 small objects), where the per-byte costs of
    reading a document show, in a database of its own."""
    name = unique_name("bench-large")
    ctx.bare.put(ctx.url(name)).raise_for_status()
    ctx.extra_dbs.append(name)
    items = [{"key%d" % n: "v" * 20, "n": n, "tags": ["a", "b", "c"]} for n in range(2000)]
    ctx.bare.put(ctx.url(name, "large"), json={"items": items}).raise_for_status()
    database, url = ctx.client[name], ctx.url(name, "large")

    def ours() -> None:
        for _ in range(calls):
            database["large"]
            del database["large"]

    def bare() -> None:
        for _ in range(calls):
            floor.get(ctx.bare, url)

    return Job("doc_large", "db[id] of a 120 kB document, uncached", "%d calls" % calls, ours, bare,
               {"db": name, "calls": calls}, in_geomean=False, task="-")


def document_jobs(ctx: Context) -> List[Job]:
    """Iterating every document, two ways, and writing as many with ``bulk_docs``."""
    from cloudant.result import Result

    database, page, docs = ctx.client[ctx.data_db], ctx.page_size, ctx.docs
    size, args = "%d docs" % docs, {"db": ctx.data_db, "docs": docs, "page_size": page}
    bare = counted(docs, lambda: floor.all_docs(ctx.bare, ctx.db_url, page), "bare pages")
    return [
        # each run starts with no document cached (a loop caches some of the documents it yields)
        Job("iterate_db", "for doc in db", size, counted(docs, lambda: sum(1 for _ in database), "for doc in db"),
            bare, args, setup=database.clear),
        # informational: reading ahead pays where the caller works on each page; both sides do the same work
        Job("iterate_work", "for doc in db, the caller working %d µs a document" % round(WORK_PER_DOC * 1e6), size,
            counted(docs, lambda: sum(1 for doc in database if work(doc)), "for doc in db"),
            counted(docs, lambda: floor.all_docs(ctx.bare, ctx.db_url, page, each=work), "bare pages"), args,
            setup=database.clear, in_geomean=False, task="-"),
        Job("result", "Result(db.all_docs, include_docs=True, page_size=%d)" % page, size,
            counted(docs, lambda: sum(1 for _ in Result(database.all_docs, include_docs=True, page_size=page)),
                    "Result"), bare, args),
        _bulk_job(ctx),
    ]


def work(doc: Any) -> bool:
    """A program's work on one document: :data:`WORK_PER_DOC` seconds of CPU (a busy loop)."""
    clock = time.perf_counter
    until = clock() + WORK_PER_DOC
    while clock() < until:
        pass
    return True


def _bulk_job(ctx: Context) -> Job:
    docs, size = make_docs(ctx.docs, prefix="new"), ctx.batch_size
    state: Dict[str, Any] = {}

    def setup() -> None:
        name = unique_name("bench-write")
        ctx.bare.put(ctx.url(name)).raise_for_status()
        state["name"], state["db"] = name, ctx.client[name]
        state["docs"] = [dict(doc) for doc in docs]  # fresh copies: a client may add _rev to what it wrote

    def teardown() -> None:
        ctx.bare.delete(ctx.url(state["name"]))
        ctx.client.pop(state["name"], None)

    def ours() -> None:
        database = state["db"]
        for batch in batches(state["docs"], size):
            floor.check_written(database.bulk_docs(batch))

    def bare() -> None:
        floor.bulk_write(ctx.bare, ctx.url(state["name"]), state["docs"], size)

    return Job("bulk", "db.bulk_docs() in batches of %d" % size, "%d docs" % ctx.docs, ours, bare,
               {"docs": ctx.docs, "batch_size": size}, setup=setup, teardown=teardown)


def changes_jobs(ctx: Context) -> List[Job]:
    """Every change of the database: the normal feed and the continuous one, against the floor's continuous read.

    A third, informational comparison (not in the geometric mean) sets the normal feed against one
    :func:`json.loads` of the normal body: less CPU, but the whole body in memory at once.
    """
    if ctx.continuous_sent is None:
        prepare_changes(ctx)
    database, limit, sent = ctx.client[ctx.data_db], ctx.docs, ctx.continuous_sent or 0

    def continuous() -> int:
        feed, count = database.changes(feed="continuous", limit=limit), 0
        for _ in feed:
            count += 1
            if count == sent:
                feed.stop()
        return count

    normal = counted(limit, lambda: sum(1 for _ in database.changes(limit=limit)), "db.changes()")
    bare = counted(sent, lambda: floor.changes(ctx.bare, ctx.db_url, limit, sent), "continuous lines")
    args = {"db": ctx.data_db, "docs": limit, "expected": sent}
    return [
        Job("changes", "db.changes(limit=N)", "%d changes" % limit, normal, bare, args),
        Job("changes_cont", "db.changes(feed='continuous', limit=N)", "%d changes" % sent,
            counted(sent, continuous, "continuous feed"), bare, args),
        Job("changes_body", "db.changes(limit=N) vs one json.loads of the normal body", "%d changes" % limit,
            normal, counted(limit, lambda: floor.normal_changes(ctx.bare, ctx.db_url, limit), "json.loads"), args,
            in_geomean=False, task="-", stands_for="changes"),
    ]


def view_jobs(ctx: Context) -> List[Job]:
    """Paging a view and a Mango query over every document (after :func:`prepare_views`)."""
    if ctx.query_docs is None:
        prepare_views(ctx)
    database, page, docs = ctx.client[ctx.data_db], ctx.page_size, ctx.docs
    query_docs = ctx.query_docs or docs
    selector = SELECTOR if query_docs == docs else {"n": {"$gte": 0, "$lt": query_docs}}
    view_url = ctx.url(ctx.data_db, DDOC, "_view", VIEW)
    return [
        Job("view", "db.get_view_result(ddoc, view, page_size=%d)" % page, "%d rows" % docs,
            counted(docs, lambda: sum(1 for _ in database.get_view_result(DDOC, VIEW, page_size=page)), "view"),
            counted(docs, lambda: floor.view_rows(ctx.bare, view_url, page), "bare view pages"),
            {"db": ctx.data_db, "docs": docs, "page_size": page, "ddoc": DDOC, "view": VIEW}),
        Job("query", "db.get_query_result(selector, page_size=%d)" % page, "%d docs" % query_docs,
            counted(query_docs, lambda: sum(1 for _ in database.get_query_result(selector, page_size=page)),
                    "query"),
            counted(query_docs, lambda: floor.find(ctx.bare, ctx.db_url, selector, page), "bare _find pages"),
            {"db": ctx.data_db, "docs": query_docs, "page_size": page, "selector": selector}),
    ]


BUILDERS: Dict[str, Callable[[Context], List[Job]]] = {
    "W1": small_call_jobs, "W2": document_jobs, "W3": changes_jobs, "W4": view_jobs,
}
