"""Feeds: ``_changes`` of a database and ``_db_updates`` of a server, read as they stream.

One reader serves every feed type:

- ``continuous`` bodies are read line by line; the server's closing
  ``{"last_seq": ...}`` line ends the feed.
- ``normal`` and ``longpoll`` bodies are one JSON object whose ``results``
  array is decoded element by element as it arrives (whatever the server's line
  layout: CouchDB puts one change per line, pouchdb-server all on one), so
  memory stays flat for any number of changes.

As in python-cloudant, the empty lines a waiting feed (``continuous`` or
``longpoll``) with a ``heartbeat`` receives are yielded as ``None`` until the
feed's ``last_seq`` arrives, and options are checked on the first ``next()``.

A line that is not JSON raises :class:`~cloudant.error.CloudantFeedException`
(code 103); it is never yielded as data. A body cut short raises
:class:`~cloudant.error.CloudantConnectionError`. :class:`InfiniteFeed` resumes
after the last change it *yielded*, whether the server ended the response or the
connection dropped, so no change is lost or delivered twice. Sequence values are
opaque: they are only ever sent back as they came.
"""
from __future__ import annotations

import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any, Dict, Iterator, Mapping, Optional, Tuple, Union

import requests
import urllib3

from . import codec as _codec
from ._endpoint import read_body
from ._feed_options import COUCHDB_FEED_VALUES, FEED_VALUES, FeedTarget, filter_body, source_kind, type_ok, wire
from ._json_stream import ResultsReader, line_batches, results, split_lines
from ._streaming import BodyStream, Opening
from ._params import INT, check_type
from ._types import JsonObject, JsonValue
from .checkpoint import CheckpointLike, FeedCheckpoint
from .error import (CloudantArgumentError, CloudantConnectionError, CloudantException, CloudantFeedException,
                    ServerError)

if TYPE_CHECKING:
    from .client import CouchDB
    from .database import CouchDatabase

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["Feed", "InfiniteFeed", "FeedTarget"]

_DEFAULT_CHUNK_SIZE = 64 * 1024
_TIMEOUT_MARGIN = 30.0  # seconds of slack on top of the server's heartbeat/timeout
_SERVER_DEFAULT_TIMEOUT_MS = 60000
_DROPS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError,
          CloudantConnectionError)
_FIRST_BACKOFF, _MAX_BACKOFF = 0.1, 30.0  # seconds an infinite feed waits after failed reconnections
#: Statuses a proxy or a restarting node answers with for a moment; an infinite feed waits and reconnects.
_TRANSIENT_STATUSES = frozenset({502, 503, 504})
_IDENTITY = {"Accept-Encoding": "identity"}


class Feed:
    """An iterator over a ``_changes`` or ``_db_updates`` feed.

    Nothing is sent, and nothing checked, until the first item is asked for;
    the iterator is single-use.

    :param source: a database (``_changes``) or a client (``_db_updates``): an
        object with a ``_feed_target()`` method returning a :class:`FeedTarget`.
    :param bool raw_data: yield each raw line (``bytes``, heartbeats included)
        instead of decoded changes.
    :param options: feed options: ``feed`` (``normal``, ``longpoll``,
        ``continuous``), ``since``, ``limit``, ``heartbeat``, ``timeout``,
        ``descending``, ``include_docs``, ``filter``, ``doc_ids``, ``selector``,
        ``style``, ``conflicts``... and ``chunk_size`` (bytes per read, default
        64 KiB). ``doc_ids`` and ``selector`` are sent in a ``POST`` body with
        the built-in filter they need. A CouchDB client's ``_db_updates``
        defaults to ``feed='longpoll'`` and ``heartbeat=True``.

    The first ``next()`` raises :class:`~cloudant.error.CloudantArgumentError`
    for an unknown option (116), a wrong type (117), a negative number (118), a
    bad ``feed`` (119) or ``style`` (120) value, with python-cloudant's texts.
    With a ``heartbeat``, a waiting feed yields ``None`` for each heartbeat.

    python-cloudant's attributes are kept: ``_url``, ``_r_session``,
    ``_options``, ``_chunk_size``, ``_raw_data``, ``_source`` (``'CouchDB'``,
    ``'Cloudant'`` or the database class name), ``_last_seq``, ``_stop``,
    ``_start()`` and ``_translate(options)``.

    A ``Feed`` built on a CouchDB client checks its options against
    python-cloudant's table for CouchDB's ``_db_updates`` (``feed``
    ``continuous``/``longpoll``, a boolean ``heartbeat``, ``timeout``);
    :meth:`cloudant.client.CouchDB.db_updates` and :class:`InfiniteFeed` accept
    everything CouchDB 2 and 3 take (``since``, ``limit``, ``descending``,
    ``feed='normal'``, a ``heartbeat`` in milliseconds).

    .. versionchanged:: 3.0
       ``normal`` feeds are decoded as JSON whatever their line layout; a
       malformed line raises instead of being yielded; ``stop()`` closes the
       response; the source kind is asked of the source rather than read from
       its class name.
    """

    #: Whether a CouchDB client's ``_db_updates`` takes the options CouchDB 2+ added to python-cloudant's table.
    _couchdb_extensions = False

    def __init__(self, source: Union[CouchDatabase, CouchDB], raw_data: bool = False, **options: Any) -> None:
        self._target: FeedTarget = source._feed_target()
        self._source_object = source
        #: python-cloudant's name for the kind of source: ``'CouchDB'`` or ``'Cloudant'`` for a client's
        #: ``_db_updates``, the database class name for ``_changes``.
        self._source = source_kind(source)
        self._r_session = getattr(source, "r_session", None)
        self._raw_data = raw_data
        self._endpoint = self._target.endpoint
        self._url = self._endpoint.url
        if "timeout" in options:  # a default heartbeat would override the caller's timeout
            options.update((key, value) for key, value in self._target.defaults.items() if key != "heartbeat"
                           and key not in options)
        else:
            options.update((key, value) for key, value in self._target.defaults.items() if key not in options)
        self._chunk_size = options.pop("chunk_size", _DEFAULT_CHUNK_SIZE)
        self._options: Dict[str, Any] = options
        self._params: Dict[str, Any] = {}
        self._body: JsonObject = {}
        self._method = "GET"
        self._stop_event = threading.Event()
        self._halted = False  # the event's flag, read on every next()
        self._stream: Optional[BodyStream] = None
        self._opening: Optional[Opening] = None
        self._items: Optional[Iterator[Any]] = None
        self._last_seq: JsonValue = None

    # -- iterator protocol ---------------------------------------------------------------------------------
    def __iter__(self) -> Feed:
        return self

    def __next__(self) -> Any:
        return self.next()

    def next(self) -> Any:
        """Return the next change (``None`` for a heartbeat, a ``bytes`` line with ``raw_data``)."""
        items = self._items
        if items is None:
            if self._halted:
                raise StopIteration
            self._start()
            items = self._items
        if self._halted:
            raise StopIteration
        try:
            return next(items)  # type: ignore[arg-type]
        except StopIteration:
            self._close()
            raise
        except Exception as err:
            if self._halted:  # stop() ended the response under the reader
                raise StopIteration from None
            self._close()
            if isinstance(err, _DROPS) and not isinstance(err, CloudantConnectionError):
                raise CloudantConnectionError(self._method, self._endpoint.url, err) from err
            raise

    def _start(self) -> None:
        """Check the options and begin reading: python-cloudant's moment for both (the first ``next()``).

        :raises CloudantArgumentError: for an unknown option, a wrong type or value (``chunk_size`` included).
        """
        params = self._translate(self._options)
        if self._chunk_size is None:
            self._chunk_size = _DEFAULT_CHUNK_SIZE
        check_type("chunk_size", self._chunk_size, INT)
        if self._chunk_size < 0:
            raise CloudantArgumentError(118, "chunk_size", self._chunk_size)
        self._chunk_size = self._chunk_size or _DEFAULT_CHUNK_SIZE
        self._body = filter_body(self._options, params)
        self._method = "POST" if self._body else "GET"
        self._params = params
        self._items = self._read(params)

    def stop(self) -> None:
        """End the iteration: the next ``next()`` raises ``StopIteration`` and the response is closed.

        It may be called from another thread, also while a ``next()`` waits for the server: it returns at
        once, and that ``next()`` raises ``StopIteration`` as soon as the connection is shut down.
        """
        self._halted = True
        self._stop_event.set()
        opening = self._opening
        if opening is not None:  # the request is waiting for the server's answer
            opening.abandon()
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()

    @property
    def _stop(self) -> bool:
        """python-cloudant's flag: True once :meth:`stop` was called."""
        return self._halted

    @_stop.setter
    def _stop(self, value: bool) -> None:
        if value:
            self.stop()
        else:
            self._halted = False
            self._stop_event.clear()

    @property
    def _stopped(self) -> bool:
        return self._halted

    @property
    def _resp(self) -> Optional[requests.Response]:
        """The streamed response being read, if any (python-cloudant's name)."""
        stream = self._stream
        return stream.response if stream is not None else None

    @property
    def last_seq(self) -> JsonValue:
        """The server's ``last_seq`` once the feed ended, else ``None``."""
        return self._last_seq

    def _translate(self, options: Mapping[str, Any]) -> Dict[str, Any]:
        """Check feed options and return them as query parameters, as python-cloudant did.

        Strings stay as they are, booleans become ``'true'``/``'false'``, lists
        and dicts JSON, integers stay integers; ``None`` is left out.

        :raises CloudantArgumentError: unknown (116), wrong type (117),
            negative (118), bad ``feed`` (119) or ``style`` (120) value.
        """
        arg_types = _legacy().feed_arg_types(self._source)
        translation: Dict[str, Any] = {}
        for key, val in options.items():
            self._validate(key, val, arg_types)
            if isinstance(val, str) or val is None:
                if val is not None:
                    translation[key] = val
                continue
            try:
                translation[key] = wire(val)
            except Exception as err:  # a value json cannot encode
                raise CloudantArgumentError(115, key, err) from None
        return translation

    def _validate(self, key: str, val: Any, arg_types: Mapping[Any, Any]) -> None:
        """Check one option: python-cloudant's table ``arg_types`` first, then what the server accepts besides.

        A value either table accepts passes; the messages name python-cloudant's types.
        """
        legacy = arg_types.get(key)
        extended = self._couchdb_extensions or self._source != "CouchDB"
        extra = self._target.arg_table.get(key) if extended else None
        if legacy is None and extra is None:
            if _legacy().ANY_ARG not in arg_types and not self._target.pass_through:
                raise CloudantArgumentError(116, key)
            return
        if legacy is _legacy().ANY_TYPE or val is None:
            return
        if not (type_ok(val, legacy) or type_ok(val, extra)):
            raise CloudantArgumentError(117, key, legacy if legacy is not None else extra)
        if isinstance(val, int) and not isinstance(val, bool) and val < 0:
            raise CloudantArgumentError(118, key, val)
        if key == "feed":
            valid = COUCHDB_FEED_VALUES if self._source == "CouchDB" else FEED_VALUES
            if val not in valid and not (extended and val in self._target.feed_types):
                raise CloudantArgumentError(119, val, valid)
        if key == "style" and val not in ("main_only", "all_docs"):
            raise CloudantArgumentError(120, val)

    @property
    def feed_type(self) -> str:
        """``normal``, ``longpoll`` or ``continuous``."""
        return str(self._options.get("feed") or "normal")

    def _heartbeats_wanted(self) -> bool:
        """python-cloudant's rule: an empty line is yielded as ``None`` while a waiting feed with a heartbeat
        has not seen its ``last_seq``."""
        return bool(self._options.get("heartbeat")) and self._options.get("feed") in ("continuous", "longpoll") \
            and not self._last_seq

    # -- reading -------------------------------------------------------------------------------------------
    def _open(self, params: Dict[str, Any]) -> Optional[BodyStream]:
        """Send the feed's request; ``None`` when :meth:`stop` came before the answer."""
        self._close()
        if params.get("feed", "normal") == "normal":  # as python-cloudant asked: the session's own timeout
            stream: Optional[BodyStream] = self._endpoint.stream(self._method, params=params,
                                                                 json_body=self._body or None)
        else:
            # A compressing server (pouchdb-server) buffers a gzip stream: lines and heartbeats would arrive
            # only when its buffer fills, so waiting feeds ask for the body as it is, and wait no longer
            # than the server's heartbeat or timeout allows. The answer may come only with the first
            # heartbeat (CouchDB's _db_updates): it is waited for here, where stop() can release the wait.
            headers, timeout = _IDENTITY, self._timeout(params)
            opening = self._opening = Opening(lambda: self._endpoint.stream(
                self._method, params=params, json_body=self._body or None, headers=headers, timeout=timeout))
            if self._halted:
                opening.abandon()
            try:
                stream = opening.result()
            finally:
                self._opening = None
        self._stream = stream
        if stream is not None and self._halted:  # stop() came while the request was on its way
            stream.abort()
        return stream

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

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
        stream = self._open(params)
        if stream is None:
            return iter(())
        chunks = stream.chunks(self._chunk_size)
        if self._raw_data:
            return (line for line, _complete in split_lines(chunks))
        if params.get("feed", "normal") == "continuous":
            return self._continuous(chunks)
        return results(chunks, self._heartbeats_wanted(), self._ended)

    def _continuous(self, chunks: Iterator[bytes]) -> Iterator[Optional[JsonObject]]:
        """The changes of a continuous body, one JSON object per line, until its ``last_seq`` line."""
        heartbeats = self._heartbeats_wanted()
        loads = _codec.loads  # the codec in use when the response starts
        for lines, complete in line_batches(chunks):
            for line in lines:
                if line:
                    try:
                        item = loads(line.decode())
                    except ValueError:
                        self._check_blank(line, complete)  # whitespace only: a heartbeat
                        if heartbeats:
                            yield None
                        continue
                    if not isinstance(item, dict):
                        raise CloudantFeedException(103, line[:200])
                    if "last_seq" in item and "seq" not in item:
                        self._last_seq = item["last_seq"]
                        return
                    yield item
                elif heartbeats:
                    yield None

    def _check_blank(self, line: bytes, complete: bool) -> None:
        """Pass a line that is not JSON when it is blank (a heartbeat), else raise the error it means.

        :raises CloudantConnectionError: for a last line the body ended in the middle of.
        :raises CloudantFeedException: code 103 for any other line.
        """
        if not line.strip():
            return
        if not complete:  # the body stopped in the middle of a line: the connection dropped
            raise CloudantConnectionError(self._method, self._endpoint.url,
                                          "the response ended in the middle of a line")
        raise CloudantFeedException(103, line[:200])

    def _ended(self, trailer: Dict[str, Any]) -> None:
        """A normal or longpoll body ended with these members besides ``results``."""
        self._last_seq = trailer.get("last_seq")


def _backoff(failed_reconnections: int) -> float:
    """Seconds to wait after this many failed reconnections in a row: 0.1, doubling, at most 30."""
    return float(min(_MAX_BACKOFF, _FIRST_BACKOFF * 2 ** min(failed_reconnections - 1, 16)))


def _legacy() -> ModuleType:
    """python-cloudant's helper module, with its option tables (imported late: it imports the client module)."""
    from . import _common_util
    return _common_util


class InfiniteFeed(Feed):
    """A continuous feed that never ends by itself: it reconnects whenever the response ends or drops.

    It resumes from the sequence of the last change it yielded (or the server's
    ``last_seq``), so every change is delivered exactly once. ``since="now"`` is
    resolved to a real sequence before following, so changes made while it
    reconnects are not missed. After a dropped connection, a response cut in the
    middle of a line, or a 502/503/504 answer it reconnects at once; only when
    reconnecting fails too does it wait before each further try (0.1 s, doubling
    up to 30 s). Iteration stops only with :meth:`stop`, another HTTP error, a
    malformed line, or after ``max_reconnects`` consecutive failed reconnections
    (:class:`~cloudant.error.CloudantFeedException`, code 102).

    As in python-cloudant, :attr:`~Feed.last_seq` is the ``last_seq`` of the response that ended last (``None``
    while a response is being read, so after :meth:`stop` too), and ``_start()`` is called again before
    each reconnection.

    :param source: a database or a client.
    :param int max_reconnects: consecutive failures tolerated before giving up. Default 10.
    :param checkpoint: a durable checkpoint: a file path or a store of :mod:`cloudant.checkpoint`
        (e.g. :class:`~cloudant.checkpoint.LocalDocumentCheckpoint`). Without ``since`` the feed starts
        after the stored sequence; the sequence of each change is stored once the caller has taken it
        (at the next ``next()``, or on :meth:`stop`): at least once, with no gap.
    :param options: as for :class:`Feed`; ``feed`` may only be ``continuous``.
    :raises CloudantArgumentError: 117 or 142 for a bad ``max_reconnects``; on the first
        ``next()``, as python-cloudant did, code 121 for a ``feed`` other than ``continuous``
        and the codes of :class:`Feed` for the other options.

    .. versionchanged:: 3.0
       Resumes after dropped connections too, and works for CouchDB's ``_db_updates``; reconnects at once
       after a cut, waiting only between failed reconnections.
    """

    _couchdb_extensions = True

    def __init__(self, source: Union[CouchDatabase, CouchDB], max_reconnects: int = 10, *,
                 checkpoint: Optional[CheckpointLike] = None, **options: Any) -> None:
        check_type("max_reconnects", max_reconnects, INT)
        if max_reconnects < 0:
            raise CloudantArgumentError(142, "max_reconnects", max_reconnects)
        self._max_reconnects = max_reconnects
        options.setdefault("feed", "continuous")
        super().__init__(source, False, **options)
        self._resume_seq: JsonValue = self._options.get("since")
        self._checkpoint: Optional[FeedCheckpoint] = None
        if checkpoint is not None:
            self._checkpoint = FeedCheckpoint(checkpoint, self._resume_seq)

    def next(self) -> Any:
        """Return the next change; with a checkpoint, first store the sequence of the change taken last."""
        if self._checkpoint is not None and self._items is not None:
            self._checkpoint.record(self._resume_seq)
        return super().next()

    def stop(self, checkpoint: bool = True) -> None:
        """End the iteration (see :meth:`Feed.stop`); with a checkpoint, first store the sequence of the change
        delivered last, unless ``checkpoint=False`` (that change is then delivered again after a restart)."""
        if checkpoint and self._checkpoint is not None:
            self._checkpoint.record(self._resume_seq)
        super().stop()

    def _validate(self, key: str, val: Any, arg_types: Mapping[Any, Any]) -> None:
        if key == "feed" and val != "continuous":
            raise CloudantArgumentError(121, val)
        super()._validate(key, val, arg_types)

    def _start(self) -> None:
        """python-cloudant's hook, called on the first ``next()`` (options are checked then) and again before
        each reconnection, so a wrapper of ``_start`` counts the connections."""
        if self._items is None:
            super()._start()

    def _read(self, params: Dict[str, Any]) -> Iterator[Any]:
        if self._checkpoint is not None:
            stored = self._checkpoint.start_seq()
            if stored is not None:
                self._resume_seq = stored
        return self._follow()

    def _follow(self) -> Iterator[Optional[JsonObject]]:
        failures, connections = 0, 0
        while not self._stopped:
            try:
                if connections:
                    self._start()
                connections += 1
                delivered = False
                for item in self._one_response():
                    delivered, failures = True, 0
                    yield item
                if self._stopped:
                    return
                if delivered or self._last_seq is not None:
                    failures = 0
                    continue
                error: Exception = CloudantConnectionError(self._method, self._endpoint.url, "an empty response")
            except _DROPS + (ServerError,) as err:
                if self._stopped:
                    return
                if isinstance(err, ServerError) and err.status_code not in _TRANSIENT_STATUSES:
                    raise
                error = err if isinstance(err, CloudantException) else CloudantConnectionError(
                    self._method, self._endpoint.url, err)
            failures += 1
            if failures > self._max_reconnects:
                raise CloudantFeedException(102, failures, error) from error
            if failures > 1:  # reconnecting failed too: wait before the next try, longer each time
                self._stop_event.wait(_backoff(failures - 1))

    def _one_response(self) -> Iterator[Optional[JsonObject]]:
        """Follow one response from the resume point, moving the resume point along."""
        if self._resume_seq == "now":
            self._resume_seq = self._current_seq()
        params = dict(self._params)
        if self._resume_seq is not None:
            params["since"] = self._resume_seq
        self._last_seq = None  # this response's, not an earlier one's
        for item in super()._read(params):
            if item is not None and item.get("seq") is not None:  # with seq_interval most seqs are null
                self._resume_seq = item["seq"]
            yield item
        if self._last_seq is not None:
            self._resume_seq = self._last_seq

    def _current_seq(self) -> JsonValue:
        """The source's current sequence (``since=now&limit=0``), so "now" means the moment the feed starts."""
        params = {"feed": "normal", "since": "now", "limit": 0}
        response = self._endpoint.request("GET", params=params)
        reader = ResultsReader()
        reader.feed(read_body(response).decode("utf-8", errors="replace"), final=True)
        return reader.trailer.get("last_seq", "now")
