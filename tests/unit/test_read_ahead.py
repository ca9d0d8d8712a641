"""Reading one page ahead: at most one request in flight, errors where their page begins, nothing after a stop."""
from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Mapping, Optional, Tuple
from unittest import mock

import pytest
import requests

from _fakes import FakeAdapter, Seen
from cloudant import _paging
from cloudant._paging import KeyPager, Pager, pages
from cloudant._read_ahead import can_read_ahead, is_plain_session
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.error import NotFound
from cloudant.result import Result


@pytest.fixture(autouse=True)
def every_page_is_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages from a fake arrive at once and the tests' callers do little with them: read ahead whatever the
    speed of either (two tests set a threshold back)."""
    monkeypatch.setattr(_paging, "READ_AHEAD_AFTER", 0.0)
    monkeypatch.setattr(_paging, "READ_AHEAD_WORK", 0.0)


class NumberedPages:
    """A pager over ``count`` pages of ``size`` rows; the fetch function records each call and its thread."""

    def __init__(self, count: int, size: int = 3, failing: Optional[int] = None) -> None:
        self.count, self.size, self.failing = count, size, failing
        self.calls: List[Tuple[int, str]] = []
        self.consumed = 0
        self.lock = threading.Lock()

    def first(self) -> Optional[Dict[str, Any]]:
        return {"page": 0}

    def advance(self, reply: Mapping[str, Any]) -> Tuple[List[Any], Optional[Dict[str, Any]]]:
        page = reply["page"]
        rows = [(page, n) for n in range(self.size)]
        return rows, ({"page": page + 1} if page + 1 < self.count else None)

    def fetch(self, page: int) -> Dict[str, Any]:
        with self.lock:
            self.calls.append((page, threading.current_thread().name))
            # Asked for when the caller has the last row of page k: page k+1 is handed out, k+2 is the one ahead.
            if page > self.consumed + 2:
                raise AssertionError("page %d asked for while page %d is read" % (page, self.consumed))
        if page == self.failing:
            raise RuntimeError("page %d failed" % page)
        return {"page": page}


def read(pager: NumberedPages, read_ahead: bool = True, stop_after: Optional[int] = None) -> List[Any]:
    rows: List[Any] = []
    typed: Pager = pager
    for row in pages(pager.fetch, typed, read_ahead=read_ahead):
        pager.consumed = row[0]
        rows.append(row)
        if stop_after is not None and len(rows) == stop_after:
            break
    return rows


def test_rows_and_order_are_those_of_sequential_reading() -> None:
    ahead, sequential = NumberedPages(6), NumberedPages(6)
    assert read(ahead) == read(sequential, read_ahead=False) == [(p, n) for p in range(6) for n in range(3)]
    assert [page for page, _ in ahead.calls] == list(range(6))
    assert {name for page, name in ahead.calls if page > 0} == {"cloudant-read-ahead"}  # pages after the first
    assert {name for _, name in sequential.calls} == {threading.current_thread().name}


def test_pages_that_arrive_fast_are_read_sequentially(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_paging, "READ_AHEAD_AFTER", 3600.0)
    pager = NumberedPages(4)
    assert len(read(pager)) == 12
    assert {name for _, name in pager.calls} == {threading.current_thread().name}


def test_the_next_page_is_read_ahead_only_while_the_caller_works_on_each_page(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_paging, "READ_AHEAD_WORK", 0.05)
    quick = NumberedPages(4)
    assert len(read(quick)) == 12
    assert {name for _, name in quick.calls} == {threading.current_thread().name}

    busy, rows = NumberedPages(4), []
    for row in pages(busy.fetch, busy, read_ahead=True):
        busy.consumed = row[0]
        rows.append(row)
        if row[1] == 2 and row[0] == 0:
            time.sleep(0.06)  # the caller's work on the first page, measured before the second is fetched
    assert rows == [(p, n) for p in range(4) for n in range(3)]
    # The first page gives no measure: the second is fetched in turn, the third while the second is read
    # (the caller took 0.06 s on the first); the caller then takes no time, and the fourth is fetched in turn.
    assert [name for _, name in busy.calls] == [threading.current_thread().name] * 2 + [
        "cloudant-read-ahead", threading.current_thread().name]


def test_an_error_of_the_next_page_is_raised_after_every_row_of_the_current_one() -> None:
    pager = NumberedPages(5, failing=3)
    rows: List[Any] = []
    with pytest.raises(RuntimeError, match="page 3 failed"):
        for row in pages(pager.fetch, pager, read_ahead=True):
            pager.consumed = row[0]
            rows.append(row)
    assert rows == [(p, n) for p in range(3) for n in range(3)]


def test_stopping_early_asks_for_at_most_the_page_after_the_current_one() -> None:
    pager = NumberedPages(10)
    assert len(read(pager, stop_after=4)) == 4  # in page 1
    assert max(page for page, _ in pager.calls) <= 2


def test_a_real_session_reads_ahead_and_a_patched_one_does_not() -> None:
    adapter = FakeAdapter(lambda s: (200, {}, {}))
    client = CouchDB(None, None, admin_party=True, url="http://127.0.0.1:1", adapter=adapter)
    client.connect()
    db = CouchDatabase(client, "db")
    assert is_plain_session(client.r_session) and can_read_ahead(db.all_docs)
    assert not can_read_ahead(lambda **options: {})  # a function of the program's own
    with mock.patch.object(client.r_session, "get"):
        assert not can_read_ahead(db.all_docs)
    with mock.patch("requests.Session.request"):
        assert not can_read_ahead(db.all_docs)
    assert not is_plain_session(mock.Mock(spec=requests.Session))


def test_iterating_a_database_reads_ahead_and_surfaces_a_failed_page_in_place() -> None:
    ids = ["d%03d" % i for i in range(250)]
    threads: List[str] = []

    def handler(s: Seen) -> Any:
        threads.append(threading.current_thread().name)
        start = s.query.get("startkey", ['""'])[0].strip('"')
        if start == "d200":
            return 404, {}, {"error": "not_found", "reason": "Database does not exist."}
        end = s.query.get("endkey", ['"~"'])[0].strip('"')
        rows = [{"id": i, "key": i, "value": {}, "doc": {"_id": i}} for i in ids if start <= i <= end]
        rows = rows[:int(s.query["limit"][0])]
        return 200, {}, {"total_rows": len(ids), "offset": 0, "rows": rows}

    client = CouchDB(None, None, admin_party=True, url="http://127.0.0.1:1", adapter=FakeAdapter(handler))
    client.connect()
    db = CouchDatabase(client, "db", fetch_limit=50)
    seen: List[str] = []
    with pytest.raises(NotFound):
        for doc in db:
            seen.append(doc["_id"])
    assert seen == ids[:200]
    assert "cloudant-read-ahead" in threads
    Result.read_ahead = False
    try:
        del threads[:]
        assert [row["id"] for row in Result(db.all_docs, page_size=100, endkey="d150")] == ids[:151]
        assert set(threads) == {threading.current_thread().name}
    finally:
        Result.read_ahead = True


def test_key_pager_can_be_resized_between_pages() -> None:
    pager = KeyPager({}, 2)
    first = pager.first()
    assert first == {"limit": 3}
    pager.resize(5)
    rows, request = pager.advance({"rows": [{"id": str(n), "key": n} for n in range(3)]})
    assert len(rows) == 2 and request is not None and request["limit"] == 6
