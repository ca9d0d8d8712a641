"""The server-level client: :class:`CouchDB` and its IBM Cloudant flavour :class:`Cloudant`.

A client is a ``dict`` of the database objects it has handed out, keyed by
name. ``client['orders']`` returns the cached object or checks the server once;
``del client['orders']`` forgets the cached object (``__delitem__(key,
remote=True)`` also deletes the database). The server-wide methods come from
``cloudant._server`` and Cloudant's ``/_api/v2`` ones from ``cloudant._cloudant_api``.
"""
from __future__ import annotations

import json
import logging
import platform
import warnings
from typing import Any, Dict, FrozenSet, List, Optional, Set, Type, TypeVar, Union, cast, overload

from . import __version__
from ._client_session import BasicSession, ClientSession, CookieSession, IAMSession
from ._cloud_foundry import DEFAULT_SERVICE_NAME, CloudFoundryService
from ._cloudant_api import CloudantEndpoints
from ._config import read_service_config, service_urls
from ._endpoint import Endpoint
from ._params import DB_UPDATES_ARGS, check_credentials, check_database_name, check_url
from ._server import ServerEndpoints
from ._nodes import NodeList
from ._server_url import split_urls as _split_urls
from .adapters import Replay429Adapter
from .database import CloudantDatabase, CouchDatabase
from .error import (ClientNotConnected, CloudantArgumentError, CloudantClientException, CloudantConnectionError,
                    CloudantDatabaseException, CloudantException, CloudantHTTPError, NotFound, _add_note)
from .feed import Feed, FeedTarget, InfiniteFeed

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["CouchDB", "Cloudant"]

LOG = logging.getLogger("cloudant")
_T = TypeVar("_T")

USER_AGENT = "python-cloudant/{0}/Python/{1}/{2}/{3}".format(
    __version__, platform.python_version(), platform.system(), platform.machine())

_CLIENT_OPTIONS = frozenset({
    "url", "encoder", "adapter", "timeout", "connect", "auto_renew", "use_basic_auth", "use_iam",
    "iam_client_id", "iam_client_secret", "iam_token_url", "gzip_threshold",
})
_SHARE_ROLES = ("_reader", "_writer", "_admin", "_replicator", "_db_updates", "_design", "_shards", "_security")


class CouchDB(ServerEndpoints, dict[str, CouchDatabase]):  # subscripted builtin: the bases stay (..., dict)
    """A client of an Apache CouchDB server (or anything speaking its API).

    :param str user: user name, or ``None`` (admin party, or credentials in ``url``).
    :param str auth_token: password (or IAM API key with ``use_iam``).
    :param bool admin_party: send no credentials at all. Default False.
    :param str url: the server URL; user info in it is used when ``user`` and
        ``auth_token`` are not given, and never kept in :attr:`server_url`
        (another type: ``CloudantArgumentError`` 117; 2.15.0 raised ``AttributeError``).
        A list or tuple of URLs names the nodes of one cluster: requests go to
        the node in use and move on to the next when it fails (see
        :mod:`cloudant._nodes`); :attr:`server_url` is then the node in use.
    :param encoder: a :class:`json.JSONEncoder` subclass for every JSON body.
    :param adapter: a :mod:`requests` transport adapter mounted on the server
        URL. Default: a :class:`~cloudant.adapters.Replay429Adapter`.
    :param timeout: seconds, or ``(connect, read)``, for every request.
        Default ``(30, 300)``.
    :param bool connect: connect at the end of construction. Default False.
    :param bool auto_renew: renew an expired cookie session or IAM token and
        replay the request once. Default True.
    :param bool use_basic_auth: send HTTP Basic credentials instead of a cookie session.
    :param bool use_iam: treat ``auth_token`` as an IAM API key.
    :param str iam_client_id: IAM client id (with ``iam_client_secret``).
    :param str iam_client_secret: IAM client secret.
    :param str iam_token_url: the IAM token endpoint (default ``$IAM_TOKEN_URL``
        or IBM Cloud's).
    :param int gzip_threshold: gzip JSON request bodies of at least this many
        bytes (``Content-Encoding: gzip``). Default ``None``: never.

    Other keyword arguments are accepted, as python-cloudant accepted them, with
    a :class:`UserWarning` saying that they do nothing (``account`` and
    ``x_cloudant_user`` take effect on :class:`Cloudant` only).

    .. versionchanged:: 3.0
       ``auto_renew`` defaults to True; without ``timeout`` the library's
       adapters apply :data:`~cloudant.adapters.DEFAULT_TIMEOUT`; a trailing
       ``/`` of ``url`` is dropped.
    """

    _DATABASE_CLASS: Type[CouchDatabase] = CouchDatabase
    _extra_options: FrozenSet[str] = frozenset()

    def __init__(self, user: Optional[str], auth_token: Optional[str], admin_party: bool = False,
                 **kwargs: Any) -> None:
        super().__init__()
        _warn_ignored(type(self).__name__, set(kwargs) - _CLIENT_OPTIONS - self._extra_options)
        urls, url_user, url_password = _split_urls(kwargs.get("url"), check_url)
        self._server_url: Optional[str] = urls[0] if urls else None
        #: The nodes of one cluster, when ``url`` names several (``None`` for one URL): cloudant._nodes.
        self._nodes: Optional[NodeList] = NodeList(urls) if len(urls) > 1 else None
        if not user and not auth_token and url_user is not None:
            user, auth_token = url_user, url_password
        self._user = user
        self._auth_token = auth_token
        self.admin_party = admin_party
        self.encoder: Type[json.JSONEncoder] = kwargs.get("encoder") or json.JSONEncoder
        self.adapter = kwargs.get("adapter")
        self.gzip_threshold: Optional[int] = kwargs.get("gzip_threshold")
        self.r_session: Optional[ClientSession] = None
        self._timeout = kwargs.get("timeout")
        self._auto_renew = kwargs.get("auto_renew", True)
        self._use_basic_auth = kwargs.get("use_basic_auth", False)
        self._use_iam = kwargs.get("use_iam", False)
        self._iam_client_id = kwargs.get("iam_client_id")
        self._iam_client_secret = kwargs.get("iam_client_secret")
        self._iam_token_url = kwargs.get("iam_token_url")
        #: Headers set on every session (python-cloudant's attribute; ``None`` for CouchDB).
        self._client_user_header: Optional[Dict[str, str]] = None
        self._features: Optional[List[str]] = None
        self._endpoint = Endpoint(self, self.server_url or "")
        if kwargs.get("connect", False):
            self.connect()

    def __repr__(self) -> str:
        return "<%s %s user=%r databases=%r>" % (type(self).__name__, self.server_url, self._user,
                                                sorted(dict.keys(self)))

    @property
    def server_url(self) -> Optional[str]:
        """The server's URL as given with ``url=`` (or built from the Cloudant account name), without the user
        name and password a URL may carry; with several node URLs, the node in use (at first the first)."""
        return self._nodes.current if self._nodes is not None else self._server_url

    @server_url.setter
    def server_url(self, url: Optional[str]) -> None:
        """Point the client at one URL (the node list, if any, is dropped), as 2.15.0's plain attribute."""
        self._server_url, self._nodes = url, None

    # -- sessions ------------------------------------------------------------------------------------------
    @property
    def is_iam_authenticated(self) -> bool:
        """True when the client authenticates with an IAM API key."""
        return bool(self._use_iam) and not self.admin_party and not self._use_basic_auth

    def connect(self) -> None:
        """Open the HTTP session and log in (cookie session or IAM token) when the mode needs it.

        An existing session is logged out and closed first; cached databases are kept.
        """
        self._close_session()
        session = self._new_session()
        adapter = self.adapter or Replay429Adapter()
        for url in self._nodes.urls if self._nodes is not None else [self._session_server_url()]:
            session.mount(url, adapter)
        session.headers["User-Agent"] = USER_AGENT
        if self._client_user_header:
            session.headers.update(self._client_user_header)
        self.r_session = session
        try:
            self.session_login()
        except BaseException:
            self.r_session = None
            session.close()
            raise

    def _new_session(self) -> ClientSession:
        # With one URL the sessions are built with python-cloudant's arguments alone.
        nodes: Dict[str, Any] = {"nodes": self._nodes} if self._nodes is not None else {}
        options = {"auto_renew": self._auto_renew, "timeout": self._timeout, **nodes}
        if self.admin_party:
            return ClientSession(timeout=self._timeout, **nodes)
        server_url = self._session_server_url()
        if self._use_basic_auth:
            return BasicSession(self._user, self._auth_token, server_url, **options)
        if self._use_iam:
            return IAMSession(self._auth_token, server_url, self._iam_client_id, self._iam_client_secret,
                              token_url=self._iam_token_url, **options)
        return CookieSession(self._user, self._auth_token, server_url, **options)

    def _session_server_url(self) -> str:
        """:attr:`server_url` for the session: a client built without ``url`` has ``None`` there, which the
        session classes and ``requests`` refuse with a ``TypeError`` when connecting, as in python-cloudant."""
        return cast(str, self.server_url)

    def disconnect(self) -> None:
        """Log out, close the HTTP session and empty the database cache."""
        self.clear()
        self._close_session()

    def _close_session(self) -> None:
        session, self.r_session = self.r_session, None
        if session is None:
            return
        try:
            session.logout()
        except (CloudantHTTPError, CloudantConnectionError) as err:
            # The session is closed either way; a failed logout must not mask the caller's own error.
            LOG.debug("logout failed while disconnecting: %s", err)
        finally:
            session.close()

    def session(self) -> Optional[Dict[str, Any]]:
        """Return the server's view of the session (``GET /_session``); ``None`` in admin party."""
        if self.r_session is None:
            raise ClientNotConnected()
        return self.r_session.info()

    def session_cookie(self) -> Optional[str]:
        """Return the ``AuthSession`` cookie of the current session, or ``None``."""
        return self.r_session.cookies.get("AuthSession") if self.r_session is not None else None

    def session_login(self, user: Optional[str] = None, passwd: Optional[str] = None) -> None:
        """Log in, optionally with new credentials (``None`` keeps the current ones).

        :raises CloudantArgumentError: code 117 for a user or password neither str nor bytes, before any request.
        """
        check_credentials(user=user, passwd=passwd)
        self.change_credentials(user, passwd)

    def session_logout(self) -> None:
        """End the session (``DELETE /_session`` for cookie sessions)."""
        if self.r_session is not None:
            self.r_session.logout()

    def change_credentials(self, user: Optional[str] = None, auth_token: Optional[str] = None) -> None:
        """Replace the credentials (``None`` keeps the current value) and log in with them.

        :raises CloudantArgumentError: code 117 for a user or password neither str nor bytes, before any request.
        """
        check_credentials(user=user, auth_token=auth_token)
        if user is not None:
            self._user = user
        if auth_token is not None:
            self._auth_token = auth_token
        if self.r_session is not None:
            self.r_session.set_credentials(user, auth_token)
            self.r_session.login()

    def basic_auth_str(self) -> Optional[str]:
        """Return ``'Basic <base64 user:password>'`` for places that need one, or ``None``."""
        if self._user is None or self._auth_token is None:
            return None
        return ClientSession(self._user, self._auth_token).base64_user_pass()

    # -- databases -----------------------------------------------------------------------------------------
    def create_database(self, dbname: str, partitioned: bool = False, **kwargs: Any) -> CouchDatabase:
        """Create a database and return its object, cached under its name.

        :param str dbname: the database name (checked locally first).
        :param bool partitioned: create a partitioned database.
        :param bool throw_on_exists: raise :class:`~cloudant.error.CloudantClientException` (412)
            when the database exists; otherwise return it. Default False.
        :raises CloudantDatabaseException: code 400 for an illegal name, as the
            server's refusal was reported by python-cloudant (here before any request).
        :raises CloudantArgumentError: code 117 for a ``partitioned`` neither bool nor ``None``, before any request.
        """
        throw_on_exists = kwargs.pop("throw_on_exists", False)
        _warn_ignored("create_database", set(kwargs))
        _check_new_database_name(dbname)
        database = self._DATABASE_CLASS(self, dbname, partitioned=partitioned)
        try:
            database.create(throw_on_exists=throw_on_exists)
        except CloudantDatabaseException as err:
            if err.code == 412:
                raise CloudantClientException(412, dbname) from None
            raise
        super().__setitem__(dbname, database)
        return database

    def delete_database(self, dbname: str) -> None:
        """Delete a database on the server and drop it from the cache.

        :raises CloudantClientException: code 404 when it does not exist.
        :raises requests.HTTPError: (a :class:`~cloudant.error.BadRequest`) for an
            illegal name, answered by the server as in python-cloudant.
        """
        database = dict.get(self, dbname) or self._legal_database(dbname)
        try:
            if database is None:
                self._endpoint.child(dbname).request("DELETE")  # an illegal name: the server's 400 is raised
            else:
                database.delete()
        except NotFound:
            raise CloudantClientException(404, dbname) from None
        finally:
            dict.pop(self, dbname, None)

    def keys(self, remote: bool = False) -> List[str]:  # type: ignore[override]
        """Return the cached database names, or every name on the server with ``remote=True``."""
        if remote:
            return self.all_dbs()
        return list(dict.keys(self))

    def __getitem__(self, key: str) -> CouchDatabase:
        """Return the database object for ``key``: from the cache, or checked on the server once.

        :raises KeyError: when the database does not exist (or its name is illegal).
        """
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            pass
        database = self._fetch_database(key)
        if database is None:
            raise KeyError(key)
        super().__setitem__(key, database)
        return database

    def _legal_database(self, name: str) -> Optional[CouchDatabase]:
        """A database object for ``name``, or ``None`` for a name the database class refuses."""
        if not isinstance(name, str):
            check_database_name(name)  # CloudantArgumentError 117, before any request
        try:
            return self._DATABASE_CLASS(self, name)
        except CloudantArgumentError:
            return None

    def _fetch_database(self, name: str) -> Optional[CouchDatabase]:
        """``HEAD /{db}``, as python-cloudant: the database object, or ``None`` when it does not exist.

        An illegal name is sent too: the server's 400 is raised, as it was by python-cloudant.
        """
        if not isinstance(name, str):
            return None
        database = self._legal_database(name)
        if database is None:
            self._endpoint.child(name).exists()  # an illegal name: the server answers 400, raised here
            return None
        return database if database.exists() else None

    @overload
    def get(self, key: str, default: None = None, remote: bool = False) -> Optional[CouchDatabase]: ...

    @overload
    def get(self, key: str, default: _T, remote: bool = False) -> Union[CouchDatabase, _T]: ...

    def get(self, key: str, default: Any = None, remote: bool = False) -> Any:
        """Return the cached database object, or ``default``; ``remote=True`` asks the server."""
        if not remote:
            return dict.get(self, key, default)
        database = self._fetch_database(key)
        if database is None:
            dict.pop(self, key, None)
            return default
        cached = dict.get(self, key)
        if cached is not None:
            return cached
        super().__setitem__(key, database)
        return database

    def __setitem__(self, key: str, value: CouchDatabase, remote: bool = False) -> None:
        """Cache a database object under ``key``; ``remote=True`` also creates it when missing.

        :raises CloudantClientException: code 101 when ``value`` is not a database object.
        """
        if not isinstance(value, self._DATABASE_CLASS):
            raise CloudantClientException(101, type(value).__name__)
        if remote:
            value.create(throw_on_exists=False)
        super().__setitem__(key, value)

    def __delitem__(self, key: str, remote: bool = False) -> None:
        """Forget the cached database object; ``remote=True`` also deletes the database."""
        if remote:
            self.delete_database(key)
            return
        super().__delitem__(key)

    # -- feeds ---------------------------------------------------------------------------------------------
    def db_updates(self, raw_data: bool = False, **kwargs: Any) -> Feed:
        """Return a :class:`~cloudant.feed.Feed` over ``_db_updates`` (``feed`` defaults to ``longpoll``).

        :param bool raw_data: yield raw lines instead of decoded updates.
        :param kwargs: ``feed``, ``since``, ``heartbeat``, ``timeout``, ``limit``,
            ``descending``, ``chunk_size``.

        .. versionchanged:: 3.0
           Takes the options CouchDB 2 and 3 accept besides python-cloudant's (``since``, ``limit``,
           ``descending``, ``feed='normal'``, a ``heartbeat`` in milliseconds); a :class:`~cloudant.feed.Feed`
           built directly on the client keeps python-cloudant's stricter table.
        """
        feed = Feed(self, raw_data, **kwargs)
        feed._couchdb_extensions = True
        return feed

    def infinite_db_updates(self, **kwargs: Any) -> InfiniteFeed:
        """Return an :class:`~cloudant.feed.InfiniteFeed`: a continuous ``_db_updates`` that never ends.

        .. versionchanged:: 3.0
           Available for CouchDB too.
        """
        return InfiniteFeed(self, **kwargs)

    def _feed_target(self) -> FeedTarget:
        return FeedTarget(self._endpoint.child("_db_updates"), DB_UPDATES_ARGS,
                          defaults={"feed": "longpoll", "heartbeat": True})

    # -- construction from the environment -----------------------------------------------------------------
    @classmethod
    def from_environment(cls, service_name: str = "CLOUDANT", **kwargs: Any) -> CouchDB:
        """Build a client from ``{SERVICE}_URL``, ``{SERVICE}_AUTH_TYPE``, ``{SERVICE}_APIKEY``,
        ``{SERVICE}_USERNAME`` and ``{SERVICE}_PASSWORD``, read from ``ibm-credentials.env``
        (``$IBM_CREDENTIALS_FILE``, the current or the home directory) or the environment.
        ``{SERVICE}_URL`` may list the URLs of one cluster's nodes, separated by spaces (``url=[...]``).

        :param str service_name: the property prefix. Default ``CLOUDANT``.
        :param kwargs: further client options (``connect``, ``timeout``, ...).
        """
        config = read_service_config(service_name)
        urls = service_urls(config)
        kwargs["url"] = urls[0] if len(urls) == 1 else urls
        auth_type = config["AUTH_TYPE"]
        if auth_type == "NOAUTH":
            return cls(None, None, admin_party=True, **kwargs)
        if auth_type == "IAM":
            kwargs.update(use_iam=True, iam_token_url=kwargs.get("iam_token_url") or config.get("AUTH_URL"),
                          iam_client_id=config.get("CLIENT_ID"), iam_client_secret=config.get("CLIENT_SECRET"))
            return cls(None, config["APIKEY"], **kwargs)
        if auth_type == "BASIC":
            kwargs["use_basic_auth"] = True
        return cls(config.get("USERNAME"), config.get("PASSWORD"), **kwargs)

    new_instance = from_environment


class Cloudant(CloudantEndpoints, CouchDB):
    """A client of IBM Cloudant: :class:`CouchDB` plus Cloudant's own endpoints.

    :param str cloudant_user: the user name (or ``None`` with IAM).
    :param str auth_token: the password, or the IAM API key with ``use_iam``.
    :param str account: the account name: the URL becomes ``https://{account}.cloudant.com``.
    :param str url: the service URL, when no ``account`` is given.
    :param str x_cloudant_user: send ``X-Cloudant-User`` with every request.
    :param kwargs: every :class:`CouchDB` option.
    :raises CloudantClientException: code 102 without ``url`` or ``account``.
    """

    _DATABASE_CLASS = CloudantDatabase
    _extra_options = frozenset({"account", "x_cloudant_user"})

    def __init__(self, cloudant_user: Optional[str], auth_token: Optional[str], **kwargs: Any) -> None:
        account = kwargs.pop("account", None)
        x_cloudant_user = kwargs.pop("x_cloudant_user", None)
        if account:
            kwargs["url"] = "https://%s.cloudant.com" % account
        if not kwargs.get("url"):
            raise CloudantClientException(102)
        connect = kwargs.pop("connect", False)
        super().__init__(cloudant_user, auth_token, **kwargs)
        self._client_user_header = {"User-Agent": USER_AGENT}
        if x_cloudant_user is not None:
            self._client_user_header["X-Cloudant-User"] = x_cloudant_user
        if connect:
            self.connect()

    # -- feeds ---------------------------------------------------------------------------------------------
    def _feed_target(self) -> FeedTarget:
        return FeedTarget(self._endpoint.child("_db_updates"), DB_UPDATES_ARGS)

    # -- constructors --------------------------------------------------------------------------------------
    @classmethod
    def bluemix(cls, vcap_services: Union[str, Dict[str, Any], None], instance_name: Optional[str] = None,
                service_name: Optional[str] = None, **kwargs: Any) -> Cloudant:
        """Build a client from Cloud Foundry's ``VCAP_SERVICES``.

        :param vcap_services: ``os.getenv('VCAP_SERVICES')``, a JSON string or dict.
        :param str instance_name: the instance, when there are several.
        :param str service_name: the service label; default ``cloudantNoSQLDB``.
        :raises CloudantClientException: code 103 for any problem with
            ``VCAP_SERVICES``, as python-cloudant; what the problem is is in the
            exception's ``detail`` attribute and note.

        The client connects to the credentials' ``url`` (its scheme, host and
        port) when they hold one, else to ``https://{host}:{port}``; a ``url=``
        keyword wins over both.
        """
        try:
            service = CloudFoundryService(vcap_services, instance_name=instance_name,
                                          service_name=service_name or DEFAULT_SERVICE_NAME)
        except CloudantException as err:
            raise _client_exception_103(err) from err
        kwargs.setdefault("url", service.server_url)
        if hasattr(service, "iam_api_key"):
            return cls.iam(None, service.iam_api_key, **kwargs)
        return cls(service.username, service.password, **kwargs)

    @classmethod
    def iam(cls, account_name: Optional[str], api_key: str, **kwargs: Any) -> Cloudant:
        """Build a client authenticating with an IBM Cloud IAM API key.

        :param str account_name: the account, or ``None`` with a ``url=`` keyword.
        :param str api_key: the IAM API key.

        .. versionchanged:: 3.0
           ``auto_renew`` and ``account`` may be passed as keywords.
        """
        if account_name is not None:
            kwargs.setdefault("account", account_name)
        kwargs.setdefault("auto_renew", True)
        kwargs["use_iam"] = True
        return cls(None, api_key, **kwargs)


def _warn_ignored(where: str, names: Set[str]) -> None:
    """Warn that keyword arguments python-cloudant accepted (and ignored) do nothing here either."""
    if names:
        warnings.warn("%s(): keyword argument(s) %s have no effect and are ignored"
                      % (where, ", ".join(sorted(names))), UserWarning, stacklevel=3)


def _check_new_database_name(dbname: Any) -> None:
    """Refuse an illegal name as python-cloudant reported the server's 400: ``CloudantDatabaseException(400)``."""
    try:
        check_database_name(dbname)
    except CloudantArgumentError as err:
        if err.code != 140:
            raise
        exc = CloudantDatabaseException(400, dbname)
        exc.detail = str(err)  # type: ignore[attr-defined]
        _add_note(exc, str(err))
        raise exc from None


def _client_exception_103(err: CloudantException) -> CloudantClientException:
    exc = CloudantClientException(103)
    detail = getattr(err, "detail", None) or str(err)
    exc.detail = detail  # type: ignore[attr-defined]
    _add_note(exc, "%s (%s)" % (err, detail) if str(err) != detail else detail)
    return exc
