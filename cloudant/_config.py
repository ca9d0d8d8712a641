"""External configuration of a client, as IBM's Cloudant SDKs read it.

Properties are named ``{SERVICE}_{PROPERTY}`` with the service name upper-cased
(default ``CLOUDANT``): ``URL``, ``AUTH_TYPE`` (``IAM``, ``COUCHDB_SESSION``,
``BASIC``, ``NOAUTH``), ``APIKEY``, ``USERNAME``, ``PASSWORD`` and, for IAM,
``AUTH_URL`` (the token endpoint), ``CLIENT_ID`` and ``CLIENT_SECRET``. They are
read from the first source that has any of them:

1. the credentials file: ``$IBM_CREDENTIALS_FILE``, else ``ibm-credentials.env``
   in the current directory, else in the home directory;
2. the environment.

``URL`` may name several URLs separated by spaces, the nodes of one cluster
(:func:`service_urls`).
"""
from __future__ import annotations

import os
from typing import Dict, List, Mapping, Optional
from urllib.parse import urlsplit

from .error import CloudantClientException

__all__ = ["read_service_config", "service_urls", "AUTH_TYPES"]

CREDENTIALS_FILE_NAME = "ibm-credentials.env"
AUTH_TYPES = ("IAM", "COUCHDB_SESSION", "BASIC", "NOAUTH")


def read_service_config(service_name: str = "CLOUDANT",
                        environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Return the service's properties, keyed by property name (``URL``, ``AUTH_TYPE``, ...).

    :param str service_name: the prefix of the property names.
    :param environ: the environment to read (default ``os.environ``).
    :raises CloudantClientException: code 106 when no source names a URL, the auth type is unknown, or
        its credentials are missing (``APIKEY`` for IAM; ``USERNAME`` and ``PASSWORD`` for
        ``COUCHDB_SESSION`` and ``BASIC``, unless the URL holds them).
    """
    environ = os.environ if environ is None else environ
    prefix = service_name.upper().replace("-", "_") + "_"
    config: Dict[str, str] = {}
    path = _credentials_file(environ)
    if path is not None:
        config = _select(_read_env_file(path), prefix)
    if not config:
        config = _select(environ, prefix)
    if not config.get("URL"):
        raise CloudantClientException(106, service_name, "no %sURL in %s or the environment"
                                      % (prefix, path or CREDENTIALS_FILE_NAME))
    auth_type = config.setdefault("AUTH_TYPE", "IAM" if config.get("APIKEY") else "COUCHDB_SESSION").upper()
    config["AUTH_TYPE"] = auth_type
    if auth_type not in AUTH_TYPES:
        raise CloudantClientException(106, service_name, "unknown %sAUTH_TYPE %r (one of %s)"
                                      % (prefix, auth_type, ", ".join(AUTH_TYPES)))
    _check_credentials(config, service_name, prefix)
    return config


def service_urls(config: Mapping[str, str]) -> List[str]:
    """The URLs ``URL`` names: one, or several separated by whitespace (the nodes of one cluster)."""
    return config["URL"].split()


def _check_credentials(config: Dict[str, str], service_name: str, prefix: str) -> None:
    """Say now, rather than with a 401 at ``connect()``, that the auth type lacks its credentials."""
    auth_type = config["AUTH_TYPE"]
    if auth_type == "IAM" and not config.get("APIKEY"):
        raise CloudantClientException(106, service_name, "IAM needs %sAPIKEY" % prefix)
    has_password = bool(config.get("USERNAME") and config.get("PASSWORD"))
    url_has_user = urlsplit(service_urls(config)[0]).username is not None
    if auth_type in ("COUCHDB_SESSION", "BASIC") and not has_password and not url_has_user:
        raise CloudantClientException(106, service_name, "%s needs %sUSERNAME and %sPASSWORD"
                                      % (auth_type, prefix, prefix))


def _credentials_file(environ: Mapping[str, str]) -> Optional[str]:
    candidates = [environ.get("IBM_CREDENTIALS_FILE"), os.path.join(os.getcwd(), CREDENTIALS_FILE_NAME),
                  os.path.join(os.path.expanduser("~"), CREDENTIALS_FILE_NAME)]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def _read_env_file(path: str) -> Dict[str, str]:
    values: Dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip().strip("'\"")
    return values


def _select(source: Mapping[str, str], prefix: str) -> Dict[str, str]:
    return {name[len(prefix):]: value for name, value in source.items() if name.startswith(prefix) and value}
