"""Durable feed checkpoints and replication progress against a live server."""
from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest

from cloudant.checkpoint import FileCheckpoint, LocalDocumentCheckpoint
from cloudant.error import CloudantReplicatorException
from cloudant.replicator import Replicator


def _fill(db: Any, count: int, prefix: str = "doc") -> None:
    db.bulk_docs([{"_id": "%s-%03d" % (prefix, number), "n": number, "text": "é😀"} for number in range(count)],
                 raise_on_error=True)


def _take(feed: Any, count: int) -> List[str]:
    ids = []
    for change in feed:
        if change is None:
            continue
        ids.append(change["id"])
        if len(ids) == count:
            break
    return ids


@pytest.mark.parametrize("kind", ["file", "local"])
def test_a_restarted_feed_continues_after_the_last_change_taken(db: Any, tmp_path: Path, kind: str) -> None:
    _fill(db, 6)

    def store() -> Any:
        return FileCheckpoint(tmp_path / "feed.seq") if kind == "file" else LocalDocumentCheckpoint(db, "follower")

    feed = db.infinite_changes(checkpoint=store(), heartbeat=1000)
    first = _take(feed, 3)
    feed.stop()  # the third was handled: recorded
    feed = db.infinite_changes(checkpoint=store(), heartbeat=1000)
    second = _take(feed, 3)
    feed.stop()
    assert sorted(first + second) == ["doc-%03d" % number for number in range(6)]
    assert store().load() is not None


def test_a_change_not_yet_handled_comes_again_after_a_crash(db: Any) -> None:
    _fill(db, 4)
    feed = db.infinite_changes(checkpoint=LocalDocumentCheckpoint(db, "crashy"), heartbeat=1000)
    first = _take(feed, 2)
    feed.stop(checkpoint=False)  # as a crash while handling the second: it was never recorded
    feed = db.infinite_changes(checkpoint=LocalDocumentCheckpoint(db, "crashy"), heartbeat=1000)
    again = _take(feed, 3)
    feed.stop()
    assert first[1] in again  # at least once (a cluster's shards may interleave differently on each request)
    assert sorted(set(first + again)) == ["doc-%03d" % number for number in range(4)]  # no gap


def test_new_changes_made_while_stopped_are_delivered_after_a_restart(db: Any, tmp_path: Path) -> None:
    _fill(db, 2)
    path = tmp_path / "feed.seq"
    feed = db.infinite_changes(checkpoint=str(path), heartbeat=1000)
    _take(feed, 2)
    feed.stop()
    _fill(db, 2, prefix="later")
    feed = db.infinite_changes(checkpoint=str(path), heartbeat=1000)
    assert sorted(_take(feed, 2)) == ["later-000", "later-001"]
    feed.stop()


# -- replication progress -----------------------------------------------------------------------------------------
@pytest.fixture
def pair(client: Any, db_name: str) -> Any:
    source = client.create_database(db_name + "-src")
    target_name = db_name + "-tgt"
    try:
        _fill(source, 40)
        yield source, target_name
    finally:
        for name in (db_name + "-src", target_name):
            try:
                client.delete_database(name)
            except Exception:
                pass


def test_replication_progress_runs_to_completion(couch_server: Any, client: Any, pair: Any) -> None:
    source, target_name = pair
    replicator = Replicator(client)
    if couch_server.kind == "pouchdb":  # names only on pouchdb-server
        sides: Any = (source.database_name, target_name)
    else:
        sides = (source, client._DATABASE_CLASS(client, target_name))
    doc = replicator.create_replication(*sides, create_target=True)
    try:
        seen = list(replicator.replication_progress(doc["_id"], interval=0.5))
    finally:
        try:
            replicator.stop_replication(doc["_id"])
        except CloudantReplicatorException:
            pass
    last = seen[-1]
    assert last.completed, [progress.as_dict() for progress in seen]
    assert last.docs_written == 40
    assert last.pending == 0 and last.eta == 0.0
    assert all(not progress.done for progress in seen[:-1])


def test_replication_progress_of_a_missing_replication_is_an_error(client: Any) -> None:
    with pytest.raises(CloudantReplicatorException) as caught:
        next(Replicator(client).replication_progress("no-such-replication"))
    assert caught.value.code == 404
