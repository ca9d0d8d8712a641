"""Reading a Cloudant service's credentials from Cloud Foundry's ``VCAP_SERVICES``.

The errors are python-cloudant 2.15.0's: a plain :class:`~cloudant.error.CloudantException`
with its exact text, or :class:`~cloudant.error.CloudantClientException` code 103
for credentials with neither an API key nor a password. What is known beyond that
text (which instance, which field) is in the exception's ``detail`` attribute and
in an exception note.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Union
from urllib.parse import urlsplit

from .error import CloudantClientException, CloudantException, _add_note

__all__ = ["CloudFoundryService", "DEFAULT_SERVICE_NAME"]

#: The service label :meth:`cloudant.client.Cloudant.bluemix` looks for when given none.
DEFAULT_SERVICE_NAME = "cloudantNoSQLDB"

MISSING_SERVICE = "Missing service in VCAP_SERVICES"
MISSING_FIELD = "Invalid service: '{0}' missing"
BAD_CREDENTIALS = "Failed to decode VCAP_SERVICES service credentials"
BAD_JSON = "Failed to decode VCAP_SERVICES JSON"


def _error(message: str, detail: str) -> CloudantException:
    """A plain :class:`CloudantException` with 2.15.0's ``message``; ``detail`` goes to an attribute and a note."""
    return _with_detail(CloudantException(message), detail)


def _with_detail(exc: CloudantException, detail: str) -> CloudantException:
    exc.detail = detail  # type: ignore[attr-defined]
    _add_note(exc, detail)
    return exc


class CloudFoundryService:
    """One Cloudant service instance described in ``VCAP_SERVICES``.

    :param vcap_services: the ``VCAP_SERVICES`` value, as a JSON string or a dict.
    :param str instance_name: the instance to use; needed only when there are several.
    :param str service_name: the service label (``cloudantNoSQLDB`` for the
        public service); no default here, as in python-cloudant.
    :raises CloudantException: ``'Missing service in VCAP_SERVICES'`` (no such
        service or instance, or several instances and no ``instance_name``),
        ``"Invalid service: '<field>' missing"``, ``'Failed to decode
        VCAP_SERVICES service credentials'`` or ``'Failed to decode
        VCAP_SERVICES JSON'``.
    :raises CloudantClientException: code 103 when the credentials hold
        neither an ``apikey`` nor a ``username`` and ``password``.

    The properties ``username``, ``password`` and ``iam_api_key`` raise
    :class:`AttributeError` when the credentials do not hold them.

    .. versionchanged:: 3.0
       Credentials with an ``apikey`` need no ``username``; without ``host``,
       the host (and port) of the credentials' ``url`` are used.
    """

    # Read from the credentials; the last three are set only when the credentials hold them.
    _host: str
    _username: str
    _password: str
    _iam_api_key: str

    def __init__(self, vcap_services: Union[str, Dict[str, Any], None], instance_name: Optional[str] = None,
                 service_name: Optional[str] = None) -> None:
        services = _parse(vcap_services)
        service = _pick(services, instance_name, service_name)
        if "credentials" not in service:
            raise _error(MISSING_FIELD.format("credentials"), "instance %r has no credentials" % service.get("name"))
        credentials = service["credentials"]
        if not isinstance(credentials, dict):
            raise _error(BAD_CREDENTIALS, "the credentials of instance %r are a %s, not a JSON object"
                         % (service.get("name"), type(credentials).__name__))
        self._name = service.get("name")
        self._url = credentials.get("url") if isinstance(credentials.get("url"), str) else None
        self._host = _required(credentials, "host", urlsplit(self._url or "").hostname)
        self._given_port = credentials.get("port")
        self._port = self._given_port or urlsplit(self._url or "").port or 443
        self._read_credentials(credentials)

    def _read_credentials(self, credentials: Dict[str, Any]) -> None:
        if "apikey" in credentials:
            self._iam_api_key = credentials["apikey"]
            if "username" in credentials:
                self._username = credentials["username"]
            if "password" in credentials:
                self._password = credentials["password"]
            return
        self._username = _required(credentials, "username")
        if "password" not in credentials:
            raise _with_detail(CloudantClientException(103),
                               "the credentials of instance %r hold neither 'apikey' nor 'password'" % self._name)
        self._password = credentials["password"]

    def __repr__(self) -> str:
        return "CloudFoundryService(name=%r, host=%r)" % (self._name, self._host)

    @property
    def name(self) -> Optional[str]:
        """The instance name."""
        return self._name

    @property
    def host(self) -> str:
        """The service host name."""
        return self._host

    @property
    def port(self) -> str:
        """The service port, as a string (default ``'443'``)."""
        return str(self._port)

    @property
    def url(self) -> str:
        """``https://host:port``, as python-cloudant built it."""
        return "https://{0}:{1}".format(self._host, self._port)

    @property
    def server_url(self) -> str:
        """The URL to connect to: the credentials' ``url`` (scheme, host and port, never its user info)
        when there is one, else :attr:`url`. A ``url`` without a port takes the credentials' ``port``,
        else its scheme's (80 for ``http``)."""
        if not self._url:
            return self.url
        parts = urlsplit(self._url)
        scheme = parts.scheme or "https"
        host = parts.hostname or self._host
        if ":" in host:
            host = "[%s]" % host
        port = parts.port or self._given_port or (80 if scheme == "http" else 443)
        return "{0}://{1}:{2}".format(scheme, host, port)

    @property
    def username(self) -> str:
        """The legacy user name (:class:`AttributeError` when absent)."""
        return self._username

    @property
    def password(self) -> str:
        """The legacy password (:class:`AttributeError` when absent)."""
        return self._password

    @property
    def iam_api_key(self) -> str:
        """The IAM API key (:class:`AttributeError` when absent)."""
        return self._iam_api_key


def _required(credentials: Dict[str, Any], field: str, fallback: Any = None) -> Any:
    value = credentials.get(field, fallback)
    if value is None:
        raise _error(MISSING_FIELD.format(field), "the credentials hold no %r" % field)
    return value


def _parse(vcap_services: Union[str, Dict[str, Any], None]) -> Dict[str, Any]:
    if isinstance(vcap_services, dict):
        return vcap_services
    if not isinstance(vcap_services, (str, bytes, bytearray)):
        raise _error(BAD_CREDENTIALS, "VCAP_SERVICES is a %s, not a JSON string or a dict"
                     % type(vcap_services).__name__)
    try:
        services = json.loads(vcap_services)
    except ValueError as err:
        raise _error(BAD_JSON, "VCAP_SERVICES is not JSON: %s" % err) from None
    if not isinstance(services, dict):
        raise _error(BAD_CREDENTIALS, "VCAP_SERVICES is a JSON %s, not an object" % type(services).__name__)
    return services


def _pick(services: Dict[str, Any], instance_name: Optional[str], service_name: Optional[str]) -> Dict[str, Any]:
    instances = services.get(service_name, []) if service_name is not None else []
    if not isinstance(instances, list):
        raise _error(BAD_CREDENTIALS, "the %r service is not a list of instances" % service_name)
    if instance_name is None and len(instances) == 1:
        return _instance(instances[0], service_name)
    for instance in instances:
        if isinstance(instance, dict) and instance.get("name") == instance_name:
            return instance
    raise _error(MISSING_SERVICE, _missing_detail(instances, instance_name, service_name))


def _instance(instance: Any, service_name: Optional[str]) -> Dict[str, Any]:
    if not isinstance(instance, dict):
        raise _error(BAD_CREDENTIALS, "the %r instance is not a JSON object" % service_name)
    return instance


def _missing_detail(instances: List[Any], instance_name: Optional[str], service_name: Optional[str]) -> str:
    if not instances:
        return "no %r service in VCAP_SERVICES" % service_name
    if instance_name is None:
        names = ", ".join(str(item.get("name")) for item in instances if isinstance(item, dict))
        return "%d %r instances (%s): give instance_name" % (len(instances), service_name, names)
    return "no %r instance named %r" % (service_name, instance_name)
