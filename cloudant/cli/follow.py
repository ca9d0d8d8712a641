"""``cloudant follow DB``: the changes feed of a database as JSON lines on stdout, for as long as it runs.

Each change is written as one line of compact JSON (``{"seq":...,"id":...,"changes":[...]}``, with ``doc``
under ``--include-docs``). The feed reconnects by itself after a dropped connection or a server restart,
from the last change written.

With ``--checkpoint FILE`` a restarted ``follow`` continues after the last change it wrote (unless
``--since`` is given, which wins). The sequence of a change is stored in FILE (atomically) only once its
line has been written and flushed, so the guarantee is *at least once*: after a crash, a kill or a closed
pipe, the change whose line may not have been written completely comes again; none is skipped. Ctrl-C
stops at once and leaves FILE naming the last change written in full.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Optional

from ..checkpoint import FileCheckpoint
from ._common import add_connection_arguments, connected, emit_json_line, fail, info, positive_int

if TYPE_CHECKING:
    from ..client import CouchDB
    from ..database import CouchDatabase
    from ..feed import InfiniteFeed

__all__ = ["add_parser", "run", "open_database"]

EXAMPLES = """\
examples:
  cloudant follow mydb                                # every change from the start, then new ones
  cloudant follow mydb --since now                    # only changes made from now on
  cloudant follow mydb --checkpoint mydb.seq          # a restart continues after the last change written
  cloudant follow mydb --include-docs --max 100 > changes.jsonl

At least once: with --checkpoint, a change is recorded after its line is written, so after a crash the
last change may be written again; none is missed.
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``follow`` command."""
    parser = subparsers.add_parser(
        "follow", help="follow a database's changes feed as JSON lines",
        description="Write the changes of DB as JSON lines on stdout, reconnecting after drops; with "
                    "--checkpoint, a restart continues after the last change written (at least once).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", metavar="DB", help="the database to follow")
    parser.add_argument("--since", metavar="SEQ",
                        help="start after this sequence ('now': only new changes; default: the checkpoint's, "
                             "else the beginning)")
    parser.add_argument("--checkpoint", metavar="FILE",
                        help="keep the sequence of the last change written in FILE and start after it")
    parser.add_argument("--include-docs", action="store_true", help="add each changed document ('doc')")
    parser.add_argument("--max", metavar="N", type=positive_int, default=None,
                        help="stop after writing N changes (default: follow until interrupted)")
    parser.add_argument("--heartbeat", metavar="MS", type=positive_int, default=10000,
                        help="milliseconds between the server's keep-alive lines (default: %(default)s)")
    add_connection_arguments(parser)
    parser.set_defaults(func=run)


def open_database(client: CouchDB, name: str) -> CouchDatabase:
    """The database ``name`` of ``client``; stops the command when it does not exist."""
    database = client._DATABASE_CLASS(client, name)
    if not database.exists():
        fail("database %s does not exist" % name)
    return database


def run(args: argparse.Namespace) -> int:
    """Follow the feed until ``--max`` changes were written or the process is interrupted."""
    with connected(args) as client:
        database = open_database(client, args.db)
        checkpoint = FileCheckpoint(args.checkpoint) if args.checkpoint else None
        feed = database.infinite_changes(since=args.since, checkpoint=checkpoint, heartbeat=args.heartbeat,
                                         include_docs=True if args.include_docs else None)
        start = args.since if args.since is not None else (checkpoint.load() if checkpoint else None)
        info("following %s from %s" % (args.db, "the beginning" if start is None else start), args)
        written = follow(feed, args.max)
        info("%d changes written" % written, args)
    return 0


def follow(feed: InfiniteFeed, limit: Optional[int] = None) -> int:
    """Write the feed's changes as JSON lines until ``limit`` were written; return how many were.

    The feed records a change's sequence when the next one is asked for, i.e. after its line was
    written and flushed; ``stop()`` after the last line records that one too. Interrupted (Ctrl-C, a closed
    pipe), the feed is stopped *without* recording the change being written, and the error goes on.
    """
    written = 0
    try:
        for change in feed:
            if change is None:  # a heartbeat
                continue
            emit_json_line(change)
            written += 1
            if limit is not None and written >= limit:
                break
    except BaseException:
        feed.stop(checkpoint=False)
        raise
    feed.stop()
    return written
