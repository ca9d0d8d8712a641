"""Attachments of a :class:`~cloudant.document.Document`: the requests behind its attachment methods.

The methods of :class:`~cloudant.document.Document` (``get_attachment``,
``stream_attachment_to``, ``put_attachment``, ``delete_attachment``) keep their
signatures and documentation and call the functions here, which read a reply
as text, JSON or bytes, stream a body into a file chunk by chunk, and send a
body (bytes, text, a file or chunks) while summing up the MD5 digest and length
that go into the local ``_attachments`` stub.
"""
from __future__ import annotations

import base64
import codecs
import hashlib
import io
import json
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Type, Union, cast

from ._endpoint import Endpoint, decode_json, is_real_response, read_body
from ._streaming import BodyStream
from ._types import JsonObject
from .error import CloudantArgumentError, CloudantDocumentException, NotFound

if TYPE_CHECKING:
    from .document import Document

_CHUNK_SIZE = 64 * 1024
ATTACHMENT_TYPES = ("text", "json", "binary")
_CHUNK_TYPES = (bytes, bytearray, memoryview, str)
_DATA_TYPES = "bytes, str, a file object or an iterable of bytes"
AttachmentData = Union[bytes, bytearray, memoryview, str, Any]


# -- the requests ----------------------------------------------------------------------------------------------
def get_attachment(document: Document, attachment: str, headers: Optional[Dict[str, str]],
                   write_to: Optional[Any], attachment_type: Optional[str]) -> Any:
    """What :meth:`Document.get_attachment <cloudant.document.Document.get_attachment>` does."""
    if attachment_type is not None and attachment_type not in ATTACHMENT_TYPES:
        raise CloudantArgumentError(143, "attachment_type", ATTACHMENT_TYPES, attachment_type)
    _check_headers(headers)
    if write_to is not None:
        _check_file("write_to", write_to)
    endpoint = _attachment_endpoint(document, attachment)
    synced = _refresh_before_attachment(document)
    request_headers = _revision_headers(document, headers, synced)
    with document._naming():
        response = endpoint.request("GET", headers=request_headers)
    kind = attachment_type or _kind_of(_content_type_of(response))
    content = _content_of(response, kind, document.decoder)
    if write_to is not None:
        _write_content(write_to, response, kind)
    return content


def stream_attachment_to(document: Document, attachment: str, fileobj: Any,
                         headers: Optional[Dict[str, str]]) -> int:
    """What :meth:`Document.stream_attachment_to <cloudant.document.Document.stream_attachment_to>` does."""
    _check_headers(headers)
    _check_file("fileobj", fileobj)
    endpoint = _attachment_endpoint(document, attachment)
    with document._naming():
        stream = endpoint.stream("GET", headers=dict(headers) if headers else None)
    content_type = _content_type_of(stream.response)
    encoding = _text_encoding(stream.response, content_type) if _kind_of(content_type) == "text" else "utf-8"
    return _stream_into(stream, fileobj, encoding)


def put_attachment(document: Document, attachment: str, content_type: str, data: AttachmentData,
                   headers: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """What :meth:`Document.put_attachment <cloudant.document.Document.put_attachment>` does."""
    _check_headers(headers)
    if content_type is not None and not isinstance(content_type, (str, bytes)):
        raise CloudantArgumentError(117, "content_type", str)
    endpoint = _attachment_endpoint(document, attachment)
    body, summary = _attachment_body(data)  # checked before the document is read
    synced = _refresh_before_attachment(document, missing_ok=True)
    request_headers = dict(headers) if headers else {}
    if content_type is not None:
        request_headers["Content-Type"] = content_type
    params = {"rev": document["_rev"]} if document.get("_rev") else None
    with document._naming():
        # json(), not json_object(): after a refresh the reply is returned as the server sent it, unread.
        reply = cast(JsonObject, endpoint.json("PUT", data=body, headers=request_headers or None, params=params))
    if synced:
        document.fetch()
        return reply
    document["_rev"] = reply["rev"]
    stub = {"content_type": content_type, "revpos": _generation(reply["rev"]), "stub": True}
    stub.update(summary.stub_fields())
    attachments = document.get("_attachments")
    if not isinstance(attachments, dict):
        attachments = document["_attachments"] = {}
    attachments[attachment] = stub
    return reply


def delete_attachment(document: Document, attachment: str, headers: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """What :meth:`Document.delete_attachment <cloudant.document.Document.delete_attachment>` does."""
    _check_headers(headers)
    endpoint = _attachment_endpoint(document, attachment)
    synced = _refresh_before_attachment(document)
    if not document.get("_rev"):
        raise CloudantDocumentException(105, attachment)
    request_headers = dict(headers) if headers else None
    with document._naming():
        reply = endpoint.json_object("DELETE", params={"rev": document["_rev"]}, headers=request_headers)
    dict.__setitem__(document, "_rev", reply["rev"])
    attachments = document.get("_attachments")
    if isinstance(attachments, dict):
        attachments.pop(attachment, None)
        if not attachments:
            dict.__delitem__(document, "_attachments")
    if synced:
        document._remember_synced()
    return reply


def _attachment_endpoint(document: Document, attachment: Any) -> Endpoint:
    """The attachment's endpoint: the document id is checked first (101, 137), then the name (138)."""
    endpoint = document._document_endpoint()
    if not isinstance(attachment, str) or not attachment or attachment.startswith("_"):
        raise CloudantArgumentError(138, attachment)
    return endpoint.child(attachment)


def _check_headers(headers: Any) -> None:
    """``CloudantArgumentError(117)`` unless ``headers`` is ``None`` or a dict of str names and str/bytes values."""
    if headers is None:
        return
    if not isinstance(headers, Mapping) or not all(
            isinstance(name, str) and isinstance(value, (str, bytes)) for name, value in headers.items()):
        raise CloudantArgumentError(117, "headers", "a dict of str")


def _check_file(name: str, target: Any) -> None:
    """``CloudantArgumentError(117)`` unless ``target`` has a ``write`` method."""
    if not callable(getattr(target, "write", None)):
        raise CloudantArgumentError(117, name, "a file object")


def _refresh_before_attachment(document: Document, missing_ok: bool = False) -> bool:
    """Read the document first, as python-cloudant did, unless that would discard unsaved local edits.

    :param bool missing_ok: a missing document is fine (``put_attachment`` creates it).
    :returns: True when the local content is now the server's (or the document is missing).
    """
    if document._has_unsaved_edits():
        return False
    try:
        document.fetch()
    except NotFound:
        if not missing_ok:
            raise
    return True


def _revision_headers(document: Document, headers: Optional[Dict[str, str]],
                      synced: bool) -> Optional[Dict[str, str]]:
    """A copy of the caller's headers, with ``If-Match: <_rev>`` when the local revision is the server's."""
    request_headers = dict(headers) if headers else {}
    if synced and document.get("_rev"):
        request_headers["If-Match"] = document["_rev"]
    return request_headers or None


# -- reading replies -------------------------------------------------------------------------------------------
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


def _stream_into(stream: BodyStream, target: Any, encoding: Optional[str]) -> int:
    """Copy the body into ``target`` chunk by chunk, decoding it only for a text-mode target.

    :returns: the number of bytes received.
    :raises CloudantConnectionError: when the connection drops midway (the wire layer's mapping).
    """
    binary_target = _is_binary(target)
    decoder = codecs.getincrementaldecoder(encoding or "utf-8")(errors="replace")
    received = 0
    with stream:
        for chunk in stream.chunks(_CHUNK_SIZE):
            received += len(chunk)
            target.write(chunk if binary_target else decoder.decode(chunk))
        if not binary_target:
            target.write(decoder.decode(b"", final=True))
    return received


def _is_binary(target: Any) -> bool:
    if isinstance(target, (io.RawIOBase, io.BufferedIOBase)):
        return True
    if isinstance(target, io.TextIOBase):
        return False
    return "b" in str(getattr(target, "mode", "b"))


# -- sending bodies --------------------------------------------------------------------------------------------
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
    # A dict or set is iterable too, but no sequence of chunks (2.15.0 stored a dict's form encoding).
    if isinstance(data, Iterable) and not isinstance(data, (Mapping, set, frozenset)):
        if not isinstance(data, (list, tuple)) or all(isinstance(chunk, _CHUNK_TYPES) for chunk in data):
            return _summarized(data, summary), summary
    raise CloudantArgumentError(117, "data", _DATA_TYPES)


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
        if not isinstance(chunk, (bytes, bytearray, memoryview)):  # bytes(5) would send five zero bytes
            raise CloudantArgumentError(117, "data", _DATA_TYPES)
        yield summary.add(bytes(chunk))
    summary.complete = True
