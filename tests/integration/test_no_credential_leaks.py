"""Passwords and API keys never show up in reprs, exception messages or log output (at DEBUG, every logger),
across a connection, ordinary requests and failures.

The server's own admin password may be something as plain as ``admin`` (equal to the user name), so the
checks use a fresh user with a long random password, and an IAM API key exchanged at a loopback token
endpoint.
"""
from __future__ import annotations

import base64
import logging
import uuid
from typing import Any, List, Tuple

import pytest
import requests

from _fakes import LoopbackServer, Seen, closed_port
from cloudant import cloudant_iam, couchdb
from cloudant.adapters import Replay429Adapter
from cloudant.client import Cloudant, CouchDB
from cloudant.error import CloudantConnectionError, CloudantException, CloudantHTTPError, Unauthorized

pytestmark = pytest.mark.requires("users_db")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # the root logger: cloudant, urllib3, requests and everything else
    return caplog


def secrets_of(password: str, name: str = "") -> List[str]:
    """The secret, and the forms it travels in: Basic auth base64, URL-quoted."""
    forms = [password, requests.utils.quote(password, safe="")]
    if name:
        forms.append(base64.b64encode(("%s:%s" % (name, password)).encode()).decode())
        forms.append(base64.urlsafe_b64encode(("%s:%s" % (name, password)).encode()).decode())
    return forms


def assert_absent(secrets: List[str], *texts: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    assert caplog.records, "nothing was logged: the check would prove nothing"
    return "\n".join("%s %s" % (record.name, record.getMessage()) for record in caplog.records)


def test_cookie_session(couch_server: Any, user: Tuple[str, str], debug_logs: pytest.LogCaptureFixture) -> None:
    name, password = user
    failures: List[str] = []
    with couchdb(name, password, url=couch_server.url) as client:
        texts = [repr(client), str(client), repr(client.r_session), repr(client._endpoint)]
        assert client.session()["userCtx"]["name"] == name
        client.metadata()
        with pytest.raises(KeyError):
            client["missing-" + uuid.uuid4().hex]
        with pytest.raises(Unauthorized) as info:
            client.active_tasks()  # not an admin
        failures += [str(info.value), repr(info.value), str(info.value.args)]
    assert any("/_active_tasks" in line for line in log_text(debug_logs).splitlines())
    assert_absent(secrets_of(password, name), *texts, *failures, log_text(debug_logs))


def test_basic_auth_and_a_wrong_password(couch_server: Any, user: Tuple[str, str],
                                         debug_logs: pytest.LogCaptureFixture) -> None:
    name, password = user
    texts: List[str] = []
    with couchdb(name, password, url=couch_server.url, use_basic_auth=True) as client:
        texts += [repr(client), repr(client.r_session)]
        client.session()
        with pytest.raises(Unauthorized) as info:
            client.active_tasks()
        texts += [str(info.value), repr(info.value)]
    wrong = password[::-1]
    client = CouchDB(name, wrong, url=couch_server.url)
    with pytest.raises(Unauthorized) as info:
        client.connect()
    texts += [str(info.value), repr(client)]
    assert_absent(secrets_of(password, name) + secrets_of(wrong, name), *texts, log_text(debug_logs))


def test_credentials_in_the_url(couch_server: Any, user: Tuple[str, str],
                                debug_logs: pytest.LogCaptureFixture) -> None:
    name, password = user
    scheme, rest = couch_server.url.split("://", 1)
    url = "%s://%s:%s@%s" % (scheme, name, requests.utils.quote(password, safe=""), rest)
    texts: List[str] = []
    with couchdb(None, None, url=url) as client:
        texts += [repr(client), client.server_url, repr(client.r_session)]
        with pytest.raises(CloudantHTTPError) as info:
            client.active_tasks()
        texts += [str(info.value), str(info.value.url), str(info.value.response.url)]
    refused = CouchDB(None, None, url="%s://%s:%s@127.0.0.1:%d" % (scheme, name, password, closed_port()),
                      adapter=Replay429Adapter(retries=0))
    with pytest.raises(CloudantConnectionError) as connection_error:
        refused.connect()
    texts += [str(connection_error.value), repr(refused)]
    assert "127.0.0.1" in str(connection_error.value)
    assert_absent(secrets_of(password, name), *texts, log_text(debug_logs))


def test_iam_api_key(couch_server: Any, debug_logs: pytest.LogCaptureFixture) -> None:
    api_key = "Key" + uuid.uuid4().hex + uuid.uuid4().hex

    def token(seen: Seen) -> Any:
        if seen.form().get("apikey") != [api_key]:
            return 400, {}, {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}
        return 200, {}, {"access_token": "not-a-valid-token", "expires_in": 3600, "token_type": "Bearer"}

    texts: List[str] = []
    with LoopbackServer(token) as endpoint:
        token_url = endpoint.url + "/identity/token"
        with cloudant_iam(None, api_key, url=couch_server.url, iam_token_url=token_url) as client:
            texts += [repr(client), repr(client.r_session)]
            with pytest.raises(CloudantHTTPError) as info:  # the server refuses the made-up token
                client.active_tasks()
            texts += [str(info.value), repr(info.value)]
        wrong = Cloudant.iam(None, api_key[::-1], url=couch_server.url, iam_token_url=token_url)
        with pytest.raises(CloudantException) as refused:  # python-cloudant's text; the HTTP error is the cause
            wrong.connect()
        texts += [str(refused.value), str(refused.value.__cause__), repr(wrong)]
    assert len(endpoint.seen) >= 2  # a token exchanged, and a refused key
    assert_absent(secrets_of(api_key) + secrets_of(api_key[::-1]), *texts, log_text(debug_logs))
