"""``cloudant backup`` and ``cloudant restore`` against the live server: round trip with revisions, resume,
gzip, rejected documents reported."""
import gzip
import json
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from cloudant import cli


@pytest.fixture
def url(couch_server):
    parts = urlsplit(couch_server.url)
    netloc = "%s:%s@%s" % (quote(couch_server.user or "", safe=""), quote(couch_server.password or "", safe=""),
                           parts.netloc)
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@pytest.fixture
def source(db):
    docs = [{"_id": "doc%04d" % i, "n": i, "text": "naïve café ✓ 日本語 %d" % i} for i in range(230)]
    docs.append({"_id": "_design/d", "views": {"v": {"map": "function (doc) { emit(doc.n, null); }"}}})
    results = db.bulk_docs(docs)
    updates = [dict(doc, _rev=result["rev"], second=True) for doc, result in zip(docs[:20], results)]
    db.bulk_docs(updates)
    return db


@pytest.fixture
def target(client, couch_server):
    name = "test-" + uuid.uuid4().hex
    yield name
    if name in client.all_dbs():
        client.delete_database(name)


def state(client, name):
    """{id: (rev, revision history, body without _rev/_revisions)} of every document."""
    db = client[name]
    out = {}
    for row in db.all_docs(include_docs=True)["rows"]:
        doc = db._endpoint.document(row["id"]).json("GET", params={"revs": "true"})
        body = {k: v for k, v in doc.items() if k not in ("_rev", "_revisions")}
        out[row["id"]] = (doc["_rev"], doc["_revisions"], body)
    return out


def backup_lines(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as stream:
        return [json.loads(line) for line in stream]


@pytest.mark.parametrize("name", ["b.jsonl", "b.jsonl.gz"])
def test_backup_then_restore_keeps_documents_and_revisions(client, source, target, url, tmp_path, name, capsys):
    path = tmp_path / name
    assert cli.main(["backup", source.database_name, "--url", url, "-o", str(path), "--batch-size", "50"]) == 0
    lines = backup_lines(path)
    assert lines[0]["name"] == "@cloudant/couchbackup" and lines[0]["mode"] == "full"
    assert sum(len(line) for line in lines[1:]) == 231
    assert cli.main(["restore", target, "--url", url, "-i", str(path), "--create"]) == 0
    assert state(client, target) == state(client, source.database_name)
    err = capsys.readouterr().err
    assert "backed up 231 documents" in err and "restored 231 documents" in err
    assert (couch_server_password(url) not in err) or not couch_server_password(url)


def couch_server_password(url):
    return urlsplit(url).password or ""


def test_resume_after_an_interruption_writes_each_document_once(client, source, target, url, tmp_path):
    path = tmp_path / "b.jsonl"
    assert cli.main(["backup", source.database_name, "--url", url, "-o", str(path), "--batch-size", "40",
                     "-q"]) == 0
    log = str(path) + ".log"
    with open(log) as stream:
        records = stream.read().splitlines()
    # as if killed while writing the fourth line: its log line never came, half of it is in the file
    with open(log, "w") as stream:
        stream.write("\n".join(records[:4]) + "\n" + records[4][:10])
    offset = json.loads(records[3])["offset"]
    with open(path, "r+b") as stream:
        stream.truncate(offset + 100)
    assert cli.main(["backup", source.database_name, "--url", url, "-o", str(path), "--resume", "-q"]) == 0
    ids = [doc["_id"] for line in backup_lines(path)[1:] for doc in line]
    assert len(ids) == len(set(ids)) == 231
    assert cli.main(["restore", target, "--url", url, "-i", str(path), "--create", "-q"]) == 0
    assert state(client, target) == state(client, source.database_name)
    assert cli.main(["backup", source.database_name, "--url", url, "-o", str(path), "--resume", "-q"]) == 0


def test_rejected_documents_are_reported_and_fail_the_restore(client, db, target, url, tmp_path, capsys):
    path = tmp_path / "b.jsonl"
    docs = [{"_id": "ok%d" % i, "_rev": "1-%032x" % i, "_revisions": {"start": 1, "ids": ["%032x" % i]}}
            for i in range(3)]
    stub = {"_id": "stub", "_rev": "1-%032x" % 99, "_revisions": {"start": 1, "ids": ["%032x" % 99]},
            "_attachments": {"a.txt": {"content_type": "text/plain", "digest": "md5-AAAAAAAAAAAAAAAAAAAAAA==",
                                       "length": 5, "revpos": 1, "stub": True}}}
    header = {"name": "@cloudant/couchbackup", "version": "2.11.12", "mode": "full", "attachments": False}
    path.write_text("\n".join(json.dumps(v) for v in (header, docs[:2] + [stub] + docs[2:])) + "\n")
    status = cli.main(["restore", target, "--url", url, "-i", str(path), "--create"])
    err = capsys.readouterr().err
    written = {row["id"] for row in client[target].all_docs()["rows"]}
    assert {"ok0", "ok1", "ok2"} <= written
    if "stub" in written:  # a server that accepts the stub has nothing to report
        assert status == 0
    else:
        assert status == 1 and "rejected: stub:" in err and "1 documents rejected" in err


def test_backup_of_a_missing_database_fails_with_one_line(url, tmp_path, capsys):
    assert cli.main(["backup", "no-such-db-%s" % uuid.uuid4().hex, "--url", url, "-o", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and "@" not in err


def test_restore_into_a_missing_database_without_create_fails(url, tmp_path, capsys):
    path = tmp_path / "b.jsonl"
    path.write_text("[]\n")
    assert cli.main(["restore", "no-such-db-%s" % uuid.uuid4().hex, "--url", url, "-i", str(path)]) == 1
    assert "--create" in capsys.readouterr().err
