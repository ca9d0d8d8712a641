"""The exceptions raised by the library: one tree for every failure.

::

    CloudantException(Exception)            .code / .status_code: message code or HTTP status
     ├── CloudantArgumentError               bad argument, raised before any request
     ├── CloudantClientException             client misuse; ClientNotConnected is also an AttributeError
     ├── CloudantDatabaseException
     ├── CloudantDesignDocumentException
     ├── CloudantDocumentException
     ├── CloudantFeedException
     ├── CloudantIndexException
     ├── CloudantReplicatorException
     ├── CloudantViewException
     ├── ResultException
     ├── MalformedResponse(ValueError)       a 2xx body that is not the JSON it should be
     ├── CloudantConnectionError(requests.ConnectionError)   server unreachable, connection dropped
     │    ├── CloudantTimeout(requests.Timeout)
     │    └── OutcomeUnknown                  a write sent, its answer lost: never sent again
     │         └── OutcomeUnknownTimeout(CloudantTimeout)
     └── CloudantHTTPError(requests.HTTPError)               any non-2xx answer
          ├── BadRequest 400        ├── Conflict 409               ├── TooManyRequests 429
          ├── Unauthorized 401      ├── PreconditionFailed 412     └── ServerError 5xx
          ├── Forbidden 403         ├── RequestEntityTooLarge 413
          └── NotFound 404          └── UnsupportedMediaType 415

HTTP errors stay :class:`requests.HTTPError` instances, so ``except HTTPError``
clauses written for python-cloudant keep working, and they carry what the server
said: ``status_code``, ``error``, ``reason``, ``caused_by`` and ``request_id``
(the ``X-Couch-Request-ID`` header). URLs in messages never hold credentials.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple, Type
from urllib.parse import urlsplit, urlunsplit

import requests

from . import _messages

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = [
    "CloudantException", "CataloguedException", "CloudantArgumentError", "CloudantClientException",
    "ClientNotConnected",
    "CloudantDatabaseException", "CloudantDesignDocumentException", "CloudantDocumentException",
    "CloudantFeedException", "CloudantIndexException", "CloudantReplicatorException",
    "CloudantViewException", "ResultException", "MalformedResponse", "CloudantConnectionError",
    "CloudantTimeout", "OutcomeUnknown", "OutcomeUnknownTimeout", "CloudantHTTPError", "BadRequest",
    "Unauthorized", "Forbidden", "NotFound",
    "Conflict", "PreconditionFailed", "RequestEntityTooLarge", "UnsupportedMediaType",
    "TooManyRequests", "ServerError", "from_response", "redact_url", "append_response_error_content",
]


def redact_url(url: Optional[str]) -> Optional[str]:
    """Return ``url`` without the user name and password it may embed."""
    if not url or "@" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = "[%s]" % host
    netloc = host + (":%d" % parts.port if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class CloudantException(Exception):
    """Root of every exception this library raises.

    Built as ``CloudantException(msg, code=None)``: ``str(exc)`` is ``msg`` and
    ``exc.status_code`` is ``code``. The subclasses that stand for local misuse
    are built as ``Cls(code, *args)`` instead (see :class:`CataloguedException`).

    :param msg: the message.
    :param code: a message code or HTTP status, or ``None``.
    """

    _catalogue: Optional[_messages.Catalogue] = None

    def __init__(self, msg: Any, code: Any = None) -> None:
        super().__init__(msg)
        #: The message code (an HTTP status for the 4xx/5xx-numbered codes).
        self.code = code

    @property
    def status_code(self) -> Any:
        """The message code; kept under its python-cloudant name."""
        return self.code

    def __reduce__(self) -> Any:
        # The default, cls(*args), cannot rebuild exceptions whose __init__ takes a code, a response or
        # (method, url, detail) rather than the message; multiprocessing pickles exceptions. The response
        # and request objects stay behind (hooks and streams do not pickle).
        state = dict(self.__dict__)
        for name in ("response", "request"):
            if name in state:
                state[name] = None
        return _rebuild, (type(self), str(self), state)


class CataloguedException(CloudantException):
    """An exception whose message comes from a catalogue of ``cloudant._messages``.

    Raised as ``Cls(code, *args)``: the message is the catalogue entry for
    ``code`` filled with ``args``. An unknown code, or too few ``args`` for the
    entry, falls back to code 100 and the section's generic message, as
    python-cloudant 2.x did.

    :param int code: the message code.
    :param args: the values the message is filled with.
    """

    _catalogue: _messages.Catalogue = _messages.GENERIC

    def __init__(self, code: Any = 100, *args: Any) -> None:
        code, message = self._format(code, args)
        super().__init__(message, code)

    @classmethod
    def _format(cls, code: Any, args: Tuple[Any, ...]) -> Tuple[Any, str]:
        try:
            return code, cls._catalogue[code].format(*args)
        except (KeyError, IndexError, TypeError):
            return 100, cls._catalogue[100]


def _rebuild(cls: Type[CloudantException], message: str, state: Dict[str, Any]) -> CloudantException:
    """Unpickle an exception of this module without calling its ``__init__``."""
    exc = cls.__new__(cls)
    exc.args = (message,)
    exc.__dict__.update(state)
    return exc


class CloudantArgumentError(CataloguedException):
    """An argument is of the wrong type or value; nothing was sent."""

    _catalogue = _messages.ARGUMENT_ERROR


class CloudantClientException(CataloguedException):
    """The client was misused, or a database is missing or already there."""

    _catalogue = _messages.CLIENT


class ClientNotConnected(CloudantClientException, AttributeError):
    """A remote call was made before ``connect()`` (an ``AttributeError`` too, as in python-cloudant)."""

    def __init__(self) -> None:
        super().__init__(104)


class CloudantDatabaseException(CataloguedException):
    """A database operation failed."""

    _catalogue = _messages.DATABASE

    @classmethod
    def _format(cls, code: Any, args: Tuple[Any, ...]) -> Tuple[Any, str]:
        # An HTTP status without an entry of its own (e.g. 500 from create()) reads as its arguments.
        if code not in cls._catalogue and isinstance(code, int):
            return code, " ".join(str(arg) for arg in args)
        return super()._format(code, args)


class CloudantDesignDocumentException(CataloguedException):
    """A design document is inconsistent."""

    _catalogue = _messages.DESIGN_DOCUMENT


class CloudantDocumentException(CataloguedException):
    """A document operation cannot be done as asked."""

    _catalogue = _messages.DOCUMENT


class CloudantFeedException(CataloguedException):
    """A feed cannot be read as asked."""

    _catalogue = _messages.FEED


class CloudantIndexException(CataloguedException):
    """A query index operation is not allowed."""

    _catalogue = _messages.INDEX


class CloudantReplicatorException(CataloguedException):
    """A replication is missing or badly specified."""

    _catalogue = _messages.REPLICATOR


class CloudantViewException(CataloguedException):
    """A view cannot be used as asked."""

    _catalogue = _messages.VIEW


class ResultException(CataloguedException):
    """A result cannot be indexed, sliced or iterated as asked."""

    _catalogue = _messages.RESULT


class MalformedResponse(CloudantException, ValueError):
    """The server answered with a body that is not the JSON it should be.

    :param str method: the request's method.
    :param str url: the request's URL (credentials removed).
    :param str detail: what was wrong.
    """

    def __init__(self, method: str, url: str, detail: str) -> None:
        Exception.__init__(self, "Malformed response to %s %s: %s" % (method, redact_url(url), detail))
        self.code = 100
        self.method = method
        self.url = redact_url(url)


class CloudantConnectionError(requests.ConnectionError, CloudantException):
    """The server could not be reached, or the connection dropped mid-response."""

    __reduce__ = CloudantException.__reduce__  # OSError's own comes first in the MRO

    def __init__(self, method: str, url: str, detail: Any) -> None:
        requests.ConnectionError.__init__(
            self, "%s %s failed: %s" % (method, redact_url(url), _strip_credentials(str(detail), url)))
        self.code = 100
        self.method = method
        self.url = redact_url(url)


class CloudantTimeout(CloudantConnectionError, requests.Timeout):
    """The server did not answer in time."""


class OutcomeUnknown(CloudantConnectionError):
    """A write was sent and the connection failed before its answer: it may or may not have been applied.

    The library never sends it again by itself. Read the resources back (a document's ``_rev``, the ids
    of a bulk write) to learn what happened.

    :ivar list unacknowledged: for ``bulk_docs``, the ``_id`` of every document of the request (those
        without an ``_id`` are in ``unacknowledged_docs`` only); empty otherwise.
    :ivar list unacknowledged_docs: for ``bulk_docs``, every document of the request.
    """

    unacknowledged: List[str]
    unacknowledged_docs: List[object]

    def __init__(self, method: str, url: str, detail: object) -> None:
        super().__init__(method, url, "outcome unknown, not sent again (%s)" % (detail,))
        self.unacknowledged = []
        self.unacknowledged_docs = []


class OutcomeUnknownTimeout(OutcomeUnknown, CloudantTimeout):
    """:class:`OutcomeUnknown` because the answer did not come in time (a read timeout)."""


def _strip_credentials(text: str, url: str) -> str:
    clean = redact_url(url) or ""
    return text.replace(url, clean) if url else text


class CloudantHTTPError(requests.HTTPError, CloudantException):
    """The server answered with a status outside 2xx.

    :ivar int status_code: the HTTP status.
    :ivar str error: CouchDB's ``error`` field (e.g. ``"not_found"``), or ``None``.
    :ivar str reason: CouchDB's ``reason`` (or ``/_api/v2`` ``message``), or ``None``.
    :ivar str caused_by: the optional ``caused_by`` field.
    :ivar str request_id: the ``X-Couch-Request-ID`` response header.
    :ivar str method: the request method.
    :ivar str url: the request URL, without credentials.
    """

    __reduce__ = CloudantException.__reduce__  # OSError's own comes first in the MRO
    code: int  # always the HTTP status here

    def __init__(self, response: requests.Response, body: Optional[Dict[str, Any]] = None) -> None:
        body = body or {}
        request = response.request
        self.code = response.status_code
        self.error = _text_or_none(body.get("error"))
        self.reason = _text_or_none(body.get("reason", body.get("message")))
        self.caused_by = _text_or_none(body.get("caused_by"))
        self.request_id = response.headers.get("X-Couch-Request-ID")
        self.method = request.method if request is not None else None
        self.url = redact_url(response.url or (request.url if request is not None else None))
        super().__init__(self._describe(response), response=response, request=request)

    def _describe(self, response: requests.Response) -> str:
        # The text requests gives the HTTPError of a bad status, as python-cloudant raised it;
        # response.reason carries CouchDB's error and reason (see append_response_error_content).
        reason = response.reason
        if isinstance(reason, bytes):
            try:
                reason = reason.decode("utf-8")
            except UnicodeDecodeError:
                reason = reason.decode("iso-8859-1")
        kind = "Server" if response.status_code >= 500 else "Client"
        text = "%s %s Error: %s for url: %s" % (response.status_code, kind, reason, self.url)
        if self.request_id:
            _add_note(self, "request id %s" % self.request_id)
        if self.caused_by:
            _add_note(self, "caused by %s" % self.caused_by)
        return text

    @property
    def status_code(self) -> int:
        """The HTTP status of the answer."""
        return self.code


def _add_note(exc: BaseException, note: str) -> None:
    """Attach ``note`` to the traceback where Python supports exception notes (3.11+)."""
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(note)


def append_response_error_content(response: requests.Response, **kwargs: Any) -> requests.Response:
    """Response hook: append CouchDB's ``error`` and ``reason`` to ``response.reason`` for a status >= 400.

    Installed on every session, as in python-cloudant, so ``str(err)`` of an HTTP
    error and ``err.response.reason`` read e.g. ``Not Found not_found missing``.
    """
    if response.status_code >= 400 and not getattr(response, "_cloudant_reason_appended", False):
        response._cloudant_reason_appended = True  # type: ignore[attr-defined]
        body = _error_body(response)
        if body:
            response.reason = "%s %s %s" % (response.reason, body.get("error", ""), body.get("reason", ""))
    return response


def _text_or_none(value: Any) -> Optional[str]:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


class BadRequest(CloudantHTTPError):
    """400: the request was malformed."""


class Unauthorized(CloudantHTTPError):
    """401: missing or wrong credentials."""


class Forbidden(CloudantHTTPError):
    """403: the credentials do not allow this."""


class NotFound(CloudantHTTPError):
    """404: the database, document or endpoint does not exist."""


class Conflict(CloudantHTTPError):
    """409: a document update conflict (stale or missing ``_rev``)."""


class PreconditionFailed(CloudantHTTPError):
    """412: e.g. the database already exists."""


class RequestEntityTooLarge(CloudantHTTPError):
    """413: the request body exceeds the server's limit."""


class UnsupportedMediaType(CloudantHTTPError):
    """415: the content type is not accepted."""


class TooManyRequests(CloudantHTTPError):
    """429: rate limited, still so after the retries."""


class ServerError(CloudantHTTPError):
    """5xx: the server failed."""


_BY_STATUS: Dict[int, Type[CloudantHTTPError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
    412: PreconditionFailed, 413: RequestEntityTooLarge, 415: UnsupportedMediaType, 429: TooManyRequests,
}

_MAX_ERROR_BODY = 64 * 1024


def from_response(response: requests.Response) -> CloudantHTTPError:
    """Build the typed exception for a non-2xx ``response``.

    Reads CouchDB's ``{"error", "reason", "caused_by"}`` body as well as the
    ``/_api/v2`` forms ``{"code", "error"}`` and ``{"message"}``; a body that is
    not JSON is ignored.
    """
    status = response.status_code
    append_response_error_content(response)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else CloudantHTTPError)
    return cls(response, _error_body(response))


def _error_body(response: requests.Response) -> Dict[str, Any]:
    if response.request is not None and response.request.method == "HEAD":
        return {}
    try:
        content = response.content
    except requests.RequestException:
        return {}
    if not content or len(content) > _MAX_ERROR_BODY:
        return {}
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
