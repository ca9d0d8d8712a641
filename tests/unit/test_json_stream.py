"""The reader of normal/longpoll feed bodies: CouchDB's one-change-per-line layout read line by line, any other
layout handed to the incremental reader, with the same changes, trailer, heartbeats and errors either way."""
from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudant import _json_stream
from cloudant._json_stream import ResultsReader, line_batches, results, split_lines
from cloudant.error import CloudantFeedException


def read(pieces: Sequence[bytes], heartbeats: bool = False) -> Tuple[List[Any], Dict[str, Any]]:
    ended: List[Dict[str, Any]] = []
    items = list(results(iter(pieces), heartbeats, ended.append))
    assert len(ended) == 1
    return items, ended[0]


def couchdb_body(items: List[Any], trailer: Dict[str, Any], separator: bytes = b",\r\n",
                 blanks_before_end: int = 0) -> bytes:
    rows = separator.join(json.dumps(item, ensure_ascii=False).encode() for item in items)
    members = json.dumps(trailer, ensure_ascii=False)[1:].encode()
    return b'{"results":[\n' + rows + (b"\n" if items else b"") + b"\n" * blanks_before_end + b"],\n" + members \
        + b"\n"


def pouchdb_body(items: List[Any], trailer: Dict[str, Any]) -> bytes:
    return json.dumps({"results": items, **trailer}, ensure_ascii=False).encode()


def pretty_body(items: List[Any], trailer: Dict[str, Any]) -> bytes:
    return json.dumps({"results": items, **trailer}, indent=1, ensure_ascii=False).encode()


def mixed_body(items: List[Any], trailer: Dict[str, Any]) -> bytes:
    """CouchDB's layout for the first half, then elements spread over several lines."""
    half = len(items) // 2
    head = b"".join(json.dumps(item, ensure_ascii=False).encode() + b",\r\n" for item in items[:half])
    tail = ",\n".join(json.dumps(item, indent=1, ensure_ascii=False) for item in items[half:]).encode()
    return b'{"results":[\n' + head + tail + b"\n],\n" + json.dumps(trailer)[1:].encode() + b"\n"


LAYOUTS = [couchdb_body, pouchdb_body, pretty_body, mixed_body]
TRICKY = [{"seq": "1-a", "id": "],", "changes": [{"rev": "1-x"}]},
          {"seq": "2-b", "id": "a,\nb\r", "changes": []},
          {"seq": 3, "id": "é-😀", "doc": {"n": 1.5e300, "big": 12345678901234567890123, "list": [1, [2, {}]]}},
          {"seq": None, "id": '"last_seq":1}', "deleted": True},
          "a string element", 7, [1, 2], None]
TRAILER = {"last_seq": "9-g1AAAA", "pending": 0}


def chunked(body: bytes, cuts: Sequence[int]) -> List[bytes]:
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    return [body[start:end] for start, end in zip([0] + points, points + [len(body)])]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.__name__)
def test_every_layout_gives_the_same_changes_and_trailer(layout: Any) -> None:
    body = layout(TRICKY, TRAILER)
    assert read([body]) == (TRICKY, TRAILER)
    assert read([body[i:i + 1] for i in range(len(body))]) == (TRICKY, TRAILER)


@given(items=st.lists(json_values, max_size=8), last_seq=json_values, layout=st.sampled_from(LAYOUTS),
       cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_any_layout_cut_anywhere_decodes_as_the_whole_body(items: List[Any], last_seq: Any, layout: Any,
                                                           cuts: List[int]) -> None:
    body = layout(items, {"last_seq": last_seq})
    assert read(chunked(body, cuts)) == (items, {"last_seq": last_seq})


def test_couchdb_separators_with_or_without_a_carriage_return() -> None:
    items = [{"seq": n, "id": str(n)} for n in range(5)]
    for separator in (b",\r\n", b",\n"):
        assert read([couchdb_body(items, TRAILER, separator)]) == (items, TRAILER)


def test_an_empty_reply() -> None:
    assert read([b'{"results":[\n\n],\n"last_seq":"7-g1AAA","pending":0}\n\n']) == ([], {"last_seq": "7-g1AAA",
                                                                                    "pending": 0})


def test_blank_lines_are_heartbeats_until_the_closing_brace() -> None:
    body = b'{"results":[\n\n\r\n  \n{"seq":1}\n\n],\n\n"last_seq":1}\n\n\n'
    assert read([body], heartbeats=True) == ([None, None, None, {"seq": 1}, None, None], {"last_seq": 1})
    assert read([body], heartbeats=False) == ([{"seq": 1}], {"last_seq": 1})
    pieces = [b'{"results":[\n', b"\n", b"\n", b'{"seq":1}\n', b'],\n"last_seq":1}\n', b"\n"]
    assert read(pieces, heartbeats=True) == ([None, None, {"seq": 1}], {"last_seq": 1})


def test_a_long_line_goes_to_the_incremental_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # a server that opens like CouchDB, then sends every change on one line: memory must stay flat
    monkeypatch.setattr(_json_stream, "_LONG_LINE", 64)
    items = [{"seq": n, "id": "doc-%d" % n} for n in range(200)]
    body = b'{"results":[\n' + json.dumps(items)[1:-1].encode() + b"\n],\n" + json.dumps(TRAILER)[1:].encode()
    fed: List[int] = []
    original = ResultsReader.feed

    def feed(reader: ResultsReader, text: str, final: bool = False) -> List[Any]:
        fed.append(len(text))
        return original(reader, text, final)

    monkeypatch.setattr(ResultsReader, "feed", feed)
    assert read([body[i:i + 50] for i in range(0, len(body), 50)]) == (items, TRAILER)
    assert max(fed) < 200  # the rest arrived piece by piece, never as one line


@pytest.mark.parametrize("body", [
    b'{"results":[\n{"seq":1},\n{nope},\n],\n"last_seq":1}\n',
    b'{"results":[\n{"seq":1}\n],\n"last_seq":1}\ntrailing\n',
    b'{"results":[\n{"seq":1}\n],\n"last_seq":1}\n}',
    b'{"results":[\n{"seq":1}\n],\n"last_seq":\n',
    b'{"results":[\n{"seq":1},\n',
    b'{"results":[\n',
    b'{"results":[\n{"seq":1}\n],\nlast_seq\n',
    b'{"results":[\n{"seq":1}\n]\n',
    b'{"results":{"seq":1}}',
    b"<html>proxy error</html>",
    b"",
])
def test_malformed_or_cut_bodies_raise_a_feed_exception(body: bytes) -> None:
    with pytest.raises(CloudantFeedException) as info:
        read([body])
    assert info.value.status_code == 103
    assert not isinstance(info.value, json.JSONDecodeError)


def test_a_cut_couchdb_body_raises_after_the_complete_changes() -> None:
    items = [{"seq": n, "id": "é%d" % n} for n in range(4)]
    body = couchdb_body(items, TRAILER)
    for cut in range(len(body.rstrip())):
        delivered: List[Any] = []
        with pytest.raises(CloudantFeedException):
            for item in results(iter([body[:cut]]), False, lambda trailer: None):
                delivered.append(item)
        assert delivered == items[:len(delivered)], cut


def test_the_incremental_reader_can_start_mid_body() -> None:
    reader = ResultsReader("element")
    assert reader.feed('{"a":1},\n2\n],\n"last_seq":3}', final=True) == [{"a": 1}, 2]
    assert reader.trailer == {"last_seq": 3}


def lines_of(pieces: Sequence[bytes]) -> Iterator[Tuple[bytes, bool]]:
    return split_lines(iter(pieces))


def test_lines_are_split_across_chunks_and_the_tail_is_marked() -> None:
    assert list(lines_of([b"ab", b"c\r\nde", b"f\n\ng"])) == [(b"abc", True), (b"def", True), (b"", True),
                                                              (b"g", False)]
    assert list(lines_of([b"a\n", b"\r"])) == [(b"a", True)]
    assert list(line_batches(iter([b"x\ny", b"", b"z\n"]))) == [([b"x"], True), ([b"yz"], True)]


def test_a_number_cut_by_a_chunk_boundary_waits_for_its_other_digits() -> None:
    body = b'{"results":[1.5e-3,-20,3],"last_seq":12.25}'
    for cut in range(1, len(body)):
        assert read([body[:cut], body[cut:]]) == ([1.5e-3, -20, 3], {"last_seq": 12.25}), cut
