"""Replication: :class:`Replicator` manages documents of the ``_replicator`` database and runs ``_replicate``.

A replication document names a ``source`` and a ``target``; the server runs
it and reports its state (through the scheduler on CouchDB 2.1+ and Cloudant,
in the document's ``_replication_state`` elsewhere)::

    replicator = Replicator(client)
    doc = replicator.create_replication(source_db, target_db, continuous=True)
    for state in replicator.follow_replication(doc["_id"]):
        ...
    replicator.stop_replication(doc["_id"])

A database object given as source or target becomes, as in python-cloudant,
``{"url": ..., "headers": {"Authorization": "Basic ..."}}`` (or
``{"url": ..., "auth": {"iam": {"api_key"}}}`` for an IAM client): the server needs the
credentials, but the replication documents handed back by this module never
show them in their ``repr``.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Tuple, Union, cast

from ._endpoint import DESIGN_PREFIX
from ._types import JsonObject, JsonValue
from .document import Document
from .error import (CloudantClientException, CloudantHTTPError, CloudantReplicatorException, Conflict, NotFound,
                    redact_url)
from .result import Result
from .scheduler import Scheduler

if TYPE_CHECKING:
    from ._client_session import IAMSession
    from .replication_progress import ReplicationProgressIterator
    from .client import CouchDB
    from .database import CouchDatabase

__all__ = ["Replicator", "ReplicationDocument"]

#: States after which a replication does nothing more.
TERMINAL_STATES = frozenset({"completed", "failed", "error"})
_STOP_ATTEMPTS = 5
_SECRET = "********"


class ReplicationDocument(Document):
    """A document of the ``_replicator`` database whose ``repr`` hides credentials.

    Passwords, API keys, ``Authorization`` headers and user info in URLs are
    masked in ``repr()``/``str()``; the content itself is unchanged.
    """

    def __repr__(self) -> str:
        return "%s(%r)" % (type(self).__name__, _masked(dict(self)))

    __str__ = __repr__


def _masked(value: JsonValue) -> JsonValue:
    """A copy of ``value`` with secrets replaced by asterisks."""
    if isinstance(value, dict):
        masked: JsonObject = {}
        for key, item in value.items():
            if key in ("auth", "headers") and isinstance(item, dict):
                masked[key] = {name: _SECRET for name in item}
            elif key in ("password", "api_key", "apikey"):
                masked[key] = _SECRET
            else:
                masked[key] = _masked(item)
        return masked
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, str) and "@" in value and "://" in value:
        return redact_url(value)
    return value


def replication_endpoint(database: CouchDatabase) -> JsonObject:
    """The ``source``/``target`` object for a database: its URL and its client's credentials.

    :param database: a :class:`~cloudant.database.CouchDatabase` (of any client).
    :returns: ``{"url": ...}`` plus, unless the client is in admin party, ``"auth": {"iam": {"api_key"}}``
        for an IAM client or ``"headers": {"Authorization": "Basic ..."}``, as python-cloudant sent.
    """
    spec: JsonObject = {"url": database.database_url}
    if database.admin_party:
        return spec
    client = database.client
    if client.is_iam_authenticated:
        spec["auth"] = {"iam": {"api_key": cast("IAMSession", client.r_session).get_api_key}}
        return spec
    basic = client.basic_auth_str()
    if basic is not None:
        spec["headers"] = {"Authorization": basic}
    return spec


def _side(value: Any, code: int) -> Union[str, JsonObject]:
    """A source or target: a database object becomes an endpoint object; a str or dict is kept."""
    # A database object is a dict too (its document cache): recognise it first.
    if hasattr(value, "database_url") and hasattr(value, "client"):
        return replication_endpoint(value)
    if isinstance(value, (str, dict)) and value:
        return value
    raise CloudantReplicatorException(code)


class Replicator:
    """The replications of a server, kept as documents of its ``_replicator`` database.

    :param client: a connected :class:`~cloudant.client.CouchDB` or
        :class:`~cloudant.client.Cloudant` client.
    :raises CloudantClientException: code 404 when there is no ``_replicator`` database.
    """

    def __init__(self, client: CouchDB) -> None:
        self.client = client
        try:
            self.database = client["_replicator"]
        except Exception as err:  # python-cloudant reported any failure (not connected too) as a missing database
            raise CloudantClientException(404, "_replicator") from err

    def __repr__(self) -> str:
        return "<Replicator %s>" % (self.client.server_url,)

    def create_replication(self, source_db: Any = None, target_db: Any = None, repl_id: Optional[str] = None,
                           **kwargs: Any) -> Document:
        """Create a replication document (``PUT /_replicator/{repl_id}``) and return it.

        :param source_db: the source: a database object (its URL and its
            client's credentials are used), or a URL/name string or an endpoint dict.
        :param target_db: the target, likewise.
        :param str repl_id: the document id; a UUID when omitted.
        :param kwargs: further fields: ``continuous``, ``create_target``,
            ``doc_ids``, ``filter``, ``selector``, ``since_seq``, ``user_ctx``...;
            ``source``/``target`` given here take the place of ``source_db``/``target_db``.
        :raises CloudantReplicatorException: code 101 without a source, 102
            without a target; nothing is sent.
        :raises CloudantDatabaseException: code 409 when ``repl_id`` is taken, as python-cloudant did.

        As python-cloudant did, the document is written with
        ``self.database.create_document(data, throw_on_exists=True)`` and, unless
        ``user_ctx`` is given, carries the ``user_ctx`` of the database's
        :attr:`~cloudant.database.CouchDatabase.creds` (one ``GET /_session``).
        """
        data: JsonObject = dict(kwargs, _id=repl_id or str(uuid.uuid4()))
        data["source"] = _side(kwargs.get("source") or source_db, 101)
        data["target"] = _side(kwargs.get("target") or target_db, 102)
        if not data.get("user_ctx"):
            creds = self.database.creds
            if creds and creds.get("user_ctx"):
                data["user_ctx"] = creds["user_ctx"]
        doc = self.database.create_document(data, throw_on_exists=True)
        if type(doc) is Document:  # the same document, with a repr that hides the credentials
            doc.__class__ = ReplicationDocument
        return doc

    def replicate(self, source: Any, target: Any, **options: Any) -> JsonObject:
        """Run a replication directly (``POST /_replicate``), without a replication document.

        A one-shot replication answers when it is done, with its history; a
        ``continuous=True`` one answers at once. ``cancel=True`` with the same
        source, target and options stops a continuous one.

        :param source: a database object, a URL/name string or an endpoint dict.
        :param target: likewise.
        :param options: ``continuous``, ``create_target``, ``doc_ids``, ``filter``,
            ``selector``, ``cancel``...
        :returns: the server's answer (``ok``, ``history``, ``session_id``...).
        :raises CloudantReplicatorException: code 101 without a source, 102 without a target.
        """
        body = dict(options)
        body["source"] = _side(source, 101)
        body["target"] = _side(target, 102)
        return cast(JsonObject, self.client._endpoint.child("_replicate").json("POST", json_body=body))

    def list_replications(self) -> List[ReplicationDocument]:
        """Return every replication document (design documents left out), read page by page.

        ``GET /_replicator/_all_docs?include_docs=true``.
        """
        replications = []
        for row in Result(self.database.all_docs, include_docs=True):
            if row["id"].startswith(DESIGN_PREFIX) or not row.get("doc"):
                continue
            doc = ReplicationDocument(self.database, row["id"])
            doc.update(row["doc"])
            replications.append(doc)
        return replications

    def replication_state(self, repl_id: str) -> Optional[str]:
        """Return the replication's state, or ``None`` when the server has not taken it up yet.

        With a scheduler (CouchDB 2.1+, Cloudant): ``initializing``, ``pending``,
        ``running``, ``crashing``, ``error``, ``failed``, ``completed``
        (``GET /_scheduler/docs/_replicator/{repl_id}``); otherwise the
        document's ``_replication_state`` (``triggered``, ``completed``, ``error``).

        :raises CloudantReplicatorException: code 404 when there is no such replication.

        .. versionchanged:: 3.0
           A document the scheduler does not know yet gives ``None`` instead of an error.
        """
        return self._snapshot(repl_id)[1]

    def _snapshot(self, repl_id: str) -> Tuple[Union[JsonObject, ReplicationDocument], Optional[str]]:
        """``(state document, state)``; raises ``CloudantReplicatorException(404)`` when the document is gone.

        The document is read first: the scheduler goes on reporting a deleted replication for a while.
        """
        doc = self._fetch(repl_id)
        if "scheduler" not in self.client.features():
            return doc, doc.get("_replication_state")
        try:
            info = Scheduler(self.client).get_doc(repl_id)
        except NotFound:
            return doc, None  # not taken up by the scheduler yet
        except CloudantHTTPError as err:
            raise CloudantReplicatorException(err.status_code, repl_id) from err
        return info, info.get("state")

    def _fetch(self, repl_id: str) -> ReplicationDocument:
        doc = ReplicationDocument(self.database, repl_id)
        try:
            doc.fetch()
        except NotFound:
            raise CloudantReplicatorException(404, repl_id) from None
        return doc

    def follow_replication(self, repl_id: str, poll_interval: float = 10.0
                           ) -> Iterator[Union[JsonObject, ReplicationDocument]]:
        """Yield the replication's state document now and whenever its state or document changes.

        It follows the ``_replicator`` database's ``_changes`` for this
        document with ``longpoll`` requests, each starting from the sequence the
        last one ended at; every ``poll_interval`` seconds without a change it
        also checks the scheduler (states that do not touch the document).
        It returns after yielding a ``completed``, ``failed`` or ``error``
        state, or when the document is deleted.

        :param str repl_id: the replication document id.
        :param float poll_interval: seconds each ``longpoll`` waits for a change.
        :returns: a generator of scheduler documents (with a scheduler) or
            :class:`ReplicationDocument` objects.
        :raises CloudantReplicatorException: code 404 when there is no such replication.

        .. versionchanged:: 3.0
           Reads each change once (python-cloudant re-read the whole feed in a loop).
        """
        # The sequence is read before the first snapshot, so a change made in between wakes the first longpoll.
        seq = self.database.metadata().get("update_seq")
        first, changed, last_state = True, False, None
        while True:
            try:
                state_doc, state = self._snapshot(repl_id)
            except CloudantReplicatorException as err:
                if err.code == 404 and not first:
                    return  # the document was deleted: the replication is over
                raise
            if first or changed or state != last_state:
                yield state_doc
            first, last_state = False, state
            if state in TERMINAL_STATES:
                return
            changed, seq = self._wait_for_change(repl_id, seq, poll_interval)

    def replication_progress(self, repl_id: str, interval: float = 2.0) -> ReplicationProgressIterator:
        """Return an iterator of the replication's progress: documents written, pending, rate, ETA, state.

        It yields a :class:`~cloudant.replication_progress.ReplicationProgress` at once and then every
        ``interval`` seconds, until a ``completed``, ``failed`` or ``error`` state (yielded last), the
        document's deletion, or the iterator's ``stop()``; a continuous replication runs until stopped.

        :param str repl_id: the replication document id.
        :param float interval: seconds between observations.
        :returns: a :class:`~cloudant.replication_progress.ReplicationProgressIterator`.
        :raises CloudantReplicatorException: code 404 on the first ``next()`` when there is no such replication.
        """
        from .replication_progress import ReplicationProgressIterator  # it imports this module
        return ReplicationProgressIterator(self, repl_id, interval=interval)

    def _wait_for_change(self, repl_id: str, seq: JsonValue, poll_interval: float) -> Tuple[bool, JsonValue]:
        """One ``longpoll`` on ``_replicator/_changes`` from ``seq``: (did ``repl_id`` change, the new seq)."""
        feed = self.database.changes(feed="longpoll", since=seq, doc_ids=[repl_id],
                                     timeout=int(poll_interval * 1000))
        try:
            ids = [change.get("id") for change in feed]  # read to the end: the reply's last_seq comes last
        finally:
            feed.stop()
        return repl_id in ids, feed.last_seq if feed.last_seq is not None else seq

    def stop_replication(self, repl_id: str) -> None:
        """Stop a replication by deleting its document (``DELETE /_replicator/{repl_id}``).

        The server may update the document while it is being deleted; the
        delete is then retried with the new revision.

        :raises CloudantReplicatorException: code 404 when there is no such replication.
        """
        for attempt in range(_STOP_ATTEMPTS):
            doc = self._fetch(repl_id)
            try:
                doc.delete()
                return
            except Conflict:
                if attempt == _STOP_ATTEMPTS - 1:
                    raise
