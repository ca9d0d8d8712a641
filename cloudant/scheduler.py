"""The replication scheduler: :class:`Scheduler` reads ``/_scheduler/docs`` and ``/_scheduler/jobs``.

CouchDB 2.1+ and IBM Cloudant run replications in a scheduler that reports the
state of every replication document (``initializing``, ``pending``,
``running``, ``crashing``, ``error``, ``failed``, ``completed``) and of every
running job.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from ._endpoint import Endpoint
from ._types import JsonObject
from .error import CloudantArgumentError

if TYPE_CHECKING:
    from ._client_session import ClientSession
    from .client import CouchDB

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["Scheduler"]


class Scheduler:
    """The replication scheduler of a server.

    :param client: a connected :class:`~cloudant.client.CouchDB` or
        :class:`~cloudant.client.Cloudant` client.

    .. versionchanged:: 3.0
       The session is read from the client at each call, so a scheduler built
       before ``connect()`` or kept across a reconnect keeps working.
    """

    def __init__(self, client: CouchDB) -> None:
        self.client = client

    def __repr__(self) -> str:
        return "<Scheduler %s>" % (self.client.server_url,)

    @property
    def _client(self) -> CouchDB:
        """The client (python-cloudant's name)."""
        return self.client

    @property
    def _r_session(self) -> Optional[ClientSession]:
        """The client's HTTP session (python-cloudant's name)."""
        return self.client.r_session

    @property
    def _scheduler(self) -> str:
        """The scheduler's URL, ``{server}/_scheduler`` (python-cloudant's name)."""
        return self._endpoint.url

    @property
    def _endpoint(self) -> Endpoint:
        return self.client._endpoint.child("_scheduler")

    def list_docs(self, limit: Optional[int] = None, skip: Optional[int] = None) -> JsonObject:
        """Return the state of the replication documents (``GET /_scheduler/docs``).

        :param int limit: at most this many documents.
        :param int skip: skip this many documents first.
        :returns: ``{"total_rows", "offset", "docs": [...]}``.
        :raises CloudantHTTPError: e.g. :class:`~cloudant.error.BadRequest` for a negative ``limit``.
        """
        return self._endpoint.child("docs").json_object(params=_paging(limit, skip))

    def get_doc(self, doc_id: str) -> JsonObject:
        """Return the state of one replication document (``GET /_scheduler/docs/_replicator/{doc_id}``).

        :param str doc_id: the replication document id (quoted in the URL).
        :returns: the state, e.g. ``{"doc_id", "state", "info", "error_count", ...}``.
        :raises NotFound: when the scheduler knows no such document.

        .. versionchanged:: 3.0
           The document id is quoted.
        """
        if not isinstance(doc_id, str) or not doc_id:
            raise CloudantArgumentError(117, "doc_id", str)
        return self._endpoint.child("docs", "_replicator", doc_id).json_object()

    def list_jobs(self, limit: Optional[int] = None, skip: Optional[int] = None) -> JsonObject:
        """Return the running replication jobs (``GET /_scheduler/jobs``).

        :param int limit: at most this many jobs.
        :param int skip: skip this many jobs first.
        :returns: ``{"total_rows", "offset", "jobs": [...]}``.
        :raises CloudantHTTPError: e.g. :class:`~cloudant.error.BadRequest` for a negative ``limit``.
        """
        return self._endpoint.child("jobs").json_object(params=_paging(limit, skip))


def _paging(limit: Any, skip: Any) -> Dict[str, Any]:
    """The query parameters, as python-cloudant sent them: those given, unchecked (the server judges them)."""
    params: Dict[str, Any] = {}
    if limit is not None:
        params["limit"] = limit
    if skip is not None:
        params["skip"] = skip
    return params
