"""Names of python-cloudant's Python 2/3 shim module, kept for programs that import them.

The library runs on Python 3 only; each name is the Python 3 object it always
stood for there.
"""
from __future__ import annotations

from configparser import RawConfigParser
from http.cookiejar import Cookie
from typing import Any, Dict, Iterator, Tuple
from urllib.parse import quote as url_quote
from urllib.parse import quote_plus as url_quote_plus
from urllib.parse import urljoin as url_join
from urllib.parse import urlparse as url_parse

__all__ = ["PY2", "ENCODING", "STRTYPE", "UNITYPE", "LONGTYPE", "NONETYPE", "BYTETYPE", "UNICHR", "url_quote",
           "url_quote_plus", "url_parse", "url_join", "RawConfigParser", "Cookie", "iteritems_", "next_",
           "bytes_", "unicode_"]

PY2 = False
ENCODING = "utf-8"
STRTYPE = str
UNITYPE = str
LONGTYPE = int
NONETYPE = type(None)
BYTETYPE = bytes
UNICHR = chr


def iteritems_(adict: Dict[Any, Any]) -> Iterator[Tuple[Any, Any]]:
    """Iterate over a dict's items."""
    return iter(adict.items())


def next_(itr: Iterator[Any]) -> Any:
    """Advance an iterator."""
    return next(itr)


def bytes_(astr: Any) -> bytes:
    """Encode a ``str`` as UTF-8; bytes stay as they are."""
    return astr.encode(ENCODING) if isinstance(astr, str) else astr


def unicode_(astr: Any) -> str:
    """Decode UTF-8 ``bytes`` to ``str``; a ``str`` stays as it is."""
    return astr.decode(ENCODING) if isinstance(astr, bytes) else astr
