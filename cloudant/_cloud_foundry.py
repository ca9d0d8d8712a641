"""Reading a Cloudant service's credentials from Cloud Foundry's ``VCAP_SERVICES``."""
from __future__ import annotations

import json
from typing import Any, Dict, Optional, Union
from urllib.parse import urlsplit

from .error import CloudantClientException

__all__ = ["CloudFoundryService"]

DEFAULT_SERVICE_NAME = "cloudantNoSQLDB"


class CloudFoundryService:
    """One Cloudant service instance described in ``VCAP_SERVICES``.

    :param vcap_services: the ``VCAP_SERVICES`` value, as a JSON string or a dict.
    :param str instance_name: the instance to use; needed only when there are several.
    :param str service_name: the service label; default ``cloudantNoSQLDB``.
    :raises CloudantClientException: code 105 saying what is wrong (not JSON, no
        such service, several instances and no name, unknown instance), or 103
        when the credentials hold neither an API key nor a username and password.

    .. versionchanged:: 3.0
       Credentials with an ``apikey`` and no ``username`` are accepted.
    """

    def __init__(self, vcap_services: Union[str, Dict[str, Any], None], instance_name: Optional[str] = None,
                 service_name: Optional[str] = None) -> None:
        services = _parse(vcap_services)
        label = service_name or DEFAULT_SERVICE_NAME
        instances = services.get(label)
        if not isinstance(instances, list) or not instances:
            raise CloudantClientException(105, "no %r service in VCAP_SERVICES" % label)
        self._service = _pick(instances, instance_name, label)
        credentials = self._service.get("credentials")
        if not isinstance(credentials, dict):
            raise CloudantClientException(105, "service %r has no credentials" % self.name)
        self._credentials = credentials
        if not self.iam_api_key and not (self.username and self.password):
            raise CloudantClientException(103)
        if not self.host:
            raise CloudantClientException(105, "service %r credentials give no host or url" % self.name)

    def __repr__(self) -> str:
        return "CloudFoundryService(name=%r, host=%r)" % (self.name, self.host)

    @property
    def name(self) -> Optional[str]:
        """The instance name."""
        return self._service.get("name")

    @property
    def host(self) -> Optional[str]:
        """The service host name."""
        return self._credentials.get("host") or urlsplit(self._credentials.get("url") or "").hostname

    @property
    def port(self) -> str:
        """The service port, as a string (default ``'443'``)."""
        port = self._credentials.get("port") or urlsplit(self._credentials.get("url") or "").port
        return str(port or 443)

    @property
    def url(self) -> str:
        """``https://host:port``, without credentials."""
        return "https://%s:%s" % (self.host, self.port)

    @property
    def username(self) -> Optional[str]:
        """The legacy user name, or ``None``."""
        return self._credentials.get("username")

    @property
    def password(self) -> Optional[str]:
        """The legacy password, or ``None``."""
        return self._credentials.get("password")

    @property
    def iam_api_key(self) -> Optional[str]:
        """The IAM API key, or ``None``."""
        return self._credentials.get("apikey")


def _parse(vcap_services: Union[str, Dict[str, Any], None]) -> Dict[str, Any]:
    if isinstance(vcap_services, dict):
        return vcap_services
    if not vcap_services:
        raise CloudantClientException(105, "VCAP_SERVICES is empty or not set")
    try:
        services = json.loads(vcap_services)
    except (TypeError, ValueError) as err:
        raise CloudantClientException(105, "VCAP_SERVICES is not JSON (%s)" % err) from None
    if not isinstance(services, dict):
        raise CloudantClientException(105, "VCAP_SERVICES is not a JSON object")
    return services


def _pick(instances: list, instance_name: Optional[str], label: str) -> Dict[str, Any]:
    if instance_name is None:
        if len(instances) > 1:
            names = [item.get("name") for item in instances if isinstance(item, dict)]
            raise CloudantClientException(
                105, "%d %r instances (%s): give instance_name" % (len(instances), label, ", ".join(map(str, names))))
        instance = instances[0]
    else:
        matches = [item for item in instances if isinstance(item, dict) and item.get("name") == instance_name]
        if not matches:
            raise CloudantClientException(105, "no %r instance named %r" % (label, instance_name))
        instance = matches[0]
    if not isinstance(instance, dict):
        raise CloudantClientException(105, "the %r instance is not a JSON object" % label)
    return instance
