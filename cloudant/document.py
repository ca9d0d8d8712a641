"""Documents: :class:`Document`, a ``dict`` of one document's JSON body that reads and writes itself.

Requests go through the document's :attr:`~Document.r_session` (the client's
session) to URLs below the database's ``database_url``, so a document built on
a stand-in database object behaves as python-cloudant's did.

``save()`` sends one request: ``PUT /{db}/{id}`` (or ``POST /{db}`` without an
``_id``). The attachment methods read the document first and
``put_attachment`` reads it again afterwards, as python-cloudant did, so they
act on the current revision; but when the local content holds edits that were
never saved they send only the attachment request, with the local ``_rev``,
and update ``_rev`` and the ``_attachments`` stub from the reply, so unsaved
edits are never thrown away. A conflict is never swallowed: it raises
:class:`~cloudant.error.Conflict` naming the document.
"""
from __future__ import annotations

import contextlib
import json
import warnings
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Dict, Iterator, Optional, Tuple, Type

import requests

from . import _attachments
from ._attachments import ATTACHMENT_TYPES, AttachmentData  # noqa: F401 - ATTACHMENT_TYPES stays importable here
from ._endpoint import Endpoint, database_endpoint, decode_json, decode_json_text, encode_json, is_real_response
from ._params import STR, check_document_id, check_type
from ._synced import ReadBody, Synced, flat_items, unchanged
from ._synced import digest as content_digest
from .error import CloudantArgumentError, CloudantDocumentException, CloudantHTTPError, _add_note

if TYPE_CHECKING:
    from .client import CouchDB
    from .database import CouchDatabase

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["Document"]

_CONSTRUCTOR_KEYWORDS = ("encoder", "decoder")


class _DocumentSender:
    """What :class:`~cloudant._endpoint.Endpoint` reads from its owner, taken from a document.

    The session is the document's :attr:`Document.r_session` (so patching that
    property reaches every request); ``gzip_threshold`` is the client's when it
    is a number, so a stand-in client (a test's mock) sends plain bodies.
    """

    __slots__ = ("_document",)

    def __init__(self, document: Document) -> None:
        self._document = document

    @property
    def r_session(self) -> Optional[requests.Session]:
        return self._document.r_session

    @property
    def encoder(self) -> Type[json.JSONEncoder]:
        return self._document.encoder

    @property
    def gzip_threshold(self) -> Optional[int]:
        threshold = getattr(self._document._client, "gzip_threshold", None)
        return threshold if isinstance(threshold, int) and not isinstance(threshold, bool) else None


class Document(dict[str, Any]):  # subscripted builtin: the bases stay (dict,)
    """A document of a database: a ``dict`` of its JSON body.

    Setting keys changes only the local object; :meth:`save`, :meth:`create`,
    :meth:`delete` and the attachment methods write to the server. Used as a
    context manager it fetches on entry (a missing document is fine) and saves
    on exit when the ``with`` body raised nothing::

        with Document(db, "o1") as doc:
            doc["total"] = 12

    :param database: the :class:`~cloudant.database.CouchDatabase` it belongs to.
    :param str document_id: the ``_id``; none lets the server choose one on :meth:`create`.
    :param encoder: a :class:`json.JSONEncoder` subclass for the body (default: the client's).
    :param decoder: a :class:`json.JSONDecoder` subclass for :meth:`fetch` (default: :class:`json.JSONDecoder`).

    Constructing a ``Document`` sends nothing and does not add it to the database's cache.
    Other keyword arguments are accepted and ignored, as python-cloudant did, with a warning.
    """

    def __init__(self, database: CouchDatabase, document_id: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        ignored = sorted(key for key in kwargs if key not in _CONSTRUCTOR_KEYWORDS)
        if ignored:
            warnings.warn("Document() ignores the keyword argument(s): %s" % ", ".join(ignored), stacklevel=2)
        self._client: CouchDB = database.client
        self._database = database
        self._database_host = self._client.server_url
        self._database_name = database.database_name
        #: The :class:`json.JSONEncoder` subclass the body is encoded with.
        self.encoder: Type[json.JSONEncoder] = kwargs.get("encoder") or _client_encoder(self._client)
        #: The :class:`json.JSONDecoder` subclass :meth:`fetch` decodes with.
        self.decoder: Type[json.JSONDecoder] = kwargs.get("decoder") or json.JSONDecoder
        # (id, ETag, the content it describes): lets fetch() ask "changed?" with If-None-Match.
        self._etag: Optional[Tuple[str, str, Synced]] = None
        # The content when it was last built, read or written (cloudant._synced): other content holds unsaved edits.
        self._synced: Synced = None
        if document_id:
            self["_id"] = document_id
        self._remember_synced()

    # -- identity ------------------------------------------------------------------------------------------
    @property
    def r_session(self) -> Optional[requests.Session]:
        """The client's HTTP session (a ``cloudant._client_session.ClientSession``)."""
        return self._client.r_session

    def _database_endpoint(self) -> Endpoint:
        """The database's endpoint, sending through this document's :attr:`r_session`."""
        url = getattr(self._database, "database_url", None)
        if not isinstance(url, str):  # a stand-in database: built as the database itself builds it
            url = database_endpoint(self._client, str(self._database_name)).url
        return Endpoint(_DocumentSender(self), url)

    @property
    def document_url(self) -> Optional[str]:
        """The document's URL (id quoted, ``_design/``/``_local/`` prefix kept), or ``None`` without an ``_id``."""
        doc_id = self.get("_id")
        if not doc_id or not isinstance(doc_id, str):
            return None
        return self._database_endpoint().document(doc_id).url

    def _document_endpoint(self) -> Endpoint:
        """The document's endpoint, after checking the ``_id`` locally."""
        doc_id = self.get("_id")
        if not doc_id:
            raise CloudantDocumentException(101)
        return self._database_endpoint().document(check_document_id(doc_id))

    def exists(self) -> bool:
        """Return True when the document exists on the server (``HEAD /{db}/{id}``); False without an ``_id``.

        :raises CloudantArgumentError: code 137 for an id CouchDB reserves, before any request.
        """
        if not self.get("_id"):
            return False
        response = self._document_endpoint().request("HEAD", allow_status=(404,))
        return response.status_code == 200

    def _naming(self) -> ContextManager[None]:
        """Name this document on an HTTP error raised in the ``with`` body (see :func:`_naming_document`)."""
        return _naming_document(self.get("_id"))

    def json(self) -> str:
        """Return the local content encoded as JSON, with :attr:`encoder`."""
        return json.dumps(dict(self), cls=self.encoder)

    # -- reading and writing -------------------------------------------------------------------------------
    def create(self) -> None:
        """Create the document on the server in one request, then set ``_id`` and ``_rev`` from the reply.

        With an ``_id`` this is ``PUT /{db}/{id}``, otherwise ``POST /{db}``
        (the server picks the id). Any local ``_rev`` is left out of the body.

        :raises Conflict: when a document with this ``_id`` exists.
        :raises CloudantArgumentError: code 137 for an id CouchDB refuses (reserved, or an ``_id`` key that is
            empty or ``None``), before any request.

        .. versionchanged:: 3.0
           A document with an ``_id`` is created with ``PUT`` (python-cloudant always sent ``POST``).
        """
        body = {key: value for key, value in self.items() if key != "_rev"}
        self._write(body)

    def save(self) -> None:
        """Write the local content to the server in one request, then set ``_rev`` from the reply.

        ``PUT /{db}/{id}`` with the whole body (its ``_rev`` says which
        revision it updates), or ``POST /{db}`` when there is no ``_id``.

        :raises Conflict: when the ``_rev`` is not the current revision (or is
            missing while the document exists); its ``doc_id`` attribute and a
            note name the document.
        :raises CloudantArgumentError: code 137 for an id CouchDB refuses, as :meth:`create`.

        .. versionchanged:: 3.0
           No ``HEAD`` request first: one request per save.
        """
        self._write(dict(self))

    def _write(self, body: Dict[str, Any]) -> None:
        doc_id = self.get("_id")
        if doc_id:
            endpoint, method = self._document_endpoint(), "PUT"
        elif "_id" in body:  # "" or None: the server refuses it (2.15.0 sent it and got a 400)
            raise CloudantArgumentError(137, doc_id)
        else:
            endpoint, method = self._database_endpoint(), "POST"
        text = encode_json(body, self.encoder)
        with _naming_document(doc_id):
            reply = endpoint.json_object(method, json_text=text)
        self["_id"] = reply.get("id", doc_id)
        self["_rev"] = reply["rev"]
        # What was sent, with the id and revision the server gave: digested only if a comparison needs it.
        self._synced = ReadBody(text, decode_json_text, {"_id": self["_id"], "_rev": self["_rev"]})

    def fetch(self) -> None:
        """Replace the local content with the server's (``GET /{db}/{id}``).

        When the local content is still what the last fetch returned, the
        request carries that response's ``ETag`` in ``If-None-Match``; a
        ``304 Not Modified`` then leaves the content as it is.

        :raises CloudantDocumentException: code 101 without an ``_id``.
        :raises CloudantArgumentError: code 137 for an id CouchDB reserves, before any request.
        :raises NotFound: when the document does not exist.
        """
        endpoint = self._document_endpoint()
        condition = self._unchanged_since_fetch()
        headers = {"If-None-Match": condition[1]} if condition else None
        with _naming_document(self["_id"]):
            response = endpoint.request("GET", headers=headers)
        if response.status_code == 304:
            self._remember_synced()
            return
        content = decode_json(response, self.decoder)
        self.clear()
        self.update(content)
        etag = _etag_of(response)
        if is_real_response(response):  # the body is digested only if a comparison needs it
            synced: Synced = ReadBody(response.content, partial(decode_json_text, decoder=self.decoder))
        else:
            synced = content_digest(self, self.encoder)
        self._synced = synced
        self._etag = (self["_id"], etag, synced) if etag and synced is not None else None

    def _unchanged_since_fetch(self) -> Optional[Tuple[str, str, Synced]]:
        """The remembered ETag, if the local content is exactly what it describes."""
        if self._etag is None or self._etag[0] != self.get("_id") or not unchanged(
                self, self._etag[2], self.encoder):
            return None
        return self._etag

    def _remember_synced(self) -> None:
        """Note the local content as holding nothing unsaved: just built, or just read or written
        (see :mod:`cloudant._synced`)."""
        flat = flat_items(self)
        self._synced = flat if flat is not None else content_digest(self, self.encoder)

    def _has_unsaved_edits(self) -> bool:
        """True when the local content changed since it was built, read or written (or cannot be compared)."""
        return not unchanged(self, getattr(self, "_synced", None), self.encoder)

    def delete(self) -> None:
        """Delete the document (``DELETE /{db}/{id}?rev=...``) and clear the local content but ``_id``.

        The document is also dropped from its database's cache when it is the cached object.

        :raises CloudantDocumentException: code 103 without a ``_rev``.
        :raises CloudantArgumentError: code 117 for a ``_rev`` that is not a string, before any request.
        :raises Conflict: when ``_rev`` is not the current revision.

        .. versionchanged:: 3.0
           The deleted document leaves the database's cache.
        """
        if not self.get("_rev"):
            raise CloudantDocumentException(103)
        check_type("_rev", self["_rev"], STR)
        endpoint = self._document_endpoint()
        doc_id = self["_id"]
        with _naming_document(doc_id):
            endpoint.request("DELETE", params={"rev": self["_rev"]})
        self.clear()
        self["_id"] = doc_id
        self._etag = None
        self._remember_synced()
        if isinstance(self._database, dict) and dict.get(self._database, doc_id) is self:
            dict.__delitem__(self._database, doc_id)

    # -- field helpers -------------------------------------------------------------------------------------
    @staticmethod
    def list_field_append(doc: Dict[str, Any], field: str, value: Any) -> None:
        """Append ``value`` (unless ``None``) to the list ``doc[field]``, creating the list when missing.

        :raises CloudantDocumentException: code 102 when the field is not a list.
        """
        if doc.get(field) is None:
            doc[field] = []
        if not isinstance(doc[field], list):
            raise CloudantDocumentException(102, field)
        if value is not None:
            doc[field].append(value)

    @staticmethod
    def list_field_remove(doc: Dict[str, Any], field: str, value: Any) -> None:
        """Remove ``value`` from the list ``doc[field]``.

        :raises CloudantDocumentException: code 102 when the field is not a list.
        :raises ValueError: when the value is not in the list.
        """
        if not isinstance(doc[field], list):
            raise CloudantDocumentException(102, field)
        doc[field].remove(value)

    @staticmethod
    def field_set(doc: Dict[str, Any], field: str, value: Any) -> None:
        """Set ``doc[field]`` to ``value``; ``None`` removes the field."""
        if value is None:
            del doc[field]
        else:
            doc[field] = value

    def update_field(self, action: Callable[[Dict[str, Any], str, Any], None], field: str, value: Any,
                     max_tries: int = 10) -> None:
        """Fetch, apply ``action(self, field, value)`` and save, again after each conflict.

        :param action: e.g. :meth:`field_set`, :meth:`list_field_append`, :meth:`list_field_remove`.
        :param int max_tries: how many times to retry after a conflict (so up to
            ``max_tries + 1`` saves, as in python-cloudant).
        :raises requests.HTTPError: the last conflict (a status 409, e.g. :class:`~cloudant.error.Conflict`)
            when it still conflicts after ``max_tries`` retries, or any other HTTP error at once.
        :raises CloudantArgumentError: code 117 when ``action`` is not callable or ``max_tries`` not a
            number, before any request.
        """
        if not callable(action):
            raise CloudantArgumentError(117, "action", "a callable")
        check_type("max_tries", max_tries, (int, float))
        tries = 0
        while True:
            self.fetch()
            action(self, field, value)
            try:
                self.save()
                return
            except requests.HTTPError as err:
                if not (tries < max_tries and _status_of(err) == 409):
                    raise
            tries += 1

    # -- context manager -----------------------------------------------------------------------------------
    def __enter__(self) -> Document:
        """Fetch the document when it exists (a missing one, or no ``_id``, starts from the local content)."""
        try:
            self.fetch()
        except requests.HTTPError as err:
            if _status_of(err) != 404:
                raise
        except CloudantDocumentException as err:
            if err.code != 101:
                raise
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc_value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        """Save the document, unless the ``with`` body raised."""
        if exc_type is None:
            self.save()

    # -- attachments ---------------------------------------------------------------------------------------
    def get_attachment(self, attachment: str, headers: Optional[Dict[str, str]] = None,
                       write_to: Optional[Any] = None, attachment_type: Optional[str] = None) -> Any:
        """Read an attachment (``GET /{db}/{id}/{attachment}``) of the document's current revision.

        As in python-cloudant the document is read first (which refreshes the
        local content), unless the local content holds unsaved edits, which are kept.

        :param str attachment: the attachment name.
        :param dict headers: extra request headers (the dict is not changed).
        :param write_to: an open file to write the content into as well: a
            binary file gets the bytes, a text file the text. To copy a large
            attachment into a file without holding it in memory, use
            :meth:`stream_attachment_to`.
        :param str attachment_type: ``'text'`` (a ``str``), ``'json'`` (the
            decoded value) or ``'binary'`` (``bytes``); by default chosen from
            the ``Content-Type``: ``text/*`` text, ``application/json`` json, else binary.
        :returns: the content (also when it was written to ``write_to``).
        :raises CloudantArgumentError: code 137 for a reserved document id, 138 for a
            name starting with ``_``, 143 for a bad type, 117 for bad ``headers``/``write_to``; before any request.
        :raises NotFound: when the document or the attachment does not exist.

        .. versionchanged:: 3.0
           Text without a charset is decoded as UTF-8; the ``headers`` dict is
           not changed; unsaved local edits are not replaced by the server's content.
        """
        return _attachments.get_attachment(self, attachment, headers, write_to, attachment_type)

    def stream_attachment_to(self, attachment: str, fileobj: Any, headers: Optional[Dict[str, str]] = None) -> int:
        """Copy an attachment into an open file chunk by chunk, without holding it in memory.

        One request (``GET /{db}/{id}/{attachment}``); the document is not read
        first and the local content is not changed. A binary file gets the
        bytes exactly; a text file gets the text, decoded with the charset of
        the ``Content-Type`` (UTF-8 when it names none).

        :param str attachment: the attachment name.
        :param fileobj: an open file (or any object with ``write``), binary or text.
        :param dict headers: extra request headers (the dict is not changed).
        :returns: the number of bytes received.
        :raises CloudantArgumentError: code 137 for a reserved document id, 138 for a
            name starting with ``_``, 117 for bad ``headers`` or a ``fileobj`` without ``write``; before any request.
        :raises NotFound: when the document or the attachment does not exist.
        :raises CloudantConnectionError: when the connection drops midway.

        .. versionadded:: 3.0
        """
        return _attachments.stream_attachment_to(self, attachment, fileobj, headers)

    def put_attachment(self, attachment: str, content_type: str, data: AttachmentData,
                       headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """Add or replace an attachment (``PUT /{db}/{id}/{attachment}?rev=...``), creating the document if needed.

        As in python-cloudant the document is read before and after, so the
        attachment goes onto the current revision and the local content ends
        up as the server's. When the local content holds unsaved edits, only
        the ``PUT`` is sent, with the local ``_rev``; ``_rev`` then becomes the
        new revision and ``_attachments`` gets the attachment's stub, so the
        edits are kept and a later :meth:`save` keeps the attachment.

        :param str attachment: the attachment name.
        :param str content_type: its MIME type.
        :param data: ``bytes``, ``str`` (sent as UTF-8), a binary file object
            (streamed) or an iterable of ``bytes`` chunks.
        :param dict headers: extra request headers (the dict is not changed).
        :returns: the server's reply: ``{"ok", "id", "rev"}``.
        :raises Conflict: when the local ``_rev`` is not the current revision.
        :raises CloudantArgumentError: code 137 for a reserved document id, 138 for a
            name starting with ``_``, 117 for bad ``data`` (a dict, say), ``content_type`` or ``headers``; before
            any request (a bad chunk of an iterator raises it while sending).

        .. versionchanged:: 3.0
           The name is quoted; the revision goes in ``?rev=`` rather than
           ``If-Match``; a missing document is created; unsaved local edits are kept.
        """
        return _attachments.put_attachment(self, attachment, content_type, data, headers)

    def delete_attachment(self, attachment: str, headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """Remove an attachment (``DELETE /{db}/{id}/{attachment}?rev=...``).

        As in python-cloudant the document is read first (unless the local
        content holds unsaved edits, which are kept). Then ``_rev`` becomes
        the new revision and the attachment's stub leaves ``_attachments``
        (dropped when empty).

        :returns: the server's reply: ``{"ok", "id", "rev"}``.
        :raises CloudantDocumentException: code 105 when there is no ``_rev`` (before the ``DELETE``).
        :raises CloudantArgumentError: code 137 for a reserved document id, 138 for a
            name starting with ``_``, 117 for bad ``headers``; before any request.
        :raises Conflict: when the local ``_rev`` is not the current revision.

        .. versionchanged:: 3.0
           The name is quoted and the revision goes in ``?rev=`` rather than ``If-Match``.
        """
        return _attachments.delete_attachment(self, attachment, headers)


def _client_encoder(client: object) -> Type[json.JSONEncoder]:
    """The client's encoder class, or :class:`json.JSONEncoder` for a stand-in client without one."""
    encoder = getattr(client, "encoder", None)
    return encoder if isinstance(encoder, type) else json.JSONEncoder


def _status_of(err: BaseException) -> Any:
    """The HTTP status of an error's response (``None`` without one)."""
    return getattr(getattr(err, "response", None), "status_code", None)


def _etag_of(response: Any) -> Optional[str]:
    headers = getattr(response, "headers", None) if is_real_response(response) else None
    etag = headers.get("ETag") if headers is not None else None
    return etag if isinstance(etag, str) else None


@contextlib.contextmanager
def _naming_document(doc_id: Any) -> Iterator[None]:
    """Name the document on an HTTP error (``doc_id`` and a note), so that a conflict says which one it was.

    The message itself stays requests' ``raise_for_status`` text, as python-cloudant raised it.
    """
    try:
        yield
    except CloudantHTTPError as err:
        if doc_id and getattr(err, "doc_id", None) is None:
            err.doc_id = doc_id  # type: ignore[attr-defined]
            _add_note(err, "document %r" % (doc_id,))
        raise
