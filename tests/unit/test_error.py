"""The exception tree and the mapping of HTTP answers to typed errors (``cloudant.error``)."""
from __future__ import annotations

import io
import json
import pickle
from typing import Any, Dict, Optional

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from cloudant import error
from cloudant.error import (BadRequest, ClientNotConnected, CloudantArgumentError, CloudantClientException,
                            CloudantDocumentException,
                            CloudantConnectionError, CloudantDatabaseException, CloudantException,
                            CloudantHTTPError, CloudantTimeout, Conflict, Forbidden, MalformedResponse,
                            NotFound, PreconditionFailed, RequestEntityTooLarge, ServerError, TooManyRequests,
                            Unauthorized, UnsupportedMediaType, from_response, redact_url)

URL = "http://127.0.0.1:5984/orders/doc1"


def make_response(status: int, body: bytes = b"", headers: Optional[Dict[str, str]] = None,
                  method: str = "GET", url: str = URL, reason: str = "Reason") -> requests.Response:
    """A real :class:`requests.Response`, as the transport would hand it over."""
    request = requests.Request(method, url).prepare()
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response.headers = CaseInsensitiveDict(headers or {})
    response.raw = io.BytesIO(body)
    response.url = url
    response.request = request
    return response


def json_response(status: int, body: object, **kwargs: object) -> requests.Response:
    return make_response(status, json.dumps(body).encode(), {"Content-Type": "application/json"},
                         **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("status, cls", [
    (400, BadRequest), (401, Unauthorized), (403, Forbidden), (404, NotFound), (409, Conflict),
    (412, PreconditionFailed), (413, RequestEntityTooLarge), (415, UnsupportedMediaType),
    (429, TooManyRequests), (500, ServerError), (502, ServerError), (503, ServerError), (504, ServerError),
    (402, CloudantHTTPError), (405, CloudantHTTPError), (416, CloudantHTTPError),
])
def test_each_status_maps_to_its_class(status: int, cls: type) -> None:
    exc = from_response(json_response(status, {"error": "e", "reason": "r"}))
    assert type(exc) is cls
    assert exc.status_code == status
    # Old ``except requests.HTTPError`` clauses keep catching it, and so does ``except CloudantException``.
    assert isinstance(exc, requests.HTTPError)
    assert isinstance(exc, CloudantException)


def test_couchdb_body_fields_are_kept() -> None:
    response = json_response(404, {"error": "not_found", "reason": "Database does not exist."})
    response.headers["X-Couch-Request-ID"] = "8c1d4f2e1a"
    exc = from_response(response)
    assert (exc.error, exc.reason, exc.caused_by) == ("not_found", "Database does not exist.", None)
    assert exc.request_id == "8c1d4f2e1a"
    assert exc.method == "GET"
    assert exc.url == URL
    assert exc.response is response
    # python-cloudant's text: requests' own, with CouchDB's error and reason appended to the reason.
    assert str(exc) == "404 Client Error: Reason not_found Database does not exist. for url: " + URL
    assert response.reason == "Reason not_found Database does not exist."
    if hasattr(exc, "add_note"):
        assert "request id 8c1d4f2e1a" in exc.__notes__


def test_caused_by_is_kept_and_shown() -> None:
    exc = from_response(json_response(400, {"error": "bad_request", "reason": "invalid UTF-8 JSON",
                                            "caused_by": "decoder"}))
    assert exc.caused_by == "decoder"
    if hasattr(exc, "add_note"):
        assert "caused by decoder" in exc.__notes__


def test_api_v2_code_and_error_body() -> None:
    """``/_api/v2`` errors say ``{"code": 404, "error": "Could not find Cloudant user"}``."""
    exc = from_response(json_response(404, {"code": 404, "error": "Could not find Cloudant user"}))
    assert isinstance(exc, NotFound)
    assert exc.error == "Could not find Cloudant user"
    assert exc.reason is None
    assert "Could not find Cloudant user" in str(exc)


def test_api_v2_message_body() -> None:
    exc = from_response(json_response(405, {"message": "The method is not allowed for the requested URL."}))
    assert exc.status_code == 405
    assert exc.reason == "The method is not allowed for the requested URL."


def test_non_string_fields_become_json_text() -> None:
    exc = from_response(json_response(500, {"error": "unknown_error", "reason": {"nested": [1]}, "ref": 12}))
    assert exc.reason == '{"nested": [1]}'


@pytest.mark.parametrize("body", [b"<html>Bad Gateway</html>", b"", b"[1, 2]", b"\xff\xfe not utf-8 {"])
def test_a_body_that_is_not_a_json_object_is_ignored(body: bytes) -> None:
    exc = from_response(make_response(502, body, {"Content-Type": "text/html"}, reason="Bad Gateway"))
    assert isinstance(exc, ServerError)
    assert exc.error is None and exc.reason is None
    assert str(exc) == "502 Server Error: Bad Gateway for url: " + URL


def test_head_answers_have_no_body_to_read() -> None:
    response = make_response(404, b"", {"X-Couch-Request-ID": "abc"}, method="HEAD", reason="Object Not Found")
    exc = from_response(response)
    assert isinstance(exc, NotFound)
    assert exc.method == "HEAD" and exc.request_id == "abc"
    assert exc.error is None


def test_huge_error_bodies_are_not_parsed() -> None:
    body = json.dumps({"error": "x", "reason": "y" * (70 * 1024)}).encode()
    exc = from_response(make_response(500, body))
    assert exc.reason is None


def test_credentials_never_appear_in_the_error() -> None:
    url = "http://admin:s3cr3t-pw@127.0.0.1:5984/db"
    exc = from_response(json_response(401, {"error": "unauthorized", "reason": "x"}, url=url))
    assert "s3cr3t-pw" not in str(exc)
    assert exc.url == "http://127.0.0.1:5984/db"


@pytest.mark.parametrize("url, clean", [
    ("http://user:pw@host:5984/db?x=1#f", "http://host:5984/db?x=1#f"),
    ("https://user@host/db", "https://host/db"),
    ("http://u:p@[::1]:5984/", "http://[::1]:5984/"),
    ("http://host:5984/db", "http://host:5984/db"),
    ("http://u:p%40x@host/db", "http://host/db"),
    (None, None),
    ("", ""),
])
def test_redact_url(url: Optional[str], clean: Optional[str]) -> None:
    assert redact_url(url) == clean


def test_connection_error_message_has_no_credentials() -> None:
    url = "http://admin:s3cr3t-pw@127.0.0.1:1/db"
    exc = CloudantConnectionError("GET", url, "cannot reach " + url)
    assert "s3cr3t-pw" not in str(exc)
    assert "http://127.0.0.1:1/db" in str(exc)
    assert exc.url == "http://127.0.0.1:1/db"
    assert isinstance(exc, requests.ConnectionError) and isinstance(exc, CloudantException)


def test_timeout_is_a_connection_error_and_a_requests_timeout() -> None:
    exc = CloudantTimeout("GET", URL, "read timed out")
    assert isinstance(exc, CloudantConnectionError)
    assert isinstance(exc, requests.Timeout)


def test_malformed_response_is_a_value_error_without_credentials() -> None:
    exc = MalformedResponse("GET", "http://u:pw-123@h/db", "Expecting value")
    assert isinstance(exc, ValueError) and isinstance(exc, CloudantException)
    assert "pw-123" not in str(exc) and "Expecting value" in str(exc)


def test_client_not_connected_is_an_attribute_error() -> None:
    exc = ClientNotConnected()
    assert isinstance(exc, AttributeError)
    assert isinstance(exc, CloudantClientException)
    assert exc.status_code == 104
    assert "connect()" in str(exc)


# -- local exceptions: message codes -------------------------------------------------------------------------
def test_message_is_the_catalogue_entry_filled_with_the_args() -> None:
    exc = CloudantArgumentError(101, 2016, 13)
    assert str(exc) == "Invalid year and/or month supplied.  Found: year - 2016, month - 13"
    assert exc.status_code == exc.code == 101


def test_http_numbered_codes() -> None:
    exc = CloudantClientException(404, "orders")
    assert exc.status_code == 404
    assert "orders" in str(exc) and "does not exist" in str(exc)
    assert "already exists" in str(CloudantClientException(412, "orders"))


def test_unknown_code_joins_the_args() -> None:
    exc = CloudantDatabaseException(500, "internal", "error")
    assert str(exc) == "internal error"
    assert exc.status_code == 500


def test_missing_args_fall_back_to_the_generic_message() -> None:
    exc = CloudantArgumentError(106)
    assert str(exc) == "A general Cloudant argument error was raised."
    assert exc.status_code == 100
    unknown = CloudantDocumentException(999, "x")
    assert (str(unknown), unknown.status_code) == ("A general Cloudant document exception was raised.", 100)


def test_python_cloudant_message_and_code_form() -> None:
    exc = CloudantException("something broke", 42)
    assert str(exc) == "something broke"
    assert exc.status_code == 42


def test_every_local_class_derives_from_the_root() -> None:
    local = [error.CloudantArgumentError, error.CloudantClientException, error.CloudantDatabaseException,
             error.CloudantDesignDocumentException, error.CloudantDocumentException,
             error.CloudantFeedException, error.CloudantIndexException, error.CloudantReplicatorException,
             error.CloudantViewException, error.ResultException]
    for cls in local:
        assert issubclass(cls, CloudantException)
        assert not issubclass(cls, requests.HTTPError)  # local misuse is not an HTTP failure
        assert str(cls(100)).startswith("A general")


@pytest.mark.parametrize("make", [
    lambda: from_response(json_response(409, {"error": "conflict", "reason": "Document update conflict."})),
    lambda: CloudantConnectionError("GET", URL, "connection refused"),
    lambda: CloudantTimeout("GET", URL, "read timed out"),
    lambda: MalformedResponse("GET", URL, "Expecting value"),
    lambda: ClientNotConnected(),
    lambda: CloudantArgumentError(101, 2016, 13),
    lambda: CloudantException("message", 42),
], ids=["http", "connection", "timeout", "malformed", "not-connected", "argument", "root"])
def test_exceptions_survive_pickling(make: Any) -> None:
    """What multiprocessing and concurrent.futures do to an exception raised in a worker."""
    exc = make()
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert copy.status_code == exc.status_code
    for name in ("error", "reason", "request_id", "method", "url"):
        assert getattr(copy, name, None) == getattr(exc, name, None)
    if isinstance(exc, requests.RequestException):
        assert copy.response is None  # the response object stays in the process that received it
