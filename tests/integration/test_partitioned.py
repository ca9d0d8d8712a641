"""Partitioned databases against a server that has them (CouchDB 3, Cloudant)."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from cloudant.database import CouchDatabase
from cloudant.document import Document
from cloudant.error import BadRequest, CloudantArgumentError

pytestmark = pytest.mark.requires("partitioned")


@pytest.fixture
def pdb(client: Any, db_name: str) -> Iterator[CouchDatabase]:
    name = db_name + "-partitioned"  # db_name also names the plain `db` fixture's database
    database = client.create_database(name, partitioned=True)
    try:
        yield database
    finally:
        client.delete_database(name)


@pytest.fixture
def sensors(pdb: CouchDatabase) -> CouchDatabase:
    docs = [{"_id": "sensor-%d:reading-%03d" % (sensor, n), "value": n} for sensor in (1, 2) for n in range(25)]
    pdb.bulk_docs(docs, raise_on_error=True)
    return pdb


def test_the_database_says_it_is_partitioned(client: Any, pdb: CouchDatabase, db: Any) -> None:
    assert pdb.is_partitioned() is True
    assert pdb.metadata()["props"] == {"partitioned": True}
    assert db.is_partitioned() is False
    dict.clear(client)
    fresh = client[pdb.database_name]  # one HEAD, as python-cloudant: the object does not know yet
    assert fresh.is_partitioned() is True and fresh._partitioned is True


def test_partition_metadata_counts_one_partition(sensors: CouchDatabase) -> None:
    info = sensors.partition_metadata("sensor-1")
    assert info["partition"] == "sensor-1"
    assert info["doc_count"] == 25


def test_partitioned_all_docs_reads_one_partition(sensors: CouchDatabase) -> None:
    rows = sensors.partitioned_all_docs("sensor-2", include_docs=True)["rows"]
    assert [row["id"] for row in rows] == ["sensor-2:reading-%03d" % n for n in range(25)]
    assert [row["doc"]["value"] for row in rows] == list(range(25))
    page = sensors.partitioned_all_docs("sensor-2", startkey="sensor-2:reading-010", limit=3)["rows"]
    assert [row["id"] for row in page] == ["sensor-2:reading-%03d" % n for n in (10, 11, 12)]
    by_keys = sensors.partitioned_all_docs("sensor-1", keys=["sensor-1:reading-003"])["rows"]
    assert [row["id"] for row in by_keys] == ["sensor-1:reading-003"]


def test_partition_url_and_key_checks(sensors: CouchDatabase) -> None:
    assert sensors.database_partition_url("sensor-1") == sensors.database_url + "/_partition/sensor-1"
    for bad in ("", "_design", "a:b"):
        with pytest.raises(CloudantArgumentError):
            sensors.partition_metadata(bad)


def test_documents_need_a_partition_in_their_id(sensors: CouchDatabase) -> None:
    with pytest.raises(BadRequest) as caught:
        sensors.create_document({"_id": "no-partition"})
    assert caught.value.error == "illegal_docid"
    doc = sensors.create_document({"_id": "sensor-3:first", "value": 1})
    assert Document(sensors, "sensor-3:first").exists()
    assert sensors.partition_metadata("sensor-3")["doc_count"] == 1
    assert doc["_rev"].startswith("1-")


def test_iterating_a_partitioned_database_sees_every_partition(sensors: CouchDatabase) -> None:
    sensors._fetch_limit = 7
    ids = [doc["_id"] for doc in sensors]
    assert len(ids) == len(set(ids)) == 50
