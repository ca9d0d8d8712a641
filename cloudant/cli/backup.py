"""``cloudant backup DB``: every document with its revision history, in couchbackup's file format.

The file: a first line ``{"name":"@cloudant/couchbackup","version":"2.11.12","mode":"full",
"attachments":false}``, then one JSON array of documents per line, each document with ``_revisions``, so
``couchrestore`` 2.11 and ``cloudant restore`` both read it and a restore with ``new_edits: false`` keeps
revisions. A ``.gz`` file is gzip-compressed (one gzip member per line, which every gzip reader joins).

The document ids are read page by page from ``_all_docs`` (in id order, ids only), and the documents of each
run of ``--batch-size`` ids with ``_all_docs`` ``startkey``/``endkey`` and ``include_docs``, several runs at
a time; the history of a document at its first
revision is its own revision, other documents are fetched with ``_bulk_get?revs=true`` (``GET
/{db}/{id}?revs=true`` where the server has no ``_bulk_get``). Memory stays at a few pages however large the database.

Resume: beside ``FILE`` the log ``FILE.log`` holds one JSON line per page written: the page's last document
id and the file's size after it. Once a second, the file is synced to disk and then the log lines of the pages
it now holds are written and synced, so whenever the process stops (Ctrl-C, SIGKILL, a lost connection, the
machine itself), ``--resume`` cuts the file back to the size the last log line names and goes on with the
document after that id: nothing lost, nothing twice, at most a second of pages read again.
Documents deleted, and not yet seen documents added, while the backup runs may or may not be in it.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import gzip
import json
import os
import sys
import time
from typing import IO, Any, Deque, Dict, Iterator, List, Optional, Tuple, cast

from ..database import CouchDatabase
from ..error import CloudantHTTPError
from ..result import Result
from ._common import (Progress, add_batching_arguments, add_connection_arguments, connected, emit_json_line,
                      fail, info, warn)

__all__ = ["add_parser", "run", "HEADER", "BackupLog", "backup_database"]

#: The header line couchbackup 2.11.12 writes (``attachments`` is set per backup).
HEADER = {"name": "@cloudant/couchbackup", "version": "2.11.12", "mode": "full"}

EXAMPLES = """\
examples:
  cloudant backup mydb --output mydb.jsonl            # progress on stderr
  cloudant backup mydb --output mydb.jsonl.gz         # gzip-compressed
  cloudant backup mydb --output mydb.jsonl --resume   # go on after an interruption
  cloudant backup mydb | gzip > mydb.jsonl.gz         # to stdout (no resume)
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``backup`` command."""
    parser = subparsers.add_parser(
        "backup", help="back up a database to a couchbackup-format file",
        description="Back up every document of DB with its revision history, in couchbackup's file format.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", metavar="DB", help="the database to back up")
    parser.add_argument("-o", "--output", metavar="FILE", default="-",
                        help="the backup file (default: stdout); FILE.gz is gzip-compressed; the resume log is "
                             "FILE.log")
    parser.add_argument("--resume", action="store_true", help="continue the interrupted backup logged in FILE.log")
    parser.add_argument("--gzip", action="store_true", help="gzip-compress even when FILE does not end in .gz")
    parser.add_argument("--attachments", action="store_true",
                        help="include attachment data inline (base64), as couchbackup --attachments")
    add_batching_arguments(parser, "documents per page and per line", "pages fetched at once")
    add_connection_arguments(parser)
    parser.set_defaults(func=run)


def _sync(stream: Any) -> None:
    stream.flush()
    try:
        os.fsync(stream.fileno())
    except (OSError, AttributeError, ValueError):
        pass  # a pipe or a stream without a file descriptor: nothing to sync


def encode_line(value: Any, compress: bool) -> bytes:
    """One line of compact JSON (UTF-8, non-ASCII as is), gzip-compressed as a member of its own if asked."""
    try:
        data = (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: keep it as an escape rather than fail
        data = (json.dumps(value, separators=(",", ":")) + "\n").encode("ascii")
    return gzip.compress(data, compresslevel=6) if compress else data


# -- the resume log --------------------------------------------------------------------------------------------
class BackupLog:
    """The log kept beside a backup file: a ``start`` line, one ``batch`` line per line of documents written
    (``last_id``, ``docs``, ``offset``: the file's size after it) and a ``complete`` line at the end.

    :param str path: the log file (``FILE.log``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.valid_size = 0
        self._stream: Optional[IO[str]] = None

    def read(self) -> List[Dict[str, Any]]:
        """The complete records, in order (a line cut short by a crash is ignored)."""
        records, self.valid_size = [], 0
        try:
            with open(self.path, "rb") as stream:
                for line in stream:
                    try:
                        record = json.loads(line.decode("utf-8")) if line.endswith(b"\n") else None
                    except ValueError:
                        record = None
                    if not isinstance(record, dict):
                        break
                    records.append(record)
                    self.valid_size += len(line)
        except FileNotFoundError:
            return []
        return records

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def open(self, fresh: bool) -> None:
        """Open for appending (a fresh log is emptied first)."""
        if not fresh:  # cut a half-written last line, so that what follows starts a line of its own
            self.read()
            with open(self.path, "r+b") as stream:
                stream.truncate(self.valid_size)
        self._stream = open(self.path, "w" if fresh else "a", encoding="utf-8")

    def write(self, record: Dict[str, Any], sync: bool = True) -> None:
        """Append ``record``, and sync it to disk unless ``sync`` is False."""
        assert self._stream is not None
        self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        if sync:
            self.sync()

    def sync(self) -> None:
        """Sync what was appended to disk."""
        assert self._stream is not None
        _sync(self._stream)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def resume_point(records: List[Dict[str, Any]]) -> Tuple[int, Optional[str], int, bool]:
    """From the log records: (file size to keep, last id written, documents written, complete?)."""
    offset, last_id, docs, complete = 0, None, 0, False
    for record in records:
        if "offset" in record:
            offset = record["offset"]
        if record.get("type") == "batch":
            last_id, docs = record["last_id"], docs + record["docs"]
        complete = complete or record.get("type") == "complete"
    return offset, last_id, docs, complete


# -- reading the database ----------------------------------------------------------------------------------------
def id_ranges(db: CouchDatabase, batch_size: int, after: Optional[str]) -> Iterator[Tuple[str, str]]:
    """``(first id, last id)`` of each run of ``batch_size`` document ids in ``_all_docs`` (read in pages of
    ten runs, ids only), in id order, starting after the id ``after``."""
    options: Dict[str, Any] = {"page_size": batch_size * 10}
    if after is not None:
        options["startkey"] = after
    first, count, last = None, 0, None
    for row in Result(db.all_docs, **options):
        if after is not None and row.get("id") == after:
            continue
        last = row["id"]
        if first is None:
            first = last
        count += 1
        if count == batch_size:
            yield first, last
            first, count = None, 0
    if first is not None and last is not None:
        yield first, last


class RevisionFetcher:
    """Completes documents with their ``_revisions`` (and attachment data with ``attachments``)."""

    def __init__(self, db: CouchDatabase, attachments: bool) -> None:
        self.db = db
        self.attachments = attachments
        self.bulk_get: Optional[bool] = None  # unknown until tried

    def documents(self, id_range: Tuple[str, str]) -> Tuple[str, List[Dict[str, Any]]]:
        """The documents from the first to the last id of ``id_range`` (``_all_docs`` with ``include_docs``),
        each with ``_revisions``, in id order: ``(last id, documents)``."""
        first, last = id_range
        rows = self.db.all_docs(startkey=first, endkey=last, include_docs=True)["rows"]
        return last, self.complete([row["doc"] for row in rows if row.get("doc")])

    def complete(self, docs: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """The documents given, each with ``_revisions``, in the same order."""
        wanted = [doc for doc in docs if self.attachments and "_attachments" in doc or not _first_revision(doc)]
        fetched = self.fetch(wanted) if wanted else {}
        out = []
        for doc in docs:
            full = fetched.get(doc["_id"])
            if full is None:
                full = dict(doc)
                start, _, digest = doc["_rev"].partition("-")
                full["_revisions"] = {"start": int(start), "ids": [digest]}
            out.append(full)
        return out

    def fetch(self, docs: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
        """Fetch ``docs`` (at their current revisions) with history: ``{id: document}``."""
        if self.bulk_get is not False:
            try:
                found = self._bulk_get(docs)
                self.bulk_get = True
                return found
            except CloudantHTTPError as err:
                if self.bulk_get or err.status_code not in (400, 404, 405, 415, 501):
                    raise
                self.bulk_get = False
        return {doc["_id"]: self._get(doc) for doc in docs}

    def _params(self) -> Dict[str, str]:
        params = {"revs": "true"}
        if self.attachments:
            params["attachments"] = "true"
        return params

    def _bulk_get(self, docs: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
        body = {"docs": [{"id": doc["_id"], "rev": doc["_rev"]} for doc in docs]}
        reply = self.db._endpoint.child("_bulk_get").json("POST", params=self._params(), json_body=body)
        found: Dict[str, Dict[str, Any]] = {}
        for entry in reply.get("results", []):
            for item in entry.get("docs", []):
                if "ok" in item:
                    found[item["ok"]["_id"]] = item["ok"]
        missing = [doc for doc in docs if doc["_id"] not in found]
        for doc in missing:  # a revision replaced meanwhile: take the current one
            found[doc["_id"]] = self._get(doc, current=True)
        return found

    def _get(self, doc: Dict[str, Any], current: bool = False) -> Dict[str, Any]:
        params = self._params()
        if not current:
            params["rev"] = doc["_rev"]
        return cast(Dict[str, Any], self.db._endpoint.document(doc["_id"]).json("GET", params=params))


def _first_revision(doc: Dict[str, Any]) -> bool:
    return str(doc.get("_rev", "")).startswith("1-")


def fetched_pages(db: CouchDatabase, batch_size: int, parallelism: int, attachments: bool,
                  after: Optional[str]) -> Iterator[Tuple[str, List[Dict[str, Any]]]]:
    """``(last id, documents)`` of each range of :func:`id_ranges`, read by :meth:`RevisionFetcher.documents`
    on ``parallelism`` threads, in order; at most ``parallelism`` pages are held at once."""
    fetcher = RevisionFetcher(db, attachments)
    ranges = id_ranges(db, batch_size, after)
    if parallelism == 1:
        for id_range in ranges:
            yield fetcher.documents(id_range)
        return
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="backup")
    pending: Deque[concurrent.futures.Future[Tuple[str, List[Dict[str, Any]]]]] = collections.deque()
    try:
        first = next(ranges, None)
        if first is None:
            return
        yield fetcher.documents(first)  # the first page alone: it finds out whether the server has _bulk_get
        for id_range in ranges:
            pending.append(executor.submit(fetcher.documents, id_range))
            if len(pending) >= parallelism:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=False)


# -- writing the file --------------------------------------------------------------------------------------------
def backup_database(db: CouchDatabase, output: IO[bytes], *, compress: bool = False, attachments: bool = False,
                    batch_size: int = 500, parallelism: int = 5, log: Optional[BackupLog] = None,
                    after: Optional[str] = None, write_header: bool = True,
                    progress: Optional[Progress] = None) -> Dict[str, Any]:
    """Write the backup of ``db`` to the binary stream ``output``; return ``{"docs", "lines",
    "with_attachment_stubs"}``.

    :param log: a :class:`BackupLog` opened for appending, or ``None`` (no resume possible).
    :param str after: the last document id already written (a resume), or ``None``.
    :param bool write_header: write the header line first (not when resuming a file that has it).
    """
    docs = lines = stubs = 0
    journal = _Journal(output, log)
    try:
        if write_header:
            journal.write(encode_line(dict(HEADER, attachments=attachments), compress), {"type": "header"})
        for last_id, page in fetched_pages(db, batch_size, parallelism, attachments, after):
            if not page:
                continue
            if not attachments:
                stubs += sum(1 for doc in page if doc.get("_attachments"))
            record = {"type": "batch", "last_id": last_id, "docs": len(page)}
            journal.write(encode_line(page, compress), record)
            docs, lines = docs + len(page), lines + 1
            if progress is not None:
                progress.update(len(page))
            del page
    finally:
        journal.commit()  # what was written completely, also when interrupted (Ctrl-C, a lost connection)
    if log is not None:
        log.write({"type": "complete", "offset": output.tell()})
    return {"docs": docs, "lines": lines, "with_attachment_stubs": stubs}


#: Seconds between two syncs of the backup file and its log.
SYNC_INTERVAL = 1.0


class _Journal:
    """Writes lines to the backup file and their records to the log, syncing both once per
    :data:`SYNC_INTERVAL`: the file first, then the records of the lines it now holds. So a record in the log
    always describes data on disk, whenever the process or the machine stops; a restart after a crash redoes at
    most the last interval's pages."""

    def __init__(self, output: IO[bytes], log: Optional[BackupLog]) -> None:
        self._output = output
        self._log = log
        self._records: List[Dict[str, Any]] = []
        self._synced = time.monotonic()

    def write(self, data: bytes, record: Dict[str, Any]) -> None:
        self._output.write(data)
        if self._log is None:
            self._output.flush()
            return
        self._records.append(dict(record, offset=self._output.tell()))
        if time.monotonic() - self._synced >= SYNC_INTERVAL:
            self.commit()

    def commit(self) -> None:
        """Sync the file, then log and sync the records of the lines written since the last commit."""
        if self._log is None or not self._records:
            return
        _sync(self._output)
        for record in self._records:
            self._log.write(record, sync=False)
        self._log.sync()
        self._records = []
        self._synced = time.monotonic()


def run(args: argparse.Namespace) -> int:
    """Run ``cloudant backup``."""
    to_stdout = args.output == "-"
    if args.resume and to_stdout:
        fail("--resume needs --output FILE", 2)
    compress = args.gzip or (not to_stdout and args.output.endswith(".gz"))
    log = None if to_stdout else BackupLog(args.output + ".log")
    after, done_before, write_header = None, 0, True
    with connected(args) as client:
        db = CouchDatabase(client, args.db)
        if not db.exists():
            fail("database %s does not exist" % args.db)
        if to_stdout:
            output: Any = sys.stdout.buffer
        else:
            output, after, done_before, write_header = _open_output(args, log)
            if output is None:
                info("backup of %s in %s is already complete" % (args.db, args.output), args)
                return 0
        try:
            progress = Progress("backup %s" % args.db, db.doc_count(), args)
            progress.count = done_before
            with progress:
                summary = backup_database(db, output, compress=compress, attachments=args.attachments,
                                          batch_size=args.batch_size, parallelism=args.parallelism, log=log,
                                          after=after, write_header=write_header, progress=progress)
        finally:
            if log is not None:
                log.close()
            if not to_stdout:
                output.close()
    summary["docs"] += done_before
    _report(args, summary)
    return 0


def _open_output(args: argparse.Namespace, log: Any) -> Tuple[Any, Optional[str], int, bool]:
    """Open the backup file: fresh, or cut back to the last logged line with ``--resume``.
    Returns (stream or ``None`` when already complete, last id written, documents written, header needed)."""
    if not args.resume:
        log.open(fresh=True)
        return open(args.output, "wb"), None, 0, True
    if not log.exists() or not os.path.exists(args.output):
        fail("nothing to resume: no backup log %s.log or no file %s" % (args.output, args.output))
    records = log.read()
    if not records:  # stopped before the header was logged: start again
        log.open(fresh=True)
        return open(args.output, "wb"), None, 0, True
    offset, last_id, done, complete = resume_point(records)
    if complete:
        return None, last_id, done, False
    output = open(args.output, "r+b")
    if os.path.getsize(args.output) < offset:
        output.close()
        fail("%s is shorter than its log says: it was changed since; back up afresh" % args.output)
    output.truncate(offset)
    output.seek(offset)
    log.open(fresh=False)
    info("resuming backup of %s after %d documents" % (args.db, done), args)
    return output, last_id, done, offset == 0


def _report(args: argparse.Namespace, summary: Dict[str, Any]) -> None:
    if summary["with_attachment_stubs"]:
        warn("cloudant backup: %d documents have attachments that are not in the backup (use --attachments)"
             % summary["with_attachment_stubs"])
    if args.json:
        emit_json_line(dict(summary, ok=True, db=args.db), sys.stderr)
    else:
        info("backed up %d documents of %s" % (summary["docs"], args.db), args)
