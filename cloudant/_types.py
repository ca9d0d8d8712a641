"""Type aliases and protocols shared by the modules, for type checkers.

Nothing here does anything at run time: the aliases are plain ``typing``
forms, and the protocols describe what a module needs of an object it is
given (any object with those attributes will do, a test's stand-in included).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Protocol, Type

import requests

__all__ = ["JsonValue", "JsonObject", "JsonArray", "SessionOwner"]

#: A decoded JSON value: ``None``, ``bool``, ``int``, ``float``, ``str``, a list or a dict of them. ``Any``,
#: so that callers can index into a server's answer without narrowing every level.
JsonValue = Any
#: A decoded JSON object (what CouchDB answers almost everywhere).
JsonObject = Dict[str, Any]
#: A decoded JSON array.
JsonArray = List[Any]


class SessionOwner(Protocol):
    """What an :class:`~cloudant._endpoint.Endpoint` needs of its client: a session, an encoder, a gzip threshold.

    A :class:`~cloudant.client.CouchDB` client has these attributes; so has the
    small owner ``cloudant._common_util.get_docs`` builds around a bare session.
    """

    @property
    def r_session(self) -> Optional[requests.Session]:
        """The HTTP session, ``None`` before ``connect()``."""

    @property
    def encoder(self) -> Type[json.JSONEncoder]:
        """The :class:`json.JSONEncoder` subclass for JSON bodies."""

    @property
    def gzip_threshold(self) -> Optional[int]:
        """Gzip JSON bodies of at least this many bytes; ``None``: never."""
