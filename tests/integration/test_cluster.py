"""What only a real CouchDB cluster shows: opaque clustered sequences read through different nodes, and a node
dying while a feed is followed and documents are written.

The node-failure test kills a node for good, so ``.ci/run`` runs it last, on its own (marker ``node_failure``).
It needs ``COUCHDB_CLUSTER_DIR``, the directory ``couchdb-server cluster`` started the nodes in.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any, List

import pytest

from cloudant import couchdb
from cloudant.database import CouchDatabase

pytestmark = pytest.mark.cluster


def _write(db: CouchDatabase, prefix: str, count: int) -> List[str]:
    ids = ["%s-%04d" % (prefix, number) for number in range(count)]
    db.bulk_docs([{"_id": doc_id, "n": number} for number, doc_id in enumerate(ids)], raise_on_error=True)
    return ids


def _wait_for_changes(db: CouchDatabase, count: int) -> None:
    deadline = time.monotonic() + 30
    while sum(1 for _ in db.changes()) < count:
        assert time.monotonic() < deadline, "the changes feed never showed %d changes" % count
        time.sleep(0.2)


def test_sequences_are_opaque_and_any_node_resumes_from_them(couch_server: Any, db: CouchDatabase) -> None:
    """A ``since`` read through node 1 is accepted by node 2, and the two halves cover every change."""
    ids = _write(db, "seq", 60)
    _wait_for_changes(db, len(ids))  # a cluster's feed shows a write a moment after it is acknowledged
    first_half = db.changes(limit=30)
    seen = [change["id"] for change in first_half]
    assert isinstance(first_half.last_seq, str) and len(seen) == 30
    other_node = couch_server.node_urls[1]
    with couchdb(couch_server.user, couch_server.password, url=other_node) as other:
        rest = CouchDatabase(other, db.database_name).changes(since=first_half.last_seq)
        seen += [change["id"] for change in rest]
    # A cluster may replay a few changes after a since from another node, never skip one.
    assert set(seen) == set(ids)


@pytest.mark.node_failure
def test_a_node_dying_under_a_feed_and_a_bulk_write_loses_nothing(couch_server: Any, db: CouchDatabase) -> None:
    cluster_dir = os.environ.get("COUCHDB_CLUSTER_DIR")
    if not cluster_dir:
        pytest.skip("COUCHDB_CLUSTER_DIR is not set: the test cannot find a node's PID")
    last_node = len(couch_server.node_urls)
    pid = int((Path(cluster_dir) / ("node%d" % last_node) / "couchdb.pid").read_text().strip())
    feed = db.infinite_changes(since="now", heartbeat=1000)
    received: List[str] = []
    # A heartbeat arrives as None, as in python-cloudant.
    reader = threading.Thread(target=lambda: received.extend(change["id"] for change in feed if change),
                              daemon=True)
    reader.start()
    written: List[str] = []
    for batch in range(8):
        if batch == 3:
            os.kill(pid, signal.SIGKILL)  # node 3 dies between two bulk writes, the feed still running
        written += _write(db, "batch%d" % batch, 50)
    deadline = time.monotonic() + 120
    while not set(written) <= set(received) and time.monotonic() < deadline:
        time.sleep(0.2)
    feed.stop()
    reader.join(timeout=10)
    assert set(received) >= set(written), "changes lost: %d" % len(set(written) - set(received))
    assert db.doc_count() == len(written)
