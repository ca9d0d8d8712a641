"""Backup and restore without a server: file format, resume log, revision completion, batch splitting."""
import gzip
import io
import json

import pytest
import requests

from cloudant.cli import backup, restore
from cloudant.error import CloudantHTTPError


class FakeEndpoint:
    """Answers ``_bulk_get``/document GETs from ``store`` and ``_bulk_docs`` with ``bulk_docs``."""

    def __init__(self, db, path=()):
        self.db, self.path = db, path

    def child(self, *segments):
        return FakeEndpoint(self.db, self.path + segments)

    def document(self, doc_id):
        return FakeEndpoint(self.db, self.path + (doc_id,))

    def json(self, method, params=None, json_body=None):
        self.db.calls.append((method, self.path, params, json_body))
        if self.path == ("_bulk_get",):
            return {"results": [{"id": d["id"], "docs": [{"ok": self.db.full[d["id"]]}]}
                                for d in json_body["docs"]]}
        if self.path == ("_bulk_docs",):
            return self.db.bulk_docs_reply(json_body)
        return self.db.full[self.path[0]]


class FakeDb:
    """A stand-in database: ``all_docs`` honours ``startkey``, ``limit``, ``include_docs``."""

    def __init__(self, docs):
        self.full = {d["_id"]: d for d in docs}
        self.calls = []
        self._endpoint = FakeEndpoint(self)
        self.written = []

    def all_docs(self, **kw):
        ids = sorted(self.full)
        if "keys" in kw:
            ids = [i for i in kw["keys"] if i in self.full]
        if "startkey" in kw:
            ids = [i for i in ids if i >= kw["startkey"]]
        if "endkey" in kw:
            ids = [i for i in ids if i <= kw["endkey"]]
        ids = ids[kw.get("skip", 0):][:kw.get("limit", len(ids))]
        rows = []
        for i in ids:
            doc = {k: v for k, v in self.full[i].items() if k != "_revisions"}
            rows.append({"id": i, "key": i, "value": {"rev": doc["_rev"]}})
            if kw.get("include_docs"):
                rows[-1]["doc"] = doc
        return {"total_rows": len(self.full), "offset": 0, "rows": rows}

    def bulk_docs_reply(self, body):
        self.written.append(body)
        return []


def make_docs(n, second_revision=()):
    docs = []
    for i in range(n):
        doc_id = "doc%03d" % i
        if i in second_revision:
            doc = {"_id": doc_id, "_rev": "2-b%d" % i, "v": "é✓%d" % i, "_revisions": {"start": 2, "ids": ["b%d" % i,
                                                                                                        "a%d" % i]}}
        else:
            doc = {"_id": doc_id, "_rev": "1-a%d" % i, "v": "é✓%d" % i, "_revisions": {"start": 1, "ids": ["a%d" % i]}}
        docs.append(doc)
    return docs


def read_lines(data):
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_backup_writes_header_then_arrays_with_revisions():
    docs = make_docs(7, second_revision={3})
    db = FakeDb(docs)
    out = io.BytesIO()
    summary = backup.backup_database(db, out, batch_size=3, parallelism=2)
    lines = read_lines(out.getvalue())
    assert lines[0] == {"name": "@cloudant/couchbackup", "version": "2.11.12", "mode": "full", "attachments": False}
    assert [len(line) for line in lines[1:]] == [3, 3, 1]
    assert [doc for line in lines[1:] for doc in line] == docs
    assert summary == {"docs": 7, "lines": 3, "with_attachment_stubs": 0}
    bulk_gets = [call for call in db.calls if call[1] == ("_bulk_get",)]
    assert [call[3]["docs"] for call in bulk_gets] == [[{"id": "doc003", "rev": "2-b3"}]]
    assert bulk_gets[0][2] == {"revs": "true"}


def test_backup_gzip_is_readable_as_one_stream():
    out = io.BytesIO()
    backup.backup_database(FakeDb(make_docs(5)), out, compress=True, batch_size=2, parallelism=1)
    assert len(read_lines(gzip.decompress(out.getvalue()))) == 4


def test_backup_without_bulk_get_falls_back_to_document_reads():
    db = FakeDb(make_docs(3, second_revision={0, 2}))
    real_json = FakeEndpoint.json

    def no_bulk_get(self, method, params=None, json_body=None):
        if self.path == ("_bulk_get",):
            response = requests.Response()
            response.status_code, response.url = 404, "http://h/db/_bulk_get"
            response.request = requests.Request("POST", response.url).prepare()
            raise CloudantHTTPError(response, {"error": "not_found"})
        return real_json(self, method, params, json_body)

    FakeEndpoint.json = no_bulk_get
    try:
        out = io.BytesIO()
        backup.backup_database(db, out, batch_size=10, parallelism=1)
    finally:
        FakeEndpoint.json = real_json
    assert read_lines(out.getvalue())[1] == make_docs(3, second_revision={0, 2})


def test_log_records_each_line_after_it_and_resume_continues_after_last_id(tmp_path):
    docs = make_docs(10)
    path = tmp_path / "b.jsonl"
    log = backup.BackupLog(str(path) + ".log")
    log.open(fresh=True)
    with open(path, "wb") as out:
        backup.backup_database(FakeDb(docs[:4]), out, batch_size=2, parallelism=1, log=log)
    log.close()
    records = log.read()
    assert [r["type"] for r in records] == ["header", "batch", "batch", "complete"]
    assert records[2]["offset"] == path.stat().st_size and records[2]["last_id"] == "doc003"
    # a crash: the last log line cut short and a half-written line in the file
    with open(str(path) + ".log", "r+b") as stream:
        stream.truncate(stream.seek(0, 2) - 5)
    with open(path, "ab") as out:
        out.write(b'[{"_id":"doc00')
    offset, last_id, done, complete = backup.resume_point(log.read())
    assert (last_id, done, complete) == ("doc003", 4, False) and offset == records[2]["offset"]


def test_log_records_are_written_only_after_the_file_is_synced(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(backup, "_sync", lambda stream: events.append(("sync", stream.name)))
    monkeypatch.setattr(backup, "SYNC_INTERVAL", 0.0)  # a commit after every line
    path = tmp_path / "b.jsonl"
    log = backup.BackupLog(str(path) + ".log")
    log.open(fresh=True)
    real_write = log.write
    monkeypatch.setattr(log, "write", lambda record, sync=True: (events.append(("log", record["type"])),
                                                                 real_write(record, sync)))
    with open(path, "wb") as out:
        backup.backup_database(FakeDb(make_docs(4)), out, batch_size=2, parallelism=1, log=log)
    log.close()
    records = [n for n, event in enumerate(events) if event[0] == "log" and event[1] in ("header", "batch")]
    assert len(records) == 3  # the header and two lines
    # Each record comes right after a sync of the backup file (or after a record of the same commit).
    assert all(events[n - 1] == ("sync", str(path)) or events[n - 1][0] == "log" for n in records)
    assert events[records[0] - 1] == ("sync", str(path))


def test_an_interrupted_backup_logs_every_line_it_wrote_completely(tmp_path):
    docs = make_docs(6)

    class Interrupted(FakeDb):
        def all_docs(self, **options):
            if options.get("startkey") == "doc004":
                raise KeyboardInterrupt
            return super().all_docs(**options)

    path = tmp_path / "b.jsonl"
    log = backup.BackupLog(str(path) + ".log")
    log.open(fresh=True)
    with open(path, "wb") as out, pytest.raises(KeyboardInterrupt):
        backup.backup_database(Interrupted(docs), out, batch_size=2, parallelism=1, log=log)
    log.close()
    offset, last_id, done, complete = backup.resume_point(log.read())
    assert (last_id, done, complete) == ("doc003", 4, False) and offset == path.stat().st_size


def test_resume_through_the_command_gives_each_document_once(tmp_path, monkeypatch):
    docs = make_docs(9, second_revision={5})
    db = FakeDb(docs)
    path = tmp_path / "b.jsonl"
    log = backup.BackupLog(str(path) + ".log")
    log.open(fresh=True)
    with open(path, "wb") as out:
        backup.backup_database(FakeDb(docs[:4]), out, batch_size=2, parallelism=1, log=log)
    log.close()
    with open(str(path) + ".log") as stream:
        lines = stream.read().splitlines()
    with open(str(path) + ".log", "w") as stream:  # drop "complete": stopped after the second line
        stream.write("\n".join(lines[:-1]) + "\n")
    with open(path, "ab") as out:
        out.write(b"[garbage")

    args = type("Args", (), {"output": str(path), "resume": True, "db": "db", "quiet": True, "json": False})()
    resumed_log = backup.BackupLog(str(path) + ".log")
    output, after, done, header = backup._open_output(args, resumed_log)
    assert (after, done, header) == ("doc003", 4, False)
    with output:
        backup.backup_database(db, output, batch_size=2, parallelism=2, log=resumed_log, after=after,
                               write_header=header)
    resumed_log.close()
    lines = read_lines(path.read_bytes())
    assert [doc for line in lines[1:] for doc in line] == docs
    assert backup.resume_point(resumed_log.read())[3] is True


# -- restore --------------------------------------------------------------------------------------------------
def test_read_backup_header_marker_and_arrays():
    header = {}
    lines = [b'{"name":"@cloudant/couchbackup","version":"2.11.12","mode":"full","attachments":false}\n',
             b'[{"_id":"a","_rev":"1-x"}]\n', b'\n', b'{"marker":"@cloudant/couchbackup:resume"}\n',
             b'[{"_id":"b"}]\n']
    assert list(restore.read_backup(iter(lines), header)) == [[{"_id": "a", "_rev": "1-x"}], [{"_id": "b"}]]
    assert header["mode"] == "full"


def test_read_backup_rejects_a_broken_line_after_a_header():
    lines = [b'{"name":"@cloudant/couchbackup","version":"2.11.12","mode":"full"}\n', b'[{"_id":"a"\n']
    with pytest.raises(restore.BackupFileError) as info:
        list(restore.read_backup(iter(lines)))
    assert info.value.line == 2


def test_read_backup_tolerates_broken_lines_of_old_files_and_resumed_lines():
    old = [b'[{"_id":"a"}]\n', b'[{"_id":"b"\n', b'[{"_id":"c"}]\n']
    assert len(list(restore.read_backup(iter(old)))) == 2
    resumed = [b'{"name":"@cloudant/couchbackup","version":"2.11.12","mode":"full"}\n',
               b'[{"_id":"b"{"marker":"@cloudant/couchbackup:resume"}\n']
    assert list(restore.read_backup(iter(resumed))) == []


def test_multibyte_characters_across_read_buffers_decode_intact(tmp_path):
    docs = [{"_id": "d%d" % i, "_rev": "1-a", "v": "日本語✓é" * (i % 3000)} for i in range(40)]
    data = b"".join((json.dumps(docs[i:i + 7], ensure_ascii=False) + "\n").encode("utf-8") for i in range(0, 40, 7))
    for name, content in (("plain", data), ("gz", gzip.compress(data))):
        path = tmp_path / name
        path.write_bytes(content)
        with restore.open_input(str(path)) as stream:
            got = [doc for line in restore.read_backup(iter(stream)) for doc in line]
        assert got == docs, name


def test_batches_regroup_documents():
    arrays = iter([[{"_id": str(i)} for i in range(5)], [{"_id": "x"}]])
    assert [len(b) for b in restore.batches(arrays, 4)] == [4, 2]


def http_error(status, error, reason):
    response = requests.Response()
    response.status_code, response.url = status, "http://h/db/_bulk_docs"
    response.request = requests.Request("POST", response.url).prepare()
    return CloudantHTTPError(response, {"error": error, "reason": reason})


def test_write_batch_uses_new_edits_false_and_reports_rejections():
    db = FakeDb([])
    db.bulk_docs_reply = lambda body: [{"id": "b", "error": "forbidden", "reason": "no"}]
    written, rejected = restore.write_batch(db, [{"_id": "a", "_rev": "1-x"}, {"_id": "b", "_rev": "1-y"}])
    assert (written, rejected) == (1, [{"id": "b", "error": "forbidden", "reason": "no"}])
    assert db.calls[0][3]["new_edits"] is False


def test_write_batch_without_revisions_writes_new_documents():
    db = FakeDb([])
    db.bulk_docs_reply = lambda body: [{"ok": True, "id": "n", "rev": "1-z"}]
    assert restore.write_batch(db, [{"_id": "n"}]) == (1, [])
    assert "new_edits" not in db.calls[0][3]


def test_a_refused_batch_is_split_down_to_the_documents_at_fault():
    db = FakeDb([])

    def reply(body):
        if any(doc["_id"] in ("c", "f") for doc in body["docs"]):
            raise http_error(412, "missing_stub", "Invalid attachment stub")
        db.written.extend(body["docs"])
        return []

    db.bulk_docs_reply = reply
    docs = [{"_id": c, "_rev": "1-x"} for c in "abcdefg"]
    written, rejected = restore.write_batch(db, docs)
    assert written == 5 and [r["id"] for r in rejected] == ["c", "f"]
    assert rejected[0] == {"id": "c", "error": "missing_stub", "reason": "Invalid attachment stub"}
    assert sorted(d["_id"] for d in db.written) == list("abdeg")


def test_other_http_errors_stop_the_restore():
    db = FakeDb([])

    def reply(body):
        raise http_error(500, "internal", "boom")

    db.bulk_docs_reply = reply
    with pytest.raises(CloudantHTTPError):
        restore.write_batch(db, [{"_id": "a", "_rev": "1-x"}])


def test_restore_documents_counts_and_reports(monkeypatch):
    db = FakeDb([])
    db.bulk_docs_reply = lambda body: [{"id": d["_id"], "error": "conflict", "reason": "x"}
                                       for d in body["docs"] if d["_id"] == "k3"]
    seen = []
    summary = restore.restore_documents(db, iter([[{"_id": "k%d" % i, "_rev": "1-a"} for i in range(j, j + 2)]
                                                  for j in range(0, 8, 2)]), 3, None, seen.append)
    assert summary == {"docs": 7, "rejected": 1} and seen[0]["id"] == "k3"
