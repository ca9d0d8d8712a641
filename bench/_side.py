"""What the scripts that time another library in its own virtualenv share (``predecessor.py``,
``sdk_ibmcloudant.py``) and ``memory.py``: the timing method, the document shape, peak memory, the command line.

Those scripts run with ``python -I`` (so that the checkout's own ``cloudant`` package can never shadow the
library they time) and put only this directory on ``sys.path``; this module imports nothing but the standard
library. A script is started once per task as ``python -I SCRIPT TASK '<json args>'`` and prints one JSON
object: ``{"wall": best seconds, "cpu": best CPU seconds, "runs": [[wall, cpu], ...]}``, or ``{"error": ...}``.
"""
from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

#: One timed run: (wall seconds, CPU seconds of this process).
Run = Tuple[float, float]


def server() -> Tuple[str, str, str]:
    """The server's URL, user and password, from ``COUCHDB_URL`` / ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``."""
    return (os.environ["COUCHDB_URL"].rstrip("/"), os.environ.get("COUCHDB_USER") or "admin",
            os.environ.get("COUCHDB_PASSWORD") or "admin")


def timed_run(run: Callable[[], Any]) -> Run:
    """Wall and CPU seconds that ``run()`` takes, after a garbage collection."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def timed_between(run: Callable[[], Any], setup: Optional[Callable[[], Any]] = None,
                  teardown: Optional[Callable[[], Any]] = None) -> Run:
    """:func:`timed_run`, with ``setup()`` before and ``teardown()`` after it, both untimed."""
    if setup is not None:
        setup()
    try:
        return timed_run(run)
    finally:
        if teardown is not None:
            teardown()


def best_of(run: Callable[[], Any], reps: int, setup: Optional[Callable[[], Any]] = None,
            teardown: Optional[Callable[[], Any]] = None) -> Dict[str, Any]:
    """One untimed warm-up run, then ``reps`` timed runs; the best wall and the best CPU time of those."""
    runs: List[Run] = []
    for index in range(reps + 1):
        sample = timed_between(run, setup, teardown)
        if index:
            runs.append(sample)
    return {"wall": min(wall for wall, _ in runs), "cpu": min(cpu for _, cpu in runs), "runs": runs}


def expect(count: int, expected: int, what: str) -> None:
    """Fail the task when ``what`` yielded the wrong number of rows: never time the wrong thing."""
    if count != expected:
        raise AssertionError("%s yielded %d rows, expected %d" % (what, count, expected))


def make_docs(count: int, prefix: str = "doc") -> List[Dict[str, Any]]:
    """The benchmark's documents: ``{"_id": "doc-0000042", "n": 42, "text": 100 x "x"}``."""
    text = "x" * 100
    return [{"_id": "%s-%07d" % (prefix, number), "n": number, "text": text} for number in range(count)]


def peak_rss_kb() -> int:
    """The process's peak resident set size so far, in KiB (``VmHWM``, else ``ru_maxrss``)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def memory_of(iterate: Callable[[], int], expected: int) -> Dict[str, Any]:
    """Peak RSS (MB) of this fresh process around one ``iterate()``, which returns the rows it read."""
    before = peak_rss_kb()
    expect(iterate(), expected, "iteration")
    peak = peak_rss_kb()
    return {"peak_mb": peak / 1024.0, "baseline_mb": before / 1024.0, "growth_mb": (peak - before) / 1024.0}


def main(tasks: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]], argv: List[str]) -> int:
    """Run ``tasks[argv[0]]`` with the JSON arguments ``argv[1]`` and print its JSON result (or the error)."""
    task, args = argv[0], json.loads(argv[1])
    try:
        result = tasks[task](args)
    except Exception as err:  # reported in the table; the rest of the run goes on
        result = {"error": "%s: %s" % (type(err).__name__, str(err)[:200])}
    print(json.dumps(result))
    sys.stdout.flush()
    return 0
