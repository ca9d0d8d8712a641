"""A server URL as the client keeps it: without the credentials it may embed, which are handed over apart."""
from __future__ import annotations

from typing import Optional, Tuple
from urllib.parse import unquote, urlsplit, urlunsplit

from .error import redact_url

__all__ = ["split_url"]


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
