"""Durable checkpoints for feeds: where a restarted follower of ``_changes`` takes up again.

A checkpoint store keeps one sequence value. Two stores come with the library:

- :class:`FileCheckpoint`: a small JSON file, replaced atomically (temporary file, ``fsync``, rename), so a
  crash at any moment leaves either the old or the new sequence, never a torn file;
- :class:`LocalDocumentCheckpoint`: a ``_local/<name>`` document in a database (not replicated, no
  revision history kept by the server).

Any object with ``load() -> seq or None`` and ``save(seq) -> None`` methods is a store too
(:class:`CheckpointStore`).

Give one to an infinite feed::

    feed = db.infinite_changes(checkpoint=FileCheckpoint("orders.seq"))
    for change in feed:
        handle(change)

**The contract (at-least-once, no gap).** Without ``since``, the feed starts after the stored sequence
(from the beginning when nothing is stored yet; an explicit ``since`` wins over the store). The
sequence of a change is recorded only *after the caller has taken it*: when the next change is asked
for (the next ``next()``), or on :meth:`~cloudant.feed.InfiniteFeed.stop`. A process that dies while
handling a change therefore sees that change again after a restart (at least once), and never misses
one (no gap). Handlers should be idempotent. Sequences are opaque: they are stored and sent back
exactly as the server gave them, never compared or computed with.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import TYPE_CHECKING, Optional, Protocol, Union

from ._endpoint import Endpoint
from ._types import JsonObject, JsonValue
from .error import CloudantException, Conflict, NotFound

if TYPE_CHECKING:
    from .database import CouchDatabase

__all__ = ["CheckpointStore", "CheckpointLike", "FileCheckpoint", "LocalDocumentCheckpoint", "FeedCheckpoint",
           "checkpoint_store"]

_SAVE_ATTEMPTS = 5


class CheckpointStore(Protocol):
    """What a feed needs of a checkpoint store."""

    def load(self) -> JsonValue:
        """Return the stored sequence, or ``None`` when nothing is stored yet."""

    def save(self, seq: JsonValue) -> None:
        """Store ``seq`` durably, replacing the stored one."""


#: What a feed's ``checkpoint=`` takes: a file path or a :class:`CheckpointStore`.
CheckpointLike = Union[str, "os.PathLike[str]", CheckpointStore]


class FileCheckpoint:
    """A checkpoint kept in a JSON file (``{"seq": ...}``), replaced atomically on each save.

    The new content is written to a temporary file in the same directory, flushed to disk
    (``fsync``) and renamed over the old file; the directory is then synced too, so the rename
    itself survives a power cut.

    :param path: the file; its directory must exist. A missing file means "nothing stored yet".
    """

    def __init__(self, path: Union[str, os.PathLike[str]]) -> None:
        self.path = os.fspath(path)

    def __repr__(self) -> str:
        return "FileCheckpoint(%r)" % (self.path,)

    def load(self) -> JsonValue:
        """Return the stored sequence, or ``None`` when the file does not exist.

        :raises CloudantException: when the file is not a checkpoint (not JSON, or no ``seq``).
        """
        try:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return None
        try:
            content = json.loads(text)
        except ValueError as err:
            raise CloudantException("checkpoint file %s is not JSON: %s" % (self.path, err)) from None
        if not isinstance(content, dict) or "seq" not in content:
            raise CloudantException("checkpoint file %s holds no seq" % (self.path,))
        return content["seq"]

    def save(self, seq: JsonValue) -> None:
        """Replace the file's content with ``seq`` atomically and durably."""
        directory = os.path.dirname(os.path.abspath(self.path))
        data = json.dumps({"seq": seq}, ensure_ascii=False).encode("utf-8") + b"\n"
        handle, temp_path = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(self.path) + ".",
                                             suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_path, self.path)
        except BaseException:
            _remove_quietly(temp_path)
            raise
        _sync_directory(directory)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_directory(directory: str) -> None:
    """``fsync`` a directory so a rename in it is durable (where the platform allows it)."""
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:  # Windows: renames are durable through the file system's own journal
        return
    try:
        handle = os.open(directory, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


class LocalDocumentCheckpoint:
    """A checkpoint kept in the ``_local/<name>`` document of a database (``{"seq": ...}``).

    ``_local`` documents are not replicated and keep no revision history, so saving often costs
    little. A save that meets a conflict (another writer) reads the current revision and writes again.

    :param database: a :class:`~cloudant.database.CouchDatabase` (the followed one or another).
    :param str name: the document name, without the ``_local/`` prefix.
    """

    def __init__(self, database: CouchDatabase, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("a checkpoint document needs a non-empty name")
        self.database = database
        self.name = name[len("_local/"):] if name.startswith("_local/") else name
        self._rev: Optional[str] = None

    def __repr__(self) -> str:
        return "LocalDocumentCheckpoint(%r, %r)" % (getattr(self.database, "database_name", self.database),
                                                    self.name)

    @property
    def doc_id(self) -> str:
        """``_local/<name>``."""
        return "_local/" + self.name

    def _endpoint(self) -> Endpoint:
        return self.database._endpoint.document(self.doc_id)

    def _fetch(self) -> Optional[JsonObject]:
        try:
            doc = self._endpoint().json_object()
        except NotFound:
            self._rev = None
            return None
        self._rev = doc.get("_rev")
        return doc

    def load(self) -> JsonValue:
        """Return the stored sequence (``GET /{db}/_local/{name}``), or ``None`` when there is no document."""
        doc = self._fetch()
        return None if doc is None else doc.get("seq")

    def save(self, seq: JsonValue) -> None:
        """Write ``seq`` (``PUT /{db}/_local/{name}``), retrying with the current revision on a conflict."""
        for attempt in range(_SAVE_ATTEMPTS):
            body: JsonObject = {"seq": seq}
            if self._rev is not None:
                body["_rev"] = self._rev
            try:
                reply = self._endpoint().json_object("PUT", json_body=body)
            except Conflict:
                if attempt == _SAVE_ATTEMPTS - 1:
                    raise
                self._fetch()
                continue
            self._rev = reply.get("rev", self._rev)
            return


def checkpoint_store(value: CheckpointLike) -> CheckpointStore:
    """A store for ``value``: a path (``str`` or path-like) becomes a :class:`FileCheckpoint`; an object with
    ``load`` and ``save`` methods is used as it is.

    :raises TypeError: for anything else.
    """
    if isinstance(value, (str, os.PathLike)):
        return FileCheckpoint(value)
    if callable(getattr(value, "load", None)) and callable(getattr(value, "save", None)):
        return value
    raise TypeError("checkpoint must be a file path or an object with load() and save(seq), not %r"
                    % (type(value).__name__,))


class FeedCheckpoint:
    """The bookkeeping between an infinite feed and its store (the feed calls it; programs need not).

    :param store: a checkpoint store or a file path (see :func:`checkpoint_store`).
    :param since: the ``since`` the feed was given (``None`` when none: the stored sequence is used).
    """

    def __init__(self, store: CheckpointLike, since: JsonValue = None) -> None:
        self.store = checkpoint_store(store)
        self._since_given = since is not None
        self._loaded = False
        self._saved: JsonValue = since

    def start_seq(self) -> JsonValue:
        """The sequence to start from: the ``since`` given, else the stored one (read once), else ``None``."""
        if not self._loaded:
            self._loaded = True
            if not self._since_given:
                self._saved = self.store.load()
        return self._saved

    def record(self, seq: JsonValue) -> None:
        """Store ``seq`` (the sequence of the last change the caller took) unless it is stored already.

        ``None`` and ``"now"`` (not a position) are never stored.
        """
        if seq is None or seq == "now" or not self._loaded or seq == self._saved:
            return
        self.store.save(seq)
        self._saved = seq

    @property
    def saved(self) -> JsonValue:
        """The sequence stored last (or read from the store)."""
        return self._saved
