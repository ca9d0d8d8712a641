"""Sessions and their auth flows (``cloudant._client_session``), with no server: the flows are driven
directly, or through a session whose transport is a :class:`FakeAdapter`."""
from __future__ import annotations

import base64
import io
import json
import threading
import types
from typing import Any, Dict, Iterator, List, Optional

from unittest import mock
import pytest
import requests

from _fakes import FakeAdapter, Seen
from cloudant import _auth_replies, _client_session
from cloudant._client_session import (DEFAULT_IAM_TOKEN_URL, DEFAULT_TIMEOUT, BasicSession, ClientSession,
                                      CookieSession, IAMSession)
from cloudant.adapters import Replay429Adapter, TimeoutAdapter
from cloudant.error import (BadRequest, CloudantConnectionError, CloudantException, MalformedResponse, ServerError,
                            Unauthorized)

SERVER = "http://couch.test:5984"
TOKEN_URL = "https://iam.test/identity/token"
SET_COOKIE = "AuthSession={0}; Version=1; Path=/; HttpOnly"


def answer(status: int, body: Any = None, headers: Optional[Dict[str, str]] = None) -> requests.Response:
    """A real response to ``GET SERVER/db``, for feeding a flow by hand."""
    request = requests.Request("GET", SERVER + "/db").prepare()
    return FakeAdapter(lambda seen: (0, {}, None)).build(request, status, headers or {}, body)


class CouchFake:
    """A CouchDB stand-in: ``POST /_session`` hands out a new cookie; other requests need the current one,
    or answer ``self.reject`` (401 by default)."""

    def __init__(self) -> None:
        self.generation = 0
        self.reject = (401, {"error": "unauthorized", "reason": "You are not a server admin."})
        self.adapter = FakeAdapter(self.handle)

    def handle(self, seen: Seen) -> Any:
        if seen.path == "/_session" and seen.method == "POST":
            form = seen.form()
            if form.get("password") != ["pw"]:
                return 401, {}, {"error": "unauthorized", "reason": "Name or password is incorrect."}
            self.generation += 1
            return 200, [("Set-Cookie", SET_COOKIE.format("c%d" % self.generation))], {"ok": True}
        if seen.path == "/_session" and seen.method == "DELETE":
            return 200, [("Set-Cookie", SET_COOKIE.format(""))], {"ok": True}
        if "AuthSession=c%d" % self.generation in seen.headers.get("Cookie", "") and self.generation:
            return 200, {}, {"ok": True, "body": seen.body.decode()}
        status, body = self.reject
        return status, {}, body

    def logins(self) -> int:
        return len(self.adapter.calls("POST", "/_session"))

    def gets(self) -> List[Seen]:
        return [seen for seen in self.adapter.seen if seen.path != "/_session"]


@pytest.fixture
def couch() -> CouchFake:
    return CouchFake()


def cookie_session(couch: CouchFake, **kwargs: Any) -> CookieSession:
    kwargs.setdefault("auto_renew", True)
    session = CookieSession("user", "pw", SERVER, **kwargs)
    session.mount(SERVER, couch.adapter)
    return session


# -- cookie sessions: the flow driven by hand ---------------------------------------------------------------------
def test_cookie_flow_renews_on_401_and_replays_exactly_once(couch: CouchFake) -> None:
    session = cookie_session(couch)
    kwargs: Dict[str, Any] = {"params": {"a": 1}}
    flow = session.auth_flow("GET", SERVER + "/db", kwargs)
    assert next(flow) == ("GET", SERVER + "/db", kwargs)
    replay = flow.send(answer(401, {"error": "unauthorized"}))
    assert replay == ("GET", SERVER + "/db", kwargs)
    assert couch.logins() == 1
    with pytest.raises(StopIteration):  # a second 401 is the caller's to see
        flow.send(answer(401, {"error": "unauthorized"}))
    assert couch.logins() == 1


def test_cookie_flow_renews_on_403_credentials_expired(couch: CouchFake) -> None:
    flow = cookie_session(couch).auth_flow("GET", SERVER + "/db", {})
    next(flow)
    assert flow.send(answer(403, {"error": "credentials_expired", "reason": "Session expired"}))[0] == "GET"
    assert couch.logins() == 1


@pytest.mark.parametrize("response", [
    answer(403, {"error": "forbidden", "reason": "You are not allowed to access this db."}),
    answer(403, b"<html>forbidden</html>"),
    answer(404, {"error": "not_found"}),
    answer(200, {"ok": True}),
], ids=["403-forbidden", "403-not-json", "404", "200"])
def test_cookie_flow_leaves_other_answers_alone(couch: CouchFake, response: requests.Response) -> None:
    flow = cookie_session(couch).auth_flow("GET", SERVER + "/db", {})
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(response)
    assert couch.logins() == 0


def test_no_renewal_without_auto_renew(couch: CouchFake) -> None:
    flow = cookie_session(couch, auto_renew=False).auth_flow("GET", SERVER + "/db", {})
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(answer(401, {"error": "unauthorized"}))
    assert couch.logins() == 0


def test_a_401_from_the_session_endpoint_itself_is_not_renewed(couch: CouchFake) -> None:
    flow = cookie_session(couch).auth_flow("GET", SERVER + "/_session", {})
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(answer(401, {"error": "unauthorized"}))
    assert couch.logins() == 0


# -- cookie sessions: through the request loop ---------------------------------------------------------------------
def test_an_expired_cookie_is_renewed_transparently(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.login()
    couch.generation += 1  # the server forgets the cookie it gave out
    response = session.request("GET", SERVER + "/db")
    assert response.status_code == 200
    assert couch.logins() == 2
    assert session.cookies.get("AuthSession") == "c3"


def test_exactly_one_replay_when_the_server_keeps_refusing(couch: CouchFake) -> None:
    session = cookie_session(couch)
    handle = couch.handle
    couch.adapter.handler = lambda seen: handle(seen) if seen.path == "/_session" else (401, {}, {})
    response = session.request("GET", SERVER + "/db")
    assert response.status_code == 401
    assert couch.logins() == 1
    assert len(couch.gets()) == 2


@pytest.mark.parametrize("offset", [0, 4])
def test_a_file_body_is_rewound_for_the_replay(couch: CouchFake, offset: int) -> None:
    session = cookie_session(couch)
    body = io.BytesIO(b"skip{\"doc\": 1}")
    body.seek(offset)
    response = session.request("PUT", SERVER + "/db/doc", data=body)
    assert response.status_code == 200
    sent = [seen.body for seen in couch.gets()]
    assert sent == [b"skip{\"doc\": 1}"[offset:]] * 2


def test_a_one_shot_generator_body_is_never_replayed(couch: CouchFake) -> None:
    session = cookie_session(couch)
    body = (chunk for chunk in [b"{\"a\":", b" 1}"])
    response = session.request("PUT", SERVER + "/db/doc", data=body)
    assert response.status_code == 401  # handed back to the caller, not resent half-consumed
    assert len(couch.gets()) == 1
    assert couch.logins() == 0


def test_two_threads_with_a_stale_cookie_log_in_once(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.login()
    couch.generation += 1  # both threads now hold a stale cookie
    barrier = threading.Barrier(2, timeout=10)
    handle = couch.handle

    def both_refused_together(seen: Seen) -> Any:
        result = handle(seen)
        if seen.path != "/_session" and result[0] == 401:
            barrier.wait()  # neither thread renews before both have been refused
        return result

    couch.adapter.handler = both_refused_together
    statuses: List[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(session.request("GET", SERVER + "/db").status_code))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200]
    assert couch.logins() == 2  # the first login, then a single renewal for both threads
    assert len(couch.gets()) == 4


# -- cookie sessions: a malformed AuthSession cookie ------------------------------------------------------------
MALFORMED = (400, {"error": "bad_request", "reason": "Malformed AuthSession cookie. Please clear your cookies."})


def refuse_malformed_cookies(couch: CouchFake) -> None:
    """Make the fake answer every request carrying ``AuthSession=bad`` as CouchDB does, logins included."""
    handle = couch.handle

    def handler(seen: Seen) -> Any:
        if "AuthSession=bad" in seen.headers.get("Cookie", ""):
            return MALFORMED[0], {}, MALFORMED[1]
        return handle(seen)

    couch.adapter.handler = handler


def test_a_malformed_cookie_is_dropped_and_the_request_replayed_after_a_login(couch: CouchFake) -> None:
    session = cookie_session(couch)
    refuse_malformed_cookies(couch)
    session.cookies.set("AuthSession", "bad")
    response = session.request("PUT", SERVER + "/db/doc", data=io.BytesIO(b"{}"))
    assert response.status_code == 200
    assert [seen.method for seen in couch.adapter.seen] == ["PUT", "POST", "PUT"]
    assert "bad" not in couch.adapter.seen[1].headers.get("Cookie", "")  # the login went without it
    assert session.cookies.get("AuthSession") == "c1"
    assert session.request("GET", SERVER + "/db").status_code == 200


def test_login_with_a_malformed_cookie_in_the_jar_succeeds(couch: CouchFake) -> None:
    session = cookie_session(couch, auto_renew=False)
    refuse_malformed_cookies(couch)
    session.cookies.set("AuthSession", "bad")
    session.login()
    assert [seen.headers.get("Cookie") for seen in couch.adapter.seen] == ["AuthSession=bad", None]
    assert session.cookies.get("AuthSession") == "c1"


def test_without_auto_renew_the_400_is_the_callers_but_the_cookie_is_gone(couch: CouchFake) -> None:
    session = cookie_session(couch, auto_renew=False)
    refuse_malformed_cookies(couch)
    session.cookies.set("AuthSession", "bad")
    assert session.request("GET", SERVER + "/db").status_code == 400
    assert session.cookies.get("AuthSession") is None
    assert couch.logins() == 0


def test_a_malformed_cookie_with_a_one_shot_body_is_not_replayed(couch: CouchFake) -> None:
    session = cookie_session(couch)
    refuse_malformed_cookies(couch)
    session.cookies.set("AuthSession", "bad")
    response = session.request("PUT", SERVER + "/db/doc", data=(chunk for chunk in [b"{}"]))
    assert response.status_code == 400
    assert len(couch.gets()) == 1 and session.cookies.get("AuthSession") is None


def test_only_the_cookie_sent_is_dropped(couch: CouchFake) -> None:
    """A thread refused for the bad cookie must not drop the fresh one another thread's login set meanwhile."""
    session = cookie_session(couch)
    session.cookies.set("AuthSession", "fresh")
    request = requests.Request("GET", SERVER + "/db", headers={"Cookie": "other=1; AuthSession=bad"}).prepare()
    response = FakeAdapter(lambda seen: (0, {}, None)).build(request, *MALFORMED[:1], {}, MALFORMED[1])
    _client_session._drop_session_cookie(session.cookies, response)
    assert session.cookies.get("AuthSession") == "fresh"
    request.headers["Cookie"] = "AuthSession=fresh"
    _client_session._drop_session_cookie(session.cookies, response)
    assert session.cookies.get("AuthSession") is None


def test_other_400s_are_left_alone(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.login()
    couch.adapter.handler = lambda seen: (400, {}, {"error": "bad_request", "reason": "invalid UTF-8 JSON"})
    assert session.request("GET", SERVER + "/db").status_code == 400
    assert session.cookies.get("AuthSession") == "c1" and couch.logins() == 1


# -- session requests through the wire layer ----------------------------------------------------------------------
def test_session_info_that_is_not_json_raises_malformed_response(couch: CouchFake) -> None:
    session = cookie_session(couch)
    couch.adapter.handler = lambda seen: (200, {}, b"<html>proxy login</html>")
    with pytest.raises(MalformedResponse):
        session.info()


def test_login_over_a_dropped_connection_raises_a_connection_error(couch: CouchFake) -> None:
    def drop(seen: Seen) -> Any:
        raise requests.ConnectionError("connection reset by peer")

    session = cookie_session(couch)
    couch.adapter.handler = drop
    with pytest.raises(CloudantConnectionError) as info:
        session.login()
    assert info.value.method == "POST" and "/_session" in str(info.value.url)


def test_login_posts_name_and_password(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.login()
    seen = couch.adapter.calls("POST", "/_session")[0]
    assert seen.form() == {"name": ["user"], "password": ["pw"]}
    assert seen.headers["Accept"] == "application/json"
    assert session.cookies.get("AuthSession") == "c1"


def test_a_wrong_password_raises_unauthorized(couch: CouchFake) -> None:
    session = CookieSession("user", "wrong", SERVER)
    session.mount(SERVER, couch.adapter)
    with pytest.raises(Unauthorized) as info:
        session.login()
    assert info.value.reason == "Name or password is incorrect."
    assert "wrong" not in str(info.value)


def test_logout_deletes_the_session_and_forgets_the_cookie(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.login()
    session.logout()
    assert [seen.method for seen in couch.adapter.calls(path="/_session")] == ["POST", "DELETE"]
    assert session.cookies.get("AuthSession") is None


def test_logout_forgets_the_cookie_even_when_the_server_fails(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.login()
    couch.adapter.handler = lambda seen: (500, {}, {"error": "internal"})
    with pytest.raises(ServerError):
        session.logout()
    assert session.cookies.get("AuthSession") is None


def test_info_reads_the_session_document(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.login()
    couch.adapter.handler = lambda seen: (200, {}, {"ok": True, "userCtx": {"name": "user", "roles": []}})
    assert session.info()["userCtx"]["name"] == "user"
    assert ClientSession().info() is None


def test_set_credentials_keeps_what_is_not_given(couch: CouchFake) -> None:
    session = cookie_session(couch)
    session.set_credentials(None, "pw2")
    assert session.base64_user_pass() == "Basic " + base64.urlsafe_b64encode(b"user:pw2").decode()
    session.set_credentials("other", None)
    assert session.base64_user_pass() == "Basic " + base64.urlsafe_b64encode(b"other:pw2").decode()
    assert ClientSession("only-user").base64_user_pass() is None


def test_repr_shows_no_password() -> None:
    session = CookieSession("user", "hunter2-secret", SERVER)
    assert "hunter2-secret" not in repr(session) and "user" in repr(session)


# -- basic sessions ------------------------------------------------------------------------------------------------
def test_basic_session_sends_credentials_with_every_request() -> None:
    fake = FakeAdapter(lambda seen: (200, {}, {"ok": True}))
    session = BasicSession("user", "pw", SERVER)
    session.mount(SERVER, fake)
    session.login()  # nothing to do
    session.request("GET", SERVER + "/db")
    session.request("GET", SERVER + "/other", auth=("someone", "else"))
    expected = "Basic " + base64.b64encode(b"user:pw").decode()
    assert fake.seen[0].headers["Authorization"] == expected
    assert fake.seen[1].headers["Authorization"] == "Basic " + base64.b64encode(b"someone:else").decode()
    assert len(fake.seen) == 2


# -- timeouts ------------------------------------------------------------------------------------------------------
def test_default_and_per_call_timeouts() -> None:
    fake = FakeAdapter(lambda seen: (200, {}, {}))
    default, configured = ClientSession(), ClientSession(timeout=7)
    for session in (default, configured):
        session.mount(SERVER, fake)
    default.request("GET", SERVER)
    configured.request("GET", SERVER)
    configured.request("GET", SERVER, timeout=(1, 2))
    configured.get(SERVER, timeout=3)  # python-cloudant raised TypeError (duplicate keyword) here
    # The session hands None on, as python-cloudant did; the library's own adapters apply DEFAULT_TIMEOUT.
    assert [seen.timeout for seen in fake.seen] == [None, 7, (1, 2), 3]


@pytest.mark.parametrize("given, sent", [(None, DEFAULT_TIMEOUT), (7, 7), ((None, 5), (30.0, 5)),
                                         ((2, None), (2, 300.0)), ((1, 2), (1, 2))])
def test_the_library_adapters_apply_the_default_timeout(given: Any, sent: Any) -> None:
    for adapter in (TimeoutAdapter(), Replay429Adapter()):
        with mock.patch("requests.adapters.HTTPAdapter.send") as send:
            adapter.send("request", False, given)
        assert send.call_args[0][2] == sent


def test_a_session_without_a_client_adapter_still_has_the_default_timeout() -> None:
    session = ClientSession()
    assert isinstance(session.get_adapter("https://elsewhere.example/token"), TimeoutAdapter)
    assert isinstance(session.get_adapter("http://127.0.0.1:5984/db"), TimeoutAdapter)


def test_requests_reach_the_module_session_request_as_python_cloudant_sent_them() -> None:
    """Suites patch ``cloudant._client_session.Session.request`` and compare the calls."""
    with mock.patch("cloudant._client_session.Session.request") as request:
        BasicSession("u", "p", SERVER).get(SERVER + "/_all_dbs")
        BasicSession(None, None, SERVER).head(SERVER + "/db")
    assert request.call_args_list == [
        mock.call("GET", SERVER + "/_all_dbs", allow_redirects=True, auth=("u", "p"), timeout=None),
        mock.call("HEAD", SERVER + "/db", allow_redirects=False, auth=None, timeout=None)]


def test_login_uses_the_session_timeout(couch: CouchFake) -> None:
    session = cookie_session(couch, timeout=9)
    session.login()
    assert couch.adapter.seen[0].timeout == 9


# -- IAM sessions ----------------------------------------------------------------------------------------------------
JWT_SESSION = {"ok": True, "userCtx": {"name": None, "roles": []},
               "info": {"authentication_handlers": ["cookie", "jwt", "default"]}}
NOT_ADMIN = {"error": "unauthorized", "reason": "You are not a server admin."}


class IAMFake:
    """A token endpoint handing out ``t1``, ``t2``, ... and a server accepting only the latest token.

    ``kind`` picks the server: ``"couchdb"`` (Apache CouchDB 3 with its JWT handler: an anonymous
    ``POST /_iam_session`` is refused with 401, ``/_session`` lists ``jwt``, requests carry the token as
    ``Authorization: Bearer``), ``"proxy"`` (the same behind a proxy that answers 404 for ``/_iam_session``)
    or ``"cloudant"`` (``POST /_iam_session`` sets an ``IAMSession`` cookie that requests carry).
    """

    def __init__(self, kind: str = "couchdb", expires_in: int = 3600) -> None:
        self.kind = kind
        self.tokens = 0
        self.cookies = 0
        self.expires_in = expires_in
        self.extra: Dict[str, Any] = {}
        self.token_adapter = FakeAdapter(self.token)
        self.server_adapter = FakeAdapter(self.serve)

    def token(self, seen: Seen) -> Any:
        if seen.form().get("apikey") != ["the-api-key"]:
            return 400, {}, {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}
        self.tokens += 1
        return 200, {}, {"access_token": "t%d" % self.tokens, "expires_in": self.expires_in,
                         "token_type": "Bearer", **self.extra}

    def serve(self, seen: Seen) -> Any:
        if seen.path == "/_iam_session":
            return self.iam_session(seen)
        if self.kind == "cloudant":
            if "IAMSession=s%d" % self.cookies in seen.headers.get("Cookie", "") and self.cookies:
                return 200, {}, {"ok": True}
        elif seen.headers.get("Authorization") == "Bearer t%d" % self.tokens:
            return 200, {}, {"ok": True, "userCtx": {"name": "user", "roles": []}, "info": {"authenticated": "jwt"}}
        elif seen.path == "/_session" and "Authorization" not in seen.headers:
            return 200, {}, JWT_SESSION
        return 401, {}, {"error": "unauthorized", "reason": "token rejected"}

    def iam_session(self, seen: Seen) -> Any:
        if self.kind == "proxy":
            return 404, {}, "<html>Not Found</html>"
        if self.kind == "couchdb":
            return 401, {}, NOT_ADMIN
        if seen.method != "POST" or seen.json() != {"access_token": "t%d" % self.tokens}:
            return 401, {}, {"error": "unauthorized", "reason": "token rejected"}
        self.cookies += 1
        return 200, [("Set-Cookie", "IAMSession=s%d; Path=/; HttpOnly" % self.cookies)], {"ok": True}

    def exchanges(self) -> int:
        return len(self.server_adapter.calls("POST", "/_iam_session"))

    def requests_to(self, path: str) -> List[Seen]:
        return [seen for seen in self.server_adapter.seen if seen.path == path]


@pytest.fixture
def iam() -> IAMFake:
    return IAMFake()


def iam_session(iam: IAMFake, api_key: str = "the-api-key", **kwargs: Any) -> IAMSession:
    kwargs.setdefault("auto_renew", True)
    session = IAMSession(api_key, SERVER, token_url=TOKEN_URL, **kwargs)
    session.mount(SERVER, iam.server_adapter)
    session.mount(TOKEN_URL, iam.token_adapter)
    return session


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    fake = FakeClock()
    monkeypatch.setattr(_client_session, "time", types.SimpleNamespace(time=fake.time))
    monkeypatch.setattr(_auth_replies, "time", types.SimpleNamespace(time=fake.time))
    yield fake


def test_token_exchange_request_shape(iam: IAMFake) -> None:
    session = iam_session(iam, client_id="cid", client_secret="csecret")
    session.login()
    seen = iam.token_adapter.seen[0]
    assert (seen.method, seen.url) == ("POST", TOKEN_URL)
    assert seen.form() == {"grant_type": ["urn:ibm:params:oauth:grant-type:apikey"],
                           "response_type": ["cloud_iam"], "apikey": ["the-api-key"]}
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen.headers["Accepts"] == "application/json"  # python-cloudant's header, kept for suites comparing it
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()


def test_get_access_token_goes_through_client_session_request_as_python_cloudant() -> None:
    reply = mock.MagicMock()
    type(reply).text = mock.PropertyMock(return_value='{"access_token": "tok", "expires_in": 3600}')
    with mock.patch("cloudant._client_session.ClientSession.request", return_value=reply) as request:
        session = IAMSession("key", SERVER, "cid", "csecret", token_url=TOKEN_URL)
        assert session._get_access_token() == "tok"
    request.assert_called_once_with(
        "POST", TOKEN_URL, auth=("cid", "csecret"), headers={"Accepts": "application/json"},
        data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "response_type": "cloud_iam", "apikey": "key"})
    assert reply.raise_for_status.called
    assert (session._token_url, session._api_key, session.get_api_key) == (TOKEN_URL, "key", "key")


@pytest.mark.parametrize("text", ['{"token_type": "Bearer"}', "not json", None])
def test_a_stand_in_token_reply_without_a_token_raises_python_cloudants_text(text: Any) -> None:
    """No ``KeyError`` (nor ``TypeError`` for a mock's non-string text) escapes: python-cloudant's message."""
    reply = mock.MagicMock()
    if text is not None:
        type(reply).text = mock.PropertyMock(return_value=text)
    with mock.patch("cloudant._client_session.ClientSession.request", return_value=reply):
        with pytest.raises(CloudantException) as info:
            IAMSession("key", SERVER, token_url=TOKEN_URL)._get_access_token()
    assert (type(info.value), str(info.value)) == (CloudantException, "Invalid response from IAM token service")


def test_client_id_alone_sends_no_basic_auth(iam: IAMFake) -> None:
    iam_session(iam, client_id="cid").login()
    assert "Authorization" not in iam.token_adapter.seen[0].headers


# -- IAM: the calls python-cloudant's tests see on ClientSession.request -------------------------------------------
def stand_in(status: int = 200, body: Any = None) -> mock.MagicMock:
    """A response as python-cloudant's tests build them: a mock with a status code and a JSON ``text``."""
    response = mock.MagicMock()
    type(response).status_code = mock.PropertyMock(return_value=status)
    type(response).text = mock.PropertyMock(return_value="" if body is None else json.dumps(body))
    if status >= 400:
        response.raise_for_status.side_effect = requests.HTTPError("%d Client Error" % status)
    return response


def token_reply(token: str = "tok") -> mock.MagicMock:
    return stand_in(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})


def token_call(api_key: str = "key") -> Any:
    return mock.call("POST", TOKEN_URL, auth=None, headers={"Accepts": "application/json"},
                     data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "response_type": "cloud_iam",
                           "apikey": api_key})


def exchange_call(token: str = "tok") -> Any:
    return mock.call("POST", SERVER + "/_iam_session", headers={"Content-Type": "application/json"},
                     data=json.dumps({"access_token": token}))


@pytest.fixture
def client_request() -> Iterator[mock.MagicMock]:
    with mock.patch("cloudant._client_session.ClientSession.request") as request:
        yield request


def test_login_exchanges_the_token_for_a_cookie_as_python_cloudant(client_request: mock.MagicMock) -> None:
    exchanged = stand_in(200, {"ok": True})
    client_request.side_effect = [token_reply(), exchanged, stand_in(200, {"ok": True})]
    session = IAMSession("key", SERVER, token_url=TOKEN_URL)
    assert session._session_url == SERVER + "/_iam_session"
    session.login()
    assert client_request.call_args_list == [token_call(), exchange_call()]
    assert exchanged.raise_for_status.called
    assert session.auth_mode == _client_session.COOKIE_MODE
    session.request("GET", SERVER + "/db")
    assert client_request.call_args_list[-1] == mock.call("GET", SERVER + "/db")  # the cookie jar authenticates


def test_cookie_mode_logs_in_again_and_replays_once_on_401(client_request: mock.MagicMock) -> None:
    client_request.side_effect = [token_reply("t1"), stand_in(200), stand_in(401), token_reply("t2"), stand_in(200),
                                  stand_in(200, {"ok": True})]
    session = IAMSession("key", SERVER, token_url=TOKEN_URL, auto_renew=True)
    session.login()
    session.cookies.set("IAMSession", "from-the-server")
    assert session.request("GET", SERVER + "/db").status_code == 200
    assert client_request.call_args_list == [token_call(), exchange_call("t1"), mock.call("GET", SERVER + "/db"),
                                             token_call(), exchange_call("t2"), mock.call("GET", SERVER + "/db")]


def test_cookie_mode_logs_in_first_when_the_cookie_has_expired(client_request: mock.MagicMock) -> None:
    client_request.side_effect = [token_reply("t1"), stand_in(200), token_reply("t2"), stand_in(200), stand_in(200)]
    session = IAMSession("key", SERVER, token_url=TOKEN_URL, auto_renew=True)
    session.login()
    session.cookies.set("IAMSession", "stale", expires=1)
    session.request("GET", SERVER + "/db")
    assert client_request.call_args_list[2:] == [token_call(), exchange_call("t2"), mock.call("GET", SERVER + "/db")]


@pytest.mark.parametrize("status", [404, 405])
def test_no_iam_session_endpoint_falls_back_to_a_bearer_token(client_request: mock.MagicMock, status: int) -> None:
    client_request.side_effect = [token_reply("t1"), stand_in(status), stand_in(200), token_reply("t2"),
                                  stand_in(200)]
    session = IAMSession("key", SERVER, token_url=TOKEN_URL)
    session.login()
    assert session.auth_mode == _client_session.BEARER_MODE
    session.request("GET", SERVER + "/db", headers={"Accept": "application/json"})
    assert client_request.call_args_list[2] == mock.call(
        "GET", SERVER + "/db", headers={"Accept": "application/json", "Authorization": "Bearer t1"})
    session.login()  # the mode is kept: a new token, no second POST /_iam_session
    assert client_request.call_args_list[3:] == [token_call()]
    session.request("GET", SERVER + "/db")
    assert client_request.call_args_list[-1] == mock.call("GET", SERVER + "/db",
                                                          headers={"Authorization": "Bearer t2"})


def test_bearer_mode_replays_once_on_401_with_a_new_token(client_request: mock.MagicMock) -> None:
    client_request.side_effect = [token_reply("t1"), stand_in(404), stand_in(401), token_reply("t2"), stand_in(200)]
    session = IAMSession("key", SERVER, token_url=TOKEN_URL, auto_renew=True)
    session.login()
    assert session.request("GET", SERVER + "/db").status_code == 200
    assert client_request.call_args_list[2:] == [
        mock.call("GET", SERVER + "/db", headers={"Authorization": "Bearer t1"}), token_call(),
        mock.call("GET", SERVER + "/db", headers={"Authorization": "Bearer t2"})]


def test_a_refused_exchange_on_a_jwt_server_falls_back_to_a_bearer_token(client_request: mock.MagicMock) -> None:
    """Apache CouchDB 3 refuses the anonymous ``POST /_iam_session`` (401, not a server admin)."""
    client_request.side_effect = [token_reply(), stand_in(401, NOT_ADMIN), stand_in(200, JWT_SESSION)]
    session = IAMSession("key", SERVER, token_url=TOKEN_URL)
    session.login()
    assert session.auth_mode == _client_session.BEARER_MODE
    assert client_request.call_args_list[2] == mock.call("GET", SERVER + "/_session",
                                                         headers={"Accept": "application/json"})


def test_a_refused_exchange_elsewhere_raises_python_cloudants_error(client_request: mock.MagicMock) -> None:
    no_jwt = {"ok": True, "userCtx": {"name": None}, "info": {"authentication_handlers": ["iam", "cookie"]}}
    client_request.side_effect = [token_reply(), stand_in(401), stand_in(200, no_jwt), stand_in(401)]
    session = IAMSession("key", SERVER, token_url=TOKEN_URL)
    with pytest.raises(CloudantException) as info:
        session.login()
    assert type(info.value) is CloudantException
    assert str(info.value) == "Failed to exchange IAM token with Cloudant"
    assert info.value.status_code is None
    assert client_request.call_args_list[-1] == mock.call(
        "GET", SERVER + "/_session", headers={"Accept": "application/json", "Authorization": "Bearer tok"})
    assert session.auth_mode is None


@pytest.mark.parametrize("status", [400, 500])
def test_a_failed_exchange_raises_python_cloudants_error(iam: IAMFake, status: int) -> None:
    iam.kind = "cloudant"
    iam.iam_session = lambda seen: (status, {}, {"error": "failed", "reason": "no"})  # type: ignore[method-assign]
    with pytest.raises(CloudantException) as info:
        iam_session(iam).login()
    assert (type(info.value), str(info.value)) == (CloudantException, "Failed to exchange IAM token with Cloudant")
    assert isinstance(info.value.__cause__, (BadRequest, ServerError))
    assert info.value.__cause__.status_code == status
    assert info.value.response.status_code == status
    assert info.value.url == SERVER + "/_iam_session"


def test_info_reads_the_iam_session_then_the_session_in_bearer_mode(iam: IAMFake) -> None:
    with mock.patch("cloudant._client_session.ClientSession.get") as get:
        get.return_value = stand_in(200, {"ok": True})
        session = IAMSession("key", SERVER)
        assert session.info() == {"ok": True}
    get.assert_called_once_with(SERVER + "/_iam_session")
    session = iam_session(iam)
    session.login()
    assert session.info()["info"]["authenticated"] == "jwt"
    assert iam.server_adapter.seen[-1].url == SERVER + "/_session"


# -- IAM: the two modes against fake servers --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["couchdb", "proxy"])
def test_first_request_fetches_a_token_and_sends_it_as_bearer(iam: IAMFake, kind: str) -> None:
    iam.kind = kind
    session = iam_session(iam)
    assert session.request("GET", SERVER + "/db").status_code == 200
    assert session.request("GET", SERVER + "/db").status_code == 200
    assert iam.tokens == 1 and iam.exchanges() == 1
    assert [seen.headers["Authorization"] for seen in iam.requests_to("/db")] == ["Bearer t1"] * 2


def test_cloudant_mode_sends_the_cookie_and_no_token() -> None:
    iam = IAMFake("cloudant")
    session = iam_session(iam)
    assert session.request("GET", SERVER + "/db").status_code == 200
    assert session.request("GET", SERVER + "/db").status_code == 200
    assert session.auth_mode == _client_session.COOKIE_MODE
    assert (iam.tokens, iam.exchanges()) == (1, 1)
    assert [seen.headers.get("Authorization") for seen in iam.requests_to("/db")] == [None, None]
    assert session.cookies["IAMSession"] == "s1"


def test_cloudant_mode_renews_a_refused_cookie_and_replays() -> None:
    iam = IAMFake("cloudant")
    session = iam_session(iam)
    session.login()
    iam.cookies += 1  # the server dropped the session
    response = session.request("POST", SERVER + "/db", data=io.BytesIO(b"{}"))
    assert response.status_code == 200
    assert (iam.tokens, iam.exchanges()) == (2, 2)
    assert [seen.body for seen in iam.requests_to("/db")] == [b"{}", b"{}"]


def test_token_is_refreshed_at_80_percent_of_its_lifetime(iam: IAMFake, clock: FakeClock) -> None:
    iam.expires_in = 1000
    session = iam_session(iam)
    session.request("GET", SERVER + "/db")
    clock.now += 799
    session.request("GET", SERVER + "/db")
    assert iam.tokens == 1
    clock.now += 1
    session.request("GET", SERVER + "/db")
    assert iam.tokens == 2
    assert iam.server_adapter.seen[-1].headers["Authorization"] == "Bearer t2"
    assert iam.exchanges() == 1  # the mode is learnt once


@pytest.mark.parametrize("expiration, refreshed_after", [(100, 80), (-100, 2880)])
def test_expiration_timestamp_is_preferred_to_expires_in_unless_already_past(
        iam: IAMFake, clock: FakeClock, expiration: int, refreshed_after: int) -> None:
    iam.extra = {"expiration": int(clock.now) + expiration}  # expires_in still says 3600
    session = iam_session(iam)
    session.request("GET", SERVER + "/db")
    clock.now += refreshed_after - 1
    session.request("GET", SERVER + "/db")
    assert iam.tokens == 1
    clock.now += 1
    session.request("GET", SERVER + "/db")
    assert iam.tokens == 2


def test_no_refresh_by_age_without_auto_renew(iam: IAMFake, clock: FakeClock) -> None:
    session = iam_session(iam, auto_renew=False)
    session.login()  # without auto_renew only login() (connect()) gets a token, as in python-cloudant
    session.request("GET", SERVER + "/db")
    clock.now += 10 * 3600
    session.request("GET", SERVER + "/db")
    assert iam.tokens == 1


def test_without_auto_renew_a_request_does_not_log_in(iam: IAMFake) -> None:
    session = iam_session(iam, auto_renew=False)
    session.request("GET", SERVER + "/db")
    assert iam.tokens == 0


def test_an_iam_session_cookie_stands_for_a_login() -> None:
    """python-cloudant logged in first only when the jar held no ``IAMSession`` cookie."""
    reply = mock.MagicMock(status_code=200)
    with mock.patch("cloudant._client_session.ClientSession.request", return_value=reply) as request, \
            mock.patch("cloudant._client_session.IAMSession.login") as login:
        session = IAMSession("key", SERVER, auto_renew=True)
        session.cookies.set("IAMSession", "cookie-value")
        assert session.request("GET", SERVER + "/db") is reply
    assert login.call_count == 0
    request.assert_called_once_with("GET", SERVER + "/db")


def test_a_rejected_token_is_refreshed_and_the_request_replayed_once(iam: IAMFake) -> None:
    session = iam_session(iam)
    session.login()
    iam.tokens += 1  # the server now wants a newer token than the one held
    response = session.request("POST", SERVER + "/db", data=io.BytesIO(b"{}"))
    assert response.status_code == 200
    assert [seen.headers["Authorization"] for seen in iam.requests_to("/db")] == ["Bearer t1", "Bearer t3"]
    assert [seen.body for seen in iam.requests_to("/db")] == [b"{}", b"{}"]


def test_only_one_refresh_when_the_new_token_is_rejected_too(iam: IAMFake) -> None:
    iam.kind = "proxy"
    session = iam_session(iam)
    session.login()
    iam.server_adapter.handler = lambda seen: (401, {}, {"error": "unauthorized"})
    assert session.request("GET", SERVER + "/db").status_code == 401
    assert iam.tokens == 2  # the first token, then one refresh
    assert len(iam.requests_to("/db")) == 2


# -- IAM: token endpoint failures, with python-cloudant's texts ---------------------------------------------------
def test_a_wrong_api_key_raises_the_token_endpoints_message(iam: IAMFake) -> None:
    session = iam_session(iam, api_key="not-the-key")
    with pytest.raises(CloudantException) as info:
        session.request("GET", SERVER + "/db")
    assert (type(info.value), str(info.value)) == (CloudantException, "Provided API key could not be found")
    assert info.value.status_code is None  # as python-cloudant's; the HTTP status is on the cause
    assert isinstance(info.value.__cause__, BadRequest) and info.value.__cause__.status_code == 400
    assert (info.value.method, info.value.url, info.value.response.status_code) == ("POST", TOKEN_URL, 400)
    assert "not-the-key" not in str(info.value)
    assert iam.server_adapter.seen == []


@pytest.mark.parametrize("status, body, text", [
    (400, {"errorCode": "BXNIM0109E"}, "Failed to contact IAM token service"),
    (502, "<html>Bad Gateway</html>", "Failed to contact IAM token service"),
    (200, {"token_type": "Bearer"}, "Invalid response from IAM token service"),
    (200, {"access_token": None}, "Invalid response from IAM token service"),
    (200, "<html>sign in</html>", "Invalid response from IAM token service"),
    (200, ["not", "an", "object"], "Invalid response from IAM token service"),
])
def test_token_endpoint_failures_raise_python_cloudants_texts(iam: IAMFake, status: int, body: Any,
                                                              text: str) -> None:
    iam.token_adapter.handler = lambda seen: (status, {}, body)
    with pytest.raises(CloudantException) as info:
        iam_session(iam).login()
    assert (type(info.value), str(info.value), info.value.status_code) == (CloudantException, text, None)
    assert info.value.response.status_code == status


def test_unreachable_token_endpoint_raises_python_cloudants_text(iam: IAMFake) -> None:
    def refuse(seen: Seen) -> Any:
        raise requests.ConnectionError("connection refused")

    iam.token_adapter.handler = refuse
    with pytest.raises(CloudantException) as info:
        iam_session(iam).login()
    assert (type(info.value), str(info.value)) == (CloudantException, "Failed to contact IAM token service")
    assert isinstance(info.value.__cause__, CloudantConnectionError)
    assert TOKEN_URL in str(info.value.__cause__)


def test_a_program_patching_get_access_token_still_gets_a_bearer_token(iam: IAMFake) -> None:
    with mock.patch("cloudant._client_session.IAMSession._get_access_token", return_value="t1"):
        iam.tokens = 1
        session = iam_session(iam)
        assert session.request("GET", SERVER + "/db").status_code == 200
        assert session.request("GET", SERVER + "/db").status_code == 200
    assert [seen.headers["Authorization"] for seen in iam.requests_to("/db")] == ["Bearer t1"] * 2


def test_logout_forgets_the_token_and_keeps_the_mode(iam: IAMFake) -> None:
    session = iam_session(iam)
    session.request("GET", SERVER + "/db")
    session.cookies.set("other", "x")
    session.logout()
    assert len(session.cookies) == 0
    session.request("GET", SERVER + "/db")
    assert iam.tokens == 2 and iam.exchanges() == 1


def test_iam_credentials_and_token_url(monkeypatch: pytest.MonkeyPatch, iam: IAMFake) -> None:
    session = iam_session(iam)
    assert session.get_api_key == "the-api-key"
    session.set_credentials("ignored-user", "new-key")
    assert session.get_api_key == "new-key"
    session.set_credentials(None, None)
    assert session.get_api_key == "new-key"
    assert "new-key" not in repr(session)
    monkeypatch.setenv("IAM_TOKEN_URL", "https://iam.example/token")
    assert IAMSession("k", SERVER).token_url == "https://iam.example/token"
    monkeypatch.delenv("IAM_TOKEN_URL")
    assert IAMSession("k", SERVER).token_url == DEFAULT_IAM_TOKEN_URL


def test_info_sends_the_credentials_of_each_kind_of_session(iam: IAMFake) -> None:
    """python-cloudant's ``info()`` went through the session's own request; basic and IAM sessions need it."""
    def needs_credentials(seen: Seen) -> Any:
        if seen.headers.get("Authorization") in ("Basic " + base64.b64encode(b"user:pw").decode(), "Bearer t1"):
            return 200, {}, {"ok": True, "userCtx": {"name": "user", "roles": []}}
        return 404, {}, {"error": "not_found"}

    basic = BasicSession("user", "pw", SERVER)
    basic.mount(SERVER, FakeAdapter(needs_credentials))
    assert basic.info()["userCtx"]["name"] == "user"
    iam.server_adapter.handler = needs_credentials
    assert iam_session(iam).info()["userCtx"]["name"] == "user"
