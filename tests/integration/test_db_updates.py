"""``_db_updates`` feeds against the live server (CouchDB shows an update up to about half a second late)."""
from __future__ import annotations

import threading
import uuid
from typing import Any, Dict, List, Set

import pytest

from cloudant import couchdb

from .test_changes import STOP_BOUND_SECONDS, stop_while_waiting

pytestmark = pytest.mark.requires("db_updates")

WATCHDOG_SECONDS = 60.0


def current_seq(client: Any) -> Any:
    feed = client.db_updates(feed="normal", since="now")
    assert list(feed) == []
    assert feed.last_seq is not None
    return feed.last_seq


def updates_of(client: Any, name: str, since: Any, wanted: Set[str]) -> Set[str]:
    """Long-poll from ``since`` until updates of every ``wanted`` type were seen for database ``name``.

    The server records updates per shard of ``_global_changes``, so their order is not guaranteed.
    """
    seen: Set[str] = set()
    for _ in range(50):  # each round waits for at least one update: bounded, never a busy loop
        feed = client.db_updates(feed="longpoll", since=since, timeout=10000)
        seen |= {item["type"] for item in feed if item["db_name"] == name}
        since = feed.last_seq
        if wanted <= seen:
            break
    return seen


def test_a_longpoll_feed_reports_a_created_and_a_deleted_database(client: Any) -> None:
    since = current_seq(client)
    name = "test-updates-" + uuid.uuid4().hex
    client.create_database(name)
    client.delete_database(name)
    assert {"created", "deleted"} <= updates_of(client, name, since, {"created", "deleted"})


def test_a_normal_feed_lists_updates_with_opaque_sequences(client: Any) -> None:
    since = current_seq(client)
    name = "test-updates-" + uuid.uuid4().hex
    client.create_database(name)
    try:
        assert "created" in updates_of(client, name, since, {"created"})
        items: List[Dict[str, Any]] = [item for item in client.db_updates(feed="normal", since=since)
                                       if item["db_name"] == name]
        assert items and items[0]["type"] == "created"
        assert isinstance(items[0]["seq"], str)
    finally:
        client.delete_database(name)


def create_and_delete(couch_server: Any, name: str) -> None:
    with couchdb(couch_server.user, couch_server.password, url=couch_server.url) as other:
        other.create_database(name)
        other.delete_database(name)


def test_an_infinite_feed_from_now_follows_database_updates(client: Any, couch_server: Any) -> None:
    name = "test-updates-" + uuid.uuid4().hex
    feed = client.infinite_db_updates(since="now", heartbeat=200)
    watchdog = threading.Timer(WATCHDOG_SECONDS, feed.stop)
    watchdog.start()
    creator = threading.Timer(0.3, create_and_delete, (couch_server, name))
    creator.start()
    seen: Set[str] = set()
    try:
        for item in feed:
            if item is not None and item["db_name"] == name:  # None: a heartbeat
                seen.add(item["type"])
                if {"created", "deleted"} <= seen:
                    feed.stop()
    finally:
        watchdog.cancel()
        creator.join(30)
    assert {"created", "deleted"} <= seen
    assert feed.last_seq is None  # as python-cloudant: stopped while a response was read
    assert feed._resume_seq not in (None, "now")  # the sequence it would resume from


@pytest.mark.parametrize("kind", ["db_updates", "infinite_db_updates"])
def test_stop_from_another_thread_returns_at_once_while_the_reader_waits_for_bytes(client: Any, kind: str) -> None:
    feed = getattr(client, kind)(feed="continuous", heartbeat=30000, since="now")
    took, thread, items, errors = stop_while_waiting(feed)
    assert took < STOP_BOUND_SECONDS
    assert not thread.is_alive()  # the iteration ended, without raising
    assert errors == []
    assert all(item is None or "db_name" in item for item in items)  # heartbeats, or other tests' databases
    with pytest.raises(StopIteration):
        next(feed)
