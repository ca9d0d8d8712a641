"""Fixtures shared by the whole suite.

The live server is started lazily: only a test that asks for ``couch_server`` (directly or through
``client``, ``db``, ``admin_session``) starts it, once per session, so ``tests/unit`` never does.

``couch_server``
    a :class:`_servers.CouchServer`: ``url``, ``user``, ``password``, ``kind`` (``"pouchdb"``, ``"couchdb"``,
    ``"cloudant"``), ``version``, ``jwt_hmac_key``, ``node_urls``, ``capabilities``, ``assert_alive()``,
    ``session()``. pouchdb-server 4.2.0 on loopback unless ``COUCHDB_URL`` names another server.
``admin_session``
    a plain ``requests.Session`` with the admin's basic auth, to check effects without the library.
``client``
    a connected ``cloudant.client.CouchDB`` from the ``couchdb(...)`` context manager.
``db_name`` / ``db``
    a fresh ``test-<uuid4 hex>`` name; the database created under it, deleted afterwards.

Markers: ``@pytest.mark.requires("scheduler", ...)`` skips a test when the server lacks a capability;
``@pytest.mark.cluster`` marks what only a multi-node cluster shows (it implies ``requires("cluster")``);
tests under ``tests/integration`` are marked ``integration`` automatically.

Hypothesis profiles: ``dev`` (the default) draws 200 examples per property, ``ci`` draws 2000 and is
derandomized (Hypothesis' own CI settings). ``HYPOTHESIS_PROFILE=ci`` or ``--hypothesis-profile=ci`` selects
it; where Hypothesis detects a CI environment by itself (``CI`` set), ``ci`` is the default.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest
import requests
from hypothesis import settings

# _servers sits beside this file; importing it by directory works whether or not tests/ is a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _servers  # noqa: E402
from _servers import CAPABILITIES, CouchServer  # noqa: E402

pytest_plugins = ["pytester"]  # tests/integration/test_harness.py runs the markers in a nested session

INTEGRATION_DIR = Path(__file__).resolve().parent / "integration"

settings.register_profile("dev", settings.get_profile("default"), max_examples=200)
settings.register_profile("ci", settings.get_profile("ci"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if settings.get_current_profile_name() == "ci" else "dev"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(*capabilities): skip unless the server has every capability named "
        f"(one of: {', '.join(sorted(CAPABILITIES))})",
    )
    config.addinivalue_line("markers", "cluster: needs a multi-node CouchDB cluster (implies requires('cluster'))")
    config.addinivalue_line("markers", "node_failure: kills a cluster node for good; run last, on its own")


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    integration = pytest.mark.integration
    for item in items:
        if INTEGRATION_DIR in Path(item.path).resolve().parents:
            item.add_marker(integration)


def _required_capabilities(item: pytest.Item) -> list:
    needed = [name for marker in item.iter_markers("requires") for name in marker.args]
    if item.get_closest_marker("cluster") is not None:
        needed.append("cluster")
    unknown = sorted(set(needed) - CAPABILITIES)
    if unknown:
        pytest.fail(f"unknown capability in requires(): {', '.join(unknown)}", pytrace=False)
    return needed


@pytest.fixture(scope="session")
def couch_server() -> Iterator[CouchServer]:
    server = _servers.start_or_connect()
    try:
        yield server
        server.assert_alive()  # a server that died during the session fails the run, even if no test noticed
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _server_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Skip for missing capabilities; make a dead server an error of the test that was running."""
    needed = _required_capabilities(request.node)
    if not needed and "couch_server" not in request.fixturenames:
        yield  # no server involved: do not start one
        return
    server: CouchServer = request.getfixturevalue("couch_server")
    missing = [name for name in needed if name not in server.capabilities]
    if missing:
        pytest.skip(f"server {server.kind} lacks {', '.join(missing)}")
    server.assert_alive()
    yield
    server.assert_alive()


@pytest.fixture
def admin_session(couch_server: CouchServer) -> Iterator[requests.Session]:
    with couch_server.session() as session:
        yield session


@pytest.fixture
def client(couch_server: CouchServer) -> Iterator[Any]:
    from cloudant import couchdb

    with couchdb(couch_server.user, couch_server.password, url=couch_server.url) as connected:
        yield connected


@pytest.fixture
def user(couch_server: CouchServer, admin_session: requests.Session) -> Iterator[Tuple[str, str]]:
    """A fresh non-admin user in ``_users``: (name, password); deleted afterwards."""
    name, password = "user-" + uuid.uuid4().hex[:10], "Pw-" + uuid.uuid4().hex
    url = f"{couch_server.url}/_users/org.couchdb.user:{name}"
    response = admin_session.put(url, json={"name": name, "password": password, "roles": [], "type": "user"},
                                 timeout=30)
    assert response.status_code in (201, 202), response.text
    yield name, password
    rev = admin_session.get(url, timeout=30).json()["_rev"]
    admin_session.delete(url, params={"rev": rev}, timeout=30)


@pytest.fixture
def db_name() -> str:
    return "test-" + uuid.uuid4().hex


@pytest.fixture
def db(client: Any, db_name: str, couch_server: CouchServer) -> Iterator[Any]:
    database = client.create_database(db_name)
    try:
        yield database
    finally:
        _drop_database(client, db_name, couch_server)


def _drop_database(client: Any, name: str, server: CouchServer) -> None:
    """Delete with the library; a database the test deleted itself is fine, one left behind is an error."""
    try:
        client.delete_database(name)
    except Exception:
        with server.session() as session:
            url = f"{server.url}/{name}"
            if session.head(url, timeout=30).status_code == 404:
                return
            session.delete(url, timeout=30)  # clean up anyway, then report the library's failure
        raise
