"""Scheduler and Replicator without a server: the requests they send and python-cloudant's names and errors."""
from __future__ import annotations

from typing import Any, Callable, List
from unittest import mock

import pytest

from _fakes import FakeAdapter, Seen
from cloudant.client import CouchDB
from cloudant.error import BadRequest, CloudantClientException, CloudantDatabaseException, Unauthorized
from cloudant.replicator import Replicator
from cloudant.scheduler import Scheduler

SERVER = "http://couch.test:5984"


def connected(handler: Callable[[Seen], Any]) -> CouchDB:
    client = CouchDB(None, None, admin_party=True, url=SERVER, adapter=FakeAdapter(handler))
    client.connect()
    return client


def seen(client: CouchDB) -> List[Seen]:
    return client.adapter.seen


def test_paging_is_sent_as_given_and_judged_by_the_server() -> None:
    def handler(s: Seen) -> Any:
        if s.query.get("limit") == ["-1"]:
            return 400, {}, {"error": "query_parse_error", "reason": "Invalid value for positive integer"}
        return 200, {}, {"total_rows": 0, "offset": 0, "docs": [], "jobs": []}

    client = connected(handler)
    scheduler = Scheduler(client)
    assert scheduler.list_docs(limit=5, skip="2")["docs"] == []
    assert scheduler.list_jobs()["jobs"] == []
    assert [(s.path, s.query) for s in seen(client)] == [
        ("/_scheduler/docs", {"limit": ["5"], "skip": ["2"]}), ("/_scheduler/jobs", {})]
    with pytest.raises(BadRequest):
        scheduler.list_jobs(limit=-1)


def test_python_cloudants_names_are_there() -> None:
    client = connected(lambda s: (200, {}, {}))
    scheduler = Scheduler(client)
    assert (scheduler._client, scheduler._r_session) == (client, client.r_session)
    assert scheduler._scheduler == SERVER + "/_scheduler"


def test_the_request_is_passed_with_python_cloudants_arguments() -> None:
    client = connected(lambda s: (200, {}, {}))
    with mock.patch.object(client.r_session, "get", wraps=client.r_session.get) as get:
        Scheduler(client).list_docs()
    get.assert_called_once_with(SERVER + "/_scheduler/docs", params={})


def test_a_taken_replication_id_is_a_database_exception_as_python_cloudant_raised() -> None:
    def handler(s: Seen) -> Any:
        if s.method == "HEAD":
            return 200, {}, b""
        return 409, {}, {"error": "conflict", "reason": "Document update conflict."}

    client = connected(handler)
    with pytest.raises(CloudantDatabaseException) as caught:
        Replicator(client).create_replication("http://a.test/src", "http://a.test/tgt", repl_id="taken")
    assert (caught.value.status_code, str(caught.value)) == (409, "Document with id taken already exists.")


@pytest.mark.parametrize("status", [404, 401])
def test_a_replicator_database_that_cannot_be_reached_reads_as_missing(status: int) -> None:
    client = connected(lambda s: (status, {}, b""))
    with pytest.raises(CloudantClientException) as caught:
        Replicator(client)
    assert caught.value.status_code == 404
    if status == 401:
        assert isinstance(caught.value.__cause__, Unauthorized)
