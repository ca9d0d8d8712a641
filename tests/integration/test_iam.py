"""IAM authentication end to end: a token endpoint served on loopback by the test exchanges an API key for
an HS256 JWT that the real CouchDB accepts as a bearer token (``requires("jwt")``).

The endpoint answers like IBM Cloud IAM: ``POST`` form ``grant_type``, ``response_type``, ``apikey`` ->
``{"access_token", "expires_in", "expiration", "token_type"}``, or 400 for an unknown key.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Iterator, List, Optional, Tuple

import pytest
import requests

from _fakes import LoopbackServer, Seen
from cloudant import cloudant_iam
from cloudant.client import Cloudant, CouchDB
from cloudant.error import BadRequest, CloudantException, Unauthorized

API_KEY = "iam-api-key-" + "7" * 20

pytestmark = pytest.mark.requires("jwt")


def hs256(claims: dict, key: bytes) -> str:
    """A JSON Web Token signed with HMAC-SHA256."""
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + b64(json.dumps(claims).encode())
    return (signing_input + b"." + b64(hmac.new(key, signing_input, hashlib.sha256).digest())).decode()


class TokenEndpoint:
    """Hands out tokens for ``API_KEY``; ``expires_in`` and a number of refused tokens to hand out first are
    adjustable."""

    def __init__(self, couch_server: Any) -> None:
        self.user = couch_server.user
        self.key = base64.b64decode(couch_server.jwt_hmac_key)
        self.expires_in = 3600
        self.bad_tokens = 0
        self.server = LoopbackServer(self.handle)
        self.url = self.server.url + "/identity/token"

    def handle(self, seen: Seen) -> Tuple[int, Any, Any]:
        form = seen.form()
        if form.get("grant_type") != ["urn:ibm:params:oauth:grant-type:apikey"] or form.get("apikey") != [API_KEY]:
            return 400, {}, {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}
        now = int(time.time())
        expires = now + 600
        if self.bad_tokens:  # already expired for the server (clock skew, revocation): it answers 401
            self.bad_tokens -= 1
            expires = now - 60
        token = hs256({"sub": self.user, "exp": expires, "iat": now, "_couchdb.roles": ["_admin"]}, self.key)
        return 200, {}, {"access_token": token, "refresh_token": "not-used", "token_type": "Bearer",
                         "expires_in": self.expires_in, "expiration": now + self.expires_in, "scope": "ibm openid"}

    def requests(self) -> List[Seen]:
        return self.server.calls("POST", "/identity/token")


@pytest.fixture
def token_endpoint(couch_server: Any) -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint(couch_server)
    with endpoint.server:
        yield endpoint


def statuses(session: requests.Session) -> List[int]:
    seen: List[int] = []
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response.status_code))
    return seen


def test_cloudant_iam_client(couch_server: Any, token_endpoint: TokenEndpoint) -> None:
    client = Cloudant.iam(None, API_KEY, url=couch_server.url, iam_token_url=token_endpoint.url)
    assert client.is_iam_authenticated
    client.connect()
    try:
        info = client.session()
        assert info["userCtx"]["name"] == couch_server.user and "_admin" in info["userCtx"]["roles"]
        assert info["info"]["authenticated"] == "jwt"
        assert "_users" in client.all_dbs()
        assert len(token_endpoint.requests()) == 1
    finally:
        client.disconnect()
    form = token_endpoint.requests()[0].form()
    assert form == {"grant_type": ["urn:ibm:params:oauth:grant-type:apikey"], "response_type": ["cloud_iam"],
                    "apikey": [API_KEY]}


def test_couchdb_client_with_use_iam(couch_server: Any, token_endpoint: TokenEndpoint, db_name: str) -> None:
    client = CouchDB(None, API_KEY, use_iam=True, url=couch_server.url, iam_token_url=token_endpoint.url,
                     iam_client_id="cid", iam_client_secret="csecret")
    client.connect()
    try:
        database = client.create_database(db_name)
        assert database.exists()
        client.delete_database(db_name)
    finally:
        client.disconnect()
    authorization = token_endpoint.requests()[0].headers["Authorization"]
    assert authorization == "Basic " + base64.b64encode(b"cid:csecret").decode()


def test_context_manager(couch_server: Any, token_endpoint: TokenEndpoint) -> None:
    with cloudant_iam(None, API_KEY, url=couch_server.url, iam_token_url=token_endpoint.url) as client:
        assert client.metadata()["version"] == couch_server.version
    assert client.r_session is None


def test_a_short_lived_token_is_refreshed(couch_server: Any, token_endpoint: TokenEndpoint) -> None:
    token_endpoint.expires_in = 1  # refreshed once 80% of it, 0.8 s, has passed
    with cloudant_iam(None, API_KEY, url=couch_server.url, iam_token_url=token_endpoint.url) as client:
        client.all_dbs()
        assert len(token_endpoint.requests()) == 1
        time.sleep(1.0)
        sent = statuses(client.r_session)
        client.all_dbs()
        assert len(token_endpoint.requests()) == 2
        assert sent == [200, 200]  # the token request, then the request itself: nothing was refused


def test_a_rejected_token_is_refreshed_and_the_request_replayed(couch_server: Any,
                                                               token_endpoint: TokenEndpoint) -> None:
    token_endpoint.bad_tokens = 1  # the first token is one the server refuses
    with cloudant_iam(None, API_KEY, url=couch_server.url, iam_token_url=token_endpoint.url) as client:
        sent = statuses(client.r_session)
        assert "_users" in client.all_dbs()
        assert sent == [401, 200, 200]  # refused, new token, replay
        assert len(token_endpoint.requests()) == 2


def test_a_token_refused_twice_raises(couch_server: Any, token_endpoint: TokenEndpoint) -> None:
    token_endpoint.bad_tokens = 2
    with cloudant_iam(None, API_KEY, url=couch_server.url, iam_token_url=token_endpoint.url) as client:
        with pytest.raises(Unauthorized) as info:
            client.all_dbs()
        assert info.value.status_code == 401
        assert len(token_endpoint.requests()) == 2  # one refresh, not a loop


@pytest.mark.parametrize("api_key", ["wrong-key", None])
def test_a_wrong_api_key_raises_python_cloudants_error_with_the_http_error_as_cause(
        couch_server: Any, token_endpoint: TokenEndpoint, api_key: Optional[str]) -> None:
    client = Cloudant.iam(None, api_key, url=couch_server.url, iam_token_url=token_endpoint.url)  # type: ignore[arg-type]
    with pytest.raises(CloudantException) as info:
        client.connect()
    assert type(info.value) is CloudantException  # python-cloudant 2.15.0's class and text
    assert str(info.value) == "Provided API key could not be found."
    assert info.value.status_code is None
    cause = info.value.__cause__
    assert isinstance(cause, BadRequest) and cause.status_code == 400
    assert (cause.method, cause.url) == ("POST", token_endpoint.url)
    assert (info.value.method, info.value.url) == ("POST", token_endpoint.url)
    assert client.r_session is None
    assert "wrong-key" not in str(info.value) and "wrong-key" not in str(cause)


def test_couchdb_has_no_iam_session_endpoint_so_the_token_goes_as_bearer(couch_server: Any,
                                                                       token_endpoint: TokenEndpoint) -> None:
    client = Cloudant.iam(None, API_KEY, url=couch_server.url, iam_token_url=token_endpoint.url)
    client.connect()
    try:
        assert client.r_session.auth_mode == "bearer"
        assert client.r_session._session_url == couch_server.url + "/_iam_session"
        sent: List[Tuple[str, str]] = []
        client.r_session.hooks["response"].append(
            lambda response, *args, **kwargs: sent.append((response.request.method, response.url)))
        client.r_session.login()  # a new token; the mode is kept, so no second POST /_iam_session
        assert client.session()["info"]["authenticated"] == "jwt"
        assert sent == [("POST", token_endpoint.url), ("GET", couch_server.url + "/_session")]
    finally:
        client.disconnect()
