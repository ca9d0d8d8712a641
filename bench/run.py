"""Benchmarks: the library against the floor (a bare ``requests.Session`` making the fewest calls each job needs).

Usage (``make bench`` starts a local pouchdb-server and runs this; ``make bench-couchdb`` an Apache CouchDB
3.4.3 from ``../shared``)::

    python bench/run.py [--quick] [--docs N] [--calls N] [--memory-docs N] [--reps N] [--only KEYS]

The server comes from ``COUCHDB_URL`` / ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``. For every job (see
:mod:`jobs`) it prints the best wall and client-CPU seconds of ours and of the floor, their ratios, the same
ratios for python-cloudant 2.15.0 and IBM's ``ibmcloudant`` where their virtualenvs exist
(``bench/setup_predecessor.py``, ``bench/setup_ibmcloudant.py``), the geometric means and the targets'
verdicts, and the peak memory of iterating ``--memory-docs`` documents against the bare loop's; the same goes
to ``bench/results/latest.md``. The method is described in ``bench/README.md`` and ``docs/benchmarks.rst``.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

import others
import report
from _common import Best, Server, bare_session, compare, our_client, unique_name
from jobs import BUILDERS, GROUPS, ORDER, Context, Job, populate
from report import MemoryRow, Row

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.md"
KEYS = ORDER + ["changes_body", "memory"]


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, no other libraries unless asked for: a smoke run of a minute or two")
    parser.add_argument("--docs", type=int,
                        help="documents (and changes, view rows) of the jobs; default 20000 (2000 with --quick)")
    parser.add_argument("--calls", type=int, help="calls per small-call job; default 2000 (200 with --quick)")
    parser.add_argument("--memory-docs", type=int,
                        help="documents iterated by the memory runs; default 100000 (5000 with --quick)")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per side after the warm-up (best of)")
    parser.add_argument("--page-size", type=int, default=1000, help="rows per page, every side; default 1000")
    parser.add_argument("--batch-size", type=int, default=1000, help="documents per bulk write; default 1000")
    parser.add_argument("--only", default="",
                        help="comma-separated job keys or groups (W1-W4, memory), e.g. W1,changes,memory")
    parser.add_argument("--auth", choices=("basic", "cookie"), default="basic",
                        help="how every side authenticates; default HTTP Basic")
    for name, what in (("predecessor", "python-cloudant 2.15.0"), ("ibmcloudant", "IBM's ibmcloudant SDK")):
        parser.add_argument("--no-" + name, action="store_true", help="skip %s" % what)
        parser.add_argument("--" + name, action="store_true", help="time %s in a --quick run too" % what)
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown file to write")
    args = parser.parse_args(argv)
    args.docs = args.docs or (2000 if args.quick else 20000)
    args.calls = args.calls or (200 if args.quick else 2000)
    args.memory_docs = args.memory_docs or (5000 if args.quick else 100000)
    selected = set()
    for name in (part.strip() for part in args.only.split(",") if part.strip()):
        if name.upper() in GROUPS:
            selected.update(GROUPS[name.upper()])
        elif name in KEYS:
            selected.add(name)
        else:
            parser.error("unknown job %r: one of %s, or a group W1-W4" % (name, ", ".join(KEYS)))
    args.only = selected or set(KEYS)
    if "changes" in args.only:
        args.only.add("changes_body")
    return args


def chosen_sides(args: argparse.Namespace) -> List[others.Side]:
    skip = [name for name, flag in (("2.15.0", "predecessor"), ("ibmcloudant", "ibmcloudant"))
            if getattr(args, "no_" + flag) or (args.quick and not getattr(args, flag))]
    return others.available(skip)


def run_job(ctx: Context, job: Job, sides: List[others.Side], args: argparse.Namespace) -> Row:
    started = time.perf_counter()
    pair = compare(job.ours, job.bare, args.reps, setup=job.setup, teardown=job.teardown)
    row = Row(job.key, job.label, job.size, pair, in_geomean=job.in_geomean, stands_for=job.stands_for)
    for side in sides:
        if job.task == "-" or not side.python.exists():
            continue
        result = side.run(job.task, reps=args.reps, auth=args.auth, **job.args)
        row.others[side.name] = Best.from_json(result)
        if "error" in result:
            row.notes.append("%s: %s" % (side.name, result["error"]))
    print("  %-14s wall %.2f  CPU %.2f  (%.1fs)" % (job.key, row.ratio("ours", "wall") or 0,
                                                   row.ratio("ours", "cpu") or 0, time.perf_counter() - started),
          file=sys.stderr, flush=True)
    return row


def run_jobs(ctx: Context, sides: List[others.Side], args: argparse.Namespace) -> List[Row]:
    rows: List[Row] = []
    for group, build in BUILDERS.items():  # W4 adds design documents, which the jobs before it must not see
        if not set(args.only) & set(GROUPS[group]):
            continue
        print("%s ..." % group, file=sys.stderr, flush=True)
        try:
            jobs = [job for job in build(ctx) if job.key in args.only]
        except Exception as err:  # one broken group must not hide the others' figures
            traceback.print_exc()
            rows.append(Row(group, "%s failed" % group, "-", None, notes=["%s: %s" % (type(err).__name__, err)]))
            continue
        for job in jobs:
            try:
                rows.append(run_job(ctx, job, sides, args))
            except Exception as err:
                traceback.print_exc()
                rows.append(Row(job.key, job.label, job.size, None, notes=["failed: %s: %s" % (type(err).__name__,
                                                                                               err)]))
    return rows


def run_memory(ctx: Context, sides: List[others.Side], args: argparse.Namespace) -> List[MemoryRow]:
    """Fill a database of ``--memory-docs`` documents, iterate it once per side in fresh processes."""
    name = unique_name("bench-memory")
    print("memory: writing %d documents ..." % args.memory_docs, file=sys.stderr, flush=True)
    seconds = populate(ctx, name, args.memory_docs)
    ctx.notes.append("memory database: %d documents written in %.1fs" % (args.memory_docs, seconds))
    task = {"db": name, "docs": args.memory_docs, "page_size": args.page_size, "auth": args.auth}
    try:
        bare = others.memory("bare", **task)
        bare_peak = bare.get("peak_mb")
        rows = []
        for mode, label in (("iterate_db", "ours: for doc in db"),
                            ("result", "ours: Result(db.all_docs, include_docs=True, page_size=%d)" % args.page_size)):
            rows.append(_memory_row(label, others.memory(mode, **task), bare_peak, args.memory_docs))
        for side in sides:
            if side.python.exists():
                what = "for doc in db" if side.name == "2.15.0" else "post_all_docs pages"
                rows.append(_memory_row("%s: %s" % (side.name, what), side.run("memory", **task), bare_peak,
                                        args.memory_docs))
        rows.append(_memory_row("the floor's loop (bare requests.Session)", bare, bare_peak, args.memory_docs))
        return rows
    finally:
        ctx.bare.delete(ctx.url(name))


def _memory_row(label: str, result: Dict[str, Any], bare_peak: Optional[float], docs: int) -> MemoryRow:
    note = result.get("error", "")
    if not note and "growth_mb" in result:
        note = "grew %.1f MB during the loop" % result["growth_mb"]
    return MemoryRow(label, docs, result.get("peak_mb"), bare_peak, note)


def heading(args: argparse.Namespace, ctx: Context, sides: List[others.Side]) -> List[str]:
    import cloudant

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results (%s)" % when, "",
        "- server: %s %s at %s" % (ctx.server.kind, ctx.server.version, ctx.server.url),
        "- client: cloudant %s, requests %s, Python %s on %s" % (
            cloudant.__version__, requests.__version__, platform.python_version(), platform.machine()),
        "- sizes: %d documents of {_id, n, text: 100 x \"x\"}, %d calls per small-call job, pages of %d, bulk "
        "batches of %d, memory over %d documents; %s auth on every side" % (
            args.docs, args.calls, args.page_size, args.batch_size, args.memory_docs, args.auth),
        "- method: the floor is a bare requests.Session making the fewest calls each job needs; per job one warm-up "
        "and %d timed runs per side, alternating, best of each; ratio = side / floor (lower is better), wall "
        "(perf_counter) and client CPU (process_time)" % args.reps,
    ]
    for side in others.available([]):
        note = others.missing_note(side)
        if side not in sides:
            lines.append("- %s not timed in this run" % side.name)
        elif note:
            lines.append("- " + note)
    return lines + ["- " + note for note in ctx.notes]


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    server = Server.from_environment()
    print("benchmarking against %s %s at %s" % (server.kind, server.version, server.url), file=sys.stderr)
    client, bare = our_client(server, args.auth), bare_session(server, args.auth)
    ctx = Context(server, client, bare, args.docs, args.calls, args.page_size, args.batch_size)
    sides = chosen_sides(args)
    rows: List[Row] = []
    memory: List[MemoryRow] = []
    try:
        if set(args.only) - {"memory"}:
            ctx.data_db = unique_name("bench-data")
            seconds = populate(ctx, ctx.data_db, args.docs)
            ctx.notes.append("data: %d documents written with bare _bulk_docs in %.1fs" % (args.docs, seconds))
            rows = run_jobs(ctx, sides, args)
        if "memory" in args.only:
            memory = run_memory(ctx, sides, args)
    finally:
        for name in filter(None, [ctx.data_db, *ctx.extra_dbs]):
            bare.delete(ctx.url(name))
        client.disconnect()
        bare.close()
    full = set(KEYS) <= set(args.only)
    columns = [side.name for side in sides if side.python.exists()]
    text = "\n".join(heading(args, ctx, sides)) + "\n\n" + report.table(rows, columns) + "\n\n"
    text += "\n".join("- " + line for line in report.verdicts(rows, memory, full)) + "\n"
    if memory:
        text += "\n" + report.memory_table(memory) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print("written to %s" % args.output, file=sys.stderr)
    return 1 if any(row.pair is None for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
