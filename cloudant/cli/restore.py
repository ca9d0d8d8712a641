"""``cloudant restore DB``: write the documents of a backup file into a database, revisions kept.

Reads couchbackup's file format (a header line, then one JSON array of documents per line; files of
couchbackup before 2.10 have no header), plain or gzip-compressed (recognised by its first bytes, also on
stdin). The documents go in batches to ``_bulk_docs`` with ``new_edits: false``, so each keeps its ``_rev``
and ``_revisions`` history; documents without a ``_rev`` are written as new documents. Every document the
server rejects is reported on stderr (id, error, reason) and makes the exit status 1.

The file is read line by line and each line decoded whole, so multi-byte characters are never split.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import gzip
import json
import sys
from typing import IO, Any, Deque, Dict, Iterator, List, Optional, Tuple, cast

from requests import RequestException

from .. import codec as _codec
from .._endpoint import Endpoint
from ..database import CouchDatabase
from ..error import CloudantHTTPError
from ._common import (Progress, add_batching_arguments, add_connection_arguments, connected, emit_json_line,
                      fail, info, warn)

__all__ = ["add_parser", "run", "read_backup", "restore_documents", "BackupFileError"]

#: Statuses with which a server refuses a whole ``_bulk_docs`` request for what some documents hold.
BATCH_REFUSALS = frozenset({400, 403, 412, 413, 415, 417})
RESUME_MARKER = json.dumps({"marker": "@cloudant/couchbackup:resume"}, separators=(",", ":"))

EXAMPLES = """\
examples:
  cloudant restore newdb --input mydb.jsonl --create
  cloudant restore newdb --input mydb.jsonl.gz         # gzip is recognised by its content
  gunzip -c mydb.jsonl.gz | cloudant restore newdb     # from stdin
"""


class BackupFileError(ValueError):
    """The backup file is not in couchbackup's format (``line`` is the line number)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__("line %d of the backup file: %s" % (line, reason))
        self.line = line


def add_parser(subparsers: Any) -> None:
    """Add the ``restore`` command."""
    parser = subparsers.add_parser(
        "restore", help="restore a couchbackup-format file into a database",
        description="Restore the documents of a couchbackup-format backup into DB, keeping their revisions.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", metavar="DB", help="the database to restore into (best empty)")
    parser.add_argument("-i", "--input", metavar="FILE", default="-", help="the backup file (default: stdin)")
    parser.add_argument("--create", action="store_true", help="create DB when it does not exist")
    add_batching_arguments(parser, "documents per _bulk_docs request", "requests at once")
    add_connection_arguments(parser)
    parser.set_defaults(func=run)


def open_input(path: str) -> IO[bytes]:
    """The backup file (``-``: stdin) as a binary stream, gunzipped when it starts with gzip's magic bytes."""
    raw: Any = sys.stdin.buffer if path == "-" else open(path, "rb")
    if not hasattr(raw, "peek"):
        import io
        raw = io.BufferedReader(raw)
    if raw.peek(2)[:2] != b"\x1f\x8b":
        return cast(IO[bytes], raw)
    if path == "-":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    raw.close()
    return gzip.open(path, "rb")  # type: ignore[return-value]


def read_backup(lines: Iterator[bytes], header: Optional[Dict[str, Any]] = None) -> Iterator[List[Dict[str, Any]]]:
    """The arrays of documents of a backup file, given its lines as bytes. ``header`` (a dict), when given,
    receives the header line's fields.

    :raises BackupFileError: for a line that is neither a JSON array, nor the header, nor a resume marker
        (couchbackup's own tolerance of lines cut by its resume is kept).
    """
    tolerant, mode = True, None  # before 2.10 couchbackup wrote no header and left broken lines on resume
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as err:
            raise BackupFileError(number, "not UTF-8 (%s)" % err.reason) from None
        if not line or line == RESUME_MARKER:
            continue
        try:
            value = _codec.loads(line)
        except ValueError:
            if tolerant or (mode == "full" and line.endswith(RESUME_MARKER)):
                continue
            raise BackupFileError(number, "not JSON") from None
        if isinstance(value, list):
            yield [doc for doc in value if isinstance(doc, dict)]
        elif number == 1 and isinstance(value, dict) and {"name", "version", "mode"} <= set(value):
            tolerant, mode = False, value["mode"]
            if header is not None:
                header.update(value)
        elif isinstance(value, dict) and value.get("marker") == "@cloudant/couchbackup:resume":
            continue
        else:
            raise BackupFileError(number, "not an array of documents nor the header")


def batches(arrays: Iterator[List[Dict[str, Any]]], size: int) -> Iterator[List[Dict[str, Any]]]:
    """The documents of ``arrays`` regrouped into lists of ``size``."""
    batch: List[Dict[str, Any]] = []
    for docs in arrays:
        for doc in docs:
            batch.append(doc)
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def write_batch(db: CouchDatabase, docs: List[Dict[str, Any]]) -> Tuple[int, List[Dict[str, Any]]]:
    """Write one batch: documents with ``_rev`` with ``new_edits: false``, others as new documents.
    Returns (documents written, rejections ``{"id", "error", "reason"}``)."""
    endpoint = db._endpoint.child("_bulk_docs")
    kept = [doc for doc in docs if doc.get("_rev")]
    new = [doc for doc in docs if not doc.get("_rev")]
    rejected: List[Dict[str, Any]] = []
    if kept:
        rejected += _post(endpoint, kept, {"new_edits": False})
    if new:
        rejected += _post(endpoint, new, {})
    return len(docs) - len(rejected), rejected


def _post(endpoint: Endpoint, docs: List[Dict[str, Any]], options: Dict[str, Any]) -> List[Dict[str, Any]]:
    """``POST _bulk_docs``; when the server refuses the whole request because of some of its documents
    (``missing_stub``, a document too large, ...), write the halves apart, down to the documents at fault."""
    try:
        return _rejections(endpoint.json("POST", json_body=dict(options, docs=docs)))
    except CloudantHTTPError as err:
        if err.status_code not in BATCH_REFUSALS:
            raise
        if len(docs) == 1:
            return [{"id": docs[0].get("_id"), "error": err.error or str(err.status_code),
                     "reason": err.reason or "refused by the server"}]
    half = len(docs) // 2
    return _post(endpoint, docs[:half], options) + _post(endpoint, docs[half:], options)


def _rejections(reply: Any) -> List[Dict[str, Any]]:
    if not isinstance(reply, list):
        return [{"id": None, "error": "bad_reply", "reason": "unexpected _bulk_docs reply: %.200r" % (reply,)}]
    return [{"id": item.get("id"), "error": item.get("error"), "reason": item.get("reason")}
            for item in reply if isinstance(item, dict) and "error" in item]


def restore_documents(db: CouchDatabase, batches_: Iterator[List[Dict[str, Any]]], parallelism: int = 5,
                      progress: Optional[Progress] = None, on_reject: Any = None) -> Dict[str, int]:
    """Write every batch, ``parallelism`` requests at once; call ``on_reject(rejection)`` for each rejected
    document. Returns ``{"docs": written, "rejected": count}``."""
    written = rejected = 0
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="restore")
    pending: Deque[concurrent.futures.Future[Tuple[int, List[Dict[str, Any]]]]] = collections.deque()

    def collect(future: concurrent.futures.Future[Tuple[int, List[Dict[str, Any]]]]) -> None:
        nonlocal written, rejected
        count, failures = future.result()
        written, rejected = written + count, rejected + len(failures)
        for failure in failures:
            if on_reject is not None:
                on_reject(failure)
        if progress is not None:
            progress.update(count + len(failures))

    try:
        for batch in batches_:
            pending.append(executor.submit(write_batch, db, batch))
            if len(pending) >= parallelism:
                collect(pending.popleft())
        while pending:
            collect(pending.popleft())
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=False)
    return {"docs": written, "rejected": rejected}


def run(args: argparse.Namespace) -> int:
    """Run ``cloudant restore``."""
    try:
        stream = open_input(args.input)
    except OSError as err:
        fail("cannot read %s: %s" % (args.input, err.strerror or err))
    with stream, connected(args) as client:
        db = CouchDatabase(client, args.db)
        if not db.exists():
            if not args.create:
                fail("database %s does not exist (use --create)" % args.db)
            db.create()
        header: Dict[str, Any] = {}

        def report(rejection: Dict[str, Any]) -> None:
            if args.json:
                emit_json_line(dict(rejection, rejected=True), sys.stderr)
            else:
                warn("rejected: %s: %s: %s" % (rejection["id"], rejection["error"], rejection["reason"]))

        with Progress("restore %s" % args.db, None, args) as progress:
            try:
                summary = restore_documents(db, batches(read_backup(iter(stream), header), args.batch_size),
                                            args.parallelism, progress, report)
            except RequestException:
                raise
            except (BackupFileError, EOFError, OSError) as err:
                fail("%s: %s" % (args.input if args.input != "-" else "stdin", err))
    if args.json:
        emit_json_line(dict(summary, ok=not summary["rejected"], db=args.db), sys.stderr)
    else:
        info("restored %d documents into %s" % (summary["docs"], args.db), args)
    if summary["rejected"]:
        fail("%d documents rejected (listed above)" % summary["rejected"])
    return 0
