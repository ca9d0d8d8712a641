"""Replication progress: where the figures come from, rate and ETA, and when the iteration ends."""
from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

import pytest

from cloudant.error import CloudantReplicatorException, Forbidden
from cloudant.replication_progress import ReplicationProgress, ReplicationProgressIterator
from cloudant.replicator import Replicator


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeReplicator:
    """``_snapshot`` answers the given (status, state) pairs in turn; ``_active_tasks`` and a source's
    ``_changes`` answer from ``tasks`` and ``pending``."""

    def __init__(self, snapshots: List[Any], tasks: Any = (), pending: Optional[int] = None,
                 server_url: str = "http://couch.test") -> None:
        self.snapshots = list(snapshots)
        self.tasks = list(tasks) if not isinstance(tasks, Exception) else tasks
        self.pending = pending
        self.requests: List[Tuple[Tuple[str, ...], Dict[str, Any]]] = []
        self.client = mock.Mock(server_url=server_url)
        self.client._endpoint.child.side_effect = self._child

    def _snapshot(self, repl_id: str) -> Tuple[Dict[str, Any], Optional[str]]:
        answer = self.snapshots.pop(0) if len(self.snapshots) > 1 else self.snapshots[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _child(self, *segments: str) -> Any:
        endpoint = mock.Mock()

        def json(method: str = "GET", **kwargs: Any) -> Any:
            self.requests.append((segments, kwargs))
            if segments == ("_active_tasks",):
                if isinstance(self.tasks, Exception):
                    raise self.tasks
                return self.tasks
            return {"results": [], "last_seq": "x", "pending": self.pending}
        endpoint.json.side_effect = json
        return endpoint


def scheduler_doc(state: str, **info: Any) -> Tuple[Dict[str, Any], str]:
    return {"doc_id": "r", "id": "abc+continuous" if info.pop("continuous", False) else "abc", "state": state,
            "source": "http://couch.test/src/", "info": info or None}, state


def observe(replicator: FakeReplicator, clock: Clock, steps: int, interval: float = 0.0) -> List[ReplicationProgress]:
    iterator = ReplicationProgressIterator(replicator, "r", interval=interval, clock=clock)
    seen = []
    for progress in iterator:
        seen.append(progress)
        clock.now += 10
        if len(seen) >= steps:
            break
    return seen


def test_figures_come_from_the_scheduler_and_rate_and_eta_from_successive_observations() -> None:
    replicator = FakeReplicator([scheduler_doc("running", docs_written=100, docs_read=100, changes_pending=900),
                                 scheduler_doc("running", docs_written=600, docs_read=600, changes_pending=400),
                                 scheduler_doc("completed", docs_written=1000, docs_read=1000, changes_pending=None)])
    seen = observe(replicator, Clock(), 10)
    assert [progress.state for progress in seen] == ["running", "running", "completed"]
    first, second, last = seen
    assert (first.docs_written, first.pending, first.pending_from, first.rate, first.eta) == (100, 900, "server",
                                                                                               None, None)
    assert second.rate == pytest.approx(50.0)  # 500 docs in 10 s
    assert second.eta == pytest.approx(8.0)  # 400 pending at 50/s
    assert last.done and last.completed and not last.failed
    assert (last.pending, last.pending_from, last.eta) == (0, "completed", 0.0)
    assert replicator.requests == []  # nothing else needed


def test_a_failure_ends_the_iteration_with_the_reason() -> None:
    replicator = FakeReplicator([scheduler_doc("failed", error="db_not_found: could not open src")])
    seen = observe(replicator, Clock(), 10)
    assert len(seen) == 1
    assert seen[0].failed and seen[0].done
    assert seen[0].error == "db_not_found: could not open src"


def test_active_tasks_fill_what_the_scheduler_leaves_out() -> None:
    task = {"type": "replication", "doc_id": "r", "docs_written": 70, "changes_pending": 30}
    other = {"type": "replication", "doc_id": "other", "docs_written": 5, "changes_pending": 1}
    replicator = FakeReplicator([scheduler_doc("running")], tasks=[other, {"type": "indexer"}, task])
    progress = observe(replicator, Clock(), 1)[0]
    assert (progress.docs_written, progress.pending, progress.pending_from) == (70, 30, "server")


def test_pending_is_asked_of_a_source_on_the_same_server_when_the_replicator_has_none() -> None:
    replicator = FakeReplicator([scheduler_doc("running", docs_written=5, changes_pending=None,
                                               through_seq="5-opaque")], tasks=Forbidden.__new__(Forbidden),
                                pending=95)
    progress = observe(replicator, Clock(), 1)[0]
    assert (progress.pending, progress.pending_from) == (95, "source")
    segments, kwargs = replicator.requests[-1]
    assert segments == ("src", "_changes")
    assert kwargs["params"] == {"limit": 0, "since": "5-opaque"}  # the sequence sent back as given


def test_a_source_on_another_server_is_not_asked() -> None:
    doc, state = scheduler_doc("running", docs_written=5)
    doc["source"] = "https://elsewhere.example/src/"
    replicator = FakeReplicator([(doc, state)])
    progress = observe(replicator, Clock(), 1)[0]
    assert progress.pending is None and progress.eta is None
    assert [segments for segments, _ in replicator.requests] == [("_active_tasks",)]


def test_without_a_scheduler_the_replication_document_is_read() -> None:
    doc = {"_id": "r", "source": "src", "target": "tgt", "_replication_state": "completed",
           "_replication_stats": {"docs_read": 30, "docs_written": 30, "doc_write_failures": 0}}
    progress = observe(FakeReplicator([(doc, "completed")]), Clock(), 5)[0]
    assert (progress.state, progress.docs_written, progress.continuous) == ("completed", 30, False)
    error_doc = {"_id": "r", "_replication_state": "error", "_replication_state_reason": "unauthorized"}
    progress = observe(FakeReplicator([(error_doc, "error")]), Clock(), 5)[0]
    assert progress.failed and progress.error == "unauthorized"


def test_a_deleted_document_ends_the_iteration_but_a_missing_one_is_an_error() -> None:
    replicator = FakeReplicator([scheduler_doc("running", docs_written=1), CloudantReplicatorException(404, "r")])
    assert len(observe(replicator, Clock(), 10)) == 1
    with pytest.raises(CloudantReplicatorException):
        observe(FakeReplicator([CloudantReplicatorException(404, "r")]), Clock(), 10)


def test_a_continuous_replication_runs_until_stopped_even_from_another_thread() -> None:
    replicator = FakeReplicator([scheduler_doc("running", docs_written=1, changes_pending=0, continuous=True)])
    iterator = ReplicationProgressIterator(replicator, "r", interval=30.0)
    first = next(iterator)
    assert first.continuous is True and first.eta == 0.0
    threading.Timer(0.05, iterator.stop).start()
    with pytest.raises(StopIteration):
        next(iterator)  # the 30 s wait is cut short
    with pytest.raises(StopIteration):
        next(iterator)


def test_counters_that_restart_do_not_give_a_negative_rate() -> None:
    replicator = FakeReplicator([scheduler_doc("running", docs_written=500),
                                 scheduler_doc("running", docs_written=10),
                                 scheduler_doc("running", docs_written=60)])
    seen = observe(replicator, Clock(), 3)
    assert seen[1].rate is None
    assert seen[2].rate == pytest.approx(5.0)


def test_a_bad_interval_is_refused() -> None:
    with pytest.raises(ValueError):
        ReplicationProgressIterator(mock.Mock(), "r", interval=-1)


def test_the_replicator_exposes_the_iterator() -> None:
    replicator = Replicator.__new__(Replicator)
    iterator = replicator.replication_progress("r", interval=0.5)
    assert isinstance(iterator, ReplicationProgressIterator)
    assert (iterator.repl_id, iterator.interval) == ("r", 0.5)


def test_as_dict_is_json_ready() -> None:
    progress = ReplicationProgress("r", "running", docs_written=3, rate=1.2345, eta=10.06, elapsed=1.0)
    assert progress.as_dict()["rate"] == 1.2 and progress.as_dict()["eta_seconds"] == 10.1
    assert "info" not in progress.as_dict()
