"""The server-wide endpoints of :class:`~cloudant.client.CouchDB`: ``/``, ``/_up``, ``/_membership``,
``/_uuids``, ``/_active_tasks``, ``/_all_dbs`` and the ``/_reshard`` family.

:class:`ServerEndpoints` is a base class of :class:`~cloudant.client.CouchDB`;
its methods are documented there.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, cast

from ._endpoint import Endpoint
from ._params import all_dbs_params
from ._types import JsonObject
from .error import CloudantArgumentError

__all__ = ["ServerEndpoints"]


class ServerEndpoints:
    """The methods of :class:`~cloudant.client.CouchDB` that read and change the server as a whole.

    The client sets ``_endpoint`` (the server's root) and ``_features`` (``None`` until read).
    """

    _endpoint: Endpoint
    _features: Optional[List[str]]

    # -- server endpoints ----------------------------------------------------------------------------------
    def metadata(self) -> Dict[str, Any]:
        """Return the server information (``GET /``): version, vendor, features."""
        return cast(JsonObject, self._endpoint.json())

    def features(self) -> List[str]:
        """Return the server's optional features (from ``GET /``, read once and kept)."""
        if self._features is None:
            self._features = list(self.metadata().get("features") or [])
        return self._features

    def vendor(self) -> Dict[str, Any]:
        """Return the server vendor information (``GET /`` ``vendor``)."""
        return dict(self.metadata().get("vendor") or {})

    def ping(self) -> bool:
        """``HEAD /``: True when the server answers; raises otherwise."""
        self._endpoint.request("HEAD")
        return True

    def up(self) -> Dict[str, Any]:
        """Return the server's health (``GET /_up``); a node in maintenance raises
        :class:`~cloudant.error.ServerError`."""
        return cast(JsonObject, self._endpoint.child("_up").json())

    def membership(self) -> Dict[str, List[str]]:
        """Return ``all_nodes`` and ``cluster_nodes`` (``GET /_membership``)."""
        return cast(Dict[str, List[str]], self._endpoint.child("_membership").json())

    def uuids(self, count: int = 1) -> List[str]:
        """Return ``count`` fresh UUIDs from the server (``GET /_uuids``).

        :raises CloudantArgumentError: 117 unless ``count`` is an int, 118 when it is not positive; before
            any request.
        """
        if isinstance(count, bool) or not isinstance(count, int):
            raise CloudantArgumentError(117, "count", int)
        if count < 1:
            raise CloudantArgumentError(118, "count", count)
        return cast(List[str], self._endpoint.child("_uuids").json_object(params={"count": count})["uuids"])

    def active_tasks(self) -> List[Dict[str, Any]]:
        """Return the running tasks: compactions, indexing, replications (``GET /_active_tasks``)."""
        return cast(List[JsonObject], self._endpoint.child("_active_tasks").json())

    def all_dbs(self, **options: Any) -> List[str]:
        """Return the names of all databases (``GET /_all_dbs``).

        :param options: ``limit``, ``skip``, ``descending``, ``inclusive_end``, and ``startkey``/``endkey``
            (or ``start_key``/``end_key``: plain names, sent JSON-encoded, as CouchDB requires).
        :raises CloudantArgumentError: before any request: 116 for an unknown option, 117 for a wrong type
            (``limit`` and ``skip`` are ints, ``descending`` and ``inclusive_end`` bools), 142 for a negative
            ``limit`` or ``skip``, 136 for a key JSON cannot encode.
        """
        params = all_dbs_params(options)
        return cast(List[str], self._endpoint.child("_all_dbs").json(params=params or None))

    # -- resharding ----------------------------------------------------------------------------------------
    def reshard_summary(self) -> Dict[str, Any]:
        """Return the resharding summary: state and job counts (``GET /_reshard``)."""
        return cast(JsonObject, self._reshard().json())

    def reshard_state(self) -> Dict[str, Any]:
        """Return whether resharding is ``running`` or ``stopped`` (``GET /_reshard/state``)."""
        return cast(JsonObject, self._reshard("state").json())

    def set_reshard_state(self, state: str, reason: Optional[str] = None) -> Dict[str, Any]:
        """Start (``"running"``) or stop (``"stopped"``) resharding on the cluster (``PUT /_reshard/state``)."""
        return cast(JsonObject, self._reshard("state").json("PUT", json_body=_state_body(state, reason)))

    def reshard_jobs(self) -> Dict[str, Any]:
        """Return every resharding job (``GET /_reshard/jobs``)."""
        return cast(JsonObject, self._reshard("jobs").json())

    def create_reshard_job(self, db: Optional[str] = None, node: Optional[str] = None,
                           range: Optional[str] = None, shard: Optional[str] = None,  # noqa: A002
                           type: str = "split", error_if_exists: Optional[bool] = None) -> List[Dict[str, Any]]:  # noqa: A002
        """Create shard-splitting jobs (``POST /_reshard/jobs``).

        Give ``shard``, or ``db`` with optional ``node`` and ``range``.
        :returns: one result per job created, each with ``ok`` and ``id``.
        """
        if not db and not shard:
            raise CloudantArgumentError(139, "db", "shard (one of them is required)")
        if db and shard:
            raise CloudantArgumentError(139, "db", "shard")
        body = {"type": type, "db": db, "node": node, "range": range, "shard": shard,
                "error_if_exists": error_if_exists}
        reply = self._reshard("jobs").json("POST", json_body={k: v for k, v in body.items() if v is not None})
        return cast(List[JsonObject], reply)

    def reshard_job(self, job_id: str) -> Dict[str, Any]:
        """Return one resharding job (``GET /_reshard/jobs/{id}``)."""
        return cast(JsonObject, self._reshard("jobs", job_id).json())

    def delete_reshard_job(self, job_id: str) -> Dict[str, Any]:
        """Stop and remove a resharding job (``DELETE /_reshard/jobs/{id}``)."""
        return cast(JsonObject, self._reshard("jobs", job_id).json("DELETE"))

    def reshard_job_state(self, job_id: str) -> Dict[str, Any]:
        """Return a job's state (``GET /_reshard/jobs/{id}/state``)."""
        return cast(JsonObject, self._reshard("jobs", job_id, "state").json())

    def set_reshard_job_state(self, job_id: str, state: str, reason: Optional[str] = None) -> Dict[str, Any]:
        """Resume (``"running"``) or stop (``"stopped"``) one job (``PUT /_reshard/jobs/{id}/state``)."""
        reply = self._reshard("jobs", job_id, "state").json("PUT", json_body=_state_body(state, reason))
        return cast(JsonObject, reply)

    def _reshard(self, *segments: str) -> Endpoint:
        for segment in segments:
            if not isinstance(segment, str) or not segment:
                raise CloudantArgumentError(117, "job_id", str)
        return self._endpoint.child("_reshard", *segments)


def _state_body(state: str, reason: Optional[str]) -> Dict[str, str]:
    if state not in ("running", "stopped"):
        raise CloudantArgumentError(143, "state", ("running", "stopped"), state)
    return {"state": state, **({"reason": reason} if reason else {})}
