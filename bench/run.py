"""Benchmarks: our client against a bare ``requests.Session`` making the same HTTP calls, in one run.

Usage (``make bench`` starts a local pouchdb-server and runs this)::

    python bench/run.py [--quick] [--docs N] [--calls N] [--reps N] [--only W1,W3] [--auth basic]

The server comes from ``COUCHDB_URL`` / ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``. The table (ratios
ours / bare, with their targets) goes to stdout and to ``bench/results/latest.md``. Where
``bench/.venv-predecessor`` exists (``python bench/setup_predecessor.py``), python-cloudant 2.15.0 runs the
same workloads too, and its ratio to the same bare figure is shown beside ours.

Workloads: W1 small calls; W2 iterating and bulk-writing documents; W3 a long ``_changes`` feed; W4 paging a
view and a Mango query. The method is described in ``bench/README.md`` and ``docs/benchmarks.rst``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import requests

from _common import Row, Server, bare_session, batches, make_docs, our_client, post_json, unique_name
from setup_predecessor import interpreter as predecessor_python
from workloads import Context, w1_small_calls, w2_documents, w3_changes
from workloads_w4 import w4_view_and_query

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.md"
WORKLOADS: Dict[str, Callable[[Context], List[Row]]] = {
    "W1": w1_small_calls, "W2": w2_documents, "W3": w3_changes, "W4": w4_view_and_query,
}


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, 3 repetitions, no predecessor: under a minute")
    parser.add_argument("--docs", type=int,
                        help="documents (and changes, view rows) for W2-W4; default 100000 (5000 with --quick)")
    parser.add_argument("--calls", type=int,
                        help="small calls in W1, spread over 4 operations; default 2000 (400 with --quick)")
    parser.add_argument("--reps", type=int, default=3,
                        help="timed repetitions per side (W1: at least 5 unless --quick); default 3")
    parser.add_argument("--page-size", type=int, default=1000, help="rows per page for Result; default 1000")
    parser.add_argument("--batch-size", type=int, default=1000, help="documents per bulk_docs call")
    parser.add_argument("--only", default="W1,W2,W3,W4", help="comma-separated workloads, e.g. W1,W3")
    parser.add_argument("--auth", choices=("cookie", "basic"), default="cookie",
                        help="how both sides authenticate; default a cookie session, the library's default")
    parser.add_argument("--no-predecessor", action="store_true", help="skip python-cloudant 2.15.0")
    parser.add_argument("--predecessor", action="store_true",
                        help="time python-cloudant 2.15.0 in a --quick run too (it doubles the time)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown file to write")
    args = parser.parse_args(argv)
    args.docs = args.docs or (5000 if args.quick else 100000)
    args.calls = args.calls or (400 if args.quick else 2000)
    args.only = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(WORKLOADS)
    if unknown:
        parser.error("unknown workload(s): %s" % ", ".join(sorted(unknown)))
    return args


def subprocess_json(command: List[str], timeout: float) -> Dict[str, Any]:
    """Run a helper script and decode the JSON object it prints last."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after %.0fs" % timeout}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["exit status %d" % done.returncode])[-1][:200]}
    return json.loads(lines[-1])


def predecessor_runner(args: argparse.Namespace) -> Optional[Callable[..., Dict[str, Any]]]:
    python = predecessor_python()
    if args.no_predecessor or not python.exists() or (args.quick and not args.predecessor):
        return None

    def run(task: str, **task_args: Any) -> Dict[str, Any]:
        task_args.setdefault("reps", args.reps)
        task_args.setdefault("auth", args.auth)
        # -I: isolated mode, so the checkout's own cloudant package can never shadow the predecessor.
        return subprocess_json([str(python), "-I", str(HERE / "predecessor.py"), task, json.dumps(task_args)],
                               timeout=1800)
    return run


def memory_runner(args: argparse.Namespace) -> Callable[..., Dict[str, Any]]:
    def run(mode: str, **task_args: Any) -> Dict[str, Any]:
        task_args.setdefault("auth", args.auth)
        return subprocess_json([sys.executable, str(HERE / "memory.py"), mode, json.dumps(task_args)],
                               timeout=3600)
    return run


def populate(ctx: Context) -> float:
    """Create the shared database of ``ctx.docs`` documents with bare ``_bulk_docs`` calls; seconds taken."""
    started = time.perf_counter()
    ctx.data_db = unique_name("bench-data")
    ctx.bare.put(ctx.url(ctx.data_db)).raise_for_status()
    for batch in batches(make_docs(ctx.docs), 1000):
        post_json(ctx.bare, ctx.url(ctx.data_db, "_bulk_docs"), {"docs": batch})
    return time.perf_counter() - started


def run_workloads(ctx: Context, names: List[str]) -> List[Row]:
    rows: List[Row] = []
    for name in sorted(names):  # W4 adds design documents, which W2 and W3 must not see
        print("running %s ..." % name, file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            rows += WORKLOADS[name](ctx)
        except Exception as err:  # one broken workload must not hide the others' figures
            traceback.print_exc()
            rows.append(Row(name, "failed", "-", None, None, None, None, note="%s: %s" % (type(err).__name__, err)))
        print("%s done in %.1fs" % (name, time.perf_counter() - started), file=sys.stderr, flush=True)
    return rows


def format_value(row: Row) -> str:
    if row.value is None:
        return "-"
    if row.kind == "memory":
        return "%.1f MB" % row.value
    if row.kind == "speedup":
        return "%.1fx" % row.value
    return "%.3f" % row.value


def format_target(row: Row) -> str:
    if row.target is None:
        return "-"
    return {"ratio": "<= %.2f", "speedup": ">= %.0fx", "memory": "< %.0f MB"}[row.kind] % row.target


def table(rows: List[Row], with_predecessor: bool) -> str:
    header = ["workload", "what", "size", "ours (s)", "bare (s)", "ours/bare", "target", "met"]
    if with_predecessor:
        header.append("2.15.0/bare")
    header.append("note")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        met = {True: "yes", False: "**no**", None: "-"}[row.met]
        cells = [row.workload, row.what, row.size, _seconds(row.ours), _seconds(row.other), format_value(row),
                 format_target(row), met]
        if with_predecessor:
            cells.append("-" if row.predecessor is None else "%.3f" % row.predecessor)
        cells.append(row.note)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _seconds(value: Optional[float]) -> str:
    return "-" if value is None else "%.3f" % value


def report(args: argparse.Namespace, ctx: Context, rows: List[Row]) -> str:
    import cloudant

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    heading = [
        "# Benchmark results (%s)" % when, "",
        "- server: %s %s at %s" % (ctx.server.kind, ctx.server.version, ctx.server.url),
        "- client: cloudant %s, requests %s, Python %s on %s" % (
            cloudant.__version__, requests.__version__, platform.python_version(), platform.machine()),
        "- sizes: %d docs/changes/rows, %d small calls, page size %d, bulk batches of %d; %d repetitions per "
        "side, W1 %d (median), %s auth" % (args.docs, args.calls, args.page_size, args.batch_size,
                                                   args.reps, ctx.w1_reps, args.auth),
        "- ratio = our median / bare requests.Session median for the same HTTP calls (lower is better)",
    ]
    heading += ["- " + note for note in ctx.notes]
    return "\n".join(heading) + "\n\n" + table(rows, ctx.predecessor is not None) + "\n"


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    server = Server.from_environment()
    print("benchmarking against %s %s at %s" % (server.kind, server.version, server.url), file=sys.stderr)
    client, bare = our_client(server, args.auth), bare_session(server, args.auth)
    ctx = Context(server, client, bare, args.reps, args.calls, args.docs, args.page_size, args.batch_size,
                  predecessor=predecessor_runner(args), memory=memory_runner(args),
                  w1_reps=args.reps if args.quick else max(args.reps, 5))
    if ctx.predecessor is None and not args.no_predecessor and not args.quick:
        ctx.notes.append("python-cloudant 2.15.0 not measured: run `python bench/setup_predecessor.py` first")
    try:
        if set(args.only) & {"W2", "W3", "W4"}:
            seconds = populate(ctx)
            ctx.notes.append("setup: %d documents written with bare _bulk_docs in %.1fs" % (args.docs, seconds))
        rows = run_workloads(ctx, args.only)
    finally:
        if ctx.data_db:
            bare.delete(ctx.url(ctx.data_db))
        client.disconnect()
        bare.close()
    text = report(args, ctx, rows)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print("written to %s" % args.output, file=sys.stderr)
    return 1 if any(row.what == "failed" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
