"""The replication scheduler against a live server (CouchDB 2.1+, Cloudant): documents and jobs."""
from __future__ import annotations

import time
from typing import Any, Iterator

import pytest

from cloudant.error import BadRequest, NotFound
from cloudant.replicator import Replicator
from cloudant.scheduler import Scheduler

pytestmark = pytest.mark.requires("scheduler")


@pytest.fixture
def running(client: Any, db_name: str) -> Iterator[str]:
    """A continuous replication whose document id needs quoting; stopped and cleaned up afterwards."""
    source = client.create_database(db_name + "-src")
    target = client.create_database(db_name + "-tgt")
    replicator = Replicator(client)
    repl_id = "job %s/1" % db_name
    replicator.create_replication(source, target, repl_id=repl_id, continuous=True)
    try:
        yield repl_id
    finally:
        replicator.stop_replication(repl_id)
        client.delete_database(db_name + "-src")
        client.delete_database(db_name + "-tgt")


def _wait_for_state(scheduler: Scheduler, repl_id: str, wanted: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        try:
            doc = scheduler.get_doc(repl_id)
        except NotFound:  # not taken up by the scheduler yet
            doc = {}
        if doc.get("state") == wanted or time.monotonic() > deadline:
            return doc
        time.sleep(0.2)


def test_get_doc_quotes_the_id_and_reports_the_state(client: Any, running: str) -> None:
    scheduler = Scheduler(client)
    doc = _wait_for_state(scheduler, running, "running")
    assert (doc["doc_id"], doc["database"], doc["state"]) == (running, "_replicator", "running")


def test_list_docs_and_jobs(client: Any, running: str) -> None:
    scheduler = Scheduler(client)
    _wait_for_state(scheduler, running, "running")
    docs = scheduler.list_docs()
    assert running in [doc["doc_id"] for doc in docs["docs"]]
    jobs = scheduler.list_jobs()
    assert running in [job.get("doc_id") for job in jobs["jobs"]]
    assert len(scheduler.list_jobs(limit=1)["jobs"]) == 1
    assert scheduler.list_docs(skip=docs["total_rows"])["docs"] == []


def test_a_missing_document_raises_not_found(client: Any) -> None:
    with pytest.raises(NotFound):
        Scheduler(client).get_doc("no such replication")


def test_paging_is_sent_as_given_and_judged_by_the_server(client: Any) -> None:
    scheduler = Scheduler(client)  # as python-cloudant: no local checks
    for call in (scheduler.list_docs, scheduler.list_jobs):
        assert call(skip="0")["offset"] == 0
        with pytest.raises(BadRequest):
            call(limit=-1)
    assert scheduler._scheduler == client.server_url + "/_scheduler"
    assert scheduler._r_session is client.r_session
