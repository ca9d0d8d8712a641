"""Feeds: ``_changes`` of a database and ``_db_updates`` of a server, read as they stream.

One reader serves every feed type:

- ``continuous`` bodies are read line by line; empty heartbeat lines are
  skipped and the server's closing ``{"last_seq": ...}`` line ends the feed.
- ``normal`` and ``longpoll`` bodies are one JSON object whose ``results``
  array is decoded element by element as it arrives (whatever the server's line
  layout), so memory stays flat for any number of changes.

A line that is not JSON raises :class:`~cloudant.error.CloudantFeedException`;
it is never yielded as data. :class:`InfiniteFeed` resumes after the last change
it *yielded*, whether the server ended the response or the connection dropped,
so no change is lost or delivered twice. Sequence values are opaque.
"""
from __future__ import annotations

import codecs
import json
import re
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import requests
import urllib3

from ._params import FEED_TYPES, feed_params
from .error import CloudantArgumentError, CloudantConnectionError, CloudantFeedException

__all__ = ["Feed", "InfiniteFeed"]

_DEFAULT_CHUNK_SIZE = 64 * 1024
_TIMEOUT_MARGIN = 30.0  # seconds of slack on top of the server's heartbeat/timeout
_SERVER_DEFAULT_TIMEOUT_MS = 60000
_DROPS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError,
          CloudantConnectionError)


class Feed:
    """An iterator over a ``_changes`` or ``_db_updates`` feed.

    Nothing is sent until the first item is asked for.

    :param source: a database (``_changes``) or a client (``_db_updates``).
    :param bool raw_data: yield each raw line (``bytes``) instead of decoded changes.
    :param options: feed options: ``feed`` (``normal``, ``longpoll``,
        ``continuous``), ``since``, ``limit``, ``heartbeat``, ``timeout``,
        ``descending``, ``include_docs``, ``filter``, ``doc_ids``, ``selector``,
        ``style``, ``conflicts``... and ``chunk_size`` (bytes per read).
    :raises CloudantArgumentError: for an unknown option, a wrong type or value.

    .. versionchanged:: 3.0
       ``normal`` feeds are decoded as JSON whatever their line layout; a
       malformed line raises instead of being yielded; ``stop()`` closes the
       response; heartbeats are skipped rather than yielded as ``None``.
    """

    def __init__(self, source: Any, raw_data: bool = False, **options: Any) -> None:
        self._source = source
        self._raw_data = raw_data
        self._chunk_size = int(options.pop("chunk_size", None) or _DEFAULT_CHUNK_SIZE)
        target = source._feed_target()
        self._endpoint = target.endpoint
        self._options = {**target.defaults, **options}
        self._params = feed_params(self._options, target.arg_table, target.pass_through,
                                   target.feed_types)
        self._body = _filter_body(self._options, self._params)
        self._stopped = False
        self._response: Optional[requests.Response] = None
        self._items: Optional[Iterator[Any]] = None
        self._last_seq: Any = None

    # -- iterator protocol ---------------------------------------------------------------------------------
    def __iter__(self) -> "Feed":
        return self

    def __next__(self) -> Any:
        if self._stopped:
            raise StopIteration
        if self._items is None:
            self._items = self._read(self._params)
        try:
            return next(self._items)
        except StopIteration:
            self._close()
            raise
        except _DROPS + (ValueError, AttributeError) as err:
            if self._stopped:
                raise StopIteration from None
            if isinstance(err, _DROPS) and not isinstance(err, CloudantConnectionError):
                raise CloudantConnectionError("GET", self._endpoint.url, err) from None
            raise

    next = __next__

    def stop(self) -> None:
        """End the iteration: the next ``next()`` raises ``StopIteration`` and the response is closed."""
        self._stopped = True
        self._close()

    @property
    def last_seq(self) -> Any:
        """The server's ``last_seq`` once the feed ended, else ``None``."""
        return self._last_seq

    @property
    def feed_type(self) -> str:
        """``normal``, ``longpoll`` or ``continuous``."""
        return self._options.get("feed") or "normal"

    # -- reading -------------------------------------------------------------------------------------------
    def _open(self, params: Dict[str, Any]) -> requests.Response:
        self._close()
        method = "POST" if self._body else "GET"
        response = self._endpoint.request(method, params=params, json_body=self._body or None, stream=True,
                                          timeout=self._timeout(params))
        self._response = response
        return response

    def _close(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            response.close()

    def _timeout(self, params: Dict[str, Any]) -> Tuple[Any, Optional[float]]:
        """A read timeout the server's heartbeat or timeout always beats."""
        session_timeout = getattr(self._endpoint.client.r_session, "_timeout", None)
        connect = session_timeout[0] if isinstance(session_timeout, tuple) else session_timeout
        if params.get("feed", "normal") == "normal":
            read = session_timeout[1] if isinstance(session_timeout, tuple) else session_timeout
            return connect, read
        heartbeat = params.get("heartbeat")
        if heartbeat in (None, "false"):
            wait_ms = int(params.get("timeout") or _SERVER_DEFAULT_TIMEOUT_MS)
        else:
            wait_ms = _SERVER_DEFAULT_TIMEOUT_MS if heartbeat == "true" else int(heartbeat)
        return connect, wait_ms / 1000.0 + _TIMEOUT_MARGIN

    def _read(self, params: Dict[str, Any]) -> Iterator[Any]:
        response = self._open(params)
        chunks = response.iter_content(self._chunk_size)
        if self._raw_data:
            return _split_lines(chunks, keep_empty=True)
        if params.get("feed", "normal") == "continuous":
            return self._continuous(chunks)
        return self._whole(chunks)

    def _continuous(self, chunks: Iterator[bytes]) -> Iterator[Dict[str, Any]]:
        for line in _split_lines(chunks, keep_empty=False):
            try:
                item = json.loads(line)
            except ValueError:
                raise CloudantFeedException(103, line[:200]) from None
            if "last_seq" in item and "seq" not in item:
                self._last_seq = item["last_seq"]
                return
            yield item

    def _whole(self, chunks: Iterator[bytes]) -> Iterator[Dict[str, Any]]:
        reader = _ResultsReader()
        decoder = codecs.getincrementaldecoder("utf-8")()
        for chunk in chunks:
            yield from reader.feed(decoder.decode(chunk))
        yield from reader.feed(decoder.decode(b"", final=True), final=True)
        self._last_seq = reader.trailer.get("last_seq")


def _filter_body(options: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    """Move ``doc_ids``/``selector`` into a POST body and name the built-in filter they need."""
    body: Dict[str, Any] = {}
    for name, builtin in (("doc_ids", "_doc_ids"), ("selector", "_selector")):
        if options.get(name) is not None and name in params:
            body[name] = options[name] if name == "selector" else list(options[name])
            del params[name]
            params.setdefault("filter", builtin)
    return body


def _split_lines(chunks: Iterator[bytes], keep_empty: bool) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        if pending:
            chunk = pending + chunk
        lines = chunk.split(b"\n")
        pending = lines.pop()
        for line in lines:
            line = line.rstrip(b"\r")
            if line or keep_empty:
                yield line
    pending = pending.rstrip(b"\r")
    if pending:
        yield pending


_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _ResultsReader:
    """Decodes ``{"results": [...], "last_seq": ...}`` incrementally, yielding each result."""

    def __init__(self) -> None:
        self._decoder = json.JSONDecoder()
        self._buffer = ""
        self._state = "open"
        self._key: Optional[str] = None
        self.trailer: Dict[str, Any] = {}

    def feed(self, text: str, final: bool = False) -> List[Any]:
        buffer = self._buffer + text
        position, items = self._advance(buffer, final)
        self._buffer = buffer[position:]
        if final and (self._state != "done" or self._buffer.strip()):
            raise CloudantFeedException(103, (self._buffer or "<end of body>")[:200])
        return items

    def _advance(self, buffer: str, final: bool) -> Tuple[int, List[Any]]:
        items: List[Any] = []
        position = 0
        decode = self._decoder.raw_decode
        while True:
            position = _WHITESPACE.match(buffer, position).end()  # type: ignore[union-attr]
            if position >= len(buffer):
                return position, items
            char = buffer[position]
            state = self._state
            if state == "open":
                self._expect(char, "{", buffer, position)
                self._state, position = "key", position + 1
            elif state in ("key", "next-key"):
                if char == "}":
                    self._state, position = "done", position + 1
                elif state == "next-key" and char == ",":
                    self._state, position = "key", position + 1
                else:
                    try:
                        self._key, end = decode(buffer, position)
                    except ValueError:
                        return self._need_more(position, items, buffer, final)
                    self._state, position = "colon", end
            elif state == "colon":
                self._expect(char, ":", buffer, position)
                self._state, position = "value", position + 1
            elif state == "value" and self._key == "results":
                self._expect(char, "[", buffer, position)
                self._state, position = "element", position + 1
            elif state == "value":
                try:
                    value, end = decode(buffer, position)
                except ValueError:
                    return self._need_more(position, items, buffer, final)
                if end >= len(buffer) and not final:  # a number may continue in the next chunk
                    return position, items
                self.trailer[self._key or ""] = value
                self._state, position = "next-key", end
            elif state in ("element", "next-element"):
                if char == "]":
                    self._state, position = "next-key", position + 1
                elif state == "next-element" and char == ",":
                    self._state, position = "element", position + 1
                else:
                    try:
                        value, end = decode(buffer, position)
                    except ValueError:
                        return self._need_more(position, items, buffer, final)
                    items.append(value)
                    self._state, position = "next-element", end
            else:  # done: only whitespace may follow
                raise CloudantFeedException(103, buffer[position:position + 200])

    @staticmethod
    def _expect(char: str, wanted: str, buffer: str, position: int) -> None:
        if char != wanted:
            raise CloudantFeedException(103, buffer[position:position + 200])

    @staticmethod
    def _need_more(position: int, items: List[Any], buffer: str, final: bool) -> Tuple[int, List[Any]]:
        if final:
            raise CloudantFeedException(103, buffer[position:position + 200])
        return position, items


class InfiniteFeed(Feed):
    """A continuous feed that never ends by itself: it reconnects whenever the response ends or drops.

    It resumes from the sequence of the last change it yielded (or the server's
    ``last_seq``), so every change is delivered exactly once. ``since="now"`` is
    resolved to a real sequence before following, so changes made while it
    reconnects are not missed. Iteration stops only with :meth:`stop`, an HTTP
    error, or after ``max_reconnects`` consecutive failed reconnections.

    :param source: a database or a client.
    :param int max_reconnects: consecutive failures tolerated before giving up. Default 10.
    :param options: as for :class:`Feed`; ``feed`` may only be ``continuous``.

    .. versionchanged:: 3.0
       Resumes after dropped connections too, and works for CouchDB's ``_db_updates``.
    """

    def __init__(self, source: Any, max_reconnects: int = 10, **options: Any) -> None:
        feed = options.setdefault("feed", "continuous")
        if feed != "continuous":
            raise CloudantArgumentError(121, feed)
        self._max_reconnects = max_reconnects
        super().__init__(source, raw_data=False, **options)
        self._resume_seq: Any = self._params.get("since")

    @property
    def last_seq(self) -> Any:
        """The sequence the feed would resume from: the last one seen."""
        return self._resume_seq

    def _read(self, params: Dict[str, Any]) -> Iterator[Any]:
        return self._follow()

    def _follow(self) -> Iterator[Dict[str, Any]]:
        if self._resume_seq == "now":
            self._resume_seq = self._current_seq()
        failures = 0
        while not self._stopped:
            params = dict(self._params)
            if self._resume_seq is not None:
                params["since"] = self._resume_seq
            try:
                for item in super()._read(params):
                    failures = 0
                    if "seq" in item:
                        self._resume_seq = item["seq"]
                    yield item
                if self._last_seq is not None:
                    self._resume_seq = self._last_seq
                failures = 0
            except _DROPS as err:
                if self._stopped:
                    return
                failures += 1
                if failures > self._max_reconnects:
                    raise CloudantFeedException(102, failures, err) from None
                time.sleep(min(30.0, 0.1 * 2 ** (failures - 1)))

    def _current_seq(self) -> Any:
        params = {"feed": "normal", "since": "now", "limit": 0}
        response = self._endpoint.request("GET", params=params)
        reader = _ResultsReader()
        reader.feed(response.content.decode("utf-8"), final=True)
        return reader.trailer.get("last_seq", "now")


class FeedTarget:
    """What a feed source tells :class:`Feed`: where to read and which options it takes."""

    __slots__ = ("endpoint", "arg_table", "pass_through", "defaults", "feed_types")

    def __init__(self, endpoint: Any, arg_table: Dict[str, Any], pass_through: bool = False,
                 defaults: Optional[Dict[str, Any]] = None, feed_types: Tuple[str, ...] = FEED_TYPES) -> None:
        self.endpoint = endpoint
        self.arg_table = arg_table
        self.pass_through = pass_through
        self.defaults = defaults or {}
        self.feed_types = feed_types
