"""``cloudant replicate SOURCE TARGET``: create a replication and show its progress until it ends.

SOURCE and TARGET are database names on the connected server or full URLs (credentials in a URL are
passed to the server, which needs them; they are never printed). The replication is a document of the
server's ``_replicator`` database; its progress (documents written, pending, rate, ETA, state) comes from
:meth:`cloudant.replicator.Replicator.replication_progress`.

Exit status: 0 when the replication completed, 1 when it failed (the server's reason on stderr), kept
crashing (the server retrying it) for ``--give-up-after`` seconds, or its document was deleted, 130 on
Ctrl-C. A continuous replication runs until Ctrl-C. When the command ends the replication document is
deleted (which cancels a replication still running) unless ``--keep`` is given.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any, Optional, Union

from ..replication_progress import ReplicationProgress
from ..error import CloudantReplicatorException
from ..replicator import Replicator
from ._common import add_connection_arguments, connected, emit_json_line, fail, format_duration, info, warn
from .follow import open_database

if TYPE_CHECKING:
    from ..client import CouchDB
    from ..database import CouchDatabase

__all__ = ["add_parser", "run", "describe"]

EXAMPLES = """\
examples:
  cloudant replicate mydb mydb-copy --create-target
  cloudant replicate https://user:pw@a.example/db https://user:pw@b.example/db --continuous
  cloudant replicate mydb mydb-copy --json 2> progress.jsonl

Exit status: 0 completed, 1 failed or kept crashing (reason on stderr), 130 interrupted.
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``replicate`` command."""
    parser = subparsers.add_parser(
        "replicate", help="replicate one database to another, showing progress",
        description="Create a replication from SOURCE to TARGET (names on the server or URLs) and show its "
                    "progress until it completes or fails.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", metavar="SOURCE", help="the source database: a name on the server or a URL")
    parser.add_argument("target", metavar="TARGET", help="the target database: a name on the server or a URL")
    parser.add_argument("--continuous", action="store_true", help="keep replicating new changes until Ctrl-C")
    parser.add_argument("--create-target", action="store_true", help="create TARGET if it does not exist")
    parser.add_argument("--id", metavar="ID", dest="repl_id", help="the replication document id (default: random)")
    parser.add_argument("--interval", metavar="SECONDS", type=float, default=2.0,
                        help="seconds between progress reports (default: %(default)s)")
    parser.add_argument("--give-up-after", metavar="SECONDS", type=float, default=120.0,
                        help="fail when the replication keeps crashing (the server retrying it) for this long; "
                             "0: wait for ever (default: %(default)s)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the replication document on the server when the command ends (on Ctrl-C, a "
                             "replication still running goes on); by default it is deleted")
    add_connection_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Create the replication, report its progress, and return 0 (completed) or 1 (failed)."""
    with connected(args) as client:
        replicator = Replicator(client)
        source = _endpoint(client, args.source, must_exist=True)
        target = _endpoint(client, args.target, must_exist=not args.create_target)
        options = {"continuous": True} if args.continuous else {}
        if args.create_target:
            options["create_target"] = True
        doc = replicator.create_replication(source, target, repl_id=args.repl_id, **options)
        repl_id = doc["_id"]
        info("replication %s: %s -> %s" % (repl_id, args.source, args.target), args)
        try:
            last = watch(replicator, repl_id, args)
        finally:
            if not args.keep:
                _remove(replicator, repl_id)
    return _outcome(last, repl_id, args)


def _endpoint(client: CouchDB, value: str, must_exist: bool) -> Union[str, CouchDatabase]:
    """A URL as it is; a name as a database object (URL and credentials), or as the bare name for a server
    without a replication scheduler (pouchdb-server, CouchDB 1.x), which takes local names only."""
    if "://" in value:
        return value
    database = open_database(client, value) if must_exist else client._DATABASE_CLASS(client, value)
    if "scheduler" not in client.features():
        return value
    return database


def watch(replicator: Replicator, repl_id: str, args: argparse.Namespace) -> Optional[ReplicationProgress]:
    """Report the replication's progress until it ends; return the last observation.

    On Ctrl-C the iteration stops and the interruption goes on (the caller removes the document).
    """
    progress = replicator.replication_progress(repl_id, interval=args.interval)
    last: Optional[ReplicationProgress] = None
    shown = 0.0
    crashing_since: Optional[float] = None
    try:
        for last in progress:
            now = time.monotonic()
            if last.done or now - shown >= 5.0 or getattr(args, "json", False):
                shown = now
                _report(last, args)
            crashing_since = (crashing_since or now) if last.state == "crashing" else None
            if crashing_since is not None and args.give_up_after and now - crashing_since >= args.give_up_after:
                progress.stop()
                fail("replication %s kept crashing for %s%s: %s" % (
                    repl_id, format_duration(now - crashing_since), "" if args.keep else " and was cancelled",
                    _one_line(last.error)))
    except KeyboardInterrupt:
        progress.stop()
        if last is None or not last.done:
            warn("replication %s %s" % (repl_id, "left running on the server" if args.keep else "cancelled"))
        raise
    return last


def _remove(replicator: Replicator, repl_id: str) -> None:
    """Delete the replication document (which cancels a replication still running)."""
    try:
        replicator.stop_replication(repl_id)
    except CloudantReplicatorException as err:
        if err.code != 404:  # already gone is fine
            warn("could not remove replication %s: %s" % (repl_id, err))
    except Exception as err:  # the outcome matters more than a failed clean-up
        warn("could not remove replication %s: %s" % (repl_id, err))


def _report(progress: ReplicationProgress, args: argparse.Namespace) -> None:
    if getattr(args, "quiet", False):
        return
    if getattr(args, "json", False):
        emit_json_line(progress.as_dict(), sys.stderr)
        return
    info(describe(progress), args)


def describe(progress: ReplicationProgress) -> str:
    """One line: state, documents written, pending, rate and ETA (unknown figures left out or ``?``)."""
    parts = ["%s" % (progress.state or "waiting for the server")]
    if progress.docs_written is not None:
        parts.append("%d docs written" % progress.docs_written)
    if progress.pending is not None:
        parts.append("%d pending" % progress.pending)
    if progress.rate is not None:
        parts.append("%.0f docs/s" % progress.rate)
    if not progress.done and progress.pending is not None:
        parts.append("ETA %s" % format_duration(progress.eta))
    if progress.doc_write_failures:
        parts.append("%d write failures" % progress.doc_write_failures)
    if progress.error:
        parts.append("error: %s" % _one_line(progress.error))
    return "replication %s: %s" % (progress.repl_id, ", ".join(parts))


def _one_line(error: Optional[str]) -> str:
    """The server's reason on one line (CouchDB's are Erlang terms spread over several)."""
    return " ".join(error.split()) if error else "no reason given"


def _outcome(last: Optional[ReplicationProgress], repl_id: str, args: argparse.Namespace) -> int:
    if last is None or not last.done:
        fail("replication %s ended before completing (its document was deleted)" % repl_id)
    if last.failed:
        fail("replication %s %s: %s" % (repl_id, last.state, _one_line(last.error)))
    if last.doc_write_failures:
        fail("replication %s completed, but %d documents were not written" % (repl_id, last.doc_write_failures))
    info("replication %s completed: %s documents written" % (
        repl_id, "?" if last.docs_written is None else last.docs_written), args)
    return 0
