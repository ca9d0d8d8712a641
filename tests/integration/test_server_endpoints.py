"""Server-level endpoints against a live server: ``HEAD /``, ``/_up``, ``/_membership``, ``/_uuids``,
``/_active_tasks`` and the ``/_reshard`` family (seed document 003: "Server", "Resharding")."""
from __future__ import annotations

import re
from typing import Any, Iterator, List

import pytest
import requests

from cloudant.adapters import Replay429Adapter
from cloudant.client import CouchDB
from cloudant.database import CouchDatabase
from cloudant.error import CloudantConnectionError, NotFound, Unauthorized

from _fakes import closed_port


def test_ping(client: CouchDB) -> None:
    assert client.ping() is True


def test_ping_an_unreachable_server_raises_a_connection_error() -> None:
    client = CouchDB(None, None, admin_party=True, url="http://127.0.0.1:%d" % closed_port(),
                     adapter=Replay429Adapter(retries=0))
    client.connect()
    with pytest.raises(CloudantConnectionError) as info:
        client.ping()
    assert info.value.method == "HEAD"


def test_up(client: CouchDB, couch_server: Any) -> None:
    if couch_server.kind == "pouchdb":
        with pytest.raises(NotFound):  # pouchdb-server 4.2.0 has no /_up
            client.up()
        return
    assert client.up()["status"] == "ok"


def test_vendor(client: CouchDB, couch_server: Any) -> None:
    vendor = client.vendor()
    assert vendor["name"]
    assert ("PouchDB" in vendor["name"]) is (couch_server.kind == "pouchdb")


@pytest.mark.requires("membership")
def test_membership(client: CouchDB, couch_server: Any) -> None:
    membership = client.membership()
    assert membership["cluster_nodes"]
    assert set(membership["cluster_nodes"]) <= set(membership["all_nodes"])
    assert all("@" in node for node in membership["cluster_nodes"])


@pytest.mark.cluster
def test_membership_lists_every_node_of_the_cluster(client: CouchDB, couch_server: Any) -> None:
    membership = client.membership()
    assert len(membership["cluster_nodes"]) == len(couch_server.node_urls) > 1


def test_uuids(client: CouchDB) -> None:
    uuids = client.uuids(5)
    assert len(uuids) == 5 == len(set(uuids))
    assert all(re.fullmatch(r"[0-9a-f-]{32,36}", uuid) for uuid in uuids)
    assert len(client.uuids()) == 1


def test_active_tasks(client: CouchDB) -> None:
    tasks = client.active_tasks()
    assert isinstance(tasks, list)
    assert all("type" in task for task in tasks)


def test_active_tasks_needs_an_admin(couch_server: Any) -> None:
    from cloudant import couchdb_admin_party

    with couchdb_admin_party(url=couch_server.url) as anonymous:
        with pytest.raises(Unauthorized):
            anonymous.active_tasks()


# -- resharding ------------------------------------------------------------------------------------------------
@pytest.fixture
def resharding_stopped(client: CouchDB) -> Iterator[None]:
    """Resharding paused cluster-wide, so that jobs stay put while the test looks at them; resumed after."""
    assert client.set_reshard_state("stopped", reason="client tests") == {"ok": True}
    try:
        yield
    finally:
        client.set_reshard_state("running")


def delete_jobs(client: CouchDB, job_ids: List[str]) -> None:
    for job_id in job_ids:
        try:
            client.delete_reshard_job(job_id)
        except NotFound:
            pass


@pytest.mark.requires("reshard")
def test_reshard_summary_and_state(client: CouchDB, resharding_stopped: None) -> None:
    summary = client.reshard_summary()
    assert summary["state"] == "stopped" and summary["state_reason"] == "client tests"
    assert {"completed", "failed", "running", "stopped", "total"} <= set(summary)
    assert client.reshard_state() == {"state": "stopped", "reason": "client tests"}


@pytest.mark.requires("reshard")
def test_reshard_state_is_restored(client: CouchDB) -> None:
    assert client.reshard_state()["state"] == "running"


@pytest.mark.requires("reshard")
def test_reshard_job_lifecycle(client: CouchDB, db: CouchDatabase, resharding_stopped: None) -> None:
    created = client.create_reshard_job(db=db.database_name)
    job_ids = [job["id"] for job in created]
    try:
        assert created and all(job["ok"] is True for job in created)
        assert all(db.database_name in job["shard"] for job in created)
        listed = {job["id"]: job for job in client.reshard_jobs()["jobs"]}
        assert set(job_ids) <= set(listed)
        job = client.reshard_job(job_ids[0])
        assert (job["id"], job["type"], job["job_state"]) == (job_ids[0], "split", "stopped")
        assert len(job["target"]) == 2  # a split makes two shards of one
        assert client.reshard_job_state(job_ids[0])["state"] == "stopped"
        assert client.set_reshard_job_state(job_ids[0], "stopped", reason="held by a test") == {"ok": True}
        assert client.reshard_job_state(job_ids[0]) == {"state": "stopped", "reason": "held by a test"}
        for job_id in job_ids:
            assert client.delete_reshard_job(job_id) == {"ok": True}
        with pytest.raises(NotFound):
            client.reshard_job(job_ids[0])
    finally:
        delete_jobs(client, job_ids)


@pytest.mark.requires("reshard")
def test_reshard_job_for_one_shard(client: CouchDB, db: CouchDatabase, couch_server: Any,
                                   admin_session: requests.Session, resharding_stopped: None) -> None:
    shards = admin_session.get(f"{couch_server.url}/{db.database_name}/_shards", timeout=30).json()["shards"]
    shard_range = sorted(shards)[0]
    created = client.create_reshard_job(db=db.database_name, range=shard_range)
    try:
        assert {job["shard"].split("/")[1] for job in created} == {shard_range}
    finally:
        delete_jobs(client, [job["id"] for job in created])
    shard = created[0]["shard"]
    by_shard = client.create_reshard_job(shard=shard)
    try:
        assert [job["shard"] for job in by_shard] == [shard] * len(by_shard)
    finally:
        delete_jobs(client, [job["id"] for job in by_shard])


@pytest.mark.requires("reshard")
def test_missing_reshard_job_is_a_typed_404(client: CouchDB) -> None:
    with pytest.raises(NotFound) as info:
        client.reshard_job_state("001-0000000000000000")
    assert info.value.error == "not_found"


@pytest.mark.cluster
@pytest.mark.requires("reshard")
def test_reshard_job_on_one_node_of_the_cluster(client: CouchDB, db: CouchDatabase,
                                                resharding_stopped: None) -> None:
    node = client.membership()["cluster_nodes"][-1]
    created = client.create_reshard_job(db=db.database_name, node=node)
    try:
        assert created and {job["node"] for job in created} == {node}
        assert {job["node"] for job in client.reshard_jobs()["jobs"] if job["id"] in
                {c["id"] for c in created}} == {node}
    finally:
        delete_jobs(client, [job["id"] for job in created])
