"""The JSON codec: one pluggable decoder for every path, and orjson decoding exactly as the standard library."""
from __future__ import annotations

import json
import math
from typing import Any, Iterator, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _fakes import FakeAdapter, Seen
from cloudant import codec
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.document import Document
from cloudant.error import MalformedResponse
from cloudant.result import Result

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20)


class CountingCodec(codec.StandardCodec):
    name = "counting"

    def __init__(self) -> None:
        self.decoded: List[Any] = []

    def loads(self, data: Any) -> Any:
        value = super().loads(data)
        self.decoded.append(value)
        return value


@pytest.fixture
def counting() -> Iterator[CountingCodec]:
    mine = CountingCodec()
    previous = codec.set_codec(mine)
    try:
        yield mine
    finally:
        codec.set_codec(previous)


def database(handler: Any) -> CouchDatabase:
    client = CouchDB(None, None, admin_party=True, url="http://127.0.0.1:1", adapter=FakeAdapter(handler))
    client.connect()
    return CouchDatabase(client, "db")


def _server(s: Seen) -> Any:
    if s.path.endswith("/_all_docs"):
        return 200, {}, {"total_rows": 2, "offset": 0, "rows": [{"id": "a", "key": "a", "value": {}},
                                                                {"id": "b", "key": "b", "value": {}}]}
    return 200, {}, {"_id": "a", "_rev": "1-x", "n": 1}


def test_every_decoding_path_goes_through_the_codec_in_use(counting: CountingCodec) -> None:
    db = database(_server)
    db.metadata()
    assert [row["id"] for row in Result(db.all_docs, page_size=5)] == ["a", "b"]
    doc = Document(db, "a")
    doc.fetch()
    assert doc["n"] == 1
    assert len(counting.decoded) == 3 and counting.decoded[-1] == {"_id": "a", "_rev": "1-x", "n": 1}


def test_a_decoder_of_the_programs_own_bypasses_the_codec(counting: CountingCodec) -> None:
    class Upper(json.JSONDecoder):
        def decode(self, s: str, *args: Any) -> Any:  # type: ignore[override]
            return {key.upper(): value for key, value in super().decode(s).items()}

    doc = Document(database(_server), "a", decoder=Upper)
    doc.fetch()
    assert doc["_ID"] == "a" and counting.decoded == []


def test_set_codec_refuses_what_cannot_decode_and_none_restores_the_default() -> None:
    with pytest.raises(TypeError):
        codec.set_codec(object())  # type: ignore[arg-type]
    previous = codec.set_codec(codec.StandardCodec())
    try:
        assert codec.get_codec().name == "json" and codec.loads(b'{"a": [1]}') == {"a": [1]}
        assert codec.dumps({"a": 1}) == b'{"a": 1}'
    finally:
        codec.set_codec(previous)
    assert isinstance(codec.set_codec(None), codec.Codec)


def test_a_body_that_is_not_json_is_a_malformed_response_whatever_the_codec(counting: CountingCodec) -> None:
    db = database(lambda s: (200, {"Content-Type": "application/json"}, b"{not json"))
    with pytest.raises(MalformedResponse):
        db.metadata()


def test_the_environment_can_choose_the_standard_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDANT_JSON_CODEC", "json")
    assert isinstance(codec._default_codec(), codec.StandardCodec)


# -- orjson, where it is installed (the speedups extra) -----------------------------------------------------------
@given(json_values)
def test_orjson_decodes_every_json_value_as_the_standard_library(value: Any) -> None:
    orjson_codec = _orjson_codec()
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        assert _same(orjson_codec.loads(text.encode("utf-8")), json.loads(text))
        assert _same(orjson_codec.loads(text), json.loads(text))


@pytest.mark.parametrize("text", ["123456789012345678901234567890", '"\\ud800"', '{"a": -18446744073709551617}'])
def test_orjson_falls_back_to_the_standard_library_for_what_it_refuses(text: str) -> None:
    assert _orjson_codec().loads(text) == json.loads(text)


def test_orjson_raises_the_standard_error_for_text_that_is_not_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        _orjson_codec().loads(b"[1,")


def _orjson_codec() -> codec.OrjsonCodec:
    pytest.importorskip("orjson")
    return codec.OrjsonCodec()


def _same(left: Any, right: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0 nor True)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    return bool(left == right)
