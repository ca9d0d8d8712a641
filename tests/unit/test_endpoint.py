"""The wire layer (``cloudant._endpoint``): URL quoting, sending, typed errors, JSON decoding."""
from __future__ import annotations

import datetime
import gzip
import io
import json
import logging
from typing import Any, Iterator
from unittest import mock

import pytest
import requests

from _fakes import FakeAdapter, Seen, closed_port
from cloudant._endpoint import Endpoint, decode_json, exchange, exchange_json, quote_document_id
from cloudant.client import CouchDB
from cloudant.error import (BadRequest, ClientNotConnected, CloudantConnectionError, CloudantHTTPError,
                            CloudantTimeout, Conflict, Forbidden, MalformedResponse, NotFound, ServerError,
                            Unauthorized)

SERVER = "http://couch.test:5984"


def ok(seen: Seen) -> Any:
    return 200, {}, {"ok": True}


class DateEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.date):
            return o.isoformat()
        return super().default(o)


def connected(handler: Any = ok, **options: Any) -> CouchDB:
    client = CouchDB(None, None, admin_party=True, url=SERVER, adapter=FakeAdapter(handler), **options)
    client.connect()
    return client


@pytest.fixture
def client() -> Iterator[CouchDB]:
    client = connected()
    yield client
    client.disconnect()


def sent(client: CouchDB) -> list:
    return client.adapter.seen  # type: ignore[union-attr]


# -- quoting ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("doc_id, path", [
    ("plain", "plain"),
    ("a/b", "a%2Fb"),
    ("what?", "what%3F"),
    ("hash#tag", "hash%23tag"),
    ("100%", "100%25"),
    ("a+b", "a%2Bb"),
    ("a&b=c", "a%26b%3Dc"),
    ("with space", "with%20space"),
    ("caf\u00e9", "caf%C3%A9"),
    ("\u65e5\u672c", "%E6%97%A5%E6%9C%AC"),
    ("_design/ddoc", "_design/ddoc"),
    ("_design/a/b c", "_design/a%2Fb%20c"),
    ("_design/caf\u00e9", "_design/caf%C3%A9"),
    ("_local/checkpoint?1", "_local/checkpoint%3F1"),
    ("_designer", "_designer"),
    ("x/_design/y", "x%2F_design%2Fy"),
])
def test_document_ids_are_quoted_whole(client: CouchDB, doc_id: str, path: str) -> None:
    database = Endpoint(client, SERVER + "/db")
    endpoint = database.document(doc_id)
    assert endpoint.url == SERVER + "/db/" + path
    assert quote_document_id(doc_id) == path
    # requests must send the URL exactly as built (no re-quoting, no decoding of %2F).
    endpoint.request("GET")
    assert sent(client)[-1].url == SERVER + "/db/" + path


@pytest.mark.parametrize("name, path", [
    ("orders", "orders"),
    ("a/b", "a%2Fb"),
    ("db$(1)+-_x", "db%24%281%29%2B-_x"),
    ("_users", "_users"),
])
def test_database_names_are_one_segment(client: CouchDB, name: str, path: str) -> None:
    endpoint = Endpoint(client, SERVER).child(name)
    assert endpoint.url == SERVER + "/" + path
    endpoint.request("HEAD")
    assert sent(client)[-1].url == SERVER + "/" + path


@pytest.mark.parametrize("doc_id, path", [(".", "%2E"), ("..", "%2E%2E"), ("_design/..", "_design/%2E%2E"),
                                           ("...", "..."), ("a/..", "a%2F..")])
def test_dot_segments_are_percent_encoded(client: CouchDB, doc_id: str, path: str) -> None:
    # Left bare, a URL normaliser (a proxy) would turn /db/.. into / and reach another resource.
    assert Endpoint(client, SERVER + "/db").document(doc_id).url == SERVER + "/db/" + path
    if "/" not in doc_id:
        assert Endpoint(client, SERVER).child("db", doc_id).url == SERVER + "/db/" + path


def test_child_quotes_each_segment(client: CouchDB) -> None:
    endpoint = Endpoint(client, SERVER).child("_api", "v2", "a/b", "c d")
    assert endpoint.url == SERVER + "/_api/v2/a%2Fb/c%20d"


def test_document_sub_segments_are_quoted(client: CouchDB) -> None:
    database = Endpoint(client, SERVER).child("a/b")
    assert database.document("_design/d", "_view", "by name").url == SERVER + "/a%2Fb/_design/d/_view/by%20name"
    assert database.document("doc/1", "photo #1.jpg").url == SERVER + "/a%2Fb/doc%2F1/photo%20%231.jpg"


def test_repr_hides_credentials(client: CouchDB) -> None:
    assert "secret" not in repr(Endpoint(client, "http://user:secret@h/db"))


# -- sending -----------------------------------------------------------------------------------------------------
def test_params_body_and_headers_reach_the_wire() -> None:
    client = connected(encoder=DateEncoder)
    Endpoint(client, SERVER + "/db").request("POST", params={"w": 2}, json_body={"day": datetime.date(2024, 2, 29)},
                                             headers={"X-Extra": "1"})
    seen = sent(client)[-1]
    assert seen.method == "POST" and seen.query == {"w": ["2"]}
    assert seen.json() == {"day": "2024-02-29"}  # the client's encoder was used
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Extra"] == "1"


def test_large_bodies_are_gzipped_above_the_threshold() -> None:
    client = connected(gzip_threshold=100)
    endpoint = Endpoint(client, SERVER + "/db")
    endpoint.request("POST", json_body={"small": 1})
    small = sent(client)[-1]
    assert "Content-Encoding" not in small.headers and small.json() == {"small": 1}
    endpoint.request("POST", json_body={"big": "x" * 500})
    big = sent(client)[-1]
    assert big.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(big.body)) == {"big": "x" * 500}


def test_raw_bodies_are_never_gzipped() -> None:
    client = connected(gzip_threshold=10)
    Endpoint(client, SERVER + "/db/doc/att").request("PUT", data=b"x" * 100,
                                                     headers={"Content-Type": "application/octet-stream"})
    seen = sent(client)[-1]
    assert "Content-Encoding" not in seen.headers and seen.body == b"x" * 100


def test_file_bodies_are_streamed_unchanged(client: CouchDB) -> None:
    Endpoint(client, SERVER + "/db/doc/att").request("PUT", data=io.BytesIO(b"\x00\x01binary"),
                                                     headers={"Content-Type": "application/octet-stream"})
    assert sent(client)[-1].body == b"\x00\x01binary"


def test_json_decodes_the_body(client: CouchDB) -> None:
    assert Endpoint(client, SERVER).json() == {"ok": True}


def test_json_uses_the_given_decoder() -> None:
    class Upper(json.JSONDecoder):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(object_hook=lambda d: {k.upper(): v for k, v in d.items()}, **kwargs)

    client = connected()
    assert Endpoint(client, SERVER).json(decoder=Upper) == {"OK": True}


def test_text_returns_the_body_as_text() -> None:
    client = connected(lambda seen: (200, {"Content-Type": "text/plain; charset=utf-8"}, "h\u00e9llo"))
    assert Endpoint(client, SERVER + "/db/_design/d/_show/s").text() == "h\u00e9llo"


@pytest.mark.parametrize("body", [b"<html>proxy error</html>", b"{\"truncated\": ", b""])
def test_a_2xx_body_that_is_not_json_raises_malformed_response(body: bytes) -> None:
    client = connected(lambda seen: (200, {"Content-Type": "application/json"}, body))
    with pytest.raises(MalformedResponse) as info:
        Endpoint(client, SERVER + "/db").json()
    assert info.value.method == "GET" and info.value.url == SERVER + "/db"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("status, cls", [(400, BadRequest), (401, Unauthorized), (403, Forbidden),
                                         (404, NotFound), (409, Conflict), (500, ServerError),
                                         (418, CloudantHTTPError)])
def test_non_2xx_raises_the_typed_error(status: int, cls: type) -> None:
    client = connected(lambda seen: (status, {"X-Couch-Request-ID": "r-1"}, {"error": "e", "reason": "why"}))
    with pytest.raises(cls) as info:
        Endpoint(client, SERVER + "/db/doc").json("PUT", json_body={})
    exc = info.value
    assert (exc.status_code, exc.error, exc.reason, exc.request_id) == (status, "e", "why", "r-1")
    assert exc.method == "PUT" and exc.url == SERVER + "/db/doc"


def test_allow_status_returns_instead_of_raising() -> None:
    client = connected(lambda seen: (404, {}, {"error": "not_found", "reason": "missing"}))
    response = Endpoint(client, SERVER + "/db/doc").request("GET", allow_status=(404,))
    assert response.status_code == 404 and response.json()["reason"] == "missing"


def test_not_modified_is_returned() -> None:
    client = connected(lambda seen: (304, {"ETag": '"1-abc"'}, b""))
    response = Endpoint(client, SERVER + "/db/doc").request("GET", headers={"If-None-Match": '"1-abc"'})
    assert response.status_code == 304


@pytest.mark.parametrize("status, expected", [(200, True), (404, False)])
def test_exists_uses_head(status: int, expected: bool) -> None:
    client = connected(lambda seen: (status, {}, None))
    assert Endpoint(client, SERVER + "/db").exists() is expected
    assert [seen.method for seen in sent(client)] == ["HEAD"]


def test_exists_raises_for_other_statuses() -> None:
    client = connected(lambda seen: (401, {}, None))
    with pytest.raises(Unauthorized) as info:
        Endpoint(client, SERVER + "/db").exists()
    assert info.value.method == "HEAD"


def test_json_object_returns_a_json_object(client: CouchDB) -> None:
    assert Endpoint(client, SERVER).json_object() == {"ok": True}


@pytest.mark.parametrize("body, kind", [([1, 2], "list"), ("text", "str"), (3, "int"), (None, "NoneType")])
def test_json_object_raises_malformed_response_for_other_json(body: Any, kind: str) -> None:
    client = connected(lambda seen: (200, {"Content-Type": "application/json"}, json.dumps(body).encode()))
    with pytest.raises(MalformedResponse) as info:
        Endpoint(client, SERVER + "/db").json_object("POST", json_body={})
    assert info.value.method == "POST" and info.value.url == SERVER + "/db"
    assert str(info.value).endswith("expected a JSON object, got %s" % kind)


def test_json_object_raises_malformed_response_for_a_body_that_is_not_json() -> None:
    client = connected(lambda seen: (200, {}, b"<html>proxy error</html>"))
    with pytest.raises(MalformedResponse):
        Endpoint(client, SERVER).json_object()


def test_decode_json_helper_raises_malformed_response() -> None:
    client = connected(lambda seen: (200, {}, b"nope"))
    response = Endpoint(client, SERVER).request("GET")
    with pytest.raises(MalformedResponse):
        decode_json(response)


# -- failures before an answer ------------------------------------------------------------------------------------
def test_not_connected_raises_before_anything_is_sent() -> None:
    client = CouchDB(None, None, admin_party=True, url=SERVER, adapter=FakeAdapter(ok))
    with pytest.raises(ClientNotConnected) as info:
        Endpoint(client, SERVER).json()
    assert isinstance(info.value, AttributeError)  # python-cloudant raised AttributeError here
    assert client.adapter.seen == []


def test_connection_refused_names_the_url_without_credentials() -> None:
    url = "http://admin:pa55-w0rd@127.0.0.1:%d" % closed_port()
    session = requests.Session()  # no retry adapter: the first refusal is final
    holder = type("Holder", (), {"r_session": session, "encoder": json.JSONEncoder, "gzip_threshold": None})()
    with pytest.raises(CloudantConnectionError) as info:
        Endpoint(holder, url + "/db").json()
    session.close()
    exc = info.value
    assert isinstance(exc, requests.ConnectionError)
    assert "pa55-w0rd" not in str(exc) and "admin:" not in str(exc)
    assert "127.0.0.1" in str(exc) and exc.url == url.replace("admin:pa55-w0rd@", "") + "/db"


def test_timeouts_raise_cloudant_timeout() -> None:
    def slow(seen: Seen) -> Any:
        raise requests.ReadTimeout("read timed out")

    client = connected(slow)
    with pytest.raises(CloudantTimeout) as info:
        Endpoint(client, SERVER + "/db").json()
    assert isinstance(info.value, requests.Timeout) and isinstance(info.value, CloudantConnectionError)


def test_one_debug_line_per_request_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    client = connected()
    caplog.set_level(logging.DEBUG, logger="cloudant")
    Endpoint(client, SERVER + "/db").json("GET", params={"limit": 1})
    lines = [record.getMessage() for record in caplog.records if record.name == "cloudant"]
    assert len(lines) == 1
    assert lines[0].startswith("GET " + SERVER + "/db?limit=1 -> 200")


# -- exchange(): the function every request, the sessions' own included, goes through -------------------------
def test_a_body_cut_short_raises_a_connection_error() -> None:
    def cut(seen: Seen) -> Any:
        raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(0 bytes read)")

    client = connected(cut)
    with pytest.raises(CloudantConnectionError) as info:
        Endpoint(client, SERVER + "/db").json("POST", json_body={"a": 1})
    assert info.value.method == "POST"


def test_exchange_sends_only_what_it_is_given_through_the_callable() -> None:
    calls = []

    def send(url: str, **kwargs: Any) -> requests.Response:
        calls.append((url, kwargs))
        return FakeAdapter(ok).build(requests.Request("GET", url).prepare(), 200, {}, {"ok": True})

    assert exchange_json(send, "GET", SERVER + "/_session", headers={"Accept": "application/json"}) == {"ok": True}
    assert calls == [(SERVER + "/_session", {"headers": {"Accept": "application/json"}})]


def test_a_stand_in_responses_http_error_carries_the_response() -> None:
    reply = mock.MagicMock()
    reply.raise_for_status.side_effect = requests.HTTPError("400 Client Error")
    with pytest.raises(requests.HTTPError) as info:
        exchange(lambda url: reply, "POST", SERVER + "/token")
    assert info.value.response is reply


def test_exchange_json_of_a_stand_in_without_text_raises_malformed_response() -> None:
    with pytest.raises(MalformedResponse):
        exchange_json(lambda url: mock.MagicMock(), "GET", SERVER + "/_session")
