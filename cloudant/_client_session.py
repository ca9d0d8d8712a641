"""HTTP sessions: a :class:`requests.Session` per client, each kind adding one way to authenticate.

Every request runs through :meth:`ClientSession.request`, which drives the
session's *auth flow*: a generator that receives the request's
``(method, url, kwargs)``, yields it to be sent, receives the response and may
renew the credentials and yield the request once more. Renewal happens under a
lock, at most once per request, and only when the body can be sent again (a
file object is rewound; a one-shot iterator is never replayed).

Each request leaves through ``super().request(method, url, timeout=..., **kwargs)``,
i.e. :meth:`requests.Session.request` (bound here as the module-level name
``Session``), with the keyword arguments python-cloudant 2.15.0 passed: test suites
that patch ``cloudant._client_session.Session.request`` see the same calls.

The session's own requests (logins, logouts, the token exchange, session
information) go through the wire layer's :func:`~cloudant._endpoint.exchange`
like every other request: transport errors mapped, statuses turned into typed
errors, bodies decoded (:class:`~cloudant.error.MalformedResponse` for one that
is not the JSON it should be).

Credentials live only here; no ``repr`` shows them.
"""
from __future__ import annotations

import base64
import json
import os
import threading
import time
from functools import partial
from typing import Any, Callable, Dict, Generator, Optional, Tuple

import requests
from requests import Session
from requests.sessions import merge_setting as _requests_merge_setting

from ._auth_replies import DEFAULT_TOKEN_LIFETIME
from ._auth_replies import drop_session_cookie as _drop_session_cookie
from ._auth_replies import iam_error as _iam_error
from ._auth_replies import json_object as _json_object
from ._auth_replies import malformed_cookie as _malformed_cookie
from ._auth_replies import session_expired as _session_expired
from ._auth_replies import session_info as _session_info
from ._auth_replies import set_bearer as _set_bearer
from ._auth_replies import token_lifetime as _lifetime
from ._endpoint import check_response, decode_json_object, exchange, exchange_json
from ._environment import environment_settings
from ._nodes import NodeList
from ._replay import body_position as _body_position
from ._replay import keywords as _keywords
from ._replay import rewind as _rewind
from ._types import JsonObject, JsonValue
from .adapters import DEFAULT_TIMEOUT, TimeoutAdapter
from .error import BadRequest, MalformedResponse, append_response_error_content

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
_REQUESTS_MERGE_ENVIRONMENT_SETTINGS = Session.merge_environment_settings
merge_setting: Callable[..., Any] = _requests_merge_setting  # (untyped in requests' stubs)

__all__ = ["ClientSession", "BasicSession", "CookieSession", "IAMSession", "DEFAULT_TIMEOUT",
           "DEFAULT_IAM_TOKEN_URL"]

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
        that does not give its own ``timeout=``. With ``None`` (the default) the
        library's transport adapters apply :data:`~cloudant.adapters.DEFAULT_TIMEOUT`.

    :param NodeList nodes: keyword only: the nodes of one cluster; each request goes to the node in use and
        on to the next as :mod:`cloudant._nodes` allows (logins too, so they reach the node in use).

    .. versionchanged:: 3.0
       A per-call ``timeout=`` overrides the session's instead of raising ``TypeError``.
    """

    def __init__(self, username: Optional[str] = None, password: Optional[str] = None,
                 session_url: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        self._username = username
        self._password = password
        self._session_url: Optional[str] = session_url
        self._auto_renew = bool(kwargs.get("auto_renew", False))
        self._timeout = kwargs.get("timeout")
        #: The nodes of a cluster requests are spread over (see :mod:`cloudant._nodes`); ``None``: one server.
        self.nodes: Optional[NodeList] = kwargs.get("nodes")
        for prefix in ("https://", "http://"):
            self.mount(prefix, TimeoutAdapter())
        self._renew_lock = threading.Lock()
        self._generation = 0
        self.hooks["response"].append(append_response_error_content)

    def __repr__(self) -> str:
        return "<%s user=%r>" % (type(self).__name__, self._username)

    # -- the request loop ----------------------------------------------------------------------------------
    # The request() overrides take requests' positional arguments after url as *args, and keywords as
    # **kwargs, to pass them on unchanged: a signature mypy cannot match against requests' typed one
    # (hence the ignore[override] on each).
    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Hand one request to :meth:`requests.Session.request` with the session's timeout.

        The authenticating subclasses run their auth flow around this method
        (``super().request``), as python-cloudant's did.
        """
        options = _keywords(args, kwargs)
        if options.get("timeout") is None:
            options["timeout"] = self._timeout
        if "params" in options and options["params"] is None:
            del options["params"]  # requests' get() adds params=None; python-cloudant's calls had none
        if self.nodes is None:
            return super().request(method, url, **options)
        position = _body_position(options)
        return self.nodes.send(method, url, lambda node_url: Session.request(self, method, node_url, **options),
                               lambda: "files" not in options and _rewind(options, position))

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> Any:
        """requests' merge of a request's settings with the environment's and the session's; the environment's
        part is read from :mod:`cloudant._environment` (once per change of the environment) instead of
        being looked up again for every request. The result is the same as requests' own.
        """
        found = None
        if (self.trust_env and isinstance(url, str) and not (proxies and "no_proxy" in proxies)
                and Session.merge_environment_settings is _REQUESTS_MERGE_ENVIRONMENT_SETTINGS):
            found = environment_settings(url)
        if found is None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        environment_proxies, bundle = found
        if proxies is not None:
            for scheme, proxy in environment_proxies.items():
                proxies.setdefault(scheme, proxy)
        if verify is True or verify is None:
            verify = bundle or verify
        return {"proxies": merge_setting(proxies, self.proxies), "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}

    def _drive(self, send: Callable[..., requests.Response], method: str, url: str, args: Tuple[Any, ...],
               kwargs: Dict[str, Any]) -> requests.Response:
        """Run the auth flow for one request, each attempt sent with ``send`` (the parent's ``request``)."""
        flow = self.auth_flow(method, url, _keywords(args, kwargs))
        call = next(flow)
        while True:
            response = send(call[0], call[1], **call[2])
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

    def info(self) -> Optional[JsonObject]:
        """Return the server's view of the session (``GET /_session``), or ``None`` without a session URL."""
        url = self._info_url()
        if not url:
            return None
        # Through get() and the auth flow, as python-cloudant: the Basic credentials or IAM token go with it.
        return exchange_json(self.get, "GET", url)  # the server's answer, as python-cloudant returned it

    def _info_url(self) -> Optional[str]:
        """The URL :meth:`info` reads: the session URL."""
        return self._session_url

    def login(self) -> None:
        """Start a session; nothing to do without authentication."""

    def logout(self) -> None:
        """End the session; nothing to do without authentication."""

    # -- helpers for the subclasses ------------------------------------------------------------------------
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

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with HTTP Basic credentials."""
        return self._drive(super().request, method, url, args, kwargs)

    def auth_flow(self, method: str, url: str, kwargs: Dict[str, Any]) -> AuthFlow:
        if kwargs.get("auth") is None:  # auth=None without both credentials, as python-cloudant sent
            both = self._username is not None and self._password is not None
            kwargs["auth"] = (self._username, self._password) if both else None
        yield method, url, kwargs


class CookieSession(ClientSession):
    """Logs in with ``POST /_session`` and sends the ``AuthSession`` cookie.

    With ``auto_renew`` (default False, as in python-cloudant; the clients pass True
    unless told otherwise), a 401, or a 403 whose ``error``
    is ``credentials_expired``, logs in again once and replays the request.
    With several nodes, a 401 from a node other than the one the session logged in
    on does so even without ``auto_renew``: a cookie is valid on every node of a
    cluster only for users of ``_users``, not for the admins of each node's own
    configuration (hashed with a salt of its own), and not on another host.
    """

    def __init__(self, username: Optional[str], password: Optional[str], server_url: str, **kwargs: Any) -> None:
        super().__init__(username, password, server_url + "/_session", **kwargs)
        self._login_node: Optional[str] = None

    def login(self) -> None:
        """``POST /_session`` with the name and password (also as Basic auth, for ``require_valid_user``).

        A server that refuses the request for a malformed ``AuthSession`` cookie
        (400) is asked once more without it.
        """
        credentials = (self._username or "", self._password or "")
        form = {"name": credentials[0], "password": credentials[1]}
        send = partial(super().request, "POST")
        url = str(self._session_url)
        headers = {"Accept": "application/json"}
        try:
            exchange(send, "POST", url, data=form, auth=credentials, headers=headers)
        except BadRequest as err:
            if not _malformed_cookie(err.response):
                raise
            _drop_session_cookie(self.cookies, err.response)
            exchange(send, "POST", url, data=form, auth=credentials, headers=headers)
        self._login_node = self.nodes.current if self.nodes is not None else None

    def logout(self) -> None:
        """``DELETE /_session`` and forget the cookie."""
        try:
            exchange(partial(super().request, "DELETE"), "DELETE", str(self._session_url))
        finally:
            self.cookies.clear()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with the session cookie, renewing it once when it has expired (``auto_renew``)."""
        return self._drive(super().request, method, url, args, kwargs)

    def auth_flow(self, method: str, url: str, kwargs: Dict[str, Any]) -> AuthFlow:
        generation = self._generation
        position = _body_position(kwargs)
        response = yield method, url, kwargs
        if _malformed_cookie(response):
            yield from self._recover_from_malformed_cookie(method, url, kwargs, response, generation, position)
        elif (self._auto_renew or self._moved_since_login()) and url != self._session_url \
                and _session_expired(response):
            yield from self._replay_after_renewal(method, url, kwargs, response, generation, position)

    def _moved_since_login(self) -> bool:
        """Whether the node in use is another than the one the session logged in on."""
        return self.nodes is not None and self.nodes.current != self._login_node

    def _recover_from_malformed_cookie(self, method: str, url: str, kwargs: Dict[str, Any],
                                       response: requests.Response, generation: int,
                                       body_position: Optional[int]) -> AuthFlow:
        """The server cannot read the ``AuthSession`` cookie sent (400): drop it, and with ``auto_renew``
        log in again and replay once (a logout or login of the session itself is replayed without one)."""
        _drop_session_cookie(self.cookies, response)
        if not self._auto_renew:
            return  # the 400 reaches the caller; the next request or login goes without the bad cookie
        if url == self._session_url and method.upper() != "GET":
            if _rewind(kwargs, body_position):
                response.close()
                yield method, url, kwargs
            return
        yield from self._replay_after_renewal(method, url, kwargs, response, generation, body_position)


#: How an :class:`IAMSession` authenticates, learnt at its first login: IBM Cloudant's ``IAMSession`` cookie
#: (``POST /_iam_session``, python-cloudant's only way) or the token sent as ``Authorization: Bearer``
#: (servers without ``/_iam_session`` that verify the token themselves, e.g. Apache CouchDB's JWT handler).
COOKIE_MODE = "cookie"
BEARER_MODE = "bearer"

#: The lifetime assumed for a token whose reply gives none, in seconds.
#: The share of a token's lifetime after which a bearer-mode session fetches a new one.
REFRESH_AT = 0.8

_TOKEN_FORM = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "response_type": "cloud_iam"}
_NO_TOKEN_SERVICE = "Failed to contact IAM token service"
_BAD_TOKEN_REPLY = "Invalid response from IAM token service"
_NO_EXCHANGE = "Failed to exchange IAM token with Cloudant"


class IAMSession(ClientSession):
    """Exchanges an IBM Cloud IAM API key for an access token and authenticates with it.

    :meth:`login` gets a token from the token endpoint and, as python-cloudant
    2.15.0, exchanges it for an ``IAMSession`` cookie with ``POST /_iam_session``
    (*cookie mode*). A server without that endpoint (Apache CouchDB, which
    verifies the token itself as a JWT) answers 404 or 405, or refuses the
    anonymous POST while its ``/_session`` names a ``jwt`` handler or accepts the
    token: the session then sends the token as ``Authorization: Bearer`` with
    every request (*bearer mode*). The mode is learnt at the first login and
    kept (see :attr:`auth_mode`).

    With ``auto_renew``, a request logs in first when it has nothing to send (no
    ``IAMSession`` cookie; in bearer mode, no token or one 80% through its
    lifetime), and a 401 logs in again and replays the request once. Without
    ``auto_renew`` only :meth:`login` (called by ``connect()``) gets a token.

    Failures raise a plain :class:`~cloudant.error.CloudantException` with
    python-cloudant's text; the typed error behind it (an HTTP error with its
    status, or a connection error) is its ``__cause__``, and ``method``, ``url``
    and ``response`` attributes say which request failed.

    :param str api_key: the IAM API key.
    :param str server_url: the server URL.
    :param str client_id: optional IAM client id (Basic auth on the token endpoint).
    :param str client_secret: optional IAM client secret.
    :param str token_url: keyword only: the token endpoint; default ``$IAM_TOKEN_URL`` or IBM Cloud's.
    """

    def __init__(self, api_key: Optional[str], server_url: str, client_id: Optional[str] = None,
                 client_secret: Optional[str] = None, **kwargs: Any) -> None:
        token_url = kwargs.pop("token_url", None)
        super().__init__(None, None, server_url + "/_iam_session", **kwargs)
        self._server_url = server_url
        self._api_key = api_key
        self._client_id = client_id
        self._client_secret = client_secret
        #: HTTP Basic credentials for the token endpoint (python-cloudant's name), or ``None``.
        self._token_auth = (client_id, client_secret) if client_id and client_secret else None
        self._token_url = token_url or os.environ.get("IAM_TOKEN_URL") or DEFAULT_IAM_TOKEN_URL
        self._access_token: Optional[str] = None
        self._refresh_at = 0.0
        self._mode: Optional[str] = None

    @property
    def get_api_key(self) -> Optional[str]:
        """The IAM API key (python-cloudant's property name)."""
        return self._api_key

    @property
    def token_url(self) -> str:
        """The IAM token endpoint this session uses."""
        return self._token_url

    @property
    def auth_mode(self) -> Optional[str]:
        """:data:`COOKIE_MODE` or :data:`BEARER_MODE` once a login has told which; ``None`` before."""
        return self._mode

    def set_credentials(self, username: Optional[str], api_key: Optional[str]) -> None:
        """Replace the API key (``None`` keeps it); the user name is not used by IAM."""
        if api_key is not None:
            self._api_key = api_key

    # -- logging in ----------------------------------------------------------------------------------------
    def login(self) -> None:
        """Get an access token, then (cookie mode, or the mode still unknown) exchange it for a cookie.

        :raises CloudantException: the token endpoint or ``/_iam_session`` failed.
        """
        self._refresh_at = 0.0
        access_token = self._get_access_token()
        self._access_token = access_token
        if not self._refresh_at:  # a stand-in _get_access_token that did not record the lifetime
            self._refresh_at = time.time() + REFRESH_AT * DEFAULT_TOKEN_LIFETIME
        if self._mode != BEARER_MODE:
            self._exchange_for_cookie(access_token)

    def _exchange_for_cookie(self, access_token: str) -> None:
        """``POST /_iam_session`` with the token, as python-cloudant; learn the mode from the answer."""
        url = self._session_url or self._server_url + "/_iam_session"
        # Before the mode is known, the answers that may mean "send the token instead" come back unraised.
        learning = (401, 403, 404, 405) if self._mode is None else ()
        try:
            response = exchange(partial(super().request, "POST"), "POST", url, allow_status=learning,
                                headers={"Content-Type": "application/json"},
                                data=json.dumps({"access_token": access_token}))
            if self._mode is None and self._takes_bearer_tokens(response, access_token):
                self._mode = BEARER_MODE
                return
            check_response(response)
        except requests.RequestException as err:
            raise _iam_error(_NO_EXCHANGE, "POST", url, err, err.response) from err
        self._mode = COOKIE_MODE

    def _takes_bearer_tokens(self, response: requests.Response, access_token: str) -> bool:
        """Whether the server's answer to ``POST /_iam_session`` means "no such endpoint, send the token".

        404 and 405 say so directly. A 401 or 403 is what Apache CouchDB answers
        an anonymous request for what it reads as a system database; then
        ``/_session`` decides: its ``authentication_handlers`` list ``jwt``, or it
        accepts the token itself.
        """
        status = response.status_code
        if not isinstance(status, int) or status not in (401, 403, 404, 405):
            return False
        response.close()
        if status in (404, 405):
            return True
        handlers = _session_info(self._probe_session({})).get("authentication_handlers")
        if isinstance(handlers, list) and "jwt" in handlers:
            return True
        body = self._probe_session({"Authorization": "Bearer %s" % access_token})
        user = body.get("userCtx") if isinstance(body, dict) else None
        return isinstance(user, dict) and bool(user.get("name"))

    def _probe_session(self, headers: Dict[str, str]) -> JsonValue:
        """``GET /_session`` with ``headers`` outside the auth flow; the decoded body, or ``None``."""
        headers = {"Accept": "application/json", **headers}
        try:
            return exchange_json(partial(super().request, "GET"), "GET", self._server_url + "/_session",
                                 headers=headers)
        except (requests.RequestException, MalformedResponse):
            return None

    def _get_access_token(self) -> str:
        """``POST`` the API key to the token endpoint; keep and return the access token.

        :raises CloudantException: ``'Failed to contact IAM token service'`` (or
            the endpoint's ``errorMessage``) when the request fails,
            ``'Invalid response from IAM token service'`` when the reply holds no token.
        """
        url = self._token_url
        try:
            response = exchange(partial(super().request, "POST"), "POST", url, auth=self._token_auth,
                                headers={"Accepts": "application/json"}, data={**_TOKEN_FORM, "apikey": self._api_key})
        except requests.RequestException as err:  # no answer, or an error status: the endpoint's message if any
            message = _json_object(err.response).get("errorMessage")
            text = message if isinstance(message, str) and message else _NO_TOKEN_SERVICE
            raise _iam_error(text, "POST", url, err, err.response) from err
        try:
            body = decode_json_object(response)
        except (MalformedResponse, requests.RequestException) as err:  # a 200 whose body is no JSON object
            raise _iam_error(_BAD_TOKEN_REPLY, "POST", url, err, response) from err
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise _iam_error(_BAD_TOKEN_REPLY, "POST", url, None, response)
        self._access_token = token
        self._refresh_at = time.time() + REFRESH_AT * _lifetime(body)
        return token

    def logout(self) -> None:
        """Forget the access token and clear the cookies (python-cloudant sent nothing); the mode is kept."""
        self._access_token = None
        self._refresh_at = 0.0
        self.cookies.clear()

    # -- requests --------------------------------------------------------------------------------------------
    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with the ``IAMSession`` cookie or the bearer token, renewed as needed (``auto_renew``)."""
        return self._drive(super().request, method, url, args, kwargs)

    def auth_flow(self, method: str, url: str, kwargs: Dict[str, Any]) -> AuthFlow:
        self.cookies.clear_expired_cookies()
        generation = self._generation
        if self._auto_renew and self._needs_login():
            self._renew(generation)
            generation = self._generation
        position = _body_position(kwargs)
        self._authorize(kwargs)
        response = yield method, url, kwargs
        if self._auto_renew and response.status_code == 401:
            for call in self._replay_after_renewal(method, url, kwargs, response, generation, position):
                self._authorize(call[2])
                yield call

    def _authorize(self, kwargs: Dict[str, Any]) -> None:
        """In bearer mode, put the token in the request's headers; the cookie jar does the rest."""
        if self._mode == BEARER_MODE:
            _set_bearer(kwargs, self._access_token)

    def _needs_login(self) -> bool:
        """No ``IAMSession`` cookie (python-cloudant's test); in bearer mode, no token or an aged one."""
        if self._mode == BEARER_MODE:
            return self._access_token is None or time.time() >= self._refresh_at
        return "IAMSession" not in self.cookies.keys()

    def _info_url(self) -> Optional[str]:
        """``/_iam_session``, as python-cloudant; ``/_session`` in bearer mode, where that is what answers."""
        if self._mode == BEARER_MODE:
            return self._server_url + "/_session"
        return self._session_url
