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

import base64
import codecs
import contextlib
import hashlib
import io
import json
import warnings
from types import TracebackType
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Type, Union

import requests

from ._endpoint import Endpoint, decode_json, is_real_response, quote_document_id, quote_segment, read_body
from ._params import check_document_id
from .error import (CloudantArgumentError, CloudantConnectionError, CloudantDocumentException,
                    CloudantHTTPError, NotFound, _add_note)

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["Document"]

_CHUNK_SIZE = 64 * 1024
ATTACHMENT_TYPES = ("text", "json", "binary")
AttachmentData = Union[bytes, bytearray, memoryview, str, Any]
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
    def r_session(self) -> Any:
        return self._document.r_session

    @property
    def encoder(self) -> Type[json.JSONEncoder]:
        return self._document.encoder

    @property
    def gzip_threshold(self) -> Optional[int]:
        threshold = getattr(self._document._client, "gzip_threshold", None)
        return threshold if isinstance(threshold, int) and not isinstance(threshold, bool) else None


class Document(dict):
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

    def __init__(self, database: Any, document_id: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        ignored = sorted(key for key in kwargs if key not in _CONSTRUCTOR_KEYWORDS)
        if ignored:
            warnings.warn("Document() ignores the keyword argument(s): %s" % ", ".join(ignored), stacklevel=2)
        self._client = database.client
        self._database = database
        self._database_host = self._client.server_url
        self._database_name = database.database_name
        #: The :class:`json.JSONEncoder` subclass the body is encoded with.
        self.encoder: Type[json.JSONEncoder] = kwargs.get("encoder") or _client_encoder(self._client)
        #: The :class:`json.JSONDecoder` subclass :meth:`fetch` decodes with.
        self.decoder: Type[json.JSONDecoder] = kwargs.get("decoder") or json.JSONDecoder
        # (id, ETag, digest of the content it describes): lets fetch() ask "changed?" with If-None-Match.
        self._etag: Optional[Tuple[str, str, str]] = None
        # Digest of the content when it was last built, read or written: other content holds unsaved edits.
        self._synced: Optional[str] = None
        if document_id:
            self["_id"] = document_id
        self._remember_synced()

    # -- identity ------------------------------------------------------------------------------------------
    @property
    def r_session(self) -> Any:
        """The client's HTTP session."""
        return self._client.r_session

    def _database_endpoint(self) -> Endpoint:
        """The database's endpoint, sending through this document's :attr:`r_session`."""
        url = getattr(self._database, "database_url", None)
        if not isinstance(url, str):
            url = "%s/%s" % (self._database_host, quote_segment(str(self._database_name)))
        return Endpoint(_DocumentSender(self), url)

    @property
    def document_url(self) -> Optional[str]:
        """The document's URL (id quoted, ``_design/``/``_local/`` prefix kept), or ``None`` without an ``_id``."""
        doc_id = self.get("_id")
        if not doc_id or not isinstance(doc_id, str):
            return None
        return self._database_endpoint().url + "/" + quote_document_id(doc_id)

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

    def json(self) -> str:
        """Return the local content encoded as JSON, with :attr:`encoder`."""
        return json.dumps(dict(self), cls=self.encoder)

    # -- reading and writing -------------------------------------------------------------------------------
    def create(self) -> None:
        """Create the document on the server in one request, then set ``_id`` and ``_rev`` from the reply.

        With an ``_id`` this is ``PUT /{db}/{id}``, otherwise ``POST /{db}``
        (the server picks the id). Any local ``_rev`` is left out of the body.

        :raises Conflict: when a document with this ``_id`` exists.
        :raises CloudantArgumentError: code 137 for an id CouchDB reserves, before any request.

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

        .. versionchanged:: 3.0
           No ``HEAD`` request first: one request per save.
        """
        self._write(dict(self))

    def _write(self, body: Dict[str, Any]) -> None:
        doc_id = self.get("_id")
        if doc_id:
            endpoint, method = self._document_endpoint(), "PUT"
        else:
            endpoint, method = self._database_endpoint(), "POST"
        with _naming_document(doc_id):
            reply = endpoint.json(method, json_body=body, encoder=self.encoder)
        self["_id"] = reply.get("id", doc_id)
        self["_rev"] = reply["rev"]
        self._remember_synced()

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
        self._synced = digest = self._digest()
        self._etag = (self["_id"], etag, digest) if etag and digest else None

    def _unchanged_since_fetch(self) -> Optional[Tuple[str, str, str]]:
        """The remembered ETag, if the local content is exactly what it describes."""
        if self._etag is None or self._etag[0] != self.get("_id") or self._etag[2] != self._digest():
            return None
        return self._etag

    def _digest(self) -> Optional[str]:
        try:
            text = json.dumps(self, cls=self.encoder, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):  # content the encoder cannot sort or encode: no conditional GET
            return None
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _remember_synced(self) -> None:
        """Note the local content as holding nothing unsaved: just built, or just read or written."""
        self._synced = self._digest()

    def _has_unsaved_edits(self) -> bool:
        """True when the local content changed since it was built, read or written (or cannot be compared)."""
        synced = getattr(self, "_synced", None)
        return synced is None or self._digest() != synced

    def delete(self) -> None:
        """Delete the document (``DELETE /{db}/{id}?rev=...``) and clear the local content but ``_id``.

        The document is also dropped from its database's cache when it is the cached object.

        :raises CloudantDocumentException: code 103 without a ``_rev``.
        :raises Conflict: when ``_rev`` is not the current revision.

        .. versionchanged:: 3.0
           The deleted document leaves the database's cache.
        """
        if not self.get("_rev"):
            raise CloudantDocumentException(103)
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
        """
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
    def _attachment_endpoint(self, attachment: Any) -> Endpoint:
        """The attachment's endpoint: the document id is checked first (101, 137), then the name (138)."""
        endpoint = self._document_endpoint()
        if not isinstance(attachment, str) or not attachment or attachment.startswith("_"):
            raise CloudantArgumentError(138, attachment)
        return endpoint.child(attachment)

    def _refresh_before_attachment(self, missing_ok: bool = False) -> bool:
        """Read the document first, as python-cloudant did, unless that would discard unsaved local edits.

        :param bool missing_ok: a missing document is fine (``put_attachment`` creates it).
        :returns: True when the local content is now the server's (or the document is missing).
        """
        if self._has_unsaved_edits():
            return False
        try:
            self.fetch()
        except NotFound:
            if not missing_ok:
                raise
        return True

    def _revision_headers(self, headers: Optional[Dict[str, str]], synced: bool) -> Optional[Dict[str, str]]:
        """A copy of the caller's headers, with ``If-Match: <_rev>`` when the local revision is the server's."""
        request_headers = dict(headers) if headers else {}
        if synced and self.get("_rev"):
            request_headers["If-Match"] = self["_rev"]
        return request_headers or None

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
            name starting with ``_``, 143 for a bad type; all before any request.
        :raises NotFound: when the document or the attachment does not exist.

        .. versionchanged:: 3.0
           Text without a charset is decoded as UTF-8; the ``headers`` dict is
           not changed; unsaved local edits are not replaced by the server's content.
        """
        if attachment_type is not None and attachment_type not in ATTACHMENT_TYPES:
            raise CloudantArgumentError(143, "attachment_type", ATTACHMENT_TYPES, attachment_type)
        endpoint = self._attachment_endpoint(attachment)
        synced = self._refresh_before_attachment()
        request_headers = self._revision_headers(headers, synced)
        with _naming_document(self["_id"]):
            response = endpoint.request("GET", headers=request_headers)
        kind = attachment_type or _kind_of(_content_type_of(response))
        content = _content_of(response, kind, self.decoder)
        if write_to is not None:
            _write_content(write_to, response, kind)
        return content

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
            name starting with ``_``; before any request.
        :raises NotFound: when the document or the attachment does not exist.
        :raises CloudantConnectionError: when the connection drops midway.

        .. versionadded:: 3.0
        """
        endpoint = self._attachment_endpoint(attachment)
        with _naming_document(self["_id"]):
            response = endpoint.request("GET", headers=dict(headers) if headers else None, stream=True)
        content_type = _content_type_of(response)
        encoding = _text_encoding(response, content_type) if _kind_of(content_type) == "text" else "utf-8"
        return _stream_into(response, fileobj, encoding)

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
            name starting with ``_``; before any request.

        .. versionchanged:: 3.0
           The name is quoted; the revision goes in ``?rev=`` rather than
           ``If-Match``; a missing document is created; unsaved local edits are kept.
        """
        endpoint = self._attachment_endpoint(attachment)
        synced = self._refresh_before_attachment(missing_ok=True)
        body, summary = _attachment_body(data)
        request_headers = dict(headers) if headers else {}
        if content_type is not None:
            request_headers["Content-Type"] = content_type
        params = {"rev": self["_rev"]} if self.get("_rev") else None
        with _naming_document(self["_id"]):
            reply = endpoint.json("PUT", data=body, headers=request_headers or None, params=params)
        if synced:
            self.fetch()
            return reply
        self["_rev"] = reply["rev"]
        stub = {"content_type": content_type, "revpos": _generation(reply["rev"]), "stub": True}
        stub.update(summary.stub_fields())
        attachments = self.get("_attachments")
        if not isinstance(attachments, dict):
            attachments = self["_attachments"] = {}
        attachments[attachment] = stub
        return reply

    def delete_attachment(self, attachment: str, headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """Remove an attachment (``DELETE /{db}/{id}/{attachment}?rev=...``).

        As in python-cloudant the document is read first (unless the local
        content holds unsaved edits, which are kept). Then ``_rev`` becomes
        the new revision and the attachment's stub leaves ``_attachments``
        (dropped when empty).

        :returns: the server's reply: ``{"ok", "id", "rev"}``.
        :raises CloudantDocumentException: code 105 when there is no ``_rev`` (before the ``DELETE``).
        :raises CloudantArgumentError: code 137 for a reserved document id, 138 for a
            name starting with ``_``; before any request.
        :raises Conflict: when the local ``_rev`` is not the current revision.

        .. versionchanged:: 3.0
           The name is quoted and the revision goes in ``?rev=`` rather than ``If-Match``.
        """
        endpoint = self._attachment_endpoint(attachment)
        synced = self._refresh_before_attachment()
        if not self.get("_rev"):
            raise CloudantDocumentException(105, attachment)
        request_headers = dict(headers) if headers else None
        with _naming_document(self["_id"]):
            reply = endpoint.json("DELETE", params={"rev": self["_rev"]}, headers=request_headers)
        dict.__setitem__(self, "_rev", reply["rev"])
        attachments = self.get("_attachments")
        if isinstance(attachments, dict):
            attachments.pop(attachment, None)
            if not attachments:
                dict.__delitem__(self, "_attachments")
        if synced:
            self._remember_synced()
        return reply


def _client_encoder(client: Any) -> Type[json.JSONEncoder]:
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


def _content_type_of(response: Any) -> str:
    headers = getattr(response, "headers", None)
    try:
        content_type = headers.get("Content-Type", "") if headers is not None else ""
    except AttributeError:
        return ""
    return content_type if isinstance(content_type, str) else ""


def _content_of(response: Any, kind: str, decoder: Optional[Type[json.JSONDecoder]]) -> Any:
    """The body as ``kind`` says: decoded JSON, text or bytes."""
    if kind == "json":
        return decode_json(response, decoder)
    if not is_real_response(response):  # a stand-in (a test's mock): its text and content are what it holds
        return response.text if kind == "text" else response.content
    if kind == "text":
        return read_body(response).decode(_text_encoding(response, _content_type_of(response)), errors="replace")
    return read_body(response)


def _write_content(target: Any, response: Any, kind: str) -> None:
    """Write a fetched attachment's body, as received, into ``target``: bytes into a binary file, text into a text one.

    JSON is written as the server sent it, not re-encoded from the decoded value.
    """
    if is_real_response(response):
        raw: Any = read_body(response)  # requests keeps the body read: no second read
    else:  # a stand-in (a test's mock)
        raw = response.content if kind == "binary" else response.text
    if _is_binary(target):
        target.write(bytes(raw) if isinstance(raw, (bytes, bytearray)) else str(raw).encode("utf-8"))
        return
    if isinstance(raw, (bytes, bytearray)):
        encoding = _text_encoding(response, _content_type_of(response)) if kind != "binary" else "utf-8"
        raw = bytes(raw).decode(encoding, errors="replace")
    target.write(raw)


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


def _generation(rev: str) -> int:
    try:
        return int(rev.split("-", 1)[0])
    except ValueError:
        return 0


def _kind_of(content_type: str) -> str:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type.startswith("text/"):
        return "text"
    if media_type == "application/json":
        return "json"
    return "binary"


def _text_encoding(response: Any, content_type: str) -> str:
    # requests assumes ISO-8859-1 for text/* without a charset; CouchDB data is UTF-8 unless said otherwise.
    if "charset=" in content_type.lower() and response.encoding:
        return str(response.encoding)
    return "utf-8"


def _stream_into(response: Any, target: Any, encoding: Optional[str]) -> int:
    """Copy the body into ``target`` chunk by chunk, decoding it only for a text-mode target.

    :returns: the number of bytes received.
    """
    binary_target = _is_binary(target)
    decoder = codecs.getincrementaldecoder(encoding or "utf-8")(errors="replace")
    received = 0
    try:
        for chunk in response.iter_content(_CHUNK_SIZE):
            received += len(chunk)
            target.write(chunk if binary_target else decoder.decode(chunk))
        if not binary_target:
            target.write(decoder.decode(b"", final=True))
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
        raise CloudantConnectionError("GET", response.url, err) from None
    finally:
        response.close()
    return received


def _is_binary(target: Any) -> bool:
    if isinstance(target, (io.RawIOBase, io.BufferedIOBase)):
        return True
    if isinstance(target, io.TextIOBase):
        return False
    return "b" in str(getattr(target, "mode", "b"))


class _Summary:
    """MD5 and length of an attachment body, as CouchDB and PouchDB put them in a stub."""

    def __init__(self) -> None:
        self._md5 = hashlib.md5()  # noqa: S324 - the digest format both servers use, not a security hash
        self.length = 0
        self.complete = True

    def add(self, chunk: bytes) -> bytes:
        self._md5.update(chunk)
        self.length += len(chunk)
        return chunk

    def stub_fields(self) -> Dict[str, Any]:
        if not self.complete:
            return {}
        return {"digest": "md5-" + base64.b64encode(self._md5.digest()).decode("ascii"), "length": self.length}


def _attachment_body(data: AttachmentData) -> Tuple[Any, _Summary]:
    """Return a body for requests and the summary for the stub.

    Bytes and text are sent from a file object: the wire layer compresses
    ``bytes`` bodies when ``gzip_threshold`` is set, and some servers (PouchDB)
    would store the compressed bytes as the attachment.
    """
    summary = _Summary()
    if isinstance(data, str):
        data = data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        summary.add(bytes(data))
        return io.BytesIO(bytes(data)), summary
    if hasattr(data, "read"):
        if _seekable(data):
            return data, _summarize_file(data, summary)
        return _summarized(iter(lambda: data.read(_CHUNK_SIZE), b""), summary), summary
    if isinstance(data, Iterable):
        return _summarized(data, summary), summary
    raise CloudantArgumentError(117, "data", "bytes, str, a file object or an iterable of bytes")


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable()) if hasattr(stream, "seekable") else False
    except (OSError, ValueError):
        return False


def _summarize_file(stream: Any, summary: _Summary) -> _Summary:
    """Read a seekable file once for its digest, then rewind it for sending: memory stays flat."""
    start = stream.tell()
    for chunk in iter(lambda: stream.read(_CHUNK_SIZE), b""):
        if isinstance(chunk, str):
            raise CloudantArgumentError(117, "data", "a binary file object")
        summary.add(chunk)
    stream.seek(start)
    return summary


def _summarized(chunks: Iterable[Any], summary: _Summary) -> Iterator[bytes]:
    """Pass chunks through while summing them up; the summary is complete once they are all sent."""
    summary.complete = False
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        yield summary.add(bytes(chunk))
    summary.complete = True
