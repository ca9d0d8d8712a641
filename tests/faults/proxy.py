"""A loopback HTTP proxy in front of a real server that injects the faults tests ask for.

::

    with FaultProxy(couch_server.url) as proxy:
        proxy.add(Cut(after_lines=3), path="/_changes", times=5)     # drop the connection mid-feed
        proxy.add(Reply(429, headers={"Retry-After": "1"}), times=2)   # rate limit the next two requests
        proxy.add(Stall(), path="/_all_docs")                          # never answer: the client times out
        proxy.add(Reply(200, b'{"rows": [{"id"'), path="/_all_docs")   # a malformed body
        client = CouchDB(user, password, url=proxy.url)
        ...
        assert proxy.count(path="/_all_docs") == 3

        for cut in random_cuts(1000, mean_bytes=20000, seed=7):       # many cuts at random points
            proxy.add(cut, path="/_changes")

Every request the client sends is matched against the rules in the order they were added; the first rule
whose ``method``/``path`` match and whose ``times`` are not used up applies its fault. Requests no rule
matches are relayed unchanged. Each client connection carries one exchange (``Connection: close``), and
response bodies are relayed with chunked framing as they arrive, so a continuous feed streams through and a
cut leaves the client with an unterminated chunked body: the "connection broken" it would see in real life.
"""
from __future__ import annotations

import http.client
import http.server
import random
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

__all__ = ["FaultProxy", "Cut", "Reply", "Stall", "Exchange", "random_cuts"]

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                         "trailer", "transfer-encoding", "upgrade", "content-length", "accept-encoding"})
_UPSTREAM_TIMEOUT = 600.0


@dataclass(frozen=True)
class Cut:
    """Relay the response, then close the connection after ``after_lines`` non-empty body lines (heartbeats
    do not count) or after ``after_bytes`` body bytes, without ending the chunked body."""

    after_lines: Optional[int] = None
    after_bytes: Optional[int] = None


def random_cuts(count: int, mean_bytes: int, seed: int = 0) -> List[Cut]:
    """``count`` cuts, each after a number of body bytes drawn uniformly from 1 to ``2 * mean_bytes``: most of
    them in the middle of a line, some right after one, a few before the first line ends."""
    rng = random.Random(seed)
    return [Cut(after_bytes=rng.randint(1, 2 * mean_bytes)) for _ in range(count)]


@dataclass(frozen=True)
class Reply:
    """Answer ``status`` with ``body`` and ``headers`` without asking the server."""

    status: int
    body: bytes = b""
    headers: Dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stall:
    """Send nothing (or, with ``after_lines``, nothing more after that many body lines) until the client gives
    up or the proxy closes: what a client sees when the server hangs."""

    after_lines: Optional[int] = None


Fault = Any  # Cut, Reply or Stall


@dataclass
class Exchange:
    """One request the proxy received, and the fault it applied (``None``: relayed unchanged)."""

    method: str
    path: str
    query: str
    fault: Optional[Fault]


@dataclass
class _Rule:
    fault: Fault
    method: Optional[str]
    path: Optional[str]
    times: Optional[int]

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


class FaultProxy:
    """The proxy: listening on 127.0.0.1 (a free port) from construction until :meth:`close`.

    :param str upstream: the server's URL (``http://host:port``, no credentials).
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream: Tuple[str, int] = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.seen: List[Exchange] = []
        self._rules: List[_Rule] = []
        self._lock = threading.Lock()
        self.closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def add(self, fault: Fault, path: Optional[str] = None, method: Optional[str] = None,
            times: Optional[int] = 1) -> None:
        """Apply ``fault`` to the next ``times`` requests (``None``: all) whose path contains ``path``."""
        with self._lock:
            self._rules.append(_Rule(fault, method, path, times))

    def clear(self) -> None:
        """Forget every rule: from now on requests are relayed unchanged."""
        with self._lock:
            self._rules.clear()

    def count(self, path: Optional[str] = None, method: Optional[str] = None, faulty: Optional[bool] = None) -> int:
        """How many requests were seen with this path (substring) and method, optionally only (un)faulted."""
        with self._lock:
            return sum(1 for exchange in self.seen
                       if (path is None or path in exchange.path) and (method is None or exchange.method == method)
                       and (faulty is None or (exchange.fault is not None) == faulty))

    def close(self) -> None:
        """Stop listening and end every exchange still open (stalled ones included)."""
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _choose(self, method: str, path: str, query: str) -> Optional[Fault]:
        with self._lock:
            rule = next((rule for rule in self._rules if rule.matches(method, path)), None)
            if rule is not None and rule.times is not None:
                rule.times -= 1
            fault = rule.fault if rule is not None else None
            self.seen.append(Exchange(method, path, query, fault))
            return fault


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: FaultProxy


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # keep test output clean

    def _exchange(self) -> None:
        self.close_connection = True
        proxy = self.server.proxy
        body = self._read_body()
        path, _, query = self.path.partition("?")
        fault = proxy._choose(self.command, path, query)
        if isinstance(fault, Reply):
            self._reply(fault)
        elif isinstance(fault, Stall) and fault.after_lines is None:
            self._hang()
        else:
            self._relay(body, fault)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_COPY = do_OPTIONS = _exchange  # noqa: N815 - http.server names

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, fault: Reply) -> None:
        headers = {"Content-Type": "application/json", **fault.headers}
        self._head(fault.status, list(headers.items()) + [("Content-Length", str(len(fault.body)))])
        if self.command != "HEAD":
            self.wfile.write(fault.body)
        self.wfile.flush()

    def _hang(self) -> None:
        """Keep the connection open, silent, until the client closes it or the proxy shuts down."""
        self.connection.settimeout(0.2)
        while not self.server.proxy.closing.is_set():
            try:
                if not self.connection.recv(1024):
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    def _head(self, status: int, headers: List[Tuple[str, str]]) -> None:
        reason = http.server.BaseHTTPRequestHandler.responses.get(status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (status, reason)] + ["%s: %s" % header for header in headers]
        lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def _relay(self, body: bytes, fault: Optional[Fault]) -> None:
        upstream = http.client.HTTPConnection(*self.server.proxy.upstream, timeout=_UPSTREAM_TIMEOUT)
        try:
            headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            kept = [(name, value) for name, value in response.getheaders() if name.lower() not in _HOP_BY_HOP]
            if self.command == "HEAD" or response.status in (204, 304):
                self._head(response.status, kept + [("Content-Length", response.getheader("Content-Length") or "0")])
                return
            self._head(response.status, kept + [("Transfer-Encoding", "chunked")])
            self._stream(response, fault)
        except OSError:
            pass  # the client went away (or the proxy closed): nothing left to relay to
        finally:
            upstream.close()

    def _stream(self, response: http.client.HTTPResponse, fault: Optional[Fault]) -> None:
        budget = _Budget(fault)
        while True:
            data = response.read1(65536)
            if not data:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            cut = budget.take(data)
            if cut is not None:
                self._chunk(data[:cut])
                if isinstance(fault, Stall):
                    self._hang()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._chunk(data)

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()


class _Budget:
    """How much of a body may pass before a Cut or Stall applies."""

    def __init__(self, fault: Optional[Fault]) -> None:
        self.lines = getattr(fault, "after_lines", None)
        self.bytes = getattr(fault, "after_bytes", None)
        self._line_has_content = False

    def take(self, data: bytes) -> Optional[int]:
        """The offset in ``data`` where the body must stop, or ``None`` to let all of it pass."""
        if self.bytes is not None:
            if len(data) >= self.bytes:
                return self.bytes
            self.bytes -= len(data)
        if self.lines is None:
            return None
        if self.lines <= 0:
            return 0
        for offset, byte in enumerate(data):
            if byte == 0x0A:
                if self._line_has_content:
                    self.lines -= 1
                    if self.lines <= 0:
                        return offset + 1
                self._line_has_content = False
            elif byte not in (0x0D, 0x20):
                self._line_has_content = True
        return None
