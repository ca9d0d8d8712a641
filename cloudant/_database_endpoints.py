"""The database-wide endpoints of :class:`~cloudant.database.CouchDatabase`: ``/{db}`` itself, its
partitions, ``_revs_limit``, ``_view_cleanup``, ``_compact``, ``_shards``, and the bulk and revision
endpoints ``_bulk_docs``, ``_missing_revs`` and ``_revs_diff``.

:class:`DatabaseEndpoints` is a base class of :class:`~cloudant.database.CouchDatabase`;
its methods are documented there.
"""
from __future__ import annotations

from collections import abc
from typing import TYPE_CHECKING, Any, Iterable, List, Mapping, Sequence, cast

from ._endpoint import Endpoint
from .error import OutcomeUnknown
from ._params import BOOL, STR, check_document_id, check_partition_key, check_type
from ._types import JsonObject
from .document import Document
from .error import CloudantArgumentError, CloudantDatabaseException, MalformedResponse
from .view import query_view

if TYPE_CHECKING:
    pass

__all__ = ["DatabaseEndpoints"]

_JSON_HEADERS = {"Content-Type": "application/json"}


class DatabaseEndpoints:
    """The methods of :class:`~cloudant.database.CouchDatabase` that read and change the database as a whole.

    The database sets ``_endpoint`` (its URL) and ``_partitioned``.
    """

    _endpoint: Endpoint
    _partitioned: bool

    @property
    def database_url(self) -> str:
        """The database URL (name quoted)."""
        return self._endpoint.url

    # -- the database itself ----------------------------------------------------------------------------
    def exists(self) -> bool:
        """Return True when the database exists (``HEAD /{db}``)."""
        return self._endpoint.exists()

    def metadata(self) -> JsonObject:
        """Return the database information (``GET /{db}``)."""
        return cast(JsonObject, self._endpoint.json())

    def doc_count(self) -> int:
        """Return the number of documents (not counting deleted ones)."""
        return cast(int, self.metadata()["doc_count"])

    def is_partitioned(self) -> bool:
        """Ask the server whether the database is partitioned (``GET /{db}`` ``props.partitioned``)."""
        self._partitioned = bool((self.metadata().get("props") or {}).get("partitioned", False))
        return self._partitioned

    def partition_metadata(self, partition_key: str) -> JsonObject:
        """Return a partition's information (``GET /{db}/_partition/{key}``).

        :raises CloudantArgumentError: code 141 for an illegal partition key, before any request.
        """
        return cast(JsonObject, self._partition(partition_key).json())

    def database_partition_url(self, partition_key: str) -> str:
        """The URL of a partition: ``{server}/{db}/_partition/{key}``.

        :raises CloudantArgumentError: code 141 for an illegal partition key.
        """
        return self._partition(partition_key).url

    def _partition(self, partition_key: str, *segments: str) -> Endpoint:
        return self._endpoint.child("_partition", check_partition_key(partition_key), *segments)

    def partitioned_all_docs(self, partition_key: str, **kwargs: Any) -> JsonObject:
        """Query one partition's ``_all_docs`` (``/{db}/_partition/{key}/_all_docs``), as :meth:`all_docs`."""
        return cast(JsonObject, query_view(self._partition(partition_key, "_all_docs"), kwargs))

    # -- database administration ------------------------------------------------------------------------
    def get_revision_limit(self) -> int:
        """Return how many revisions of each document the database keeps (``GET /{db}/_revs_limit``).

        :raises CloudantDatabaseException: code 400 (python-cloudant's code) when the reply is not an integer.
        """
        limit = self._endpoint.child("_revs_limit").json()
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise CloudantDatabaseException(400, limit)
        return limit

    def set_revision_limit(self, limit: int) -> JsonObject:
        """Set how many revisions of each document the database keeps (``PUT /{db}/_revs_limit``).

        :raises CloudantArgumentError: unless ``limit`` is a positive integer, before any request.
        """
        check_type("limit", limit, (int,))
        if limit < 1:
            raise CloudantArgumentError(118, "limit", limit)
        return cast(JsonObject, self._endpoint.child("_revs_limit").json("PUT", json_body=limit))

    def view_cleanup(self) -> JsonObject:
        """Remove index files no design document needs any more (``POST /{db}/_view_cleanup``)."""
        return cast(JsonObject, self._endpoint.child("_view_cleanup").json("POST", headers=_JSON_HEADERS))

    def compact(self) -> JsonObject:
        """Start compacting the database (``POST /{db}/_compact``); it runs in the background."""
        return cast(JsonObject, self._endpoint.child("_compact").json("POST", headers=_JSON_HEADERS))

    def shards(self) -> JsonObject:
        """Return the database's shard map (``GET /{db}/_shards``)."""
        return cast(JsonObject, self._endpoint.child("_shards").json())

    # -- bulk and revisions --------------------------------------------------------------------------------
    def bulk_docs(self, docs: Iterable[Mapping[str, Any]], raise_on_error: bool = False) -> List[JsonObject]:
        """Write many documents in one request (``POST /{db}/_bulk_docs``).

        Each document succeeds or fails on its own. The reply has one result
        per document, in order: ``{"ok", "id", "rev"}`` or ``{"id", "error",
        "reason"}``. :class:`~cloudant.document.Document` objects that were
        written get their new ``_id`` and ``_rev``.

        :param docs: the documents (dicts; ``_deleted: true`` deletes).
        :param bool raise_on_error: raise when any document failed.
        :returns: the per-document results.
        :raises CloudantDatabaseException: code 102 with ``raise_on_error``,
            naming every failed document; its ``results`` attribute holds all
            results and ``failures`` the failed ones.
        :raises CloudantArgumentError: before any request: 117 when ``docs`` is not a list (or other
            iterable) of dicts or ``raise_on_error`` is not a bool, 137 for an ``_id`` the server would refuse
            (not a string, empty, or starting with ``_`` other than ``_design/x`` and ``_local/x``): such an id
            makes the server refuse the whole request, so the valid documents beside it would not be written.
        :raises MalformedResponse: when the reply does not hold one result per document.
        :raises ~cloudant.error.OutcomeUnknown: (a :class:`~cloudant.error.CloudantConnectionError`) with
            several node URLs, when the connection failed after the request was sent: the documents may or
            may not be stored, and the request is not sent again. ``unacknowledged`` lists their ids,
            ``unacknowledged_docs`` the documents.

        .. versionchanged:: 3.0
           ``raise_on_error`` added; written :class:`~cloudant.document.Document`
           objects get their new ``_rev``.
        """
        docs = _checked_docs(docs)
        check_type("raise_on_error", raise_on_error, BOOL)
        endpoint = self._endpoint.child("_bulk_docs")
        try:
            results = endpoint.json("POST", json_body={"docs": docs})
        except OutcomeUnknown as err:
            err.unacknowledged = [doc["_id"] for doc in docs if isinstance(doc.get("_id"), str)]
            err.unacknowledged_docs = list(docs)
            raise
        if not isinstance(results, list) or len(results) != len(docs):
            raise MalformedResponse("POST", endpoint.url, "expected %d results, got %r" % (len(docs), results))
        for doc, result in zip(docs, results):
            if isinstance(doc, Document) and "error" not in result and result.get("rev"):
                dict.update(doc, _id=result["id"], _rev=result["rev"])
        if raise_on_error:
            _raise_for_failures(results)
        return results

    def missing_revisions(self, doc_id: str, *revisions: str) -> List[str]:
        """Return which of ``revisions`` of the document the database lacks (``POST /{db}/_missing_revs``).

        :raises CloudantArgumentError: 137 for an invalid document id, 117 for a revision that is not a
            string; before any request.
        """
        body = {check_document_id(doc_id): _checked_revisions(revisions)}
        reply = self._endpoint.child("_missing_revs").json_object("POST", json_body=body)
        return cast(List[str], (reply.get("missing_revs") or {}).get(doc_id, []))

    def revisions_diff(self, doc_id: str, *revisions: str) -> JsonObject:
        """Return which of ``revisions`` the database lacks, with possible ancestors (``POST /{db}/_revs_diff``).

        :raises CloudantArgumentError: as :meth:`missing_revisions`.
        """
        body = {check_document_id(doc_id): _checked_revisions(revisions)}
        return cast(JsonObject, self._endpoint.child("_revs_diff").json("POST", json_body=body))


def _checked_docs(docs: Any) -> List[Mapping[str, Any]]:
    """``docs`` as a list of mappings whose ids the server accepts (:func:`~cloudant._params.check_document_id`)."""
    if isinstance(docs, (str, bytes, abc.Mapping)) or not isinstance(docs, abc.Iterable):
        raise CloudantArgumentError(117, "docs", "a list of dicts")
    checked = list(docs)
    for doc in checked:
        if not isinstance(doc, dict) and not isinstance(doc, abc.Mapping):  # dict first: the common case, fast
            raise CloudantArgumentError(117, "docs", "a list of dicts")
        doc_id = doc.get("_id", _NO_ID)
        # An ordinary id (a string not starting with "_") passes at once; any other is checked in full.
        if doc_id is not _NO_ID and (type(doc_id) is not str or not doc_id or doc_id[0] == "_"):
            check_document_id(doc_id)
    return checked


_NO_ID = object()


def _checked_revisions(revisions: Sequence[Any]) -> List[str]:
    for revision in revisions:
        check_type("revisions", revision, STR)
    return list(revisions)


def _raise_for_failures(results: Sequence[JsonObject]) -> None:
    failures = [result for result in results if "error" in result]
    if not failures:
        return
    listing = "; ".join("%r: %s (%s)" % (failure.get("id"), failure.get("error"), failure.get("reason"))
                        for failure in failures)
    error = CloudantDatabaseException(102, len(failures), len(results), listing)
    error.results = list(results)  # type: ignore[attr-defined]
    error.failures = failures  # type: ignore[attr-defined]
    raise error
