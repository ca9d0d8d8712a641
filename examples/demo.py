"""A tour of the cloudant library against the server named by COUCHDB_URL.

Run it with ``make demo`` (which starts a local pouchdb-server for it), or point it at any CouchDB or
Cloudant::

    COUCHDB_URL=http://127.0.0.1:5984 COUCHDB_USER=admin COUCHDB_PASSWORD=secret python examples/demo.py

It creates a scratch database, works with a few documents, reads the changes feed and deletes the
database again, printing what it does as it goes.
"""
from __future__ import annotations

import os
import sys
import time
import uuid

from cloudant import couchdb
from cloudant.error import CloudantException, NotFound


def step(text: str) -> None:
    print("\n== " + text)


def show_server(client) -> None:
    step("the server")
    info = client.metadata()
    print("GET / answers version %s, vendor %s" % (info.get("version"), client.vendor().get("name")))
    print("databases on the server: %s" % ", ".join(client.all_dbs()))
    session = client.session()
    print("logged in as %r with roles %s" % (session["userCtx"]["name"], session["userCtx"]["roles"]))


def work_with_documents(db) -> None:
    step("documents")
    doc = db.create_document({"_id": "julia", "name": "Julia", "age": 30, "pets": ["cat"]})
    print("created %s at revision %s" % (doc["_id"], doc["_rev"]))
    with db["julia"] as doc:  # fetched on entry, saved on exit
        doc["age"] = 31
        doc["pets"].append("dog")
    print("edited in a with block: age %s, pets %s, now at %s" % (doc["age"], doc["pets"], doc["_rev"]))
    for number in range(3):
        db.create_document({"_id": "order-%d" % number, "type": "order", "total": 10 * (number + 1)})
    print("created order-0, order-1 and order-2")
    del db["julia"]  # forget the cached copy, so the next lookup reads the server
    fresh = db["julia"]
    print("fetched julia again: %s" % {key: fresh[key] for key in ("name", "age", "pets")})
    fresh.delete()
    print("deleted julia; 'julia' in db -> %s" % ("julia" in db))
    try:
        db["julia"]
    except KeyError:
        print("db['julia'] now raises KeyError")


def iterate(db) -> None:
    step("iterating the database, page by page")
    for doc in db:
        print("  %s: %s" % (doc["_id"], {key: value for key, value in doc.items() if not key.startswith("_")}))
    print("doc_count: %d" % db.doc_count())


def read_changes(db) -> None:
    step("the changes feed")
    feed = db.changes(since=0)
    for change in feed:
        state = "deleted" if change.get("deleted") else "rev " + change["changes"][0]["rev"][:12] + "..."
        print("  %-8s %s" % (change["id"], state))
    seq = str(feed.last_seq)  # an opaque token on CouchDB 2+ and Cloudant: pass it back as since=, never parse it
    print("last_seq: %s" % (seq if len(seq) <= 24 else seq[:24] + "..."))


def read_db_updates(client, name: str) -> None:
    step("server-wide database events (_db_updates)")
    events = []
    for _ in range(10):  # CouchDB records an event about half a second after it happens
        try:
            updates = client.db_updates(feed="normal", since=0)
            events = [update for update in updates if update.get("db_name") == name]
        except CloudantException as err:  # pouchdb-server has no _db_updates; CouchDB and Cloudant do
            print("this server has no _db_updates (%s); skipped" % getattr(err, "status_code", err))
            return
        if events:
            break
        time.sleep(0.3)
    for update in events:
        print("  %s %s" % (update.get("type"), update.get("db_name")))
    if not events:
        print("  (none recorded for %s yet)" % name)


def main() -> int:
    url = os.environ.get("COUCHDB_URL")
    if not url:
        print("set COUCHDB_URL (and COUCHDB_USER, COUCHDB_PASSWORD), or run `make demo`", file=sys.stderr)
        return 2
    user, password = os.environ.get("COUCHDB_USER", "admin"), os.environ.get("COUCHDB_PASSWORD", "admin")
    name = "demo-%s" % uuid.uuid4().hex[:8]
    with couchdb(user, password, url=url) as client:  # connects now, disconnects on the way out
        show_server(client)
        step("a scratch database")
        db = client.create_database(name)
        print("created %s; it exists: %s" % (name, db.exists()))
        try:
            work_with_documents(db)
            iterate(db)
            read_changes(db)
            read_db_updates(client, name)
        finally:
            step("cleaning up")
            client.delete_database(name)
            print("deleted %s" % name)
        try:
            client[name]
        except KeyError:
            print("client[%r] raises KeyError: it is gone" % name)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except NotFound as err:
        print("not found: %s" % err, file=sys.stderr)
        sys.exit(1)
