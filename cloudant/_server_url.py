"""A server URL as the client keeps it: without the credentials it may embed, which are handed over apart.

A client may be given several URLs, the nodes of one cluster (see :mod:`cloudant._nodes`): each is cleaned
the same way, and the credentials come from the first URL that holds any.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple, Union
from urllib.parse import unquote, urlsplit, urlunsplit

from .error import redact_url

__all__ = ["split_url", "split_urls"]


def split_url(url: Optional[str]) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """Return the URL without user info or trailing ``/``, and the user name and password it held."""
    if not url:
        return None, None, None
    parts = urlsplit(url)
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    clean = redact_url(url) or url
    if user is not None:
        parts = urlsplit(clean)
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return clean, user, password


def split_urls(url: Union[None, str, Sequence[Optional[str]]], check: Callable[[Any], Any] = lambda url: url,
               ) -> Tuple[List[str], Optional[str], Optional[str]]:
    """Return the clean URLs (as :func:`split_url`, duplicates and empty ones dropped, order kept) of one URL or
    of a list or tuple of them, and the user name and password of the first URL that held a user name.

    :param check: called with each URL first (it raises for one that is not a string).
    """
    given = list(url) if isinstance(url, (list, tuple)) else [url]
    urls: List[str] = []
    user: Optional[str] = None
    password: Optional[str] = None
    for one in given:
        clean, one_user, one_password = split_url(check(one))
        if clean is None:
            continue
        if clean not in urls:
            urls.append(clean)
        if user is None and one_user is not None:
            user, password = one_user, one_password
    return urls, user, password
