"""The JSON codec: how every response body, feed line and row is decoded, and how JSON bodies are encoded.

One codec serves every path of the library: documents, results and paging,
views, queries, changes feeds and the server endpoints. The default is the
standard library's :mod:`json`. When `orjson <https://pypi.org/project/orjson/>`_
is installed (``pip install cloudant[speedups]``), decoding goes through it;
text that orjson would read differently or refuses (integers beyond 64 bits,
which it turns into floats; lone surrogates) is decoded by :mod:`json`, so
the decoded values are the same with and without it. Encoding stays with :mod:`json` and the client's
``encoder`` class, whose output CouchDB and user code rely on (``NaN`` is
refused by the server, not silently turned into ``null``).

A caller's own :class:`json.JSONDecoder` subclass (``Document(decoder=...)``,
``fetch`` with a decoder) always decodes with :mod:`json` and that class.

Choose a codec for the whole process::

    from cloudant import codec

    codec.set_codec(codec.StandardCodec())   # the standard library, even where orjson is installed
    codec.set_codec(MyCodec())               # anything with loads(bytes | str) and dumps(value) -> bytes

The environment variable ``CLOUDANT_JSON_CODEC=json`` makes the standard library
the default without code changes.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Optional, Protocol, Union, runtime_checkable

__all__ = ["Codec", "StandardCodec", "OrjsonCodec", "get_codec", "set_codec", "loads", "dumps"]

Text = Union[bytes, bytearray, memoryview, str]

#: Every digit becomes ``0`` and every other byte a space, so that a run of digits is a run of ``0``.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 19


@runtime_checkable
class Codec(Protocol):
    """What a codec provides: ``loads`` for bodies and lines, ``dumps`` for request bodies."""

    #: A short name, e.g. ``"json"`` or ``"orjson"``.
    name: str

    def loads(self, data: Text) -> Any:
        """Decode one JSON text; raise :class:`ValueError` (e.g. :class:`json.JSONDecodeError`) when it is not."""

    def dumps(self, value: Any) -> bytes:
        """Encode one value as UTF-8 JSON."""


class StandardCodec:
    """The standard library's :mod:`json`: the default, and the reference every other codec must match."""

    name = "json"

    def loads(self, data: Text) -> Any:
        if isinstance(data, memoryview):
            data = bytes(data)
        return json.loads(data)

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value).encode("utf-8")

    def __repr__(self) -> str:
        return "StandardCodec()"


class OrjsonCodec:
    """Decoding with orjson, and with :mod:`json` where orjson would differ; encoding with :mod:`json`.

    :raises ImportError: when orjson is not installed.
    """

    name = "orjson"

    def __init__(self) -> None:
        import orjson  # noqa: PLC0415 - the optional dependency, only when this codec is chosen

        self._loads = orjson.loads
        self._error = orjson.JSONDecodeError

    def loads(self, data: Text) -> Any:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
        # orjson reads an integer beyond 64 bits as a float, silently: text with 19 digits in a row or more
        # (in a string or not) is decoded by json, which keeps every digit.
        if _LONG_DIGIT_RUN not in raw.translate(_DIGITS_ONLY):
            try:
                return self._loads(raw)
            except self._error:
                pass  # lone surrogates are valid for json; anything else raises json's own error below
        return json.loads(data if isinstance(data, str) else raw)

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value).encode("utf-8")

    def __repr__(self) -> str:
        return "OrjsonCodec()"


def _default_codec() -> Codec:
    if os.environ.get("CLOUDANT_JSON_CODEC", "").strip().lower() not in ("json", "stdlib", "standard"):
        try:
            return OrjsonCodec()
        except ImportError:
            pass
    return StandardCodec()


_codec: Codec = _default_codec()


def get_codec() -> Codec:
    """Return the codec in use."""
    return _codec


def set_codec(codec: Optional[Codec]) -> Codec:
    """Use ``codec`` for every body from now on (``None``: the default again); return the one it replaces.

    :raises TypeError: when ``codec`` has no ``loads`` or ``dumps``.
    """
    global _codec, loads
    if codec is None:
        codec = _default_codec()
    if not callable(getattr(codec, "loads", None)) or not callable(getattr(codec, "dumps", None)):
        raise TypeError("a codec needs loads() and dumps() methods, got %r" % (codec,))
    previous, _codec = _codec, codec
    loads = codec.loads
    return previous


#: Decode one JSON text with the codec in use (rebound by :func:`set_codec`; modules look it up at each call).
loads: Callable[[Text], Any] = _codec.loads


def dumps(value: Any) -> bytes:
    """Encode ``value`` with the codec in use."""
    return _codec.dumps(value)
