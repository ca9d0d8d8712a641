"""The one wire layer: every request of the library is built and sent here.

An :class:`Endpoint` is an immutable URL (the server URL plus quoted path
segments) bound to the client that owns the HTTP session. It sends through
``client.r_session``, turns a non-2xx answer into the typed exception of
:func:`cloudant.error.from_response`, decodes JSON bodies and maps transport
failures to :class:`~cloudant.error.CloudantConnectionError`. No other module
formats a URL, calls :mod:`requests` or ``raise_for_status``.
"""
from __future__ import annotations

import gzip
import json
import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Mapping, Optional, Type, Union
from urllib.parse import quote

import requests

from . import codec as _codec
from ._streaming import BodyStream
from ._types import JsonObject, JsonValue, SessionOwner

if TYPE_CHECKING:
    from .client import CouchDB
from .error import (ClientNotConnected, CloudantConnectionError, CloudantTimeout, MalformedResponse,
                    from_response, redact_url)

LOG = logging.getLogger("cloudant")

DESIGN_PREFIX = "_design/"
LOCAL_PREFIX = "_local/"
_JSON_HEADERS = {"Content-Type": "application/json"}


# The class body's json() method hides the json module from the annotations after it.
_Decoder = Type[json.JSONDecoder]

_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}
_VERBS = {"GET": "get", "HEAD": "head", "POST": "post", "PUT": "put", "DELETE": "delete", "PATCH": "patch",
          "OPTIONS": "options"}


def quote_segment(segment: str) -> str:
    """Quote one path segment: every reserved character, ``/`` included.

    A segment that is exactly ``.`` or ``..`` is percent-encoded too: left as
    it is, URL normalisation would drop it and the request would reach the
    parent resource (``PUT /db/.`` would become ``PUT /db/``).
    """
    return _DOT_SEGMENTS.get(segment) or quote(segment, safe="")


def quote_document_id(doc_id: str) -> str:
    """Quote a document id, keeping a ``_design/`` or ``_local/`` prefix readable."""
    for prefix in (DESIGN_PREFIX, LOCAL_PREFIX):
        if doc_id.startswith(prefix):
            return prefix + quote_segment(doc_id[len(prefix):])
    return quote_segment(doc_id)


class Endpoint:
    """A URL on the server and the one way to send requests to it.

    :param client: the object owning the session: it has ``r_session``,
        ``encoder`` and ``gzip_threshold`` attributes (a ``CouchDB`` client).
    :param str url: the absolute URL, already quoted.
    """

    __slots__ = ("client", "url")

    def __init__(self, client: SessionOwner, url: str) -> None:
        self.client = client
        self.url = url

    def __repr__(self) -> str:
        return "Endpoint(%r)" % redact_url(self.url)

    def child(self, *segments: str) -> Endpoint:
        """Return the endpoint below this one, each segment quoted whole."""
        path = "/".join(quote_segment(segment) for segment in segments)
        return Endpoint(self.client, self.url + "/" + path)

    def document(self, doc_id: str, *segments: str) -> Endpoint:
        """Return a document's endpoint (``_design/``/``_local/`` prefixes kept), plus optional sub-segments."""
        url = self.url + "/" + quote_document_id(doc_id)
        if segments:
            url += "/" + "/".join(quote_segment(segment) for segment in segments)
        return Endpoint(self.client, url)

    # -- sending -------------------------------------------------------------------------------------------
    def request(self, method: str, *, params: Optional[Mapping[str, Any]] = None, json_body: Any = None,
                data: Any = None, headers: Optional[Mapping[str, str]] = None, stream: bool = False,
                timeout: Any = None, allow_status: Iterable[int] = (),
                encoder: Optional[Type[json.JSONEncoder]] = None,
                json_text: Optional[bytes] = None) -> requests.Response:
        """Send one request and return the response, raising a typed error for a non-2xx status.

        :param str method: the HTTP method.
        :param dict params: query parameters, already in their wire form.
        :param json_body: a value to send as JSON, encoded with the client's encoder.
        :param data: a raw body (bytes, str, a file object or an iterator of bytes).
        :param dict headers: extra request headers.
        :param bool stream: leave the body unread, for streaming.
        :param timeout: a per-request timeout overriding the client's.
        :param allow_status: non-2xx statuses returned instead of raised (e.g. 404 for ``exists()``).
        :param encoder: encodes ``json_body`` instead of the client's encoder (a document's own).
        :param bytes json_text: a body already encoded as JSON (UTF-8), sent as ``json_body`` would be.
        :raises CloudantHTTPError: for a non-2xx status not in ``allow_status``.
        :raises CloudantConnectionError: when the server cannot be reached.
        """
        session = self.client.r_session
        if session is None:
            raise ClientNotConnected()
        if json_body is not None:
            json_text = encode_json(json_body, encoder or self.client.encoder)
        if json_text is not None:
            data = json_text
            headers = {**_JSON_HEADERS, **headers} if headers else _JSON_HEADERS
            # Only JSON is compressed: a raw body (an attachment) would be stored as the gzip bytes by
            # servers that do not decode request bodies.
            threshold = self.client.gzip_threshold
            if threshold is not None and len(data) >= threshold:
                data = gzip.compress(data, compresslevel=5)
                headers = {**headers, "Content-Encoding": "gzip"}
        # Only the arguments given are passed, through the session's verb method (which ends in its
        # request()), as python-cloudant did: test suites patch either one and check the call.
        kwargs: Dict[str, Any] = {}
        if headers is not None:
            kwargs["headers"] = headers
        if params is not None:
            kwargs["params"] = params
        if data is not None:
            kwargs["data"] = data
        if stream:
            kwargs["stream"] = True
        if timeout is not None:
            kwargs["timeout"] = timeout
        send = getattr(session, _VERBS[method]) if method in _VERBS else partial(session.request, method)
        return exchange(send, method, self.url, allow_status=allow_status, **kwargs)

    def json(self, method: str = "GET", *, decoder: Optional[Type[json.JSONDecoder]] = None,
             **kwargs: Any) -> JsonValue:
        """Send a request (as :meth:`request`) and return its decoded JSON body.

        :param decoder: a :class:`json.JSONDecoder` subclass to decode with.
        :raises MalformedResponse: when the body is not JSON.
        """
        response = self.request(method, **kwargs)
        return decode_json(response, decoder)

    def json_object(self, method: str = "GET", *, decoder: Optional[_Decoder] = None,
                    **kwargs: Any) -> JsonObject:
        """Send a request (as :meth:`request`) and return its body, a JSON object, decoded.

        :param decoder: a :class:`json.JSONDecoder` subclass to decode with.
        :raises MalformedResponse: when the body is not JSON, or JSON other than an object.
        """
        response = self.request(method, **kwargs)
        return decode_json_object(response, decoder)

    def text(self, method: str = "GET", **kwargs: Any) -> str:
        """Send a request (as :meth:`request`) and return its body as text."""
        response = self.request(method, **kwargs)
        return read_body(response).decode(response.encoding or "utf-8", errors="replace")

    def exists(self) -> bool:
        """``HEAD`` the endpoint: True for 2xx, False for 404; other statuses raise."""
        response = self.request("HEAD", allow_status=(404,))
        return response.status_code < 300

    def stream(self, method: str = "GET", **kwargs: Any) -> BodyStream:
        """Send a request (as :meth:`request`, with ``stream=True``) and return its body to read as it arrives.

        The :class:`~cloudant._streaming.BodyStream` is a context manager; its ``chunks()`` map a connection
        cut mid-body to :class:`~cloudant.error.CloudantConnectionError` (a read timeout to
        :class:`~cloudant.error.CloudantTimeout`) and give the connection back however reading ends.
        """
        return BodyStream(self.request(method, stream=True, **kwargs), method, self.url)


def exchange(send: Callable[..., requests.Response], method: str, url: str, *, allow_status: Iterable[int] = (),
             **kwargs: Any) -> requests.Response:
    """The one way a request leaves the library: ``send(url, **kwargs)``, its answer checked.

    :param send: sends the request: a session's verb method (``session.get``), or ``request`` with the
        method bound (``functools.partial(session.request, "POST")``); it is given ``url`` and ``kwargs``
        only, as python-cloudant called it.
    :param str method: the HTTP method (for messages and logs).
    :param str url: the absolute URL.
    :param allow_status: non-2xx statuses returned instead of raised.
    :raises CloudantHTTPError: for a non-2xx status not in ``allow_status`` (a stand-in response's own
        ``raise_for_status`` decides for it; its error then carries the response).
    :raises CloudantTimeout: when the server did not answer in time.
    :raises CloudantConnectionError: when the server cannot be reached, or the connection dropped.
    """
    started = time.perf_counter() if LOG.isEnabledFor(logging.DEBUG) else None
    try:
        response: requests.Response = send(url, **kwargs)
    except CloudantConnectionError:
        raise  # already typed (a nested library request)
    except requests.Timeout as err:
        raise CloudantTimeout(method, url, err) from None
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:  # the body cut short too
        raise CloudantConnectionError(method, url, err) from None
    if started is not None:
        LOG.debug("%s %s -> %s (%.1f ms)", method, redact_url(response.url), response.status_code,
                  (time.perf_counter() - started) * 1000)
    status = response.status_code
    if not isinstance(status, int) or not is_real_response(response):
        if status not in allow_status:  # a stand-in response (a test's mock): let it decide
            _stand_in_raise_for_status(response)
    elif status >= 300 and status not in allow_status and status != 304:
        raise from_response(response)
    return response


def exchange_json(send: Callable[..., requests.Response], method: str, url: str, *,
                  decoder: Optional[_Decoder] = None, **kwargs: Any) -> JsonObject:
    """:func:`exchange`, then the body decoded: a JSON object.

    :raises MalformedResponse: when the body is not JSON, or JSON other than an object.
    """
    return decode_json_object(exchange(send, method, url, **kwargs), decoder)


def _stand_in_raise_for_status(response: Any) -> None:
    """A stand-in response's ``raise_for_status()``; the :class:`requests.HTTPError` it raises carries it."""
    try:
        response.raise_for_status()
    except requests.HTTPError as err:
        if err.response is None:
            err.response = response
        raise


def is_real_response(response: Any) -> bool:
    """True for a :class:`requests.Response` (or subclass) instance, False for a stand-in such as a test's mock.

    ``create_autospec(requests.Response)`` passes ``isinstance`` but has no ``headers``, ``request`` or
    readable ``content``: its type tells it apart.
    """
    return issubclass(type(response), requests.Response)


def check_response(response: requests.Response) -> requests.Response:
    """Raise the typed error for a non-2xx answer; a stand-in (mock) response's ``raise_for_status`` decides."""
    status = response.status_code
    if not isinstance(status, int) or not is_real_response(response):
        response.raise_for_status()
    elif status >= 300:
        raise from_response(response)
    return response


def read_body(response: requests.Response) -> bytes:
    """Return the whole body, mapping a dropped connection to :class:`CloudantConnectionError`."""
    try:
        return response.content
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
        raise CloudantConnectionError(str(response.request.method), response.url, err) from None


def decode_json(response: requests.Response, decoder: Optional[Type[json.JSONDecoder]] = None) -> JsonValue:
    """Decode a response body as JSON, raising :class:`MalformedResponse` when it is not."""
    content = read_body(response) if is_real_response(response) else response.text
    try:
        return decode_json_text(content, decoder)
    except (TypeError, ValueError) as err:  # TypeError: a stand-in response whose text is no string
        raise MalformedResponse(_method_of(response), str(response.url), str(err)) from None


def encode_json(value: Any, encoder: Type[json.JSONEncoder]) -> bytes:
    """``value`` as the UTF-8 JSON text of a request body, encoded with ``encoder``."""
    return json.dumps(value, cls=encoder).encode("utf-8")


def decode_json_text(text: Union[str, bytes], decoder: Optional[Type[json.JSONDecoder]] = None) -> JsonValue:
    """Decode one JSON text with ``decoder``, or with the codec for the default decoder (it decodes the same).

    :raises ValueError: when ``text`` is not JSON.
    """
    if decoder is None or decoder is json.JSONDecoder:
        return _codec.loads(text)
    return json.loads(text, cls=decoder)


def decode_json_object(response: requests.Response, decoder: Optional[Type[json.JSONDecoder]] = None) -> JsonObject:
    """Decode a response body that must be a JSON object, raising :class:`MalformedResponse` when it is not."""
    value = decode_json(response, decoder)
    if not isinstance(value, dict):
        raise MalformedResponse(_method_of(response), str(response.url),
                                "expected a JSON object, got %s" % type(value).__name__)
    return value


def _method_of(response: requests.Response) -> str:
    """The method of the request ``response`` answers (``?`` when a stand-in response has none)."""
    request = getattr(response, "request", None)
    method = getattr(request, "method", None)
    return method if isinstance(method, str) else "?"


def database_endpoint(client: CouchDB, database_name: str) -> Endpoint:
    """The database's endpoint below the client's; built from ``client.server_url`` for a stand-in client
    (a ``mock.Mock()``), so its ``database_url`` is the string python-cloudant gave."""
    parent = getattr(client, "_endpoint", None)
    if isinstance(parent, Endpoint):
        return parent.child(database_name)
    return Endpoint(client, "%s/%s" % (client.server_url, quote_segment(database_name)))
