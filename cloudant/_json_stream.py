"""The bodies of ``_changes`` and ``_db_updates`` feeds, decoded as they arrive.

:func:`results` yields the elements of a ``normal`` or ``longpoll`` body, ``{"results": [...], "last_seq": ...}``.
CouchDB sends one change per line (``{"results":[`` / ``{...},`` / ... / ``],`` / ``"last_seq":...}``): each
such line is decoded with one ``cloudant.codec.loads`` call. Any other layout (pouchdb-server sends the body on
one line) is read from that point on by :class:`ResultsReader`, which decodes the JSON incrementally, element by
element, whatever the line breaks. Either way memory stays flat for any number of changes.

:func:`line_batches` cuts the byte stream of a ``continuous`` feed into lines, :func:`split_lines` yields them
one by one, and :class:`BlankLines` counts the empty lines (heartbeats) of a text that arrives in pieces.
"""
from __future__ import annotations

import codecs
import json
import re
from itertools import chain
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from . import codec as _codec
from .error import CloudantFeedException

__all__ = ["results", "ResultsReader", "BlankLines", "line_batches", "split_lines"]


class BlankLines:
    """Counts the empty lines (heartbeats) of a text that arrives in pieces."""

    def __init__(self) -> None:
        self._line_blank = True  # the current line holds only whitespace so far

    def count(self, text: str) -> int:
        found = 0
        start = 0
        end = text.find("\n")
        while end >= 0:
            if self._line_blank and not text[start:end].strip():
                found += 1
            self._line_blank = True
            start = end + 1
            end = text.find("\n", start)
        self._line_blank = self._line_blank and not text[start:].strip()
        return found


def line_batches(chunks: Iterable[bytes]) -> Iterator[Tuple[List[bytes], bool]]:
    """Split a byte stream at ``\\n``, yielding ``(lines, True)`` for the lines each chunk completes (a
    ``\\r`` before the newline is kept), then ``([tail], False)`` for a last line without a newline.

    A line spread over many chunks is joined once, so a long line costs linear time.
    """
    pending: List[bytes] = []
    for chunk in chunks:
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if lines:
            if pending:
                pending.append(lines[0])
                lines[0] = b"".join(pending)
                pending = []
            yield lines, True
        if tail:
            pending.append(tail)
    if pending:
        yield [b"".join(pending)], False


def split_lines(chunks: Iterable[bytes]) -> Iterator[Tuple[bytes, bool]]:
    """Split a byte stream into lines (``\\r\\n`` or ``\\n``), yielding ``(line, ended_by_newline)``."""
    for lines, complete in line_batches(chunks):
        for line in lines:
            line = line.rstrip(b"\r")
            if complete or line:
                yield line, complete


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9.eE+-]*")
_NEED_MORE = -1


class ResultsReader:
    """Decodes ``{"results": [...], "last_seq": ..., ...}`` incrementally, returning each result as it completes.

    Members other than ``results`` are kept in :attr:`trailer`. A value cut by a
    chunk boundary waits for more text; to keep a huge value linear, decoding is
    retried only once the text held has doubled.

    :param str state: where the text fed begins: ``"open"`` (the default) for the whole body; ``"element"``
        (an element or ``]`` comes next), ``"next-element"`` (``,`` or ``]``), ``"key"`` (a member or ``}``)
        or ``"done"`` to take over from :func:`results` in the middle of a body, at the start of a line.
    """

    def __init__(self, state: str = "open") -> None:
        self._decode = json.JSONDecoder().raw_decode
        self._parts: List[str] = []
        self._size = 0
        self._retry_at = 0
        self._state = state  # where the text fed starts: "open" for a whole body, another step's name mid-way
        self._key: Optional[str] = None
        self.trailer: Dict[str, Any] = {}

    @property
    def done(self) -> bool:
        """True once the closing ``}`` of the body was read."""
        return self._state == "done"

    def feed(self, text: str, final: bool = False) -> List[Any]:
        """Take the next piece of the body; return the results it completed."""
        self._parts.append(text)
        self._size += len(text)
        if not final and self._size < self._retry_at:
            return []
        buffer = "".join(self._parts)
        position, items = self._advance(buffer, final)
        rest = buffer[position:]
        self._parts, self._size = [rest], len(rest)
        self._retry_at = 2 * len(rest)
        if final and self._state != "done":
            raise CloudantFeedException(103, (rest or "<end of body>")[:200])
        return items

    def _advance(self, buffer: str, final: bool) -> Tuple[int, List[Any]]:
        items: List[Any] = []
        position = 0
        while True:
            position = _WHITESPACE.match(buffer, position).end()  # type: ignore[union-attr]
            if position >= len(buffer):
                return position, items
            moved = self._STEPS[self._state](self, buffer, position, items, final)
            if moved == _NEED_MORE:
                return position, items
            position = moved

    # Each step reads from ``position`` (not whitespace) and returns where it stopped, or _NEED_MORE.
    def _open(self, buffer: str, position: int, items: List[Any], final: bool) -> int:
        self._state = "key"
        return _expect(buffer, position, "{")

    def _member(self, buffer: str, position: int, items: List[Any], final: bool) -> int:
        char = buffer[position]
        if char == "}":
            self._state = "done"
            return position + 1
        if char == "," and self._state == "next-key":
            self._state = "key"
            return position + 1
        decoded = self._value(buffer, position, final)
        if decoded is None:
            return _NEED_MORE
        self._key, self._state = decoded[0], "colon"
        return decoded[1]

    def _colon(self, buffer: str, position: int, items: List[Any], final: bool) -> int:
        self._state = "results" if self._key == "results" else "value"
        return _expect(buffer, position, ":")

    def _results(self, buffer: str, position: int, items: List[Any], final: bool) -> int:
        self._state = "element"
        return _expect(buffer, position, "[")

    def _trailer_value(self, buffer: str, position: int, items: List[Any], final: bool) -> int:
        decoded = self._value(buffer, position, final)
        if decoded is None or _may_go_on(decoded, buffer, final):
            return _NEED_MORE
        self.trailer[str(self._key)] = decoded[0]
        self._state = "next-key"
        return decoded[1]

    def _element(self, buffer: str, position: int, items: List[Any], final: bool) -> int:
        char = buffer[position]
        if char == "]":
            self._state = "next-key"
            return position + 1
        if char == "," and self._state == "next-element":
            self._state = "element"
            return position + 1
        decoded = self._value(buffer, position, final)
        if decoded is None or _may_go_on(decoded, buffer, final):
            return _NEED_MORE
        items.append(decoded[0])
        self._state = "next-element"
        return decoded[1]

    def _done(self, buffer: str, position: int, items: List[Any], final: bool) -> int:
        raise CloudantFeedException(103, buffer[position:position + 200])

    def _value(self, buffer: str, position: int, final: bool) -> Optional[Tuple[Any, int]]:
        """Decode one JSON value at ``position``; ``None`` when more text is needed."""
        try:
            return self._decode(buffer, position)
        except ValueError:
            if final:
                raise CloudantFeedException(103, buffer[position:position + 200]) from None
            return None

    _STEPS: Dict[str, Callable[[ResultsReader, str, int, List[Any], bool], int]] = {
        "open": _open, "key": _member, "next-key": _member, "colon": _colon, "results": _results,
        "value": _trailer_value, "element": _element, "next-element": _element, "done": _done,
    }


def _may_go_on(decoded: Tuple[Any, int], buffer: str, final: bool) -> bool:
    """True for a number at the end of the text held (``1``, ``1.``, ``1e-``): the next chunk may continue it."""
    value, end = decoded
    return not final and isinstance(value, (int, float)) and not isinstance(value, bool) \
        and _NUMBER_TAIL.fullmatch(buffer, end) is not None


def _expect(buffer: str, position: int, wanted: str) -> int:
    if buffer[position] != wanted:
        raise CloudantFeedException(103, buffer[position:position + 200])
    return position + 1


# -- CouchDB's layout, line by line ------------------------------------------------------------------------------
_OPENING = b'{"results":[\n'
#: A line longer than this is no one-change line of CouchDB's: the rest of the body goes to ResultsReader.
_LONG_LINE = 1 << 20
# Where the line-by-line reader is, and the ResultsReader state that takes over from there.
_IN_RESULTS, _AFTER_ELEMENT, _AFTER_RESULTS, _DONE = "element", "next-element", "key", "done"


def results(chunks: Iterable[bytes], heartbeats: bool, ended: Callable[[Dict[str, Any]], None]) -> Iterator[Any]:
    """Yield the elements of a ``normal``/``longpoll`` body's ``results`` as they arrive.

    :param chunks: the body's bytes.
    :param bool heartbeats: yield ``None`` for each empty line (a heartbeat) until the closing ``}``.
    :param ended: called with the body's other members (``last_seq``, ``pending``) once it ended.
    :raises CloudantFeedException: code 103 for a body that is not such an object, or ends early.
    """
    stream = iter(chunks)
    trailer: Dict[str, Any] = {}
    head = b""
    while len(head) < len(_OPENING):
        chunk = next(stream, None)
        if chunk is None:
            break
        head += chunk
    if not head.startswith(_OPENING):  # not CouchDB's layout (pouchdb-server's one line): incrementally
        yield from _incremental(ResultsReader(), head, stream, heartbeats, trailer, ended)
        return
    loads = _codec.loads  # the codec in use when the body starts
    state = _IN_RESULTS
    pending: List[bytes] = []
    size = 0
    data: Optional[bytes] = head[len(_OPENING):]
    while data is not None:
        lines = data.split(b"\n")
        tail = lines.pop()
        if lines and pending:
            pending.append(lines[0])
            lines[0] = b"".join(pending)
            pending, size = [], 0
        for index, line in enumerate(lines):
            if state is _IN_RESULTS and line:  # an element, its comma (",\r" or ",") ends the line but the last
                try:
                    if line[-1] == 13 and line[-2] == 44:
                        item = loads(line[:-2].decode())
                    elif line[-1] == 44:
                        item = loads(line[:-1].decode())
                    else:
                        item = loads(line.decode())
                        state = _AFTER_ELEMENT
                except (ValueError, IndexError):  # IndexError: a line of one "\r"
                    pass
                else:
                    yield item
                    continue
            move = _move(state, line, loads, trailer)
            if move is None:  # not CouchDB's layout from this line on
                rest = b"\n".join(lines[index:]) + b"\n" + tail
                yield from _incremental(ResultsReader(state), rest, stream, heartbeats, trailer, ended)
                return
            if move is _BLANK:
                if heartbeats and state is not _DONE:
                    yield None
            else:
                state = move
        if tail:
            pending.append(tail)
            size += len(tail)
            if size > _LONG_LINE:
                yield from _incremental(ResultsReader(state), b"".join(pending), stream, heartbeats, trailer,
                                        ended)
                return
        data = next(stream, None)
    yield from _incremental(ResultsReader(state), b"".join(pending), iter(()), heartbeats, trailer, ended)


_BLANK = "blank"


def _move(state: str, line: bytes, loads: Callable[[str], Any], trailer: Dict[str, Any]) -> Optional[str]:
    """A line other than an element: the state it leads to, ``_BLANK`` for an empty one, ``None`` when the
    line does not fit CouchDB's layout."""
    if not line.strip():
        return _BLANK
    line = line.rstrip(b"\r")
    if state is _IN_RESULTS or state is _AFTER_ELEMENT:
        return _AFTER_RESULTS if line == b"]," else None
    if state is _AFTER_RESULTS and line[:1] == b'"' and line[-1:] == b"}":
        try:
            members = loads("{" + line.decode())
        except ValueError:
            return None
        if not isinstance(members, dict) or "results" in members:
            return None
        trailer.update(members)
        return _DONE
    if state is _DONE:
        raise CloudantFeedException(103, line.decode("utf-8", errors="replace")[:200])
    return None


def _incremental(reader: ResultsReader, first: bytes, chunks: Iterator[bytes], heartbeats: bool,
                 trailer: Dict[str, Any], ended: Callable[[Dict[str, Any]], None]) -> Iterator[Any]:
    """Read the rest of the body with ``reader`` (``first``, then ``chunks``); call ``ended`` at its end."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    blank = BlankLines()
    for chunk in chain((first,), chunks):
        text = _decoded(decoder, chunk)
        beats = blank.count(text)
        if beats and heartbeats and not reader.done:
            yield from [None] * beats
        yield from reader.feed(text)
    yield from reader.feed(_decoded(decoder, b"", final=True), final=True)
    trailer.update(reader.trailer)
    ended(trailer)


def _decoded(decoder: codecs.IncrementalDecoder, data: bytes, final: bool = False) -> str:
    """The text of the next bytes; :class:`CloudantFeedException` (103) for bytes that are not UTF-8."""
    try:
        return decoder.decode(data, final)
    except UnicodeDecodeError as err:
        raise CloudantFeedException(103, repr(err.object[err.start:err.start + 200])) from None
