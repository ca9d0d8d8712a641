"""Whether a document's local content is still what it was when it last matched the server's.

A :class:`~cloudant.document.Document` notes its content at each such moment
(built, read, written) in the cheapest form that can answer later:

- content whose values are all strings (a document just built, ``{"_id": ...}``):
  its sorted items;
- content just read or written: the body that carried it (the response's, the
  request's), kept as bytes and digested only when a comparison needs it (an
  attachment call, a conditional re-read). Most documents are never compared,
  and the digest, a canonical encoding and a SHA-256, would cost about as much
  CPU again as reading or writing them;
- any other content: its digest.

Content nothing is known of (``None``: documents that iteration built) counts as edited.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Dict, Optional, Tuple, Type, Union

__all__ = ["ReadBody", "Synced", "digest", "flat_items", "unchanged"]


def digest(content: Dict[str, Any], encoder: Type[json.JSONEncoder]) -> Optional[str]:
    """The SHA-256 of ``content``'s canonical JSON (keys sorted), or ``None`` when the encoder cannot encode it."""
    try:
        text = json.dumps(content, cls=encoder, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):  # content the encoder cannot sort or encode: never taken as unchanged
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flat_items(content: Dict[str, Any]) -> Optional[Tuple[Tuple[str, str], ...]]:
    """The items of ``content`` in key order when every value is a string (``()`` for no items), else ``None``."""
    if not all(type(value) is str for value in content.values()):
        return None
    return tuple(sorted(content.items()))


class ReadBody:
    """The body a document's content was read from or written with, digested on first use.

    :param bytes body: the response or request body.
    :param decode: decodes it as the document's content was decoded (the document's decoder).
    :param dict changes: members the content has in place of the body's (the ``_id`` and ``_rev`` a write
        was answered with).
    """

    __slots__ = ("_body", "_decode", "_changes", "_digest")

    def __init__(self, body: bytes, decode: Callable[[bytes], Any],
                 changes: Optional[Dict[str, Any]] = None) -> None:
        self._body: Optional[bytes] = body
        self._decode = decode
        self._changes = changes
        self._digest: Optional[str] = None

    def digest(self, encoder: Type[json.JSONEncoder]) -> Optional[str]:
        """The digest of the content the body holds (see :func:`digest`); the body is then let go."""
        body, self._body = self._body, None
        if body is not None:
            try:
                content = self._decode(body)
            except ValueError:
                content = None
            if isinstance(content, dict):
                content.update(self._changes or ())
                self._digest = digest(content, encoder)
            self._changes = None
        return self._digest

    def __repr__(self) -> str:
        return "<ReadBody %s>" % ("pending" if self._body is not None else self._digest)


#: What a document notes of its content (see the module's text).
Synced = Union[None, str, Tuple[Tuple[str, str], ...], ReadBody]


def unchanged(content: Dict[str, Any], synced: Synced, encoder: Type[json.JSONEncoder]) -> bool:
    """True when ``content`` is the content ``synced`` notes, as ``encoder`` encodes both."""
    if isinstance(synced, tuple):
        return flat_items(content) == synced
    if isinstance(synced, ReadBody):
        synced = synced.digest(encoder)
    return synced is not None and digest(content, encoder) == synced
