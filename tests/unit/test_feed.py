"""Feed and InfiniteFeed against a fake server whose bodies arrive in pieces the test chooses."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple, Union
from urllib.parse import parse_qs, urlsplit

from unittest import mock
import pytest
import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from _fakes import PiecesRaw
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.error import (BadRequest, CloudantArgumentError, CloudantConnectionError, CloudantFeedException,
                            ServerError)
from cloudant.feed import Feed, InfiniteFeed

Piece = Union[bytes, BaseException]
Answer = Tuple[int, Sequence[Piece]]

DROP = urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")


class StreamingServer(BaseAdapter):
    """Answers each request with ``handler(request) -> (status, pieces)`` and records it."""

    def __init__(self, handler: Callable[[requests.PreparedRequest], Answer]) -> None:
        super().__init__()
        self.handler = handler
        self.requests: List[requests.PreparedRequest] = []
        self.timeouts: List[Any] = []
        self.raws: List[PiecesRaw] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        self.timeouts.append(timeout)
        status, pieces = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.raw = PiecesRaw(pieces)
        self.raws.append(response.raw)
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if status < 300 else "Error"
        return response

    def close(self) -> None:
        pass

    def params(self, index: int) -> Dict[str, str]:
        query = parse_qs(urlsplit(self.requests[index].url).query, keep_blank_values=True)
        return {name: values[-1] for name, values in query.items()}


def replies(*answers: Answer) -> Callable[[requests.PreparedRequest], Answer]:
    """A handler answering the given answers in order (the last one again when they run out)."""
    queue = list(answers)

    def handler(request: requests.PreparedRequest) -> Answer:
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return handler


def connect(handler: Callable[[requests.PreparedRequest], Answer]) -> Tuple[CouchDB, StreamingServer]:
    server = StreamingServer(handler)
    client = CouchDB(None, None, admin_party=True, url="http://couch.test", adapter=server)
    client.connect()
    return client, server


def changes(handler: Callable[[requests.PreparedRequest], Answer], infinite: bool = False,
            **options: Any) -> Tuple[Feed, StreamingServer]:
    client, server = connect(handler)
    database = CouchDatabase(client, "db")
    feed = database.infinite_changes(**options) if infinite else database.changes(**options)
    return feed, server


def change(seq: Any, doc_id: str) -> Dict[str, Any]:
    return {"seq": seq, "id": doc_id, "changes": [{"rev": "1-abc"}]}


def line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n"


def couchdb_normal_body(items: List[Dict[str, Any]], last_seq: Any) -> bytes:
    """A normal/longpoll reply in CouchDB's layout: one change per line, heartbeat newlines inside."""
    rows = ",\n".join(json.dumps(item, ensure_ascii=False) for item in items)
    return ('{"results":[\n%s\n\n\n],\n"last_seq":%s,"pending":0}\n' % (rows, json.dumps(last_seq))).encode()


def pouchdb_normal_body(items: List[Dict[str, Any]], last_seq: Any) -> bytes:
    """The same reply in pouchdb-server's layout: everything on one line."""
    return json.dumps({"results": items, "last_seq": last_seq}, ensure_ascii=False).encode("utf-8")


ITEMS = [change(1, "a"), {"seq": 22, "id": "é-😀-b", "changes": [{"rev": "2-x"}], "doc": {"n": 1.5e300}},
         change(333, "c")]


# -- reading each feed type ---------------------------------------------------------------------------------------
def test_nothing_is_sent_until_the_first_item_is_asked_for() -> None:
    feed, server = changes(replies((200, [line(change(1, "a")), line({"last_seq": 1})])), feed="continuous")
    assert server.requests == []
    assert next(feed) == change(1, "a")
    assert len(server.requests) == 1


def test_a_continuous_feed_yields_heartbeats_as_none_and_ends_at_last_seq() -> None:
    body = [line(change(1, "a")), b"\n", b"\n", line(change(2, "b")), b"\r\n", line({"last_seq": 2, "pending": 0})]
    feed, server = changes(replies((200, body)), feed="continuous", heartbeat=500, since=0)
    assert list(feed) == [change(1, "a"), None, None, change(2, "b"), None]
    assert feed.last_seq == 2
    assert server.params(0) == {"feed": "continuous", "heartbeat": "500", "since": "0"}
    assert server.raws[0].closed


def test_empty_lines_are_skipped_without_a_heartbeat_option() -> None:
    body = [line(change(1, "a")), b"\n", line(change(2, "b")), line({"last_seq": 2})]
    feed, _ = changes(replies((200, body)), feed="continuous")
    assert list(feed) == [change(1, "a"), change(2, "b")]


def test_a_longpoll_feed_yields_its_heartbeats_until_the_results_arrive() -> None:
    # CouchDB opens the body, sends a newline per heartbeat, then the changes and the closing members
    body = [b'{"results":[\n', b"\n", b"\n", json.dumps(change(1, "a")).encode() + b"\n", b'],\n"last_seq":1}\n']
    feed, _ = changes(replies((200, body)), feed="longpoll", heartbeat=10)
    assert list(feed) == [None, None, change(1, "a")]
    assert feed.last_seq == 1
    feed, _ = changes(replies((200, body)), feed="longpoll")
    assert list(feed) == [change(1, "a")]


@pytest.mark.parametrize("layout", [couchdb_normal_body, pouchdb_normal_body], ids=["couchdb", "pouchdb"])
@pytest.mark.parametrize("feed_type", ["normal", "longpoll"])
def test_a_normal_or_longpoll_reply_is_decoded_whatever_its_line_layout(layout: Any, feed_type: str) -> None:
    feed, _ = changes(replies((200, [layout(ITEMS, "333-opaque")])), feed=feed_type)
    assert feed.last_seq is None
    assert list(feed) == ITEMS
    assert feed.last_seq == "333-opaque"


def test_an_empty_normal_reply_yields_nothing_and_keeps_last_seq() -> None:
    feed, _ = changes(replies((200, [b'{"results":[\n\n],\n"last_seq":"7-g1AAA","pending":0}\n'])))
    assert list(feed) == []
    assert feed.last_seq == "7-g1AAA"


@pytest.mark.parametrize("layout", [couchdb_normal_body, pouchdb_normal_body, None], ids=["couchdb", "pouchdb",
                                                                                          "continuous"])
def test_chunk_boundaries_anywhere_never_split_a_character_or_a_number(layout: Any) -> None:
    if layout is None:
        body = b"".join(line(item) for item in ITEMS) + b"\n" + line({"last_seq": 12345})
        options = {"feed": "continuous"}
    else:
        body, options = layout(ITEMS, 12345), {}
    for cut in range(1, len(body)):
        feed, _ = changes(replies((200, [body[:cut], body[cut:]])), **options)
        assert list(feed) == ITEMS, cut
        assert feed.last_seq == 12345, cut
    feed, _ = changes(replies((200, [body[i:i + 1] for i in range(len(body))])), **options)
    assert list(feed) == ITEMS
    assert feed.last_seq == 12345


def test_raw_data_yields_every_line_as_bytes_heartbeats_included() -> None:
    body = [line(change(1, "a")), b"\n", b'{"last_seq"', b":1}\n"]
    feed, _ = changes(replies((200, body)), raw_data=True, feed="continuous")
    assert list(feed) == [json.dumps(change(1, "a")).encode(), b"", b'{"last_seq":1}']


# -- failures ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("options, body", [
    ({"feed": "continuous"}, [line(change(1, "a")), b"{not json}\n"]),
    ({"feed": "continuous"}, [b"[1, 2]\n"]),
    ({}, [b'{"results":[{"seq":1,"id":"a"},{nope}],"last_seq":1}']),
    ({}, [b'{"results":[],"last_seq":1}', b' trailing']),
    ({}, [b'{"results":{"seq":1}}']),
    ({}, [b'<html>proxy error</html>']),
    ({}, [b'{"results":[{"seq":1,"id":"a"}']),
])
def test_malformed_bodies_raise_a_feed_exception_never_a_json_error(options: Dict[str, Any],
                                                                    body: List[bytes]) -> None:
    feed, _ = changes(replies((200, body)), **options)
    with pytest.raises(CloudantFeedException) as info:
        list(feed)
    assert info.value.status_code == 103
    assert not isinstance(info.value, json.JSONDecodeError)


def test_the_items_before_a_malformed_line_are_delivered_first() -> None:
    feed, _ = changes(replies((200, [line(change(1, "a")), b"garbage\n"])), feed="continuous")
    assert next(feed) == change(1, "a")
    with pytest.raises(CloudantFeedException):
        next(feed)


def test_a_dropped_connection_raises_a_connection_error() -> None:
    feed, server = changes(replies((200, [line(change(1, "a")), b'{"seq":2,', DROP])), feed="continuous")
    assert next(feed) == change(1, "a")
    with pytest.raises(CloudantConnectionError) as info:
        next(feed)
    assert isinstance(info.value, requests.ConnectionError)
    assert server.raws[0].closed


def test_a_body_ending_in_the_middle_of_a_line_is_a_dropped_connection() -> None:
    feed, _ = changes(replies((200, [line(change(1, "a")), b'{"seq":2,"id"'])), feed="continuous")
    assert next(feed) == change(1, "a")
    with pytest.raises(CloudantConnectionError):
        next(feed)


def test_a_complete_last_line_without_a_newline_is_delivered() -> None:
    feed, _ = changes(replies((200, [line(change(1, "a")), json.dumps(change(2, "b")).encode()])),
                      feed="continuous")
    assert list(feed) == [change(1, "a"), change(2, "b")]


def test_an_http_error_is_raised_typed() -> None:
    feed, _ = changes(replies((400, [b'{"error":"bad_request","reason":"Bad since"}'])), since="x")
    with pytest.raises(BadRequest) as info:
        next(feed)
    assert (info.value.error, info.value.reason) == ("bad_request", "Bad since")


def test_stop_ends_the_iteration_and_closes_the_response() -> None:
    body = [line(change(1, "a")), line(change(2, "b")), line({"last_seq": 2})]
    feed, server = changes(replies((200, body)), feed="continuous")
    assert next(feed) == change(1, "a")
    feed.stop()
    assert server.raws[0].closed
    with pytest.raises(StopIteration):
        next(feed)
    assert len(server.requests) == 1


@pytest.mark.parametrize("feed_type, encoding", [("continuous", "identity"), ("longpoll", "identity"),
                                                  ("normal", None)])
def test_waiting_feeds_ask_for_an_uncompressed_body(feed_type: str, encoding: Any) -> None:
    # a compressing server buffers a gzip stream, holding back changes and heartbeats
    feed, server = changes(replies((200, [line({"last_seq": 1})] if feed_type == "continuous"
                                    else [b'{"results":[],"last_seq":1}'])), feed=feed_type)
    list(feed)
    sent = server.requests[0].headers.get("Accept-Encoding")
    assert sent == encoding if encoding else "gzip" in sent


# -- options -------------------------------------------------------------------------------------------------------
def test_options_become_query_parameters() -> None:
    feed, server = changes(replies((200, [b'{"results":[],"last_seq":0}'])), include_docs=True, conflicts=False,
                           descending=True, limit=5, since="3-abc", style="all_docs", filter="app/by_type",
                           type="order", timeout=1000, feed="longpoll")
    list(feed)
    assert server.requests[0].method == "GET"
    assert server.params(0) == {"include_docs": "true", "conflicts": "false", "descending": "true", "limit": "5",
                                "since": "3-abc", "style": "all_docs", "filter": "app/by_type", "type": "order",
                                "timeout": "1000", "feed": "longpoll"}


@pytest.mark.parametrize("options, body, builtin", [
    ({"doc_ids": ("a", "b/c")}, {"doc_ids": ["a", "b/c"]}, "_doc_ids"),
    ({"selector": {"type": "order"}}, {"selector": {"type": "order"}}, "_selector"),
])
def test_doc_ids_and_selector_are_posted_with_their_builtin_filter(options: Dict[str, Any], body: Dict[str, Any],
                                                                   builtin: str) -> None:
    feed, server = changes(replies((200, [b'{"results":[],"last_seq":0}'])), **options)
    list(feed)
    assert server.requests[0].method == "POST"
    assert json.loads(server.requests[0].body) == body
    assert server.params(0) == {"filter": builtin}


@pytest.mark.parametrize("options, code", [
    ({"feed": "eventsource"}, 119), ({"style": "newest"}, 120), ({"limit": -1}, 118), ({"limit": True}, 117),
    ({"include_docs": "yes"}, 117), ({"since": 1.5}, 117), ({"chunk_size": "big"}, 117), ({"chunk_size": -1}, 118),
])
def test_bad_options_raise_on_the_first_next_before_any_request(options: Dict[str, Any], code: int) -> None:
    client, server = connect(replies((200, [])))
    feed = CouchDatabase(client, "db").changes(**options)  # python-cloudant checked nothing at construction
    with pytest.raises(CloudantArgumentError) as info:
        next(feed)
    assert info.value.status_code == code
    assert server.requests == []


@pytest.mark.parametrize("options, message", [
    ({"conflicts": 0}, "Argument conflicts not instance of expected type: (<class 'bool'>,)"),
    ({"limit": "5"}, "Argument limit not instance of expected type: (<class 'int'>, <class 'int'>, "
                     "<class 'NoneType'>)"),
    ({"limit": -1}, "Argument limit must be > 0.  Found: -1"),
    ({"feed": "foo"}, "Invalid value (foo) for feed option.  Must be one of ('continuous', 'normal', 'longpoll')"),
    ({"style": "foo"}, "Invalid value (foo) for style option.  Must be main_only, or all_docs."),
])
def test_option_errors_read_as_python_cloudants(options: Dict[str, Any], message: str) -> None:
    client, _ = connect(replies((200, [])))
    with pytest.raises(CloudantArgumentError) as info:
        list(CouchDatabase(client, "db").changes(**options))
    assert str(info.value) == message


def test_couchdb_db_updates_name_their_own_feed_values() -> None:
    client, _ = connect(replies((200, [])))
    with pytest.raises(CloudantArgumentError) as info:
        next(client.db_updates(feed="eventsource"))
    assert str(info.value) == "Invalid value (eventsource) for feed option.  Must be one of ('continuous', 'longpoll')"


@pytest.mark.parametrize("options, message", [
    ({"descending": True}, "Invalid argument descending"),
    ({"since": "now"}, "Invalid argument since"),
    ({"heartbeat": 6}, "Argument heartbeat not instance of expected type: (<class 'bool'>,)"),
    ({"feed": "normal"}, "Invalid value (normal) for feed option.  Must be one of ('continuous', 'longpoll')"),
])
def test_a_feed_built_on_a_couchdb_client_keeps_python_cloudants_table(options: Dict[str, Any],
                                                                        message: str) -> None:
    client, server = connect(replies((200, [])))
    with pytest.raises(CloudantArgumentError) as info:
        next(Feed(client, **options))
    assert str(info.value) == message
    assert server.requests == []


def test_the_clients_db_updates_takes_what_couchdb_3_accepts() -> None:
    client, server = connect(replies((200, [b'{"results":[],"last_seq":"7-x"}'])))
    feed = client.db_updates(feed="normal", since="now", descending=True, heartbeat=6000)
    assert list(feed) == [] and feed.last_seq == "7-x"
    assert len(server.requests) == 1


def test_python_cloudants_attributes_are_there() -> None:
    client, _ = connect(replies((200, [])))
    database = CouchDatabase(client, "db")
    feed = Feed(database, raw_data=True, chunk_size=1, feed="continuous")
    assert feed._url == database.database_url + "/_changes"
    assert feed._r_session is client.r_session
    assert (feed._raw_data, feed._options, feed._chunk_size) == (True, {"feed": "continuous"}, 1)
    assert (feed._source, feed._last_seq, feed._stop, feed._resp) == ("CouchDatabase", None, False, None)
    assert feed._translate({"include_docs": False, "foo": "bar", "doc_ids": ["a"], "since": None}) == {
        "include_docs": "false", "foo": "bar", "doc_ids": '["a"]'}
    updates = client.db_updates(limit=100)  # accepted until it is read, as python-cloudant did
    assert (updates._url, updates._source) == ("http://couch.test/_db_updates", "CouchDB")
    assert updates._options == {"limit": 100, "feed": "longpoll", "heartbeat": True}
    feed._stop = True
    with pytest.raises(StopIteration):
        next(feed)


def test_a_normal_feed_is_asked_for_as_python_cloudant_asked() -> None:
    client, _ = connect(replies((200, [])))
    response = requests.Response()
    response.status_code = 200
    response.raw = PiecesRaw([b'{"results":[],"last_seq":0}'])
    with mock.patch.object(client.r_session, "get", return_value=response) as get:
        list(CouchDatabase(client, "db").changes(limit=1))
    get.assert_called_once_with("http://couch.test/db/_changes", params={"limit": 1}, stream=True)


def test_db_updates_take_only_their_own_options_and_default_to_longpoll_with_heartbeats() -> None:
    client, server = connect(replies((200, [b'{"results":[{"db_name":"x","type":"created","seq":"1-a"}],'
                                            b'"last_seq":"1-a"}'])))
    with pytest.raises(CloudantArgumentError) as info:
        next(client.db_updates(include_docs=True))
    assert info.value.status_code == 116
    feed = client.db_updates()
    assert list(feed) == [{"db_name": "x", "type": "created", "seq": "1-a"}]
    assert urlsplit(server.requests[0].url).path == "/_db_updates"
    assert server.params(0) == {"feed": "longpoll", "heartbeat": "true"}
    list(client.db_updates(timeout=500))
    assert server.params(1) == {"feed": "longpoll", "timeout": "500"}  # a heartbeat would defeat the timeout


@pytest.mark.parametrize("options, read_timeout", [
    ({"feed": "continuous", "heartbeat": 2000}, 32.0),
    ({"feed": "longpoll", "timeout": 5000}, 35.0),
    ({"feed": "continuous"}, 90.0),
])
def test_the_read_timeout_outlasts_the_server_heartbeat_or_timeout(options: Dict[str, Any],
                                                                   read_timeout: float) -> None:
    feed, server = changes(replies((200, [line({"last_seq": 1})])), **options)
    list(feed)
    assert server.timeouts[0][1] == read_timeout


# -- InfiniteFeed --------------------------------------------------------------------------------------------------
def take(feed: Feed, count: int) -> List[Any]:
    return [next(feed) for _ in range(count)]


def test_an_infinite_feed_reconnects_after_last_seq_from_it() -> None:
    feed, server = changes(replies(
        (200, [line(change("1-a", "a")), line({"last_seq": "2-z"})]),
        (200, [line(change("3-c", "c")), b"\n"]),
    ), infinite=True, since="0", heartbeat=1000, include_docs=True)
    assert [item["id"] for item in take(feed, 2)] == ["a", "c"]
    assert [server.params(i).get("since") for i in range(2)] == ["0", "2-z"]
    assert server.params(1) == {"feed": "continuous", "since": "2-z", "heartbeat": "1000", "include_docs": "true"}
    assert feed.last_seq is None  # as python-cloudant: the last_seq of an ended response, none while one is read
    assert feed._resume_seq == "3-c"


def test_an_infinite_feed_calls_start_for_each_connection_as_python_cloudant_did() -> None:
    feed, server = changes(replies(
        (200, [line(change("1-a", "a")), line({"last_seq": "1-a"})]),
        (200, [line(change("2-b", "b")), line({"last_seq": "2-b"})]),
        (200, [line(change("3-c", "c")), b"\n"]),
    ), infinite=True)
    calls: List[int] = []
    start = feed._start

    def counted() -> None:
        calls.append(1)
        start()
    feed._start = counted  # type: ignore[method-assign]  # what programs' tests do to count reconnections
    assert [item["id"] for item in take(feed, 3)] == ["a", "b", "c"]
    assert len(calls) == 3 and len(server.requests) == 3
    feed.stop()
    assert feed.last_seq is None


def test_an_infinite_feed_last_seq_is_that_of_the_response_that_ended() -> None:
    feed, _ = changes(replies(
        (200, [line(change("1-a", "a")), line({"last_seq": "1-z"})]),
        (200, [b"\n"]),
    ), infinite=True, heartbeat=1000)
    assert next(feed)["id"] == "a" and feed.last_seq is None
    assert next(feed) is None  # the heartbeat of the second response
    assert feed.last_seq is None and feed._resume_seq == "1-z"


def test_an_infinite_feed_resumes_after_a_drop_from_the_last_change_it_yielded() -> None:
    feed, server = changes(replies(
        (200, [line(change("1-a", "a")), line(change("2-b", "b")), b'{"seq":"3-c","id":"c","chan', DROP]),
        (200, [b'{"seq":"3-c","id":"c"}\n', line(change("4-d", "d"))]),
    ), infinite=True)
    assert [item["id"] for item in take(feed, 4)] == ["a", "b", "c", "d"]
    assert "since" not in server.params(0)
    assert server.params(1)["since"] == "2-b"


def test_an_infinite_feed_resumes_after_a_clean_end_without_last_seq_from_its_own_position() -> None:
    feed, server = changes(replies(
        (200, [line(change(5, "a")), line({"last_seq": 5})]),
        (200, [line(change(6, "b"))]),  # ends cleanly, no last_seq line
        (200, [line(change(7, "c"))]),
    ), infinite=True)
    assert [item["id"] for item in take(feed, 3)] == ["a", "b", "c"]
    assert [server.params(i).get("since") for i in range(3)] == [None, "5", "6"]


def test_an_infinite_feed_resumes_from_the_last_non_null_seq() -> None:
    # with seq_interval, CouchDB sends a real seq only every few changes
    feed, server = changes(replies(
        (200, [line(change("1-a", "a")), line(change(None, "b")), DROP]),
        (200, [line(change(None, "c"))]),
    ), infinite=True, seq_interval=2)
    assert [item["id"] for item in take(feed, 3)] == ["a", "b", "c"]
    assert server.params(1)["since"] == "1-a"


def test_since_now_is_resolved_before_following() -> None:
    feed, server = changes(replies(
        (200, [b'{"results":[\n\n],\n"last_seq":"9-now","pending":0}\n']),
        (200, [line(change("10-a", "a"))]),
    ), infinite=True, since="now")
    assert next(feed)["id"] == "a"
    assert server.params(0) == {"feed": "normal", "since": "now", "limit": "0"}
    assert server.params(1)["since"] == "9-now"


def test_an_infinite_feed_waits_through_a_503_and_fails_on_other_errors() -> None:
    feed, server = changes(replies(
        (503, [b'{"error":"unavailable","reason":"maintenance"}']),
        (200, [line(change(1, "a"))]),
    ), infinite=True)
    assert next(feed)["id"] == "a"
    assert len(server.requests) == 2
    feed, _ = changes(replies((500, [b'{"error":"os_process_error","reason":"filter crashed"}'])),
                      infinite=True, filter="app/broken")
    with pytest.raises(ServerError) as info:
        next(feed)
    assert info.value.status_code == 500
    feed, _ = changes(replies((400, [b'{"error":"bad_request"}'])), infinite=True)
    with pytest.raises(BadRequest):
        next(feed)


@pytest.mark.parametrize("body", [[DROP], [], [b'{"seq":1,"id"']], ids=["drop", "empty", "cut-line"])
def test_an_infinite_feed_gives_up_after_max_reconnects_consecutive_failures(body: List[Piece]) -> None:
    feed, server = changes(replies((200, body)), infinite=True, max_reconnects=2)
    with pytest.raises(CloudantFeedException) as info:
        next(feed)
    assert info.value.status_code == 102
    assert isinstance(info.value.__cause__, CloudantConnectionError)
    assert len(server.requests) == 3


def test_an_infinite_feed_stops_on_a_malformed_line() -> None:
    feed, server = changes(replies((200, [b"not json\n"])), infinite=True)
    with pytest.raises(CloudantFeedException) as info:
        next(feed)
    assert info.value.status_code == 103
    assert len(server.requests) == 1


def test_stop_from_another_thread_ends_an_infinite_feed_waiting_to_reconnect() -> None:
    started = threading.Event()

    def handler(request: requests.PreparedRequest) -> Answer:
        started.set()
        return 200, [DROP]

    feed, server = changes(handler, infinite=True, max_reconnects=1000)
    stopper = threading.Thread(target=lambda: (started.wait(10), feed.stop()))
    stopper.start()
    with pytest.raises(StopIteration):
        next(feed)
    stopper.join(10)
    assert 1 <= len(server.requests) < 1000


def test_an_infinite_feed_reconnects_at_once_after_a_cut_and_waits_only_when_reconnecting_fails() -> None:
    feed, server = changes(replies(
        (200, [line(change("1-a", "a")), DROP]),  # a cut: reconnect at once
        (200, [DROP]),  # the reconnection fails: wait 0.1 s
        (503, [b'{"error":"unavailable"}']),  # and again: 0.2 s
        (200, [line(change("2-b", "b")), b'{"seq":"3-c"', DROP]),  # a cut mid-line: at once again
        (200, [line(change("3-c", "c"))]),
    ), infinite=True)
    waits: List[float] = []
    feed._stop_event.wait = lambda timeout=None: waits.append(timeout) or False  # type: ignore[method-assign]
    assert [item["id"] for item in take(feed, 3)] == ["a", "b", "c"]
    assert waits == [0.1, 0.2]
    assert [server.params(i).get("since") for i in range(5)] == [None, "1-a", "1-a", "1-a", "2-b"]


def test_the_wait_between_failed_reconnections_doubles_up_to_30_seconds() -> None:
    feed, _ = changes(replies((200, [DROP])), infinite=True, max_reconnects=14)
    waits: List[float] = []
    feed._stop_event.wait = lambda timeout=None: waits.append(timeout) or False  # type: ignore[method-assign]
    with pytest.raises(CloudantFeedException):
        next(feed)
    assert waits == [min(30.0, 0.1 * 2 ** n) for n in range(13)]
    assert waits[-1] == 30.0


@pytest.mark.parametrize("feed_type", ["normal", "continuous"])
def test_stop_while_the_request_is_on_its_way_closes_the_response_that_comes(feed_type: str) -> None:
    feed: Any = None

    def handler(request: requests.PreparedRequest) -> Answer:
        feed.stop()  # another thread's stop(), between sending and the answer
        return 200, [line(change(1, "a")), line({"last_seq": 1})]

    feed, server = changes(handler, feed=feed_type)
    with pytest.raises(StopIteration):
        next(feed)
    assert eventually(lambda: server.raws[0].closed)


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Whether ``condition`` holds within ``seconds`` (what a helper thread does, it does a moment later)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize("infinite", [False, True], ids=["feed", "infinite"])
def test_stop_releases_a_next_waiting_for_the_status_line(infinite: bool) -> None:
    # CouchDB's _db_updates sends nothing, not even its status line, until the first heartbeat or update
    sent, answer = threading.Event(), threading.Event()

    def handler(request: requests.PreparedRequest) -> Answer:
        sent.set()
        answer.wait(30)
        return 200, [b"\n", line(change(1, "a"))]

    options: Dict[str, Any] = {"max_reconnects": 0} if infinite else {"feed": "continuous"}
    feed, server = changes(handler, infinite=infinite, heartbeat=30000, **options)
    outcome: List[Any] = []

    def reader() -> None:
        try:
            outcome.extend(feed)
        except Exception as err:  # noqa: BLE001 - what the reader saw is the test's subject
            outcome.append(err)

    thread = threading.Thread(target=reader)
    thread.start()
    assert sent.wait(10)
    feed.stop()
    thread.join(10)
    alive = thread.is_alive()
    answer.set()
    assert not alive and outcome == []  # released without the answer, and without an error
    assert eventually(lambda: bool(server.raws) and server.raws[0].closed)  # the answer is closed once it came


@pytest.mark.parametrize("feed_type, lines", [
    ("continuous", [b'{"seq":1,"id":"a","changes":[]}', b"", b'{"last_seq":1}']),
    ("normal", [b'{"results":[', b'{"seq":1,"id":"a","changes":[]},', b'{"seq":2,"id":"b","changes":[]}', b"],",
                b'"last_seq":2,"pending":0}']),
])
def test_a_stand_in_response_answering_iter_lines_is_read_as_python_cloudant_read_it(feed_type: str,
                                                                                     lines: List[bytes]) -> None:
    client, _ = connect(replies((200, [])))
    response = mock.Mock()
    response.status_code = 200
    response.iter_lines.return_value = lines
    with mock.patch.object(client.r_session, "get", return_value=response):
        feed = CouchDatabase(client, "db").changes(feed=feed_type)
        items = list(feed)
    assert [item["id"] for item in items] == ["a", "b"][:len(items)] and items
    assert feed.last_seq == (1 if feed_type == "continuous" else 2)
    response.close.assert_called_once_with()


def test_a_stand_in_response_answering_iter_content_is_read_in_its_chunks() -> None:
    client, _ = connect(replies((200, [])))
    response = mock.MagicMock()
    response.status_code = 200
    response.iter_content.return_value = iter([b'{"results":[{"seq":1,"id"', b':"a"}],"last_seq":1}'])
    with mock.patch.object(client.r_session, "get", return_value=response):
        assert list(CouchDatabase(client, "db").changes()) == [{"seq": 1, "id": "a"}]


def test_an_infinite_feed_follows_db_updates_too() -> None:
    client, server = connect(replies(
        (200, [line({"db_name": "a", "type": "created", "seq": "1-x"}), DROP]),
        (200, [line({"db_name": "b", "type": "created", "seq": "2-x"})]),
    ))
    feed = client.infinite_db_updates()
    assert [item["db_name"] for item in take(feed, 2)] == ["a", "b"]
    assert server.params(1) == {"feed": "continuous", "heartbeat": "true", "since": "1-x"}


@pytest.mark.parametrize("options, code", [({"max_reconnects": -1}, 142), ({"max_reconnects": "3"}, 117)])
def test_infinite_feed_arguments_are_checked(options: Dict[str, Any], code: int) -> None:
    client, _ = connect(replies((200, [])))
    with pytest.raises(CloudantArgumentError) as info:
        InfiniteFeed(CouchDatabase(client, "db"), **options)
    assert info.value.status_code == code


def test_an_infinite_feed_checks_its_feed_option_on_the_first_next() -> None:
    client, server = connect(replies((200, [])))
    feed = InfiniteFeed(CouchDatabase(client, "db"), feed="longpoll")
    with pytest.raises(CloudantArgumentError) as info:
        next(feed)
    assert str(info.value) == "Invalid infinite feed option: longpoll.  Must be set to continuous."
    assert server.requests == []
    assert InfiniteFeed(CouchDatabase(client, "db"))._options == {"feed": "continuous"}


def test_a_feed_source_is_anything_with_a_feed_target() -> None:
    client, server = connect(replies((200, [b'{"results":[],"last_seq":0}'])))

    class Renamed(CouchDatabase):  # python-cloudant dispatched on the class name and misread subclasses
        pass

    list(Feed(Renamed(client, "orders")))
    assert urlsplit(server.requests[0].url).path == "/orders/_changes"
