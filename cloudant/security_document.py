"""A database's security object (``/{db}/_security``): :class:`SecurityDocument`."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional, Type

import requests

from ._endpoint import Endpoint

if TYPE_CHECKING:
    from .database import CouchDatabase

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["SecurityDocument"]

_JSON_HEADERS = {"Content-Type": "application/json"}


class SecurityDocument(dict[str, Any]):  # subscripted builtin: the MRO stays (dict, object)
    """The security object of a database: ``admins`` and ``members`` (and Cloudant's ``cloudant``).

    A ``dict`` of the object's content. Nothing is sent at construction;
    :meth:`fetch` reads it and :meth:`save` writes it. As a context manager it
    fetches on entry and saves on exit::

        with SecurityDocument(db) as security:
            security["members"] = {"names": ["bob"], "roles": []}

    :param database: the :class:`~cloudant.database.CouchDatabase` it belongs to.
    """

    def __init__(self, database: CouchDatabase) -> None:
        super().__init__()
        self._client = database.client
        self._database = database
        self._database_host = self._client.server_url
        self._database_name = database.database_name
        #: The :class:`json.JSONEncoder` subclass used by :meth:`json` and :meth:`save` (the client's).
        self.encoder: Type[json.JSONEncoder] = self._client.encoder
        self._endpoint: Endpoint = database._endpoint.child("_security")

    @property
    def r_session(self) -> Optional[requests.Session]:
        """The client's HTTP session (a ``cloudant._client_session.ClientSession``), ``None`` before ``connect()``."""
        session: Optional[requests.Session] = self._client.r_session
        return session

    @property
    def document_url(self) -> str:
        """The URL of the security object: ``{server}/{db}/_security``."""
        return self._endpoint.url

    def json(self) -> str:
        """Return the local content encoded as JSON, with :attr:`encoder`."""
        return json.dumps(dict(self), cls=self.encoder)

    def fetch(self) -> None:
        """Replace the local content with the server's (``GET /{db}/_security``).

        :raises CloudantHTTPError: e.g. :class:`~cloudant.error.Forbidden` without admin rights.
        """
        content = self._endpoint.json_object()
        self.clear()
        self.update(content)

    def save(self) -> None:
        """Write the local content to the server (``PUT /{db}/_security``).

        :raises CloudantHTTPError: e.g. :class:`~cloudant.error.Forbidden` without admin rights.
        """
        self._endpoint.json("PUT", data=self.json().encode("utf-8"), headers=_JSON_HEADERS)

    def __enter__(self) -> SecurityDocument:
        self.fetch()
        return self

    def __exit__(self, *args: Any) -> None:
        """Save the content, unless the ``with`` body raised (``args``: exception type, value and traceback).

        .. versionchanged:: 3.0
           Nothing is saved when the body raised (python-cloudant saved a half-edited object).
        """
        exc_type: Optional[Type[BaseException]] = args[0] if args else None
        if exc_type is None:
            self.save()
