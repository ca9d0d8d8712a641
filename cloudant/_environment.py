"""What requests reads from the process environment for each request, read once per change of the environment.

For every request, :meth:`requests.Session.merge_environment_settings` looks
for proxies (``http_proxy``, ``no_proxy``, ...) and a CA bundle
(``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) by scanning :data:`os.environ`
several times over: about 0.1 ms a request, a sixth of a small read's client
CPU, more in a large environment. The answer depends only on the environment
and on the URL's scheme and host, so :func:`environment_settings` keeps it per
``(scheme, host)`` until :data:`os.environ` changes.

The cache is used only while the lookups are the standard library's
environment-only ones (:func:`urllib.request.getproxies_environment` and
:func:`urllib.request.proxy_bypass_environment`, as on Linux and other POSIX
systems) and nobody has replaced requests' own: macOS and Windows also read
system settings that can change while :data:`os.environ` stays the same, so
there, as with a patched lookup, each request looks them up afresh.
"""
from __future__ import annotations

import os
import urllib.request
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

import requests.sessions
import requests.utils

__all__ = ["EnvironmentSettings", "environment_settings"]

#: The proxies the environment names for a URL, and the CA bundle it names (``None``: none).
EnvironmentSettings = Tuple[Dict[str, str], Optional[str]]

_GET_ENVIRON_PROXIES = requests.sessions.get_environ_proxies
# (the environment it was filled from, its settings per (scheme, host)): replaced whole, so that threads
# reading it at the same time each see one consistent pair.
_cache: Tuple[Dict[Any, Any], Dict[Tuple[str, str], EnvironmentSettings]] = ({}, {})


def environment_settings(url: str) -> Optional[EnvironmentSettings]:
    """The environment's proxies and CA bundle for ``url``, as requests would look them up now.

    :returns: ``(proxies, ca_bundle)``, or ``None`` where they cannot be kept (see the module's text): the
        caller then asks requests itself.
    """
    environ = getattr(os.environ, "_data", None)  # the mapping os.environ reads from and writes to
    if not isinstance(environ, dict) or not _lookups_read_only_the_environment():
        return None
    snapshot, settings = _cache
    if environ != snapshot:
        snapshot, settings = dict(environ), {}
        _replace_cache(snapshot, settings)
    parts = urlsplit(url)
    origin = (parts.scheme, parts.netloc)
    found = settings.get(origin)
    if found is None:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        found = settings[origin] = (_GET_ENVIRON_PROXIES(url, no_proxy=None), bundle)
    return found


def _replace_cache(snapshot: Dict[Any, Any], settings: Dict[Tuple[str, str], EnvironmentSettings]) -> None:
    global _cache
    _cache = (snapshot, settings)


def _lookups_read_only_the_environment() -> bool:
    # (getattr: the standard library's stubs declare these only for some platforms)
    return (requests.sessions.get_environ_proxies is _GET_ENVIRON_PROXIES
            and getattr(requests.utils, "proxy_bypass", None) is getattr(urllib.request, "proxy_bypass_environment", 0)
            and getattr(requests.utils, "getproxies", None) is getattr(urllib.request, "getproxies_environment", 0))
