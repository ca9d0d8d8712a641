"""The client against a live server: the database cache, creating and deleting databases, server
information, ``_db_updates`` feeds and the context managers."""
from __future__ import annotations

import threading
import uuid
from typing import Any, Iterator, List, Tuple

import pytest
from _fakes import record
import requests

from cloudant import cloudant, couchdb, couchdb_admin_party
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.error import CloudantClientException, CloudantDatabaseException


@pytest.fixture
def server_db(couch_server: Any, admin_session: requests.Session) -> Iterator[str]:
    """A database created without the library (so the client's cache does not know it)."""
    name = "test-" + uuid.uuid4().hex
    assert admin_session.put(f"{couch_server.url}/{name}", timeout=30).status_code in (201, 202)
    yield name
    admin_session.delete(f"{couch_server.url}/{name}", timeout=30)


def exists(couch_server: Any, admin_session: requests.Session, name: str) -> bool:
    return admin_session.head(f"{couch_server.url}/{name}", timeout=30).status_code == 200


# -- the dict of databases -----------------------------------------------------------------------------------
def test_getitem_fetches_once_then_serves_the_cache(client: CouchDB, server_db: str) -> None:
    assert server_db not in client  # plain dict membership: the local cache only
    sent = record(client.r_session)
    database = client[server_db]
    assert isinstance(database, CouchDatabase) and database.database_name == server_db
    assert client[server_db] is database
    assert len(sent) == 1  # the second access cost nothing
    assert server_db in client and client.keys() == [server_db]


def test_getitem_of_a_missing_database_raises_key_error(client: CouchDB, db_name: str) -> None:
    with pytest.raises(KeyError) as info:
        client[db_name]
    assert info.value.args == (db_name,)
    assert db_name not in client


def test_get_local_and_remote(client: CouchDB, server_db: str, db_name: str) -> None:
    sent = record(client.r_session)
    assert client.get(server_db) is None
    assert client.get(server_db, "fallback") == "fallback"
    assert sent == []  # local lookups send nothing
    database = client.get(server_db, remote=True)
    assert isinstance(database, CouchDatabase) and client.get(server_db) is database
    assert client.get("missing-" + db_name, "fallback", remote=True) == "fallback"


def test_keys_local_and_remote(client: CouchDB, db: CouchDatabase, server_db: str) -> None:
    assert client.keys() == [db.database_name]  # created through the client, hence cached
    remote = client.keys(remote=True)
    assert {db.database_name, server_db} <= set(remote)
    assert client.all_dbs() == remote


def test_all_dbs_options(client: CouchDB, couch_server: Any, admin_session: requests.Session) -> None:
    prefix = "test-" + uuid.uuid4().hex[:8]
    names = [prefix + suffix for suffix in ("-a", "-b", "-c")]
    for name in names:
        admin_session.put(f"{couch_server.url}/{name}", timeout=30)
    try:
        listed = client.all_dbs()
        assert [name for name in listed if name.startswith(prefix)] == names
        if couch_server.kind == "pouchdb":
            pytest.skip("pouchdb-server 4.2.0 ignores _all_dbs options")
        assert client.all_dbs(startkey=names[1], endkey=names[2]) == names[1:]
        assert client.all_dbs(startkey=names[2], limit=1, descending=True) == [names[2]]
    finally:
        for name in names:
            admin_session.delete(f"{couch_server.url}/{name}", timeout=30)


def test_delitem_forgets_locally_or_deletes_remotely(client: CouchDB, couch_server: Any,
                                                     admin_session: requests.Session, server_db: str) -> None:
    client[server_db]
    del client[server_db]
    assert server_db not in client
    assert exists(couch_server, admin_session, server_db)  # only the cache entry went
    with pytest.raises(KeyError):
        del client[server_db]
    client.__delitem__(server_db, remote=True)
    assert not exists(couch_server, admin_session, server_db)


def test_setitem_caches_or_creates(client: CouchDB, couch_server: Any, admin_session: requests.Session,
                                   db_name: str) -> None:
    database = CouchDatabase(client, db_name)
    client[db_name] = database
    assert client[db_name] is database
    assert not exists(couch_server, admin_session, db_name)  # caching sends nothing
    try:
        client.__setitem__(db_name, database, remote=True)
        assert exists(couch_server, admin_session, db_name)
        client.__setitem__(db_name, database, remote=True)  # already there: no error
    finally:
        admin_session.delete(f"{couch_server.url}/{db_name}", timeout=30)
    with pytest.raises(CloudantClientException) as info:
        client["x"] = "not a database"  # type: ignore[assignment]
    assert info.value.status_code == 101


# -- creating and deleting ---------------------------------------------------------------------------------------
def test_create_and_delete_database(client: CouchDB, couch_server: Any, admin_session: requests.Session,
                                    db_name: str) -> None:
    database = client.create_database(db_name)
    try:
        assert isinstance(database, CouchDatabase) and client[db_name] is database
        assert exists(couch_server, admin_session, db_name)
        assert client.create_database(db_name).database_name == db_name  # exists: returned quietly
        with pytest.raises(CloudantClientException) as info:
            client.create_database(db_name, throw_on_exists=True)
        assert info.value.status_code == 412 and db_name in str(info.value)
    finally:
        client.delete_database(db_name)
    assert db_name not in client
    assert not exists(couch_server, admin_session, db_name)


def test_deleting_a_missing_database_raises_404(client: CouchDB, couch_server: Any, db_name: str) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 answers DELETE of a missing database with 200")
    with pytest.raises(CloudantClientException) as info:
        client.delete_database(db_name)
    assert info.value.status_code == 404 and db_name in str(info.value)


@pytest.mark.parametrize("suffix", ["a$b(c)+d_e-f", "with/slash"])
def test_database_names_with_special_characters(client: CouchDB, couch_server: Any, suffix: str) -> None:
    if "/" in suffix and couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 drops the / from database names")
    name = "test-" + uuid.uuid4().hex[:8] + "-" + suffix
    client.create_database(name)
    try:
        assert name in client.all_dbs()
        assert client.get(name, remote=True).database_name == name
    finally:
        client.delete_database(name)
    assert name not in client.all_dbs()


def test_illegal_names_are_refused_before_any_request(client: CouchDB) -> None:
    sent = record(client.r_session)
    for name in ("Upper", "_secret", "has space"):
        with pytest.raises(CloudantDatabaseException) as info:  # python-cloudant's report of the server's 400
            client.create_database(name)
        assert info.value.status_code == 400
        assert str(info.value) == "Invalid database name during creation. Found: %s" % name
    assert sent == []


def test_illegal_names_elsewhere_get_the_servers_answer(client: CouchDB) -> None:
    """Sent as python-cloudant sent them: CouchDB answers 400 (raised); pouchdb-server 404 (not found)."""
    sent = record(client.r_session)
    with pytest.raises((requests.HTTPError, KeyError)) as info:
        client["Upper"]
    status = 404 if info.type is KeyError else info.value.response.status_code  # type: ignore[union-attr]
    assert status in (400, 404)
    if status == 404:
        assert client.get("Upper", "default", remote=True) == "default"
    assert sent  # no local refusal: the request went out


@pytest.mark.requires("partitioned")
def test_create_partitioned_database(client: CouchDB, couch_server: Any, admin_session: requests.Session,
                                     db_name: str) -> None:
    client.create_database(db_name, partitioned=True)
    try:
        info = admin_session.get(f"{couch_server.url}/{db_name}", timeout=30).json()
        assert info["props"] == {"partitioned": True}
    finally:
        client.delete_database(db_name)


# -- server information ----------------------------------------------------------------------------------------------
def test_metadata_and_features(client: CouchDB, couch_server: Any) -> None:
    metadata = client.metadata()
    assert metadata["version"] == couch_server.version
    greeting = "express-pouchdb" if couch_server.kind == "pouchdb" else "couchdb"
    assert greeting in metadata
    features = client.features()
    assert features == list(metadata.get("features") or [])
    if "partitioned" in couch_server.capabilities:
        assert "partitioned" in features


# -- _db_updates -------------------------------------------------------------------------------------------------
def current_seq(client: CouchDB) -> Any:
    feed = client.db_updates(feed="normal")
    for _ in feed:
        pass
    assert feed.last_seq is not None
    return feed.last_seq


@pytest.mark.requires("db_updates")
def test_db_updates_reports_a_created_database(client: CouchDB, db_name: str) -> None:
    since = current_seq(client)
    client.create_database(db_name)
    try:
        types = set()
        for _ in range(20):  # longpoll returns as soon as anything changed; ours may come a moment later
            feed = client.db_updates(feed="longpoll", since=since, timeout=5000)
            for update in feed:
                if update["db_name"] == db_name:
                    types.add(update["type"])
            since = feed.last_seq
            if "created" in types:
                break
        assert "created" in types
    finally:
        client.delete_database(db_name)


@pytest.mark.requires("db_updates")
def test_infinite_db_updates_follows_new_databases(client: CouchDB, db_name: str) -> None:
    since = current_seq(client)
    client.create_database(db_name)
    feed = client.infinite_db_updates(since=since, heartbeat=1000)
    watchdog = threading.Timer(120, feed.stop)  # never hang the suite, whatever happens
    watchdog.start()
    try:
        for update in feed:
            if update["db_name"] == db_name and update["type"] == "created":
                feed.stop()
        assert feed.last_seq != since
    finally:
        watchdog.cancel()
        client.delete_database(db_name)


@pytest.mark.requires("db_updates")
def test_cloudant_client_reads_a_normal_db_updates_feed(couch_server: Any, db_name: str) -> None:
    with cloudant(couch_server.user, couch_server.password, url=couch_server.url) as client:
        client.create_database(db_name)
        try:
            feed = client.db_updates(limit=1, descending=True)  # Cloudant's default: a normal feed
            updates = list(feed)
            assert len(updates) == 1 and {"db_name", "type", "seq"} <= set(updates[0])
            assert feed.last_seq is not None
        finally:
            client.delete_database(db_name)


# -- connecting and the context managers ---------------------------------------------------------------------------
def test_context_manager_disconnects_when_the_body_raises(couch_server: Any) -> None:
    sent: List[Tuple[str, str, int]] = []
    with pytest.raises(RuntimeError, match="boom"):
        with couchdb(couch_server.user, couch_server.password, url=couch_server.url) as client:
            sent = record(client.r_session)
            client.all_dbs()
            raise RuntimeError("boom")
    assert client.r_session is None
    assert ("DELETE", "/_session", 200) in sent  # the server-side session was ended too


def test_cloudant_context_manager_against_couchdb(couch_server: Any) -> None:
    with cloudant(couch_server.user, couch_server.password, url=couch_server.url) as client:
        assert client.session()["userCtx"]["name"] == couch_server.user
        assert isinstance(client.all_dbs(), list)
    assert client.r_session is None


def test_admin_party_context_manager_disconnects_on_error(couch_server: Any) -> None:
    with pytest.raises(ValueError):
        with couchdb_admin_party(url=couch_server.url) as client:
            assert client.metadata()["version"] == couch_server.version
            raise ValueError
    assert client.r_session is None


def test_disconnect_and_connect_again(client: CouchDB, db: CouchDatabase) -> None:
    assert client.keys() == [db.database_name]
    client.disconnect()
    assert client.r_session is None and client.keys() == []
    client.connect()
    assert db.database_name in client.all_dbs()
