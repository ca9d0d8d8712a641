"""Where our time goes: one job of ours under cProfile, summed by file and function.

``python bench/hotspots.py JOB [--docs N] [--calls N]`` against the server in ``COUCHDB_URL``, where ``JOB`` is a
key of :mod:`jobs` (``lookup``, ``metadata``, ``all_dbs``, ``doc``, ``iterate_db``, ``result``, ``bulk``,
``changes``, ``changes_cont``, ``view``, ``query``): the very call ``bench/run.py`` times. It prints the
functions of the library, of requests and of urllib3 that take the most time of their own, and the share of the
run spent waiting on the socket, so that a ratio that misses its target can be traced to a ``file:function``.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from typing import List, Tuple

from _common import Server, bare_session, our_client, unique_name
from jobs import BUILDERS, GROUPS, ORDER, Context, Job, populate

SOCKET_WAITS = ("recv_into", "sendall", "connect", "poll", "select")


def find_job(ctx: Context, key: str) -> Job:
    """Build the group of jobs ``key`` belongs to (preparing what it needs) and return that job."""
    group = next(name for name, keys in GROUPS.items() if key in keys)
    return next(job for job in BUILDERS[group](ctx) if job.key == key)


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
    parser.add_argument("job", choices=ORDER)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    server = Server.from_environment()
    client, bare = our_client(server), bare_session(server)
    ctx = Context(server, client, bare, args.docs, args.calls, 1000, 1000, data_db=unique_name("bench-profile"))
    try:
        populate(ctx, ctx.data_db, args.docs)
        job = find_job(ctx, args.job)
        profiler = cProfile.Profile()
        for run in (job.ours, lambda: profiler.runcall(job.ours)):  # a warm-up, then the profiled run
            if job.setup is not None:
                job.setup()
            try:
                run()
            finally:
                if job.teardown is not None:
                    job.teardown()
        stats = pstats.Stats(profiler)
        waiting, lines = summary(stats, args.top)
        total = stats.total_tt  # type: ignore[attr-defined]
        print("%s: %.2fs in all, %.0f%% waiting on the socket" % (args.job, total, 100 * waiting))
        print("\n".join(lines))
    finally:
        for name in [ctx.data_db, *ctx.extra_dbs]:
            bare.delete(ctx.url(name))
        client.disconnect()
        bare.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
