"""HTTP sessions: a :class:`requests.Session` per client, each kind adding one way to authenticate.

Every request runs through :meth:`ClientSession.request`, which drives the
session's *auth flow*: a generator that receives the request's
``(method, url, kwargs)``, yields it to be sent, receives the response and may
renew the credentials and yield the request once more. Renewal happens under a
lock, at most once per request, and only when the body can be sent again (a
file object is rewound; a one-shot iterator is never replayed).

Credentials live only here; no ``repr`` shows them.
"""
from __future__ import annotations

import base64
import os
import threading
import time
from typing import Any, Dict, Generator, Optional, Tuple

import requests
from requests import Session

from .error import CloudantConnectionError, CloudantTimeout, append_response_error_content, from_response

__all__ = ["ClientSession", "BasicSession", "CookieSession", "IAMSession", "DEFAULT_TIMEOUT",
           "DEFAULT_IAM_TOKEN_URL"]

#: Connect and read timeouts (seconds) applied when the client is given none.
DEFAULT_TIMEOUT = (30.0, 300.0)
DEFAULT_IAM_TOKEN_URL = "https://iam.cloud.ibm.com/identity/token"

Call = Tuple[str, str, Dict[str, Any]]
AuthFlow = Generator[Call, requests.Response, None]


class ClientSession(Session):
    """The session every client request goes through; no authentication of its own (admin party).

    :param str username: the user name, or ``None``.
    :param str password: the password, or ``None``.
    :param str session_url: the ``/_session`` URL, or ``None``.
    :param bool auto_renew: renew expired credentials and replay the request once.
    :param timeout: seconds, or a ``(connect, read)`` tuple, for every request
        that does not give its own ``timeout=``. ``None`` means
        :data:`DEFAULT_TIMEOUT`.

    .. versionchanged:: 3.0
       A per-call ``timeout=`` overrides the session's instead of raising ``TypeError``.
    """

    def __init__(self, username: Optional[str] = None, password: Optional[str] = None,
                 session_url: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        self._username = username
        self._password = password
        self._session_url: str = session_url or ""
        self._auto_renew = bool(kwargs.get("auto_renew", False))
        timeout = kwargs.get("timeout")
        self._timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self._renew_lock = threading.Lock()
        self._generation = 0
        self.hooks["response"].append(append_response_error_content)

    def __repr__(self) -> str:
        return "<%s user=%r>" % (type(self).__name__, self._username)

    # -- the request loop ----------------------------------------------------------------------------------
    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send a request through the session's auth flow (see the module docstring)."""
        if args:  # requests' positional order after url: params, data, headers, ...
            kwargs.update(zip(("params", "data", "headers", "cookies", "files", "auth", "timeout"), args))
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        flow = self.auth_flow(method, url, kwargs)
        call = next(flow)
        while True:
            response = Session.request(self, call[0], call[1], **call[2])
            try:
                call = flow.send(response)
            except StopIteration:
                return response

    def auth_flow(self, method: str, url: str, kwargs: Dict[str, Any]) -> AuthFlow:
        """Yield the request to send; this base session adds nothing."""
        yield method, url, kwargs

    # -- credentials ---------------------------------------------------------------------------------------
    def set_credentials(self, username: Optional[str], password: Optional[str]) -> None:
        """Replace the credentials; ``None`` keeps the current value."""
        if username is not None:
            self._username = username
        if password is not None:
            self._password = password

    def base64_user_pass(self) -> Optional[str]:
        """Return ``'Basic <base64 user:password>'``, or ``None`` without both."""
        if self._username is None or self._password is None:
            return None
        token = "%s:%s" % (self._username, self._password)
        return "Basic " + base64.urlsafe_b64encode(token.encode("utf-8")).decode("ascii")

    def info(self) -> Optional[Dict[str, Any]]:
        """Return the server's view of the session (``GET /_session``), or ``None`` without a session URL."""
        if not self._session_url:
            return None
        # Through the auth flow: the Basic credentials or IAM token must go with it.
        response = self._send_raw("GET", self._session_url, authenticated=True)
        return response.json()

    def login(self) -> None:
        """Start a session; nothing to do without authentication."""

    def logout(self) -> None:
        """End the session; nothing to do without authentication."""

    # -- helpers for the subclasses ------------------------------------------------------------------------
    def _send_raw(self, method: str, url: str, authenticated: bool = False, **kwargs: Any) -> requests.Response:
        """Send outside the auth flow (logins), or through it with ``authenticated``, raising typed errors."""
        kwargs.setdefault("timeout", self._timeout)
        try:
            if authenticated:
                response = self.request(method, url, **kwargs)
            else:
                response = Session.request(self, method, url, **kwargs)
        except requests.Timeout as err:
            raise CloudantTimeout(method, url, err) from None
        except requests.ConnectionError as err:
            raise CloudantConnectionError(method, url, err) from None
        if not response.ok:
            raise from_response(response)
        return response

    def _renew(self, generation: int) -> None:
        """Log in again unless another thread already did since ``generation`` was read."""
        with self._renew_lock:
            if self._generation == generation:
                self.login()
                self._generation += 1

    def _replay_after_renewal(self, method: str, url: str, kwargs: Dict[str, Any],
                              response: requests.Response, generation: int,
                              body_position: Optional[int]) -> AuthFlow:
        if not _rewind(kwargs, body_position):
            return
        response.close()
        self._renew(generation)
        yield method, url, kwargs


class BasicSession(ClientSession):
    """Sends HTTP Basic credentials with every request.

    :param str username: the user name.
    :param str password: the password.
    :param str server_url: the server URL (for ``/_session``).
    """

    def __init__(self, username: Optional[str], password: Optional[str], server_url: str, **kwargs: Any) -> None:
        super().__init__(username, password, server_url + "/_session", **kwargs)

    def auth_flow(self, method: str, url: str, kwargs: Dict[str, Any]) -> AuthFlow:
        if kwargs.get("auth") is None and self._username is not None and self._password is not None:
            kwargs["auth"] = (self._username, self._password)
        yield method, url, kwargs


class CookieSession(ClientSession):
    """Logs in with ``POST /_session`` and sends the ``AuthSession`` cookie.

    With ``auto_renew`` (the default since 3.0), a 401, or a 403 whose ``error``
    is ``credentials_expired``, logs in again once and replays the request.
    """

    def __init__(self, username: Optional[str], password: Optional[str], server_url: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_renew", True)
        super().__init__(username, password, server_url + "/_session", **kwargs)

    def login(self) -> None:
        """``POST /_session`` with the name and password (also as Basic auth, for ``require_valid_user``)."""
        credentials = (self._username or "", self._password or "")
        self._send_raw("POST", self._session_url, data={"name": credentials[0], "password": credentials[1]},
                       auth=credentials, headers={"Accept": "application/json"})

    def logout(self) -> None:
        """``DELETE /_session`` and forget the cookie."""
        try:
            self._send_raw("DELETE", self._session_url)
        finally:
            self.cookies.clear()

    def auth_flow(self, method: str, url: str, kwargs: Dict[str, Any]) -> AuthFlow:
        generation = self._generation
        position = _body_position(kwargs)
        response = yield method, url, kwargs
        if self._auto_renew and url != self._session_url and _session_expired(response):
            yield from self._replay_after_renewal(method, url, kwargs, response, generation, position)


class IAMSession(ClientSession):
    """Exchanges an IBM Cloud IAM API key for a bearer token and sends it with every request.

    The token is refreshed when 80% of its lifetime has passed, and once more
    (with a replay of the request) when the server answers 401.

    :param str api_key: the IAM API key.
    :param str server_url: the server URL.
    :param str client_id: optional IAM client id (Basic auth on the token endpoint).
    :param str client_secret: optional IAM client secret.
    :param str token_url: the token endpoint; default ``$IAM_TOKEN_URL`` or IBM Cloud's.
    """

    def __init__(self, api_key: Optional[str], server_url: str, client_id: Optional[str] = None,
                 client_secret: Optional[str] = None, token_url: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_renew", True)
        super().__init__(None, None, server_url + "/_session", **kwargs)
        self._api_key = api_key
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url or os.environ.get("IAM_TOKEN_URL") or DEFAULT_IAM_TOKEN_URL
        self._access_token: Optional[str] = None
        self._refresh_at = 0.0

    @property
    def get_api_key(self) -> Optional[str]:
        """The IAM API key (python-cloudant's property name)."""
        return self._api_key

    @property
    def token_url(self) -> str:
        """The IAM token endpoint this session uses."""
        return self._token_url

    def set_credentials(self, username: Optional[str], api_key: Optional[str]) -> None:
        """Replace the API key (``None`` keeps it); the user name is not used by IAM."""
        if api_key is not None:
            self._api_key = api_key

    def login(self) -> None:
        """Exchange the API key for an access token at the token endpoint."""
        auth = None
        if self._client_id and self._client_secret:
            auth = (self._client_id, self._client_secret)
        response = self._send_raw(
            "POST", self._token_url, auth=auth, headers={"Accept": "application/json"},
            data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "response_type": "cloud_iam",
                  "apikey": self._api_key})
        token = response.json()
        lifetime = float(token["expires_in"] if token.get("expires_in") is not None else 3600)
        now = time.time()
        if token.get("expiration"):
            lifetime = max(0.0, float(token["expiration"]) - now)
        self._access_token = token["access_token"]
        self._refresh_at = now + 0.8 * lifetime

    def logout(self) -> None:
        """Forget the access token and any cookies."""
        self._access_token = None
        self._refresh_at = 0.0
        self.cookies.clear()

    def auth_flow(self, method: str, url: str, kwargs: Dict[str, Any]) -> AuthFlow:
        generation = self._generation
        if self._access_token is None or (self._auto_renew and time.time() >= self._refresh_at):
            self._renew(generation)
            generation = self._generation
        position = _body_position(kwargs)
        _set_bearer(kwargs, self._access_token)
        response = yield method, url, kwargs
        if self._auto_renew and response.status_code == 401:
            for call in self._replay_after_renewal(method, url, kwargs, response, generation, position):
                _set_bearer(call[2], self._access_token)
                yield call


def _set_bearer(kwargs: Dict[str, Any], token: Optional[str]) -> None:
    headers = dict(kwargs.get("headers") or {})
    headers["Authorization"] = "Bearer %s" % token
    kwargs["headers"] = headers


def _session_expired(response: requests.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code != 403:
        return False
    try:
        return response.json().get("error") == "credentials_expired"
    except (ValueError, AttributeError):
        return False


def _body_position(kwargs: Dict[str, Any]) -> Optional[int]:
    """Where a file-object body starts, so that a replay can rewind it."""
    data = kwargs.get("data")
    if data is not None and hasattr(data, "seek") and hasattr(data, "tell"):
        try:
            return data.tell()
        except OSError:
            return None
    return None


def _rewind(kwargs: Dict[str, Any], position: Optional[int]) -> bool:
    """Make the body sendable again; False for a one-shot body that cannot be."""
    data = kwargs.get("data")
    if data is None or isinstance(data, (bytes, bytearray, str, dict, list, tuple)):
        return True
    if position is not None:
        data.seek(position)
        return True
    return False
