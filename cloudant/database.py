"""Databases: :class:`CouchDatabase` and its IBM Cloudant flavour :class:`CloudantDatabase`."""
from __future__ import annotations

from typing import Any, Dict, Optional

from ._endpoint import Endpoint
from ._params import CHANGES_ARGS, check_database_name
from .error import CloudantDatabaseException, NotFound, PreconditionFailed
from .feed import Feed, FeedTarget, InfiniteFeed

__all__ = ["CouchDatabase", "CloudantDatabase"]


class CouchDatabase(dict):
    """A database on a CouchDB server: a ``dict`` of the document objects it has handed out.

    :param client: the :class:`~cloudant.client.CouchDB` client.
    :param str database_name: the database name.
    :param int fetch_limit: page size when iterating over every document. Default 100.
    :param bool partitioned: the database is (or is to be created) partitioned.
    """

    def __init__(self, client: Any, database_name: str, fetch_limit: int = 100, partitioned: bool = False) -> None:
        super().__init__()
        self.client = client
        self.database_name = database_name
        self._fetch_limit = fetch_limit
        self._partitioned = partitioned
        self._database_host = client.server_url
        self._endpoint: Endpoint = client._endpoint.child(database_name)

    def __repr__(self) -> str:
        return "<%s %r>" % (type(self).__name__, self.database_name)

    @property
    def r_session(self) -> Any:
        """The client's HTTP session."""
        return self.client.r_session

    @property
    def admin_party(self) -> bool:
        """True when the client sends no credentials."""
        return self.client.admin_party

    @property
    def database_url(self) -> str:
        """The database URL."""
        return self._endpoint.url

    def exists(self) -> bool:
        """Return True when the database exists (``HEAD /{db}``)."""
        return self._endpoint.exists()

    def metadata(self) -> Dict[str, Any]:
        """Return the database information (``GET /{db}``)."""
        return self._endpoint.json()

    def doc_count(self) -> int:
        """Return the number of documents (not counting deleted ones)."""
        return self.metadata()["doc_count"]

    def _load_properties(self) -> bool:
        """Read the database's metadata; False when it does not exist."""
        response = self._endpoint.request("GET", allow_status=(404,))
        if response.status_code == 404:
            return False
        properties = response.json().get("props") or {}
        self._partitioned = bool(properties.get("partitioned", False))
        return True

    def create(self, throw_on_exists: bool = False) -> "CouchDatabase":
        """Create the database (``PUT /{db}``) in one request.

        :raises CloudantDatabaseException: code 412 when it exists and ``throw_on_exists`` is set.
        """
        check_database_name(self.database_name)
        params = {"partitioned": "true"} if self._partitioned else None
        try:
            self._endpoint.request("PUT", params=params)
        except PreconditionFailed:
            if throw_on_exists:
                raise CloudantDatabaseException(412, self.database_name) from None
        return self

    def delete(self) -> None:
        """Delete the database (``DELETE /{db}``)."""
        self._endpoint.request("DELETE")

    def changes(self, raw_data: bool = False, **kwargs: Any) -> Feed:
        """Return a :class:`~cloudant.feed.Feed` over ``_changes``."""
        return Feed(self, raw_data, **kwargs)

    def infinite_changes(self, **kwargs: Any) -> InfiniteFeed:
        """Return an :class:`~cloudant.feed.InfiniteFeed` over ``_changes``."""
        return InfiniteFeed(self, **kwargs)

    def _feed_target(self) -> FeedTarget:
        return FeedTarget(self._endpoint.child("_changes"), CHANGES_ARGS, pass_through=True)


class CloudantDatabase(CouchDatabase):
    """A database on IBM Cloudant."""
