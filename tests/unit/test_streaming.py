"""BodyStream, the wire layer's streamed bodies: cuts mapped to the library's errors, the connection always
given back, and abort() ending a read blocked in another thread. A small HTTP server on loopback plays the
server: it sends a body, or part of one and then nothing."""
from __future__ import annotations

import socketserver
import threading
from typing import Any, Iterator, List, Tuple
from unittest import mock

import pytest
import requests
import urllib3

from _fakes import PiecesRaw
from cloudant._endpoint import Endpoint
from cloudant._streaming import BodyStream
from cloudant.client import CouchDB
from cloudant.error import CloudantConnectionError, CloudantTimeout

BODY = b"line one\nline two\n"
JOIN_SECONDS = 10.0  # a generous bound: the thread must end, not run into a 30 s read timeout


class _Handler(socketserver.BaseRequestHandler):
    """``/full``: the whole body (kept alive); ``/stall``: the headers and part of a chunked body, then silence
    until the client goes away."""

    server: Any

    def handle(self) -> None:
        self.server.connections += 1
        reader = self.request.makefile("rb")
        while True:
            request_line = reader.readline()
            if not request_line:
                return
            while reader.readline() not in (b"\r\n", b"\n", b""):
                pass
            self.server.paths.append(request_line.split()[1].decode())
            if b"/stall" in request_line:
                self.request.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
                self.request.settimeout(30)
                try:
                    self.request.recv(1)  # until the client shuts the connection down
                except OSError:
                    pass
                return
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: List[str] = []
        self.connections = 0


@pytest.fixture
def loopback() -> Iterator[Tuple[_Server, str]]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def endpoint(url: str, **options: Any) -> Endpoint:
    client = CouchDB(None, None, admin_party=True, url=url, **options)
    client.connect()
    return Endpoint(client, url)


def test_a_body_read_to_its_end_gives_the_connection_back(loopback: Tuple[_Server, str]) -> None:
    server, url = loopback
    full = endpoint(url).child("full")
    stream = full.stream()
    with stream:
        assert b"".join(stream.chunks(4)) == BODY
    assert stream.closed
    stream.abort()  # after the end it must leave the pooled connection alone: it may serve another request
    assert b"".join(full.stream()) == BODY
    assert server.paths == ["/full", "/full"]
    assert server.connections == 1  # the second request went over the first one's connection


def test_a_connection_cut_mid_body_is_a_connection_error_and_closes(loopback: Tuple[_Server, str]) -> None:
    _server, url = loopback
    stream = endpoint(url).child("stall").stream(timeout=(5, 0.3))
    with pytest.raises(CloudantTimeout) as info:  # a read timeout mid-body
        list(stream.chunks())
    assert isinstance(info.value, CloudantConnectionError)
    assert "/stall" in str(info.value)
    assert stream.closed


def test_abort_ends_a_read_blocked_in_another_thread(loopback: Tuple[_Server, str]) -> None:
    _server, url = loopback
    stream = endpoint(url).child("stall").stream(timeout=(5, 30))
    received: List[bytes] = []
    errors: List[BaseException] = []
    started = threading.Event()

    def reader() -> None:
        try:
            for chunk in stream.chunks():
                received.append(chunk)
                started.set()
        except BaseException as err:  # noqa: BLE001 - what the reader saw is the test's subject
            errors.append(err)

    thread = threading.Thread(target=reader)
    thread.start()
    assert started.wait(JOIN_SECONDS)
    stopper = threading.Thread(target=stream.abort)
    stopper.start()
    stopper.join(JOIN_SECONDS)
    thread.join(JOIN_SECONDS)
    assert not stopper.is_alive() and not thread.is_alive()
    assert received == [b"hello"]
    assert all(isinstance(error, CloudantConnectionError) for error in errors)
    assert stream.closed


def response_with(pieces: List[Any]) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.raw = PiecesRaw(pieces)
    return response


@pytest.mark.parametrize("cut", [urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead"),
                                 urllib3.exceptions.ReadTimeoutError(None, None, "Read timed out.")],  # type: ignore
                         ids=["protocol-error", "read-timeout"])
def test_every_kind_of_cut_becomes_a_connection_error(cut: BaseException) -> None:
    response = response_with([b"abc", cut])
    stream = BodyStream(response, "GET", "http://user:secret@couch.test/db/_changes")
    chunks = stream.chunks()
    assert next(chunks) == b"abc"
    with pytest.raises(CloudantConnectionError) as info:
        next(chunks)
    assert "secret" not in str(info.value)
    assert isinstance(info.value, CloudantTimeout) == (not isinstance(cut, urllib3.exceptions.ProtocolError))
    assert response.raw.closed


def test_stand_in_responses_answer_what_they_were_given() -> None:
    lines = mock.Mock()
    lines.iter_lines.return_value = [b'{"seq":1}', "", '{"seq":2}']  # python-cloudant read feeds with iter_lines
    assert list(BodyStream(lines, "GET", "http://x").chunks()) == [b'{"seq":1}\n', b"\n", b'{"seq":2}\n']
    content = mock.MagicMock()
    content.iter_content.return_value = iter([b"ab", "c"])
    assert list(BodyStream(content, "GET", "http://x").chunks()) == [b"ab", b"c"]
    assert list(BodyStream(mock.Mock(), "GET", "http://x").chunks()) == []
    content.close.assert_called_once_with()
