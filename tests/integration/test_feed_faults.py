"""Faults injected between the client and the live server: dropped connections, rate limits, stalls and
malformed bodies (see ``tests/faults/proxy.py``)."""
from __future__ import annotations

import io
import json
import threading
from typing import Any, Iterator, List

import pytest
import requests

from cloudant import couchdb
from cloudant.adapters import Replay429Adapter
from cloudant.database import CouchDatabase
from cloudant.document import Document
from cloudant.error import (CloudantConnectionError, CloudantFeedException, MalformedResponse, ServerError,
                            TooManyRequests)
from cloudant.result import Result
from faults.proxy import Cut, FaultProxy, Reply, Stall, random_cuts

WATCHDOG_SECONDS = 120.0
RATE_LIMITED = json.dumps({"error": "too_many_requests", "reason": "You've exceeded your rate limit"}).encode()


@pytest.fixture
def proxy(couch_server: Any) -> Iterator[FaultProxy]:
    with FaultProxy(couch_server.url) as running:
        yield running


@pytest.fixture
def via_proxy(proxy: FaultProxy, couch_server: Any, db: Any) -> Iterator[CouchDatabase]:
    """The test database, reached through the proxy by a client of its own."""
    with couchdb(couch_server.user, couch_server.password, url=proxy.url,
                 adapter=Replay429Adapter(retries=3, initialBackoff=0.05)) as client:
        yield CouchDatabase(client, db.database_name)


def write(db: Any, *doc_ids: str) -> None:
    results = db.bulk_docs([{"_id": doc_id} for doc_id in doc_ids])
    assert all("error" not in result for result in results)


# -- dropped connections -------------------------------------------------------------------------------------------
def test_an_infinite_feed_cut_again_and_again_delivers_every_change_exactly_once(
        db: Any, via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    expected = ["doc-%03d" % number for number in range(90)]
    write(db, *expected[:30])
    proxy.add(Cut(after_bytes=150), path="/_changes", times=3)  # in the middle of a line
    proxy.add(Cut(after_lines=4), path="/_changes", times=None)  # then after every fourth change
    feed = via_proxy.infinite_changes(heartbeat=100)

    def writer() -> None:  # more changes while the feed is being cut
        for start in range(30, 90, 6):
            write(db, *expected[start:start + 6])

    watchdog = threading.Timer(WATCHDOG_SECONDS, feed.stop)
    watchdog.start()
    threading.Thread(target=writer, daemon=True).start()
    seen: List[str] = []
    try:
        for change in feed:
            seen.append(change["id"])
            if len(set(seen)) == len(expected):
                feed.stop()
    finally:
        watchdog.cancel()
    assert sorted(seen) == expected  # every change, none twice
    assert proxy.count(path="/_changes", faulty=True) >= len(expected) // 4


def test_an_infinite_feed_cut_at_random_points_delivers_every_change_exactly_once(
        db: Any, via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    changes, cuts = 5000, 50
    expected = ["doc-%05d" % number for number in range(changes)]
    for start in range(0, changes, 1000):
        write(db, *expected[start:start + 1000])
    sample = next(iter(db.changes(feed="continuous", limit=1)))
    line_bytes = len(json.dumps(sample, separators=(",", ":"))) + 1
    for cut in random_cuts(cuts, mean_bytes=changes * line_bytes // (2 * cuts), seed=20):  # ~half the body
        proxy.add(cut, path="/_changes")
    feed = via_proxy.infinite_changes(heartbeat=1000)
    watchdog = threading.Timer(WATCHDOG_SECONDS, feed.stop)
    watchdog.start()
    seen: List[str] = []
    try:
        for change in feed:
            if change is not None:
                seen.append(change["id"])
                if len(seen) >= changes:
                    feed.stop()
    finally:
        watchdog.cancel()
    assert sorted(seen) == expected  # every change once: none lost, none twice
    assert proxy.count(path="/_changes", faulty=True) == cuts


def test_a_plain_feed_cut_mid_stream_raises_a_connection_error(db: Any, via_proxy: CouchDatabase,
                                                              proxy: FaultProxy) -> None:
    write(db, "a", "b", "c")
    proxy.add(Cut(after_lines=1), path="/_changes")
    feed = via_proxy.changes(feed="continuous", heartbeat=100)
    assert next(feed)["id"] in {"a", "b", "c"}
    with pytest.raises(CloudantConnectionError):
        next(feed)


def test_an_attachment_stream_cut_midway_raises_a_connection_error(db: Any, via_proxy: CouchDatabase,
                                                                  proxy: FaultProxy) -> None:
    payload = bytes(range(256)) * 1024
    Document(db, "holder").put_attachment("big.bin", "application/octet-stream", payload)
    proxy.add(Cut(after_bytes=10000), path="/big.bin")
    holder = Document(via_proxy, "holder")
    target = io.BytesIO()
    with pytest.raises(CloudantConnectionError) as info:
        holder.stream_attachment_to("big.bin", target)
    assert "big.bin" in str(info.value)
    assert target.getvalue() == payload[:10000]
    assert holder.stream_attachment_to("big.bin", io.BytesIO()) == len(payload)  # the next read is whole


# -- rate limits and unavailable servers ---------------------------------------------------------------------------
@pytest.mark.parametrize("keys", [None, ["a", "b"]], ids=["GET", "POST"])
def test_429_with_retry_after_is_retried_until_it_succeeds(db: Any, via_proxy: CouchDatabase,
                                                           proxy: FaultProxy, keys: Any) -> None:
    write(db, "a", "b")
    proxy.add(Reply(429, RATE_LIMITED, {"Retry-After": "1"}), path="/_all_docs", times=2)
    rows = via_proxy.all_docs(keys=keys) if keys else via_proxy.all_docs()
    assert [row["id"] for row in rows["rows"]] == ["a", "b"]
    assert proxy.count(path="/_all_docs") == 3
    assert proxy.count(path="/_all_docs", faulty=True) == 2


def test_a_feed_request_answered_429_is_retried(db: Any, via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    write(db, "a")
    proxy.add(Reply(429, RATE_LIMITED, {"Retry-After": "1"}), path="/_changes", times=1)
    assert [change["id"] for change in via_proxy.changes()] == ["a"]
    assert proxy.count(path="/_changes") == 2


def test_429_beyond_the_retries_raises_too_many_requests(via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    proxy.add(Reply(429, RATE_LIMITED, {"X-Couch-Request-ID": "req-429"}), path="/_all_docs", times=None)
    with pytest.raises(TooManyRequests) as info:
        via_proxy.all_docs()
    assert (info.value.status_code, info.value.error, info.value.request_id) == (429, "too_many_requests",
                                                                                "req-429")
    assert proxy.count(path="/_all_docs") == 4  # the request and its 3 retries


def test_503_is_retried_for_reads_only(db: Any, via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    write(db, "a")
    proxy.add(Reply(503, b'{"error":"unavailable"}'), path="/_all_docs", method="GET", times=1)
    assert [row["id"] for row in via_proxy.all_docs()["rows"]] == ["a"]
    assert proxy.count(path="/_all_docs", method="GET") == 2
    proxy.add(Reply(503, b'{"error":"unavailable"}'), path="/_bulk_docs", times=1)
    with pytest.raises(ServerError) as info:
        via_proxy.bulk_docs([{"_id": "b"}])
    assert info.value.status_code == 503
    assert proxy.count(path="/_bulk_docs") == 1  # a write is never replayed blindly


def test_an_infinite_feed_waits_through_503s(db: Any, via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    write(db, "a", "b")
    proxy.add(Reply(503, b'{"error":"unavailable"}'), path="/_changes", times=5)  # more than the adapter retries
    feed = via_proxy.infinite_changes(heartbeat=100)
    watchdog = threading.Timer(WATCHDOG_SECONDS, feed.stop)
    watchdog.start()
    try:
        assert sorted([next(feed)["id"], next(feed)["id"]]) == ["a", "b"]
    finally:
        feed.stop()
        watchdog.cancel()
    assert proxy.count(path="/_changes") == 6


# -- stalls --------------------------------------------------------------------------------------------------------
def test_a_server_that_never_answers_times_out(couch_server: Any, proxy: FaultProxy, db: Any) -> None:
    proxy.add(Stall(), path="/_all_docs", times=None)
    with couchdb(couch_server.user, couch_server.password, url=proxy.url, timeout=(5, 0.3),
                 adapter=Replay429Adapter(retries=2, initialBackoff=0.01)) as client:
        stalled = CouchDatabase(client, db.database_name)
        with pytest.raises(CloudantConnectionError) as info:
            stalled.all_docs()
        assert isinstance(info.value, requests.ConnectionError)
        assert proxy.count(path="/_all_docs") == 3  # a read is retried after a read timeout
        with pytest.raises(CloudantConnectionError):
            list(Result(stalled.all_docs))


# -- malformed bodies ----------------------------------------------------------------------------------------------
def test_a_malformed_body_raises_malformed_response(via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    proxy.add(Reply(200, b'{"total_rows": 3, "rows": [{"id"'), path="/_all_docs", times=2)
    with pytest.raises(MalformedResponse) as info:
        via_proxy.all_docs()
    assert not isinstance(info.value, json.JSONDecodeError)
    with pytest.raises(MalformedResponse):
        list(Result(via_proxy.all_docs, page_size=10))


@pytest.mark.parametrize("feed_type, body", [
    ("normal", b'{"results":[{"seq":"1-a","id":"a","changes":[]},{"seq":'),
    ("normal", b'<html><body>Bad gateway</body></html>'),
    ("continuous", b'{"seq":"1-a","id":"a","changes":[]}\n{oops}\n'),
])
def test_a_malformed_feed_raises_a_feed_exception(via_proxy: CouchDatabase, proxy: FaultProxy, feed_type: str,
                                                  body: bytes) -> None:
    proxy.add(Reply(200, body), path="/_changes")
    with pytest.raises(CloudantFeedException) as info:
        list(via_proxy.changes(feed=feed_type))
    assert info.value.status_code == 103
    assert not isinstance(info.value, json.JSONDecodeError)


def test_an_infinite_feed_stops_on_a_malformed_line(via_proxy: CouchDatabase, proxy: FaultProxy) -> None:
    proxy.add(Reply(200, b'{"results": "nonsense"}'), path="/_changes")  # the since=now lookup
    with pytest.raises(CloudantFeedException) as info:
        next(via_proxy.infinite_changes(since="now"))
    assert info.value.status_code == 103
    assert proxy.count(path="/_changes") == 1
