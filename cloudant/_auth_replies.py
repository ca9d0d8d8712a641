"""What the server's answers say about a session: token lifetimes, session information, expired or malformed
cookies, and python-cloudant's IAM error texts."""
from __future__ import annotations

import time
from typing import Any, Dict, Optional

import requests

from ._endpoint import decode_json_object, is_real_response
from .error import CloudantException, MalformedResponse, redact_url

__all__ = ["DEFAULT_TOKEN_LIFETIME", "token_lifetime", "json_object", "session_info", "iam_error", "set_bearer",
           "session_expired", "malformed_cookie", "drop_session_cookie", "sent_cookie"]

#: Seconds an IAM token is taken to live when its reply says nothing usable.
DEFAULT_TOKEN_LIFETIME = 3600.0
_MALFORMED_COOKIE = "malformed authsession cookie"


def token_lifetime(token: Dict[str, Any]) -> float:
    """Seconds the token lives: ``expiration`` when consistent with the clock, else ``expires_in`` or 3600."""
    try:
        lifetime = float(token.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
    except (TypeError, ValueError):
        lifetime = DEFAULT_TOKEN_LIFETIME
    try:
        left = float(token["expiration"]) - time.time()
    except (KeyError, TypeError, ValueError):
        return lifetime
    return left if 0 < left < lifetime else lifetime  # an expiration in the past is a clock skew: ignore it


def json_object(response: Optional[requests.Response]) -> Dict[str, Any]:
    """The decoded body when it is a JSON object, else ``{}`` (no response, another body, a dropped connection)."""
    if response is None:
        return {}
    try:
        return decode_json_object(response)
    except (MalformedResponse, requests.RequestException):
        return {}


def session_info(body: Any) -> Dict[str, Any]:
    info = body.get("info") if isinstance(body, dict) else None
    return info if isinstance(info, dict) else {}


def iam_error(text: str, method: str, url: str, cause: Optional[BaseException],
               response: Optional[requests.Response] = None) -> CloudantException:
    """python-cloudant's plain ``CloudantException(text)``, carrying which request failed and why."""
    exc = CloudantException(text)
    # Attributes of this one instance (the class declares none of them: it is python-cloudant's plain class).
    vars(exc).update(method=method, url=redact_url(url), response=response)
    add_note = getattr(exc, "add_note", None)
    if cause is not None and add_note is not None:
        add_note(str(cause))
    return exc


def set_bearer(kwargs: Dict[str, Any], token: Optional[str]) -> None:
    if token is None:  # not logged in (auto_renew off), or an IAMSession cookie authenticates
        return
    headers = dict(kwargs.get("headers") or {})
    headers["Authorization"] = "Bearer %s" % token
    kwargs["headers"] = headers


def session_expired(response: requests.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code != 403:
        return False
    return bool(json_object(response).get("error") == "credentials_expired")


def malformed_cookie(response: Optional[requests.Response]) -> bool:
    """Whether the server refused the request for an ``AuthSession`` cookie it cannot read (CouchDB: 400,
    ``"Malformed AuthSession cookie. Please clear your cookies."``)."""
    if response is None or response.status_code != 400 or not is_real_response(response):
        return False
    reason = json_object(response).get("reason")
    return isinstance(reason, str) and _MALFORMED_COOKIE in reason.lower()


def drop_session_cookie(jar: Any, response: Optional[requests.Response]) -> None:
    """Remove the ``AuthSession`` cookie ``response``'s request sent (every one, when that is unknown).

    Only the value sent is removed: a fresh cookie another thread's login set meanwhile is kept.
    """
    sent = sent_cookie(response, "AuthSession")
    for cookie in list(jar):
        if cookie.name == "AuthSession" and (sent is None or cookie.value == sent):
            jar.clear(cookie.domain, cookie.path, cookie.name)


def sent_cookie(response: Optional[requests.Response], name: str) -> Optional[str]:
    """The value of cookie ``name`` in the request ``response`` answers, or ``None``."""
    request = getattr(response, "request", None)
    header = request.headers.get("Cookie") if request is not None else None
    if not isinstance(header, str):
        return None
    for pair in header.split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value
    return None
