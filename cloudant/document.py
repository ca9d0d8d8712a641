"""Documents: :class:`Document`, a ``dict`` of one document's JSON body that reads and writes itself.

Every write is one request: ``save()`` sends ``PUT /{db}/{id}`` (or ``POST
/{db}`` without an ``_id``), attachment calls send only the attachment request
and update the local ``_rev`` and ``_attachments`` stub from the reply, so
unsaved local edits are never overwritten. A conflict is never swallowed: it
raises :class:`~cloudant.error.Conflict` naming the document.
"""
from __future__ import annotations

import base64
import codecs
import contextlib
import hashlib
import io
import json
from types import TracebackType
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Type, Union

import requests

from ._endpoint import Endpoint, decode_json, read_body
from ._params import check_document_id, check_type
from .error import (CloudantArgumentError, CloudantConnectionError, CloudantDocumentException,
                    CloudantHTTPError, Conflict, NotFound)

__all__ = ["Document"]

_CHUNK_SIZE = 64 * 1024
ATTACHMENT_TYPES = ("text", "json", "binary")
AttachmentData = Union[bytes, bytearray, memoryview, str, Any]


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

    .. versionchanged:: 3.0
       Keyword arguments other than ``encoder`` and ``decoder`` raise ``TypeError``.
    """

    def __init__(self, database: Any, document_id: Optional[str] = None, *,
                 encoder: Optional[Type[json.JSONEncoder]] = None,
                 decoder: Optional[Type[json.JSONDecoder]] = None) -> None:
        super().__init__()
        self._client = database.client
        self._database = database
        self._database_host = self._client.server_url
        self._database_name = database.database_name
        #: The :class:`json.JSONEncoder` subclass the body is encoded with.
        self.encoder: Type[json.JSONEncoder] = encoder or self._client.encoder
        #: The :class:`json.JSONDecoder` subclass :meth:`fetch` decodes with.
        self.decoder: Type[json.JSONDecoder] = decoder or json.JSONDecoder
        # (id, ETag, digest of the content it describes): lets fetch() ask "changed?" with If-None-Match.
        self._etag: Optional[Tuple[str, str, str]] = None
        if document_id:
            self["_id"] = document_id

    # -- identity ------------------------------------------------------------------------------------------
    @property
    def r_session(self) -> Any:
        """The client's HTTP session."""
        return self._client.r_session

    @property
    def document_url(self) -> Optional[str]:
        """The document's URL (id quoted, ``_design/``/``_local/`` prefix kept), or ``None`` without an ``_id``."""
        doc_id = self.get("_id")
        if not doc_id or not isinstance(doc_id, str):
            return None
        return self._database._endpoint.document(doc_id).url

    def _document_endpoint(self) -> Endpoint:
        """The document's endpoint, after checking the ``_id`` locally."""
        doc_id = self.get("_id")
        if not doc_id:
            raise CloudantDocumentException(101)
        return self._database._endpoint.document(check_document_id(doc_id))

    def exists(self) -> bool:
        """Return True when the document exists on the server (``HEAD /{db}/{id}``); False without an ``_id``.

        :raises CloudantArgumentError: code 137 for an id CouchDB reserves, before any request.
        """
        if not self.get("_id"):
            return False
        return self._document_endpoint().exists()

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
            missing while the document exists); its ``doc_id`` attribute and
            message name the document.

        .. versionchanged:: 3.0
           No ``HEAD`` request first: one request per save.
        """
        self._write(dict(self))

    def _write(self, body: Dict[str, Any]) -> None:
        doc_id = self.get("_id")
        if doc_id:
            endpoint, method = self._document_endpoint(), "PUT"
        else:
            endpoint, method = self._database._endpoint, "POST"
        with _naming_document(doc_id):
            reply = endpoint.json(method, json_body=body, encoder=self.encoder)
        self["_id"] = reply.get("id", doc_id)
        self["_rev"] = reply["rev"]

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
            return
        content = decode_json(response, self.decoder)
        self.clear()
        self.update(content)
        etag = response.headers.get("ETag")
        digest = self._digest() if etag else None
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
            endpoint.json("DELETE", params={"rev": self["_rev"]})
        self.clear()
        self["_id"] = doc_id
        self._etag = None
        if dict.get(self._database, doc_id) is self:
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
        :param int max_tries: how many times to retry after a conflict.
        :raises Conflict: the last conflict, when it still conflicts after ``max_tries`` retries.
        """
        check_type("max_tries", max_tries, (int,))
        if max_tries < 0:
            raise CloudantArgumentError(142, "max_tries", max_tries)
        for retries_left in range(max_tries, -1, -1):
            self.fetch()
            action(self, field, value)
            try:
                self.save()
                return
            except Conflict:
                if retries_left == 0:
                    raise

    # -- context manager -----------------------------------------------------------------------------------
    def __enter__(self) -> Document:
        """Fetch the document when it exists (a missing one, or no ``_id``, starts from the local content)."""
        try:
            self.fetch()
        except NotFound:
            pass
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
        if not isinstance(attachment, str) or not attachment or attachment.startswith("_"):
            raise CloudantArgumentError(138, attachment)
        return self._document_endpoint().child(attachment)

    def get_attachment(self, attachment: str, headers: Optional[Dict[str, str]] = None,
                       write_to: Optional[Any] = None, attachment_type: Optional[str] = None) -> Any:
        """Read an attachment (``GET /{db}/{id}/{attachment}``) of the document's current revision.

        :param str attachment: the attachment name.
        :param dict headers: extra request headers (the dict is not changed).
        :param write_to: a file object to stream the content into, chunk by
            chunk: a binary file gets the bytes exactly, a text file the decoded text.
        :param str attachment_type: ``'text'`` (a ``str``), ``'json'`` (the
            decoded value) or ``'binary'`` (``bytes``); by default chosen from
            the ``Content-Type``: ``text/*`` text, ``application/json`` json, else binary.
        :returns: the content, or ``None`` when it was written to ``write_to``.
        :raises CloudantArgumentError: code 138 for a name starting with ``_``, 143 for a bad type.
        :raises NotFound: when the document or the attachment does not exist.

        .. versionchanged:: 3.0
           No extra fetch of the document and no ``If-Match``; text without a
           charset is decoded as UTF-8; ``write_to`` is streamed and nothing is returned.
        """
        if attachment_type is not None and attachment_type not in ATTACHMENT_TYPES:
            raise CloudantArgumentError(143, "attachment_type", ATTACHMENT_TYPES, attachment_type)
        endpoint = self._attachment_endpoint(attachment)
        with _naming_document(self["_id"]):
            response = endpoint.request("GET", headers=dict(headers) if headers else None,
                                        stream=write_to is not None)
        content_type = response.headers.get("Content-Type", "")
        kind = attachment_type or _kind_of(content_type)
        encoding = _text_encoding(response, content_type)
        if write_to is not None:
            _stream_into(response, write_to, encoding if kind == "text" else None)
            return None
        if kind == "json":
            return decode_json(response, self.decoder)
        if kind == "text":
            return read_body(response).decode(encoding, errors="replace")
        return read_body(response)

    def put_attachment(self, attachment: str, content_type: str, data: AttachmentData,
                       headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """Add or replace an attachment (``PUT /{db}/{id}/{attachment}?rev=...``), creating the document if needed.

        Only the reply is used locally: ``_rev`` becomes the new revision and
        ``_attachments`` gets the attachment's stub, so unsaved local edits are
        kept and a later :meth:`save` keeps the attachment.

        :param str attachment: the attachment name.
        :param str content_type: its MIME type.
        :param data: ``bytes``, ``str`` (sent as UTF-8), a binary file object
            (streamed) or an iterable of ``bytes`` chunks.
        :param dict headers: extra request headers (the dict is not changed).
        :returns: the server's reply: ``{"ok", "id", "rev"}``.
        :raises Conflict: when the local ``_rev`` is not the current revision.
        :raises CloudantArgumentError: code 138 for a name starting with ``_``.

        .. versionchanged:: 3.0
           One request: no fetch before or after, so local edits survive; the
           name is quoted; the revision goes in ``?rev=`` rather than ``If-Match``.
        """
        endpoint = self._attachment_endpoint(attachment)
        check_type("content_type", content_type, (str,))
        body, summary = _attachment_body(data)
        request_headers = {**(headers or {}), "Content-Type": content_type}
        params = {"rev": self["_rev"]} if self.get("_rev") else None
        with _naming_document(self["_id"]):
            reply = endpoint.json("PUT", data=body, headers=request_headers, params=params)
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

        ``_rev`` becomes the new revision and the attachment's stub leaves
        ``_attachments`` (dropped when empty); other local edits are kept.

        :returns: the server's reply: ``{"ok", "id", "rev"}``.
        :raises CloudantDocumentException: code 105 without a ``_rev``.
        :raises Conflict: when the local ``_rev`` is not the current revision.

        .. versionchanged:: 3.0
           One request: no fetch first, so local edits survive; the name is quoted.
        """
        endpoint = self._attachment_endpoint(attachment)
        if not self.get("_rev"):
            raise CloudantDocumentException(105, attachment)
        request_headers = dict(headers) if headers else None
        with _naming_document(self["_id"]):
            reply = endpoint.json("DELETE", params={"rev": self["_rev"]}, headers=request_headers)
        self["_rev"] = reply["rev"]
        attachments = self.get("_attachments")
        if isinstance(attachments, dict):
            attachments.pop(attachment, None)
            if not attachments:
                del self["_attachments"]
        return reply


@contextlib.contextmanager
def _naming_document(doc_id: Any) -> Iterator[None]:
    """Add the document id to an HTTP error, so that a conflict says which document it was about."""
    try:
        yield
    except CloudantHTTPError as err:
        if doc_id and getattr(err, "doc_id", None) is None:
            err.doc_id = doc_id  # type: ignore[attr-defined]
            if err.args and isinstance(err.args[0], str):
                err.args = ("%s (document %r)" % (err.args[0], doc_id),) + tuple(err.args[1:])
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


def _stream_into(response: Any, target: Any, encoding: Optional[str]) -> None:
    """Copy the body into ``target`` chunk by chunk; decode it only for a text-mode target."""
    binary_target = _is_binary(target)
    decoder = codecs.getincrementaldecoder(encoding or "utf-8")(errors="replace")
    try:
        for chunk in response.iter_content(_CHUNK_SIZE):
            target.write(chunk if binary_target else decoder.decode(chunk))
        if not binary_target:
            target.write(decoder.decode(b"", final=True))
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
        raise CloudantConnectionError("GET", response.url, err) from None
    finally:
        response.close()


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
