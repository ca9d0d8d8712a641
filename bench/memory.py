"""Peak memory of one iteration over a large database, each measured in a fresh process.

``python bench/memory.py MODE '<json args>'`` (``{"db": ..., "docs": N, "page_size": 1000, "auth": "basic"}``)
against the server in ``COUCHDB_URL``. Modes:

* ``iterate_db``: ``for doc in db`` with this checkout's library;
* ``result``: ``Result(db.all_docs, include_docs=True, page_size=...)``;
* ``bare``: the floor's loop (:func:`floor.all_docs`: a bare ``requests.Session``, pages of ``page_size``
  rows), in a process that never imports the library.

It prints ``{"peak_mb": ..., "baseline_mb": ..., "growth_mb": ...}``: the process's peak resident set size
(``VmHWM``) after the iteration, before it, and the difference. ``bench/run.py`` compares the peaks of the
library's modes with the bare loop's peak: the library's imports count, as they do for a program that uses it.
"""
from __future__ import annotations

import sys
from typing import Any, Dict

import _side
from _common import Server, bare_session, our_client


def iterate(mode: str, server: Server, args: Dict[str, Any]) -> int:
    """Iterate the database once the way ``mode`` says; the number of rows read."""
    auth = args.get("auth", "basic")
    if mode == "bare":
        import floor

        with bare_session(server, auth) as session:
            return floor.all_docs(session, server.url + "/" + args["db"], args.get("page_size", 1000))
    client = our_client(server, auth)
    try:
        database = client[args["db"]]
        if mode == "iterate_db":
            return sum(1 for _ in database)
        from cloudant.result import Result

        if mode == "result":
            return sum(1 for _ in Result(database.all_docs, include_docs=True, page_size=args.get("page_size", 1000)))
        raise SystemExit("unknown mode %r" % mode)
    finally:
        client.disconnect()


def measure(mode: str, args: Dict[str, Any]) -> Dict[str, Any]:
    server = Server.from_environment()
    return _side.memory_of(lambda: iterate(mode, server, args), args["docs"])


if __name__ == "__main__":
    sys.exit(_side.main({mode: (lambda args, mode=mode: measure(mode, args))  # type: ignore[misc]
                         for mode in ("iterate_db", "result", "bare")}, sys.argv[1:]))
