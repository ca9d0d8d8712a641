"""A response body read as it arrives: the wire layer's streaming half (see ``Endpoint.stream``).

A :class:`BodyStream` hands out the body chunk by chunk, turns a connection that breaks mid-body into
:class:`~cloudant.error.CloudantConnectionError` (:class:`~cloudant.error.CloudantTimeout` for a read timeout)
and always gives the connection back: when the body ends, when reading fails, on :meth:`~BodyStream.close` or
at the end of a ``with`` block. :meth:`~BodyStream.abort` ends a read blocked in another thread at once.

Some servers send no status line until they have something to say (CouchDB's ``_db_updates`` waits for the
first update or heartbeat): :class:`Opening` sends such a request from a helper thread, so that the thread
waiting for the answer can be released at once (:meth:`~Opening.abandon`).
"""
from __future__ import annotations

import contextvars
import socket
import threading
from typing import Any, Callable, Iterable, Iterator, Optional

import requests
import urllib3

from .error import CloudantConnectionError, CloudantTimeout

__all__ = ["BodyStream", "Opening"]

#: What a body cut short raises while it is read, through requests or straight from urllib3.
_CUTS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
         urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError)


class BodyStream:
    """The body of a streamed response.

    :param response: the response, sent with ``stream=True``.
    :param str method: the request's method (for error messages).
    :param str url: the request's URL (for error messages; credentials are never shown).
    """

    __slots__ = ("response", "method", "url", "_lock", "_closed")

    def __init__(self, response: requests.Response, method: str, url: str) -> None:
        self.response = response
        self.method = method
        self.url = url
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> BodyStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks()

    @property
    def closed(self) -> bool:
        """True once the connection was given back (or dropped)."""
        return self._closed

    def chunks(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The body's bytes as they arrive, read ``chunk_size`` bytes at a time; closes however reading ends.

        :raises CloudantConnectionError: when the connection breaks before the body ends.
        :raises CloudantTimeout: when the server sends nothing for longer than the read timeout.
        """
        try:
            yield from _content(self.response, chunk_size)
        except CloudantConnectionError:
            raise
        except _CUTS as err:
            if _is_read_timeout(err):
                raise CloudantTimeout(self.method, self.url, err) from None
            raise CloudantConnectionError(self.method, self.url, err) from None
        finally:
            self.close()

    def close(self) -> None:
        """Give the connection back: to the pool when the body was read to its end, else closed."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.response.close()

    def abort(self) -> None:
        """End the body now, also while another thread waits for its bytes: that read sees the end at once.

        The connection's socket is shut down, then the response closed. Unlike :meth:`close`, it never waits
        for a read in progress to finish.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            _shutdown(self.response)
        try:
            self.response.close()
        except Exception:  # noqa: BLE001 - the reader may be closing it at the same moment; it is closed either way
            pass


class Opening:
    """A streamed request on its way, sent from a helper thread: :meth:`result` waits for the answer,
    :meth:`abandon` (from any thread) releases that wait at once and aborts the answer whenever it comes.

    :param send: sends the request and returns its :class:`BodyStream` (``Endpoint.stream``).
    """

    __slots__ = ("_send", "_lock", "_done", "_stream", "_error", "_abandoned")

    def __init__(self, send: Callable[[], BodyStream]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._stream: Optional[BodyStream] = None
        self._error: Optional[BaseException] = None
        self._abandoned = False
        context = contextvars.copy_context()  # the caller's context (tracing, say) goes along with the request
        threading.Thread(target=context.run, args=(self._run,), name="cloudant-stream-opening", daemon=True).start()

    def _run(self) -> None:
        try:
            stream = self._send()
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread, raised there
            self._error = err
        else:
            with self._lock:
                self._stream = stream
                abandoned = self._abandoned
            if abandoned:
                stream.abort()
        finally:
            self._send = _sent  # drop the references the request held
            self._done.set()

    def result(self) -> Optional[BodyStream]:
        """Wait for the answer: its stream, or ``None`` once abandoned.

        :raises Exception: what sending the request raised (an HTTP error, a connection error...).
        """
        self._done.wait()
        with self._lock:
            if self._abandoned:
                return None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._stream

    def abandon(self) -> None:
        """Give up on the answer: :meth:`result` returns ``None`` now, the answer is aborted when it comes."""
        with self._lock:
            self._abandoned = True
            stream = self._stream
        if stream is not None:
            stream.abort()
        self._done.set()


def _sent() -> BodyStream:
    raise RuntimeError("the request was sent already")


def _content(response: Any, chunk_size: int) -> Iterable[bytes]:
    """The body's chunks; for a stand-in response (a test's mock), what it was given to answer."""
    if issubclass(type(response), requests.Response):  # cloudant._endpoint.is_real_response
        return response.iter_content(chunk_size)  # type: ignore[no-any-return]
    content = response.iter_content(chunk_size)
    if _configured(content):
        return (piece.encode("utf-8") if isinstance(piece, str) else piece for piece in content)
    lines = response.iter_lines(chunk_size)  # python-cloudant read its feeds with iter_lines()
    if _configured(lines):
        return ((piece.encode("utf-8") if isinstance(piece, str) else piece) + b"\n" for piece in lines)
    return ()


def _configured(value: Any) -> bool:
    """True for a real iterable; False for what an unconfigured mock method returns (another mock)."""
    return isinstance(value, Iterable) and not type(value).__module__.startswith("unittest.mock")


def _is_read_timeout(err: BaseException) -> bool:
    """True when ``err`` is, or wraps, a read timeout (requests wraps urllib3's in a ``ConnectionError``)."""
    if isinstance(err, (requests.Timeout, urllib3.exceptions.ReadTimeoutError)):
        return True
    wrapped = err.args[0] if err.args else None
    return isinstance(wrapped, urllib3.exceptions.ReadTimeoutError)


def _shutdown(response: Any) -> None:
    """Shut down the socket under ``response`` while its body is still being read (urllib3 1.26 and 2.x).

    Once urllib3 has given the connection back to its pool (``raw.connection`` is ``None``), or the body was
    read to its end, nothing is done: the socket may already serve another request.
    """
    raw = getattr(response, "raw", None)
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # no connection object: the socket under http.client's response, if it is still open
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if not isinstance(sock, socket.socket):
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed or shut down by the peer
        pass
