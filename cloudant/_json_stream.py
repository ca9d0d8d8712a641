"""An incremental reader of the JSON bodies of ``normal`` and ``longpoll`` feeds, and the line splitting of
``continuous`` ones.

:class:`ResultsReader` decodes ``{"results": [...], "last_seq": ..., ...}`` as it arrives, returning each
element of ``results`` once it is complete, whatever the server's line layout: memory stays flat for any
number of changes. :func:`split_lines` cuts a byte stream into lines, :class:`BlankLines` counts the empty
lines (heartbeats) of a text that arrives in pieces.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from .error import CloudantFeedException

__all__ = ["ResultsReader", "BlankLines", "split_lines"]


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


def split_lines(chunks: Iterator[bytes]) -> Iterator[Tuple[bytes, bool]]:
    """Split a byte stream into lines (``\\r\\n`` or ``\\n``), yielding ``(line, ended_by_newline)``.

    A line spread over many chunks is joined once, so a long line costs linear time.
    """
    pending: List[bytes] = []
    for chunk in chunks:
        start = 0
        end = chunk.find(b"\n")
        while end >= 0:
            piece = chunk[start:end]
            if pending:
                pending.append(piece)
                piece, pending = b"".join(pending), []
            yield piece.rstrip(b"\r"), True
            start = end + 1
            end = chunk.find(b"\n", start)
        if start < len(chunk):
            pending.append(chunk[start:])
    tail = b"".join(pending).rstrip(b"\r")
    if tail:
        yield tail, False


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NEED_MORE = -1


class ResultsReader:
    """Decodes ``{"results": [...], "last_seq": ..., ...}`` incrementally, returning each result as it completes.

    Members other than ``results`` are kept in :attr:`trailer`. A value cut by a
    chunk boundary waits for more text; to keep a huge value linear, decoding is
    retried only once the text held has doubled.
    """

    def __init__(self) -> None:
        self._decode = json.JSONDecoder().raw_decode
        self._parts: List[str] = []
        self._size = 0
        self._retry_at = 0
        self._state = "open"
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
        if decoded is None or (decoded[1] >= len(buffer) and not final):
            return _NEED_MORE  # a number at the end of the text may go on in the next chunk
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
        if decoded is None:
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


def _expect(buffer: str, position: int, wanted: str) -> int:
    if buffer[position] != wanted:
        raise CloudantFeedException(103, buffer[position:position + 200])
    return position + 1
