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
     │    └── CloudantTimeout(requests.Timeout)
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
from typing import Any, Dict, Optional, Type
from urllib.parse import urlsplit, urlunsplit

import requests

from . import _messages

__all__ = [
    "CloudantException", "CloudantArgumentError", "CloudantClientException", "ClientNotConnected",
    "CloudantDatabaseException", "CloudantDesignDocumentException", "CloudantDocumentException",
    "CloudantFeedException", "CloudantIndexException", "CloudantReplicatorException",
    "CloudantViewException", "ResultException", "MalformedResponse", "CloudantConnectionError",
    "CloudantTimeout", "CloudantHTTPError", "BadRequest", "Unauthorized", "Forbidden", "NotFound",
    "Conflict", "PreconditionFailed", "RequestEntityTooLarge", "UnsupportedMediaType",
    "TooManyRequests", "ServerError", "from_response", "redact_url",
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

    Subclasses are raised as ``Cls(code, *args)``: the message is the
    catalogue entry for ``code`` (see :mod:`cloudant._messages`) filled with
    ``args``. An unknown code falls back to the args joined by spaces, or the
    generic message.

    :param code: message code (or HTTP status for server-derived errors).
    """

    _catalogue: _messages.Catalogue = _messages.GENERIC

    def __init__(self, code: Any = 100, *args: Any) -> None:
        if isinstance(code, int) and not isinstance(code, bool):
            message = self._format(code, args)
        else:  # python-cloudant's CloudantException(msg, code=None) form
            message, code = str(code), (args[0] if args else None)
        super().__init__(message)
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

    @classmethod
    def _format(cls, code: int, args: tuple) -> str:
        template = cls._catalogue.get(code)
        if template is not None:
            try:
                return template.format(*args)
            except (IndexError, KeyError):
                pass
        if args and code not in cls._catalogue:
            return " ".join(str(arg) for arg in args)
        return cls._catalogue.get(100, _messages.GENERIC[100])


def _rebuild(cls: Type[CloudantException], message: str, state: Dict[str, Any]) -> CloudantException:
    """Unpickle an exception of this module without calling its ``__init__``."""
    exc = cls.__new__(cls)
    exc.args = (message,)
    exc.__dict__.update(state)
    return exc


class CloudantArgumentError(CloudantException):
    """An argument is of the wrong type or value; nothing was sent."""

    _catalogue = _messages.ARGUMENT_ERROR


class CloudantClientException(CloudantException):
    """The client was misused, or a database is missing or already there."""

    _catalogue = _messages.CLIENT


class ClientNotConnected(CloudantClientException, AttributeError):
    """A remote call was made before ``connect()`` (an ``AttributeError`` too, as in python-cloudant)."""

    def __init__(self) -> None:
        super().__init__(104)


class CloudantDatabaseException(CloudantException):
    """A database operation failed."""

    _catalogue = _messages.DATABASE


class CloudantDesignDocumentException(CloudantException):
    """A design document is inconsistent."""

    _catalogue = _messages.DESIGN_DOCUMENT


class CloudantDocumentException(CloudantException):
    """A document operation cannot be done as asked."""

    _catalogue = _messages.DOCUMENT


class CloudantFeedException(CloudantException):
    """A feed cannot be read as asked."""

    _catalogue = _messages.FEED


class CloudantIndexException(CloudantException):
    """A query index operation is not allowed."""

    _catalogue = _messages.INDEX


class CloudantReplicatorException(CloudantException):
    """A replication is missing or badly specified."""

    _catalogue = _messages.REPLICATOR


class CloudantViewException(CloudantException):
    """A view cannot be used as asked."""

    _catalogue = _messages.VIEW


class ResultException(CloudantException):
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
        text = "%d %s" % (response.status_code, response.reason or "")
        details = ": ".join(part for part in (self.error, self.reason) if part)
        if details:
            text += " - " + details
        if self.caused_by:
            text += " (caused by %s)" % self.caused_by
        text += " [%s %s]" % (self.method, self.url)
        if self.request_id:
            text += " request id %s" % self.request_id
        return text

    @property
    def status_code(self) -> int:
        """The HTTP status of the answer."""
        return self.code


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
