"""Writes under a lasting rate limit: a proxy answers 429 to 30 % of all requests for the whole run.

A 429 means the server did not act, so every write is resent until it lands (within the adapter's time
budget): none reaches the caller as ``TooManyRequests`` and none is applied twice. A write whose connection
drops after it was sent is the opposite case: its outcome is unknown and it is never resent.
"""
from __future__ import annotations

import json
import random
import time
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from cloudant import couchdb
from cloudant.adapters import Replay429Adapter
from cloudant.database import CouchDatabase
from cloudant.document import Document
from cloudant.error import CloudantConnectionError
from faults.proxy import Cut, Exchange, FaultProxy, Reply

WRITES = 500  # of each kind
SHARE = 0.3
RUN_SECONDS = 600.0  # the whole run must end well before this
LIMIT_BODY = {"error": "too_many_requests", "reason": "You've exceeded your current limit of 10 requests per second"}
RATE_LIMITED = Reply(429, json.dumps(LIMIT_BODY).encode())


class RateLimitingProxy(FaultProxy):
    """A :class:`FaultProxy` answering 429 to a random ``share`` of requests (seeded: the same run each time)."""

    def __init__(self, upstream: str, share: float, seed: int = 12) -> None:
        self.share = share
        self._random = random.Random(seed)
        super().__init__(upstream)

    def _choose(self, method: str, path: str, query: str) -> Optional[Any]:
        with self._lock:
            limited = self._random.random() < self.share
            if limited:
                self.seen.append(Exchange(method, path, query, RATE_LIMITED))
        return RATE_LIMITED if limited else super()._choose(method, path, query)


@pytest.fixture
def limited(couch_server: Any, db: Any) -> Iterator[CouchDatabase]:
    """The test database through a proxy that rate limits 30 % of requests; the default retry budget (the
    backoff shortened so that the run stays short)."""
    with RateLimitingProxy(couch_server.url, SHARE) as proxy:
        with couchdb(couch_server.user, couch_server.password, url=proxy.url,
                     adapter=Replay429Adapter(initialBackoff=0.005)) as client:
            database = CouchDatabase(client, db.database_name)
            database.proxy = proxy  # type: ignore[attr-defined]
            yield database


def all_docs(couch_server: Any, admin_session: requests.Session, db_name: str, **params: Any) -> Dict[str, Any]:
    url = "%s/%s/_all_docs" % (couch_server.url, db_name)
    response = admin_session.get(url, params={key: json.dumps(value) for key, value in params.items()}, timeout=60)
    response.raise_for_status()
    result: Dict[str, Any] = response.json()
    return result


def test_no_429_reaches_the_caller_and_no_write_is_applied_twice(limited: CouchDatabase, couch_server: Any,
                                                                   admin_session: requests.Session) -> None:
    db_name = limited.database_name
    base = "%s/%s" % (couch_server.url, db_name)
    # The documents to delete are written directly, not through the proxy.
    setup = admin_session.post(base + "/_bulk_docs", json={"docs": [{"_id": "d-%04d" % i} for i in range(WRITES)]},
                               timeout=60).json()
    revs = {row["id"]: row["rev"] for row in setup}
    started = time.monotonic()

    created: List[Document] = []
    for i in range(WRITES):
        created.append(limited.create_document({"_id": "c-%04d" % i, "n": i}))
    for i in range(WRITES):
        limited.create_document({"kind": "no-id", "n": i})
    for doc in created:
        doc["saved"] = True
        doc.save()
    for i in range(WRITES):
        results = limited.bulk_docs([{"kind": "bulk", "n": i, "k": k} for k in range(2)])
        assert all("error" not in result for result in results), results
    for doc_id, rev in revs.items():
        doc = Document(limited, doc_id)
        doc["_rev"] = rev
        doc.delete()
    elapsed = time.monotonic() - started
    assert elapsed < RUN_SECONDS

    proxy: FaultProxy = limited.proxy  # type: ignore[attr-defined]
    refused = proxy.count(faulty=True)
    assert refused > 0.25 * 5 * WRITES  # the storm was real: about 30 % of all requests were refused

    rows = all_docs(couch_server, admin_session, db_name, include_docs=True)["rows"]
    kinds: Dict[str, int] = {}
    for row in rows:
        kinds[row["doc"].get("kind", "with-id")] = kinds.get(row["doc"].get("kind", "with-id"), 0) + 1
    assert kinds == {"with-id": WRITES, "no-id": WRITES, "bulk": 2 * WRITES}  # nothing written twice
    with_id = [row for row in rows if row["id"].startswith("c-")]
    assert all(row["value"]["rev"].startswith("2-") and row["doc"]["saved"] for row in with_id)  # saved once
    deleted = all_docs(couch_server, admin_session, db_name, keys=sorted(revs))["rows"]
    assert all(row["value"] == {"rev": row["value"]["rev"], "deleted": True} for row in deleted)
    assert all(row["value"]["rev"].startswith("2-") for row in deleted)  # deleted once
    print("\n%d writes, %d requests refused with 429, %.1f s" % (5 * WRITES, refused, elapsed))


def test_a_write_whose_connection_dropped_is_not_resent(couch_server: Any, db: Any,
                                                        admin_session: requests.Session) -> None:
    with FaultProxy(couch_server.url) as proxy:
        proxy.add(Cut(after_bytes=0), method="POST", path="/" + db.database_name)
        with couchdb(couch_server.user, couch_server.password, url=proxy.url) as client:
            database = CouchDatabase(client, db.database_name)
            with pytest.raises(CloudantConnectionError):
                database.create_document({"kind": "unknown-outcome"})
    assert proxy.count(method="POST", path="/" + db.database_name) == 1
    rows = all_docs(couch_server, admin_session, db.database_name)["rows"]
    assert len(rows) == 1  # the server applied it once; the client did not replay it
