"""Authentication against a live server: cookie sessions and their renewal, basic auth, admin party,
changing credentials."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Tuple

import pytest
from _fakes import record
import requests

from cloudant import couchdb, couchdb_admin_party
from cloudant.client import CouchDB
from cloudant.error import Unauthorized


def replace_cookie(session: requests.Session, value: str) -> None:
    """Put ``value`` in place of the AuthSession cookie the server set (same domain and path)."""
    cookies = [cookie for cookie in session.cookies if cookie.name == "AuthSession"]
    assert len(cookies) == 1
    cookies[0].value = value


# -- cookie sessions ---------------------------------------------------------------------------------------------
@pytest.mark.requires("cookie_auth")
def test_connect_opens_a_cookie_session(client: CouchDB, couch_server: Any) -> None:
    assert client.session_cookie()
    session = client.session()
    assert session["userCtx"]["name"] == couch_server.user
    assert "_admin" in session["userCtx"]["roles"]
    assert session["info"]["authenticated"] == "cookie"


@pytest.mark.requires("cookie_auth")
def test_logout_and_login_again(client: CouchDB, couch_server: Any) -> None:
    sent = record(client.r_session)
    client.session_logout()
    assert client.session_cookie() is None
    assert client.session()["userCtx"]["name"] is None  # anonymous now: nothing to renew
    client.session_login()
    assert client.session()["userCtx"]["name"] == couch_server.user
    assert [entry[:2] for entry in sent] == [("DELETE", "/_session"), ("GET", "/_session"),
                                             ("POST", "/_session"), ("GET", "/_session")]


@pytest.mark.requires("cookie_auth")
def test_a_rejected_cookie_is_renewed_transparently(client: CouchDB, couch_server: Any) -> None:
    old = client.session_cookie()
    assert old
    raw = base64.urlsafe_b64decode(old + "=" * (-len(old) % 4))
    tampered = base64.urlsafe_b64encode(raw[:-4] + b"\x00\x00\x00\x00").decode().rstrip("=")
    replace_cookie(client.r_session, tampered)
    sent = record(client.r_session)
    assert isinstance(client.active_tasks(), list)  # admin only: the tampered cookie alone gets a 401
    assert [entry[:2] for entry in sent] == [("GET", "/_active_tasks"), ("POST", "/_session"),
                                             ("GET", "/_active_tasks")]
    assert [entry[2] for entry in sent] == [401, 200, 200]
    assert client.session_cookie() not in (None, tampered)  # the server's new cookie replaced it


def forged_cookie(couch_server: Any, admin_session: requests.Session, timestamp: int) -> str:
    """An AuthSession cookie as CouchDB makes it: HMAC of ``user:HEXTIME`` with the server secret + user salt."""
    config = couch_server.url + "/_node/_local/_config"
    secret = admin_session.get(config + "/chttpd_auth/secret", timeout=30).json()
    salt = admin_session.get(config + "/admins/" + couch_server.user, timeout=30).json().split(",")[1]
    data = "%s:%X" % (couch_server.user, timestamp)
    mac = hmac.new((secret + salt).encode(), data.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(data.encode() + b":" + mac).decode().rstrip("=")


@pytest.mark.requires("cookie_auth")
def test_an_expired_cookie_is_renewed_transparently(client: CouchDB, couch_server: Any,
                                                     admin_session: requests.Session) -> None:
    if couch_server.kind != "couchdb":
        pytest.skip("forging an expired cookie needs Apache CouchDB's cookie format and secret")
    fresh = forged_cookie(couch_server, admin_session, int(time.time()))
    replace_cookie(client.r_session, fresh)
    assert client.session()["userCtx"]["name"] == couch_server.user  # the forgery is a valid cookie
    expired = forged_cookie(couch_server, admin_session, int(time.time()) - 24 * 3600)
    replace_cookie(client.r_session, expired)
    sent = record(client.r_session)
    assert isinstance(client.all_dbs(), list)
    assert [entry[2] for entry in sent] == [401, 200, 200]
    assert client.session_cookie() not in (None, expired)


@pytest.mark.requires("cookie_auth")
def test_a_session_deleted_elsewhere_does_not_break_the_client(client: CouchDB, couch_server: Any) -> None:
    other = requests.Session()
    other.cookies.set("AuthSession", client.session_cookie())
    assert other.delete(couch_server.url + "/_session", timeout=30).status_code == 200
    other.close()
    assert client.session()["userCtx"]["name"] == couch_server.user
    assert isinstance(client.active_tasks(), list)


def needs_couchdb_cookie_parsing(couch_server: Any) -> None:
    if couch_server.kind != "couchdb":
        pytest.skip("only Apache CouchDB refuses a malformed AuthSession cookie (400); pouchdb-server ignores it")


@pytest.mark.requires("cookie_auth")
def test_a_malformed_cookie_is_dropped_and_the_session_renewed(client: CouchDB, couch_server: Any) -> None:
    needs_couchdb_cookie_parsing(couch_server)
    replace_cookie(client.r_session, "bad")
    sent = record(client.r_session)
    assert isinstance(client.active_tasks(), list)
    assert sent == [("GET", "/_active_tasks", 400), ("POST", "/_session", 200), ("GET", "/_active_tasks", 200)]
    assert client.session_cookie() not in (None, "bad")


@pytest.mark.requires("cookie_auth")
def test_session_login_recovers_from_a_malformed_cookie(client: CouchDB, couch_server: Any) -> None:
    needs_couchdb_cookie_parsing(couch_server)
    replace_cookie(client.r_session, "bad")
    sent = record(client.r_session)
    client.session_login()
    assert [entry[2] for entry in sent] == [400, 200]  # the login, then the login without the bad cookie
    assert client.session()["userCtx"]["name"] == couch_server.user


@pytest.mark.requires("cookie_auth")
def test_without_auto_renew_a_rejected_cookie_raises(couch_server: Any) -> None:
    with couchdb(couch_server.user, couch_server.password, url=couch_server.url, auto_renew=False) as client:
        replace_cookie(client.r_session, "dGFtcGVyZWQ6MDowMDAw")
        with pytest.raises(Unauthorized) as info:
            client.active_tasks()
        assert info.value.error == "unauthorized"


# CouchDB 3.4 locks a user out after 5 failed logins within 5 minutes (chttpd_auth_lockout), so wrong
# passwords are only ever tried for a fresh user, never for the admin the whole suite depends on.
@pytest.mark.requires("users_db")
def test_a_wrong_password_fails_to_connect(couch_server: Any, user: Tuple[str, str]) -> None:
    client = CouchDB(user[0], "not-the-password", url=couch_server.url)
    with pytest.raises(Unauthorized) as info:
        client.connect()
    assert info.value.status_code == 401 and info.value.error == "unauthorized"
    assert "not-the-password" not in str(info.value)
    assert client.r_session is None


@pytest.mark.requires("users_db", "cookie_auth")
def test_change_credentials_logs_in_as_another_user(client: CouchDB, user: Tuple[str, str],
                                                    couch_server: Any) -> None:
    client.change_credentials(*user)
    assert client.session()["userCtx"] == {"name": user[0], "roles": []}
    with pytest.raises(Unauthorized):
        client.active_tasks()  # an ordinary user may not: nothing to renew, the 401 stands
    client.session_login(couch_server.user, couch_server.password)
    assert "_admin" in client.session()["userCtx"]["roles"]


# -- basic auth and admin party ---------------------------------------------------------------------------------------
def test_basic_auth(couch_server: Any) -> None:
    with couchdb(couch_server.user, couch_server.password, url=couch_server.url, use_basic_auth=True) as client:
        sent = record(client.r_session)
        assert client.session_cookie() is None
        info = client.session()
        assert info["userCtx"]["name"] == couch_server.user
        assert info["info"]["authenticated"] == "default"
        assert isinstance(client.active_tasks(), list)
        assert [entry[1] for entry in sent] == ["/_session", "/_active_tasks"]  # no login round trip


@pytest.mark.requires("users_db")
def test_basic_auth_with_a_wrong_password(couch_server: Any, user: Tuple[str, str]) -> None:
    with couchdb(user[0], "wrong", url=couch_server.url, use_basic_auth=True) as client:
        with pytest.raises(Unauthorized) as info:
            client.active_tasks()
        assert info.value.status_code == 401


def test_admin_party_client_gets_typed_401_on_protected_endpoints(couch_server: Any) -> None:
    with couchdb_admin_party(url=couch_server.url) as client:
        assert client.session() is None
        sent = record(client.r_session)
        with pytest.raises(Unauthorized) as info:
            client.active_tasks()
        assert info.value.error == "unauthorized" and info.value.reason
        assert "Authorization" not in info.value.request.headers
        assert [entry[2] for entry in sent] == [401]  # nothing to renew in admin party


def test_credentials_given_in_the_url(couch_server: Any) -> None:
    scheme, rest = couch_server.url.split("://", 1)
    url = "%s://%s:%s@%s/" % (scheme, requests.utils.quote(couch_server.user, safe=""),
                              requests.utils.quote(couch_server.password, safe=""), rest)
    with couchdb(None, None, url=url) as client:
        assert client.server_url == couch_server.url
        assert isinstance(client.active_tasks(), list)
