"""``_changes`` feeds of every type against the live server.

pouchdb-server ignores ``timeout`` on continuous and longpoll feeds (they wait for a change or the client),
answers a normal feed on one line, and crashes on ``filter=_selector``; the tests make a change happen or
stop the feed themselves, and skip the selector filter there.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import requests

from cloudant.error import CloudantArgumentError
from cloudant.feed import Feed

WATCHDOG_SECONDS = 60.0
#: "Returns at once" as a correctness bound: far below the 30 s heartbeat a blocked close would wait for.
STOP_BOUND_SECONDS = 5.0


def write(db: Any, *doc_ids: str, **fields: Any) -> None:
    results = db.bulk_docs([{"_id": doc_id, **fields} for doc_id in doc_ids])
    assert all("error" not in result for result in results)


def later(action: Callable[[], Any], delay: float = 0.3) -> threading.Timer:
    """Run ``action`` shortly, in another thread: a change that happens while the feed waits."""
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()
    return timer


def collect(feed: Feed, count: int) -> List[Dict[str, Any]]:
    """Read ``count`` changes, then stop; a watchdog stops the feed if they never come (the test then fails)."""
    watchdog = later(feed.stop, WATCHDOG_SECONDS)
    items: List[Dict[str, Any]] = []
    try:
        for item in feed:
            if item is None:  # a heartbeat
                continue
            items.append(item)
            if len(items) == count:
                feed.stop()
    finally:
        watchdog.cancel()
    return items


@pytest.fixture
def three(db: Any) -> Any:
    write(db, "a", "b", "c", type="order")
    return db


# -- normal --------------------------------------------------------------------------------------------------------
def test_a_normal_feed_lists_every_change_and_its_last_seq(three: Any) -> None:
    feed = three.changes()
    items = list(feed)
    assert sorted(item["id"] for item in items) == ["a", "b", "c"]
    assert all(item["changes"][0]["rev"].startswith("1-") for item in items)
    assert feed.last_seq is not None
    assert list(three.changes(since=feed.last_seq)) == []
    write(three, "d")
    assert [item["id"] for item in three.changes(since=feed.last_seq)] == ["d"]


def test_since_resumes_after_any_change_of_the_feed(three: Any) -> None:
    items = list(three.changes())
    for position, item in enumerate(items):
        after = [later_item["id"] for later_item in three.changes(since=item["seq"])]
        # The same changes; with several shards (CouchDB's q=2) the server may interleave them in another order.
        assert sorted(after) == sorted(rest["id"] for rest in items[position + 1:])


def test_include_docs_limit_and_descending(three: Any) -> None:
    everything = list(three.changes(include_docs=True))
    assert {item["doc"]["_id"]: item["doc"]["type"] for item in everything} == {"a": "order", "b": "order",
                                                                                "c": "order"}
    assert len(list(three.changes(limit=2))) == 2
    # with several shards (CouchDB's q=2) only a single shard's order is reversed: compare the members
    assert sorted(item["id"] for item in three.changes(descending=True)) == ["a", "b", "c"]


def test_doc_ids_filter_lists_only_those_documents(three: Any) -> None:
    assert sorted(item["id"] for item in three.changes(doc_ids=["c", "a", "missing"])) == ["a", "c"]


def test_selector_filter_lists_only_matching_documents(three: Any, couch_server: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 crashes on filter=_selector")
    write(three, "e", type="invoice")
    assert [item["id"] for item in three.changes(selector={"type": "invoice"})] == ["e"]


def test_a_filter_function_receives_the_extra_options(three: Any, admin_session: requests.Session) -> None:
    design = {"filters": {"by_type": "function (doc, req) { return doc.type === req.query.type; }"}}
    assert admin_session.put(three.database_url + "/_design/f", json=design, timeout=30).status_code == 201
    write(three, "e", type="invoice")
    assert [item["id"] for item in three.changes(filter="f/by_type", type="invoice")] == ["e"]


def test_style_all_docs_lists_every_leaf_revision(db: Any, admin_session: requests.Session) -> None:
    conflicting = {"new_edits": False, "docs": [{"_id": "x", "_rev": "1-aaaa", "n": 1},
                                                {"_id": "x", "_rev": "1-bbbb", "n": 2}]}
    assert admin_session.post(db.database_url + "/_bulk_docs", json=conflicting, timeout=30).status_code == 201
    [main_only] = list(db.changes())
    [all_docs] = list(db.changes(style="all_docs"))
    assert len(main_only["changes"]) == 1
    assert sorted(change["rev"] for change in all_docs["changes"]) == ["1-aaaa", "1-bbbb"]


def test_raw_data_yields_the_lines_as_bytes(three: Any) -> None:
    lines = [line for line in three.changes(raw_data=True) if line.strip()]
    assert all(isinstance(line, bytes) for line in lines)
    assert b"last_seq" in b"".join(lines)


def test_bad_options_raise_on_the_first_next_before_any_request(db: Any) -> None:
    feed = db.changes(feed="sometimes")
    with pytest.raises(CloudantArgumentError) as info:
        next(feed)
    assert info.value.status_code == 119


# -- longpoll and continuous ---------------------------------------------------------------------------------------
def test_a_longpoll_feed_waits_for_the_next_change(three: Any) -> None:
    since = list_last_seq(three)
    later(lambda: write(three, "late"))
    longpoll = three.changes(feed="longpoll", since=since, timeout=30000)
    assert [item["id"] for item in longpoll] == ["late"]
    assert longpoll.last_seq is not None


def test_a_continuous_feed_streams_changes_as_they_happen(three: Any) -> None:
    feed = three.changes(feed="continuous", heartbeat=200, include_docs=True)
    later(lambda: write(three, "d", "e", type="late"))
    items = collect(feed, 5)
    assert sorted(item["id"] for item in items) == ["a", "b", "c", "d", "e"]
    assert {item["doc"]["type"] for item in items} == {"order", "late"}
    with pytest.raises(StopIteration):
        next(feed)


def test_a_continuous_feed_with_a_limit_ends_with_last_seq(three: Any, couch_server: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 ignores limit on continuous feeds and keeps them open")
    feed = three.changes(feed="continuous", limit=2)
    assert len(list(feed)) == 2
    assert feed.last_seq is not None


def test_a_continuous_feed_ends_at_the_server_timeout(three: Any, couch_server: Any) -> None:
    if couch_server.kind == "pouchdb":
        pytest.skip("pouchdb-server 4.2.0 ignores timeout on continuous feeds")
    feed = three.changes(feed="continuous", timeout=300, since=list_last_seq(three))
    assert list(feed) == []
    assert feed.last_seq is not None  # opaque: on a cluster an equal position may be spelled differently
    assert list(three.changes(since=feed.last_seq)) == []


def list_last_seq(db: Any) -> Any:
    feed = db.changes()
    list(feed)
    return feed.last_seq


def test_an_infinite_feed_from_now_sees_only_new_changes(three: Any) -> None:
    feed = three.infinite_changes(since="now", heartbeat=200)
    later(lambda: write(three, "new1", "new2"))
    assert sorted(item["id"] for item in collect(feed, 2)) == ["new1", "new2"]


def test_an_infinite_feed_reconnects_after_the_server_ends_a_response(three: Any) -> None:
    # CouchDB ends each response after 200 ms without a change; the feed reconnects from its last_seq.
    feed = three.infinite_changes(timeout=200, since=list_last_seq(three))
    later(lambda: write(three, "d"), delay=1.0)
    later(lambda: write(three, "e"), delay=1.5)
    assert [item["id"] for item in collect(feed, 2)] == ["d", "e"]


def test_stopping_a_feed_from_another_thread_ends_a_waiting_iteration(three: Any) -> None:
    feed = three.changes(feed="continuous", heartbeat=200, timeout=20000, since=list_last_seq(three))
    later(feed.stop, delay=0.5)
    started = time.monotonic()
    items: Iterator[Any] = iter(feed)
    assert set(items) <= {None}  # heartbeats only, then the end
    assert time.monotonic() - started < 10


def stop_while_waiting(feed: Feed) -> Tuple[float, threading.Thread, List[Any], List[BaseException]]:
    """Iterate ``feed`` in a thread until it waits for the server's next bytes, then stop it from this one.

    Returns how long ``stop()`` took, the reader thread (given a few seconds to end), what it read and raised.
    """
    items: List[Any] = []
    errors: List[BaseException] = []

    def reader() -> None:
        try:
            for item in feed:
                items.append(item)
        except BaseException as err:  # noqa: BLE001 - whatever the reader saw is checked by the test
            errors.append(err)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    deadline = time.monotonic() + WATCHDOG_SECONDS
    # the request is out (CouchDB's _db_updates answers only with its first heartbeat: no response until then)
    while feed._resp is None and feed._opening is None and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the reader is now blocked, waiting for a heartbeat 30 s away
    started = time.monotonic()
    feed.stop()
    took = time.monotonic() - started
    thread.join(STOP_BOUND_SECONDS)
    return took, thread, items, errors



@pytest.mark.parametrize("kind", ["changes", "infinite_changes"])
def test_stop_from_another_thread_returns_at_once_while_the_reader_waits_for_bytes(three: Any, kind: str) -> None:
    feed = getattr(three, kind)(feed="continuous", heartbeat=30000, since=list_last_seq(three))
    took, thread, items, errors = stop_while_waiting(feed)
    assert took < STOP_BOUND_SECONDS
    assert not thread.is_alive()  # the iteration ended, without raising
    assert errors == []
    assert set(items) <= {None}
    assert feed._resp is None
    with pytest.raises(StopIteration):
        next(feed)
