"""Fakes of the HTTP boundary for tests that must not need a CouchDB server.

``FakeAdapter``
    a :class:`requests.adapters.BaseAdapter` (requests' counterpart of httpx's ``MockTransport``): mounted on a
    session, it answers every request from a handler function and records what was sent. Its responses are
    real :class:`requests.Response` objects, ``Set-Cookie`` included, so cookie jars behave as on the wire.
``PiecesRaw``
    a streamed body for a :class:`requests.Response`: its ``stream()`` yields the pieces given and raises an
    exception found among them, as urllib3 does when the connection breaks.
``LoopbackServer``
    an ``http.server`` on 127.0.0.1 in a thread, for what must cross a real socket (urllib3's retries,
    connection errors, an IAM token endpoint). It answers from a handler function and records each request.

Both handlers receive a :class:`Seen` request and return ``(status, headers, body)``; ``body`` may be bytes,
text, or any other value (sent as JSON).
"""
from __future__ import annotations

import email.message
import http.server
import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]]]
Answer = Tuple[int, Headers, Any]


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    timeout: Any = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> Dict[str, List[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> Dict[str, List[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)


def encode_body(body: Any) -> Tuple[bytes, Optional[str]]:
    """Bytes to send, and the content type they imply (None for raw bytes)."""
    if body is None:
        return b"", None
    if isinstance(body, bytes):
        return body, None
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(body).encode("utf-8"), "application/json"


def _header_list(headers: Headers) -> List[Tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def _read_request_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data if isinstance(data, bytes) else data.encode("utf-8")
    return b"".join(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8") for chunk in body)


class _Original:
    """What requests' cookie extraction reads from ``raw._original_response``: the parsed headers."""

    def __init__(self, headers: List[Tuple[str, str]]) -> None:
        self.msg = email.message.Message()
        for name, value in headers:
            self.msg[name] = value

    def isclosed(self) -> bool:
        return True


class FakeAdapter(BaseAdapter):
    """Answers from ``handler(seen) -> (status, headers, body)`` and records every request in ``seen``.

    A handler may also raise (e.g. ``requests.ConnectionError``) to fake a transport failure.
    """

    def __init__(self, handler: Callable[[Seen], Answer]) -> None:
        super().__init__()
        self.handler = handler
        self.seen: List[Seen] = []
        self.lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        seen = Seen(request.method or "", request.url or "", CaseInsensitiveDict(request.headers),
                    _read_request_body(request.body), timeout)
        with self.lock:
            self.seen.append(seen)
        status, headers, body = self.handler(seen)
        return self.build(request, status, headers, body)

    def build(self, request: requests.PreparedRequest, status: int, headers: Headers, body: Any) -> requests.Response:
        payload, content_type = encode_body(body)
        header_list = _header_list(headers)
        if content_type and not any(name.lower() == "content-type" for name, _ in header_list):
            header_list.append(("Content-Type", content_type))
        header_list.append(("Content-Length", str(len(payload))))
        raw = urllib3.HTTPResponse(body=io.BytesIO(payload), headers=header_list, status=status,
                                   preload_content=False, original_response=_Original(header_list))
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(raw.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        response.reason = http.server.BaseHTTPRequestHandler.responses.get(status, ("",))[0]
        response.url = request.url or ""
        extract_cookies_to_jar(response.cookies, request, raw)
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass

    def calls(self, method: Optional[str] = None, path: Optional[str] = None) -> List[Seen]:
        """The recorded requests, optionally only those with this method and/or path."""
        with self.lock:
            return [seen for seen in self.seen
                    if (method is None or seen.method == method) and (path is None or seen.path == path)]


@dataclass
class LoopbackServer:
    """``http.server`` on 127.0.0.1 in a daemon thread; use as a context manager.

    ``url`` is ``http://127.0.0.1:PORT``; ``seen`` records each request (``timeout`` stays ``None``).
    """

    handler: Callable[[Seen], Answer]
    seen: List[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, owner.url + self.path, dict(self.headers.items()), body)
                owner.seen.append(seen)
                status, headers, payload = owner.handler(seen)
                data, content_type = encode_body(payload)
                self.send_response(status)
                header_list = _header_list(headers)
                if content_type and not any(name.lower() == "content-type" for name, _ in header_list):
                    header_list.append(("Content-Type", content_type))
                for name, value in header_list:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve  # noqa: N815 - http.server names

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass  # keep test output clean

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def calls(self, method: Optional[str] = None, path: Optional[str] = None) -> List[Seen]:
        return [seen for seen in list(self.seen)
                if (method is None or seen.method == method) and (path is None or seen.path == path)]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released), so connecting is refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeCouch:
    """A connected admin-party client whose requests a :class:`FakeAdapter` answers with ``reply(seen)``.

    :param default: the answer given until a test sets :attr:`reply`.
    :param client_options: further :class:`~cloudant.client.CouchDB` options (``encoder``...).
    """

    URL = "http://couch.test:5984"

    def __init__(self, default: Answer, **client_options: Any) -> None:
        from cloudant.client import CouchDB

        self.reply: Callable[[Seen], Answer] = lambda seen: default
        self.adapter = FakeAdapter(lambda seen: self.reply(seen))
        self.client = CouchDB(None, None, admin_party=True, url=self.URL, adapter=self.adapter, **client_options)
        self.client.connect()
        self.db: Any = self.client._DATABASE_CLASS(self.client, "orders")

    def close(self) -> None:
        self.client.disconnect()


def watch(session: requests.Session) -> List[requests.Response]:
    """Every response ``session`` receives from now on, through requests' own response hook."""
    responses: List[requests.Response] = []
    session.hooks["response"].append(lambda response, *args, **kwargs: responses.append(response))
    return responses


def record(session: requests.Session) -> List[Tuple[str, str, int]]:
    """Every (method, path, status) ``session`` sends from now on, through requests' own response hook."""
    seen: List[Tuple[str, str, int]] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        seen.append((response.request.method or "", requests.utils.urlparse(response.url).path,
                     response.status_code))

    session.hooks["response"].append(hook)
    return seen


class PiecesRaw:
    """A streamed body: ``stream()`` yields the pieces as given (whatever amount is asked) and raises an
    exception found among them, as urllib3 does when the connection breaks."""

    def __init__(self, pieces: Sequence[Any]) -> None:
        self.pieces = list(pieces)
        self.closed = False

    def stream(self, amt: int = 0, decode_content: bool = True) -> Iterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, BaseException):
                raise piece
            yield piece

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass
