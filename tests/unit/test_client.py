"""The client (``cloudant.client``) without a server: construction, what reaches the wire, local checks.

Behaviour against a real server lives in ``tests/integration/test_client.py``.
"""
from __future__ import annotations

import base64
import json
import platform
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests

import cloudant
from _fakes import FakeAdapter, Seen
from cloudant.client import Cloudant, CouchDB
from cloudant.database import CloudantDatabase, CouchDatabase
from cloudant.error import (ClientNotConnected, CloudantArgumentError, CloudantClientException,
                            CloudantDatabaseException, ServerError,
                            Unauthorized)

SERVER = "http://couch.test:5984"


class Couch:
    """Enough of CouchDB for the client: sessions, ``/``, ``_all_dbs`` and an IAM token endpoint."""

    def __init__(self) -> None:
        self.adapter = FakeAdapter(self.handle)
        self.fail_logout = False

    def handle(self, seen: Seen) -> Any:
        if seen.path.endswith("/_session") and seen.method == "POST":
            form = seen.form()
            if form["password"] != ["pw"] and form["password"] != ["new-pw"]:
                return 401, {}, {"error": "unauthorized", "reason": "Name or password is incorrect."}
            return 200, [("Set-Cookie", "AuthSession=%s; Path=/" % form["name"][0])], {"ok": True}
        if seen.path.endswith("/_session") and seen.method == "DELETE":
            if self.fail_logout:
                return 500, {}, {"error": "internal"}
            return 200, [("Set-Cookie", "AuthSession=; Path=/")], {"ok": True}
        if seen.path == "/iam/token":
            return 200, {}, {"access_token": "tok", "expires_in": 3600}
        if seen.path == "/_iam_session":  # CouchDB has none: the IAM session sends the token as Bearer
            return 404, {}, {"error": "not_found", "reason": "Database does not exist."}
        if seen.path.endswith("/_all_dbs"):
            return 200, {}, ["_users", "orders"]
        if seen.path.endswith("/_session"):
            return 200, {}, {"ok": True, "userCtx": {"name": "user", "roles": []}}
        return 200, {}, {"couchdb": "Welcome", "version": "3.4.3", "features": ["partitioned", "scheduler"]}

    def seen(self, method: Optional[str] = None, path: Optional[str] = None) -> List[Seen]:
        return self.adapter.calls(method, path)


@pytest.fixture
def couch() -> Couch:
    return Couch()


def client_for(couch: Couch, user: Optional[str] = "user", password: Optional[str] = "pw", **kwargs: Any) -> CouchDB:
    kwargs.setdefault("url", SERVER)
    return CouchDB(user, password, adapter=couch.adapter, **kwargs)


# -- construction ----------------------------------------------------------------------------------------------
def test_unknown_keyword_arguments_are_accepted_with_a_warning() -> None:
    """python-cloudant accepted (and ignored) any keyword argument."""
    with pytest.warns(UserWarning, match="colour"):
        CouchDB("u", "p", url=SERVER, colour="blue")


def test_cloudant_only_keyword_arguments_are_accepted_by_couchdb_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="account, x_cloudant_user"):
        client = CouchDB("u", "p", url=SERVER, account="acct", x_cloudant_user="acct")
    assert client.server_url == SERVER
    assert client._client_user_header is None


def test_credentials_in_the_url_are_used_and_removed(couch: Couch) -> None:
    client = CouchDB(None, None, url="http://user:pw@couch.test:5984/", adapter=couch.adapter)
    assert client.server_url == SERVER  # no credentials, no trailing slash
    client.connect()
    assert couch.seen("POST", "/_session")[0].form() == {"name": ["user"], "password": ["pw"]}


def test_quoted_credentials_in_the_url_are_unquoted(couch: Couch) -> None:
    client = CouchDB(None, None, url="http://us%40er:p%3Aw@couch.test:5984", adapter=couch.adapter)
    assert client.server_url == SERVER
    with pytest.raises(Unauthorized):
        client.connect()
    assert couch.seen("POST", "/_session")[0].form() == {"name": ["us@er"], "password": ["p:w"]}


def test_explicit_credentials_win_over_the_url(couch: Couch) -> None:
    client = CouchDB("user", "pw", url="http://other:secret@couch.test:5984", adapter=couch.adapter)
    client.connect()
    assert couch.seen("POST", "/_session")[0].form()["name"] == ["user"]


def test_a_path_prefix_is_kept() -> None:
    assert CouchDB("u", "p", url="https://proxy.example/couch/").server_url == "https://proxy.example/couch"


def test_cloudant_urls() -> None:
    assert Cloudant("u", "p", account="acct").server_url == "https://acct.cloudant.com"
    assert Cloudant("u", "p", account="acct", url="https://ignored").server_url == "https://acct.cloudant.com"
    assert Cloudant("u", "p", url="https://x.example").server_url == "https://x.example"
    with pytest.raises(CloudantClientException) as info:
        Cloudant("u", "p")
    assert info.value.status_code == 102


def test_iam_constructors() -> None:
    client = Cloudant.iam(None, "api-key", url="https://x.example", auto_renew=False)  # TypeError before 3.0
    assert client.is_iam_authenticated and client.server_url == "https://x.example"
    assert Cloudant.iam("acct", "api-key").server_url == "https://acct.cloudant.com"
    assert CouchDB(None, "api-key", url=SERVER, use_iam=True).is_iam_authenticated
    assert not CouchDB(None, "k", url=SERVER, use_iam=True, use_basic_auth=True).is_iam_authenticated


def test_database_class() -> None:
    assert CouchDB._DATABASE_CLASS is CouchDatabase
    assert Cloudant._DATABASE_CLASS is CloudantDatabase


# -- connecting ----------------------------------------------------------------------------------------------------
def test_connect_logs_in_and_sends_the_user_agent(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    assert client.session_cookie() == "user"
    client.metadata()
    agent = couch.seen("GET", "/")[0].headers["User-Agent"]
    assert re.fullmatch(r"python-cloudant/[^/]+/Python/%s/%s/%s" % (
        re.escape(platform.python_version()), re.escape(platform.system()), re.escape(platform.machine())), agent)
    assert cloudant.__version__ in agent


def test_x_cloudant_user_header(couch: Couch) -> None:
    client = Cloudant("user", "pw", url=SERVER, adapter=couch.adapter, x_cloudant_user="other-acct")
    client.connect()
    client.metadata()
    assert couch.seen("GET", "/")[0].headers["X-Cloudant-User"] == "other-acct"


def test_a_failed_login_leaves_the_client_disconnected(couch: Couch) -> None:
    client = client_for(couch, password="wrong")
    with pytest.raises(Unauthorized):
        client.connect()
    assert client.r_session is None


def test_connecting_again_logs_out_first(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    client.connect()
    assert [(seen.method, seen.path) for seen in couch.adapter.seen] == [
        ("POST", "/_session"), ("DELETE", "/_session"), ("POST", "/_session")]


def test_connecting_again_keeps_the_database_cache(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    database = CouchDatabase(client, "orders")
    client["orders"] = database
    client.connect()
    assert client.get("orders") is database and client.r_session is not None


def test_disconnect_logs_out_and_empties_the_cache(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    client["orders"] = CouchDatabase(client, "orders")
    client.disconnect()
    assert client.r_session is None and list(client.keys()) == []
    assert couch.seen("DELETE", "/_session")
    client.disconnect()  # a second disconnect is harmless
    assert len(couch.seen("DELETE", "/_session")) == 1


def test_a_failing_logout_does_not_break_disconnect(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    couch.fail_logout = True
    client.disconnect()
    assert client.r_session is None


def test_remote_calls_before_connect_raise_client_not_connected(couch: Couch) -> None:
    client = client_for(couch)
    with pytest.raises(ClientNotConnected):
        client.all_dbs()
    with pytest.raises(AttributeError):  # what python-cloudant raised
        client.metadata()
    assert couch.adapter.seen == []


def test_basic_auth_sends_credentials_and_no_login(couch: Couch) -> None:
    client = client_for(couch, use_basic_auth=True)
    client.connect()
    client.all_dbs()
    assert [seen.path for seen in couch.adapter.seen] == ["/_all_dbs"]
    assert couch.adapter.seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"user:pw").decode()


def test_admin_party_sends_no_credentials(couch: Couch) -> None:
    client = CouchDB(None, None, admin_party=True, url=SERVER, adapter=couch.adapter)
    client.connect()
    assert client.session() is None
    client.all_dbs()
    assert [seen.path for seen in couch.adapter.seen] == ["/_all_dbs"]
    assert "Authorization" not in couch.adapter.seen[0].headers
    assert "Cookie" not in couch.adapter.seen[0].headers


def test_session_and_change_credentials(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    assert client.session()["userCtx"]["name"] == "user"
    client.change_credentials("admin2", "new-pw")
    assert couch.seen("POST", "/_session")[-1].form() == {"name": ["admin2"], "password": ["new-pw"]}
    assert client.session_cookie() == "admin2"
    client.session_login()  # the current credentials again
    assert couch.seen("POST", "/_session")[-1].form()["name"] == ["admin2"]
    client.session_logout()
    assert client.session_cookie() is None


def test_timeout_reaches_the_transport(couch: Couch) -> None:
    client = client_for(couch, timeout=4.5)
    client.connect()
    client.all_dbs()
    assert {seen.timeout for seen in couch.adapter.seen} == {4.5}


def test_basic_auth_str() -> None:
    assert CouchDB("user", "pw", url=SERVER).basic_auth_str() == "Basic " + base64.b64encode(b"user:pw").decode()
    assert CouchDB("user", None, url=SERVER).basic_auth_str() is None


def test_features_are_read_once(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    assert client.features() == ["partitioned", "scheduler"]
    assert client.features() == ["partitioned", "scheduler"]
    assert len(couch.seen("GET", "/")) == 1


def test_all_dbs_options_are_sent_in_wire_form(couch: Couch) -> None:
    client = client_for(couch)
    client.connect()
    assert client.all_dbs(startkey="b", endkey="c\ufff0", limit=2, descending=True, skip=None) == ["_users", "orders"]
    query = couch.seen("GET", "/_all_dbs")[0].query
    assert {name: values[0] for name, values in query.items()} == {
        "startkey": '"b"', "endkey": json.dumps("c\ufff0"), "limit": "2", "descending": "true"}
    assert client.keys(remote=True) == ["_users", "orders"]


# -- local checks: nothing is sent ------------------------------------------------------------------------------
@pytest.fixture
def connected(couch: Couch) -> CouchDB:
    client = client_for(couch, use_basic_auth=True)  # no login request to account for
    client.connect()
    return client


def assert_nothing_sent(client: CouchDB) -> None:
    assert client.adapter.seen == []  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["Orders", "1db", "_private", "a b", "x" * 239, "caf\u00e9"])
def test_illegal_database_names_are_refused_locally_as_the_server_would(connected: CouchDB, name: str) -> None:
    """python-cloudant reported the server's 400 as ``CloudantDatabaseException(400)``: so is the local check."""
    with pytest.raises(CloudantDatabaseException) as info:
        connected.create_database(name)
    assert info.value.status_code == 400
    assert str(info.value) == "Invalid database name during creation. Found: %s" % name
    assert_nothing_sent(connected)


@pytest.mark.parametrize("name", ["Orders", "_private"])
def test_illegal_names_elsewhere_get_the_servers_answer(couch: Couch, name: str) -> None:
    """``client[name]``, ``get(remote=True)`` and ``delete_database`` send the name, as python-cloudant did."""
    couch.adapter.handler = lambda seen: (400, {}, {"error": "illegal_database_name", "reason": "Name: " + name})
    client = client_for(couch, use_basic_auth=True)
    client.connect()
    for call in (lambda: client[name], lambda: client.get(name, remote=True), lambda: client.delete_database(name)):
        with pytest.raises(requests.HTTPError) as info:
            call()
        assert info.value.response.status_code == 400


def test_non_string_database_name(connected: CouchDB) -> None:
    with pytest.raises(CloudantArgumentError) as info:
        connected.create_database(42)  # type: ignore[arg-type]
    assert info.value.status_code == 117
    assert_nothing_sent(connected)


def test_only_database_objects_can_be_set(connected: CouchDB) -> None:
    with pytest.raises(CloudantClientException) as info:
        connected["orders"] = {"not": "a database"}  # type: ignore[assignment]
    assert info.value.status_code == 101 and "dict" in str(info.value)
    assert "orders" not in connected
    connected["orders"] = CouchDatabase(connected, "orders")
    assert connected.get("orders").database_name == "orders"
    assert_nothing_sent(connected)


def test_create_database_ignores_unknown_options_with_a_warning(connected: CouchDB) -> None:
    connected.adapter.handler = lambda seen: (201, {}, {"ok": True})  # type: ignore[union-attr]
    with pytest.warns(UserWarning, match="colour"):
        connected.create_database("orders", colour="blue")


@pytest.mark.parametrize("year, month", [(2016, None), (None, 1), (2016, 13), (2016, 0), ("foo", 1), (0, 5),
                                         (True, 1), (2016, 1.5j)])
@pytest.mark.parametrize("method", ["bill", "volume_usage", "requests_usage"])
def test_usage_periods_are_checked_locally(couch: Couch, method: str, year: Any, month: Any) -> None:
    client = Cloudant("user", "pw", url=SERVER, adapter=couch.adapter, use_basic_auth=True)
    client.connect()
    with pytest.raises(CloudantArgumentError) as info:
        getattr(client, method)(year, month)
    assert info.value.status_code == 101
    assert str(info.value) == "Invalid year and/or month supplied.  Found: year - %s, month - %s" % (year, month)
    assert_nothing_sent(client)


@pytest.mark.parametrize("count, code", [(0, 118), (-1, 118), ("3", 117), (True, 117), (2.0, 117)])
def test_uuids_count_is_checked_locally(connected: CouchDB, count: Any, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as info:
        connected.uuids(count)
    assert info.value.status_code == code
    assert_nothing_sent(connected)


def test_reshard_arguments_are_checked_locally(connected: CouchDB) -> None:
    for call in (lambda: connected.create_reshard_job(),
                 lambda: connected.create_reshard_job(db="a", shard="shards/00000000-7fffffff/a.1")):
        with pytest.raises(CloudantArgumentError) as info:
            call()
        assert info.value.status_code == 139
    for state_call in (lambda: connected.set_reshard_state("paused"),
                       lambda: connected.set_reshard_job_state("001-abc", "running-ish")):
        with pytest.raises(CloudantArgumentError) as info:
            state_call()
        assert info.value.status_code == 143
    with pytest.raises(CloudantArgumentError):
        connected.reshard_job("")
    assert_nothing_sent(connected)


@pytest.mark.parametrize("kwargs", [{"origins": "https://one.example"}, {"origins": [1]},
                                    {"enable_cors": "yes"}, {"allow_credentials": 1}])
def test_cors_arguments_are_checked_locally(couch: Couch, kwargs: Dict[str, Any]) -> None:
    client = Cloudant("user", "pw", url=SERVER, adapter=couch.adapter, use_basic_auth=True)
    client.connect()
    with pytest.raises(CloudantArgumentError) as info:
        client.update_cors_configuration(**kwargs)
    assert info.value.status_code == 117
    assert_nothing_sent(client)


# -- from_environment --------------------------------------------------------------------------------------------
@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("IBM_CREDENTIALS_FILE", "CLOUDANT_URL", "CLOUDANT_APIKEY", "CLOUDANT_AUTH_TYPE",
                 "CLOUDANT_USERNAME", "CLOUDANT_PASSWORD", "CLOUDANT_AUTH_URL", "IAM_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_from_environment_with_a_credentials_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                  couch: Couch) -> None:
    creds = clean_env / "elsewhere.env"
    creds.write_text("CLOUDANT_URL=%s\nCLOUDANT_APIKEY=iam-key\nCLOUDANT_AUTH_URL=%s/iam/token\n" % (SERVER, SERVER))
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(creds))
    client = Cloudant.from_environment(adapter=couch.adapter)
    assert isinstance(client, Cloudant) and client.is_iam_authenticated
    client.connect()
    client.metadata()
    assert couch.seen("POST", "/iam/token")[0].form()["apikey"] == ["iam-key"]
    assert couch.seen("GET", "/")[0].headers["Authorization"] == "Bearer tok"


def test_from_environment_with_variables(clean_env: Path, monkeypatch: pytest.MonkeyPatch, couch: Couch) -> None:
    monkeypatch.setenv("CLOUDANT_URL", SERVER)
    monkeypatch.setenv("CLOUDANT_USERNAME", "user")
    monkeypatch.setenv("CLOUDANT_PASSWORD", "pw")
    client = CouchDB.from_environment(adapter=couch.adapter)
    client.connect()
    assert couch.seen("POST", "/_session")[0].form() == {"name": ["user"], "password": ["pw"]}
    monkeypatch.setenv("CLOUDANT_AUTH_TYPE", "BASIC")
    basic = CouchDB.new_instance(adapter=couch.adapter)  # the IBM SDKs' name for it
    basic.connect()
    basic.all_dbs()
    assert couch.seen("GET", "/_all_dbs")[0].headers["Authorization"].startswith("Basic ")
    assert len(couch.seen("POST", "/_session")) == 1


def test_from_environment_without_authentication(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYCOUCH_URL", "http://127.0.0.1:5984")
    monkeypatch.setenv("MYCOUCH_AUTH_TYPE", "NOAUTH")
    client = CouchDB.from_environment("mycouch")
    assert client.admin_party and client.server_url == "http://127.0.0.1:5984"


def test_from_environment_without_a_url(clean_env: Path) -> None:
    with pytest.raises(CloudantClientException) as info:
        CouchDB.from_environment()
    assert info.value.status_code == 106


def test_server_errors_pass_through_typed(couch: Couch) -> None:
    couch.adapter.handler = lambda seen: (503, {}, {"error": "service_unavailable", "reason": "maintenance"})
    client = client_for(couch, use_basic_auth=True)
    client.connect()
    with pytest.raises(ServerError) as info:
        client.metadata()
    assert (info.value.status_code, info.value.reason) == (503, "maintenance")
    assert json.loads(info.value.response.content)["error"] == "service_unavailable"


# -- _db_updates feeds: what each client asks for by default -----------------------------------------------------
UPDATES = {"results": [{"db_name": "orders", "type": "created", "seq": "1-abc"}], "last_seq": "1-abc"}


def test_couchdb_db_updates_defaults_to_longpoll_with_heartbeat(couch: Couch) -> None:
    couch.adapter.handler = lambda seen: (200, {}, UPDATES)
    client = client_for(couch, use_basic_auth=True)
    client.connect()
    feed = client.db_updates()
    assert couch.adapter.seen == []  # nothing is sent before the first item is asked for
    assert list(feed) == UPDATES["results"]
    assert feed.last_seq == "1-abc"
    seen = couch.seen("GET", "/_db_updates")[0]
    assert {name: values[0] for name, values in seen.query.items()} == {"feed": "longpoll", "heartbeat": "true"}


def test_cloudant_db_updates_sends_only_what_is_asked(couch: Couch) -> None:
    couch.adapter.handler = lambda seen: (200, {}, UPDATES)
    client = Cloudant("user", "pw", url=SERVER, adapter=couch.adapter, use_basic_auth=True)
    client.connect()
    assert [update["db_name"] for update in client.db_updates(since="now", limit=5, descending=True)] == ["orders"]
    seen = couch.seen("GET", "/_db_updates")[0]
    assert {name: values[0] for name, values in seen.query.items()} == {
        "since": "now", "limit": "5", "descending": "true"}
    with pytest.raises(CloudantArgumentError) as info:  # checked when iterated, as python-cloudant did
        next(iter(client.db_updates(feed="eventsource")))
    assert info.value.status_code == 119


def test_infinite_db_updates_is_continuous(couch: Couch) -> None:
    line = b'{"db_name": "orders", "type": "created", "seq": "2-def"}\n'
    couch.adapter.handler = lambda seen: (200, {}, line)
    client = client_for(couch, use_basic_auth=True)
    client.connect()
    feed = client.infinite_db_updates(since="1-abc")
    assert next(feed)["seq"] == "2-def"
    feed.stop()
    seen = couch.seen("GET", "/_db_updates")[0]
    assert seen.query["feed"] == ["continuous"] and seen.query["since"] == ["1-abc"]
    with pytest.raises(CloudantArgumentError) as info:  # checked when iterated, as python-cloudant did
        next(iter(client.infinite_db_updates(feed="longpoll")))
    assert info.value.status_code == 121
