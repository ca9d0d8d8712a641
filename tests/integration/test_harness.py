"""The test harness itself: the server fixture, its credentials, capabilities and the requires marker.

Only plain ``requests`` is used here, so these tests say whether the harness works independently of the
library under test.
"""

from __future__ import annotations

import os
import signal
import textwrap
from pathlib import Path

import pytest
import requests

import _servers
from _servers import CAPABILITIES, CouchServer, HarnessError

# What each kind of server is known to offer, as seen on pouchdb-server 4.2.0 and a single-node
# Apache CouchDB 3.4.3 (the two servers CI runs the suite against).
POUCHDB_CAPABILITIES = {"membership", "cookie_auth", "users_db", "show_list_update", "compact"}
COUCHDB_ALWAYS = {
    "db_updates",
    "scheduler",
    "reshard",
    "membership",
    "partitioned",
    "cookie_auth",
    "view_info",
    "opaque_seq",
    "real_etag",
    "show_list_update",
    "compact",
    "users_db",
}


def test_url_is_bare(couch_server: CouchServer) -> None:
    assert couch_server.url.startswith("http")
    assert not couch_server.url.endswith("/")
    assert "@" not in couch_server.url
    assert couch_server.node_urls[0] == couch_server.url


def test_admin_credentials_are_accepted(couch_server: CouchServer, admin_session: requests.Session) -> None:
    response = admin_session.get(couch_server.url + "/_session", timeout=30)
    assert response.status_code == 200
    user_ctx = response.json()["userCtx"]
    assert user_ctx["name"] == couch_server.user
    assert "_admin" in user_ctx["roles"]


def test_wrong_password_is_rejected(couch_server: CouchServer) -> None:
    response = requests.get(
        couch_server.url + "/_session", auth=(couch_server.user, couch_server.password + "-wrong"), timeout=30
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_admin_can_create_and_delete_a_database(
    couch_server: CouchServer, admin_session: requests.Session, db_name: str
) -> None:
    url = f"{couch_server.url}/{db_name}"
    assert admin_session.put(url, timeout=30).status_code == 201
    try:
        assert admin_session.get(url, timeout=30).json()["db_name"] == db_name
    finally:
        assert admin_session.delete(url, timeout=30).status_code == 200
    assert admin_session.get(url, timeout=30).status_code == 404


def test_kind_matches_the_welcome_message(couch_server: CouchServer, admin_session: requests.Session) -> None:
    root = admin_session.get(couch_server.url + "/", timeout=30).json()
    assert _servers.server_kind(root) == couch_server.kind
    assert couch_server.version == root["version"]
    if couch_server.process is not None:
        assert couch_server.kind == "pouchdb"
        assert couch_server.version == "4.2.0"


def test_capabilities_match_the_kind(couch_server: CouchServer) -> None:
    caps = set(couch_server.capabilities)
    assert caps <= CAPABILITIES
    if couch_server.kind == "pouchdb":
        assert caps == POUCHDB_CAPABILITIES
    elif couch_server.kind == "couchdb":
        assert COUCHDB_ALWAYS <= caps
        assert ("jwt" in caps) == bool(couch_server.jwt_hmac_key)
        assert ("cluster" in caps) == (len(couch_server.node_urls) > 1)


def test_db_name_is_fresh_and_valid(db_name: str) -> None:
    assert db_name.startswith("test-")
    assert len(db_name) == len("test-") + 32
    assert db_name == db_name.lower()


def test_requires_marker_skips_with_a_reason(
    couch_server: CouchServer, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nested run of the real conftest against this server: present capabilities run, missing ones skip."""
    tests_dir = Path(__file__).resolve().parent.parent
    pytester.makeconftest((tests_dir / "conftest.py").read_text())
    pytester.makepyfile(_servers=(tests_dir / "_servers.py").read_text())
    present = sorted(couch_server.capabilities)[0]
    absent = sorted(CAPABILITIES - couch_server.capabilities)
    pytester.makepyfile(
        test_marked=textwrap.dedent(
            f"""
            import pytest

            @pytest.mark.requires({present!r})
            def test_present(couch_server):
                assert {present!r} in couch_server.capabilities

            @pytest.mark.requires(*{absent!r})
            def test_absent():
                raise AssertionError("must be skipped")

            @pytest.mark.requires("no_such_capability")
            def test_typo():
                pass

            def test_no_server():
                pass
            """
        )
    )
    for name, value in _servers.exported_environment(couch_server).items():
        monkeypatch.setenv(name, value)
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    if absent:
        result.assert_outcomes(passed=2, skipped=1, errors=1)
        result.stdout.fnmatch_lines([f"*server {couch_server.kind} lacks {absent[0]}*"])
    else:
        result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*unknown capability in requires(): no_such_capability*"])


@pytest.mark.skipif(not _servers.POUCHDB_SERVER.exists(), reason="pouchdb-server is not installed")
def test_a_dead_pouchdb_server_is_a_harness_error() -> None:
    """A private pouchdb-server, killed under the harness: assert_alive() must say so, stop() cleans up."""
    server = _servers.start_pouchdb()
    assert server.process is not None
    workdir = server.process.workdir
    try:
        server.assert_alive()
        assert workdir.exists() and _servers.REPO_ROOT not in workdir.parents
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.popen.wait(timeout=30)
        with pytest.raises(HarnessError, match="exited with status"):
            server.assert_alive()
    finally:
        server.stop()
    assert not workdir.exists()
    assert not (_servers.REPO_ROOT / "log.txt").exists()


@pytest.mark.cluster
def test_every_node_of_the_cluster_answers(couch_server: CouchServer, admin_session: requests.Session) -> None:
    """node_urls are the nodes of one cluster: each answers and sees all of them as members."""
    memberships = [admin_session.get(url + "/_membership", timeout=30).json() for url in couch_server.node_urls]
    assert len(couch_server.node_urls) > 1
    for membership in memberships:
        assert len(membership["cluster_nodes"]) == len(couch_server.node_urls)
        assert sorted(membership["cluster_nodes"]) == sorted(memberships[0]["cluster_nodes"])
