"""The retry policy and ``Replay429Adapter`` (``cloudant.adapters``).

The decisions are tested on :class:`RetryPolicy` itself; the end-to-end behaviour with a real socket, since
urllib3 retries below any fake adapter: a loopback server answers 429 or 503 a few times before 200.
"""
from __future__ import annotations

import inspect
import io
import warnings
from typing import Any, List

import pytest
import urllib3
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from _fakes import LoopbackServer, Seen
from cloudant import adapters
from cloudant._endpoint import Endpoint
from cloudant.adapters import BUDGET_MAX_BACKOFF, DEFAULT_RETRY_BUDGET, Replay429Adapter, RetryPolicy
from cloudant.client import CouchDB
from cloudant.error import ServerError, TooManyRequests

URL = "/db/doc"


def response(status: int, headers: Any = None) -> urllib3.HTTPResponse:
    return urllib3.HTTPResponse(body=io.BytesIO(b""), headers=headers or {}, status=status, preload_content=False)


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy.for_couch(retries=3, initial_backoff=0.25)


# -- decisions -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, status, retried", [
    ("POST", 429, True),   # a 429 was not processed: replaying a write is safe
    ("PUT", 429, True),
    ("DELETE", 429, True),
    ("GET", 429, True),
    ("POST", 503, False),  # a 503 may come after the write was applied
    ("PUT", 503, False),
    ("GET", 503, True),
    ("HEAD", 503, True),
    ("GET", 500, False),
    ("GET", 502, False),
    ("GET", 404, False),
    ("POST", 409, False),
])
def test_which_answers_are_replayed(policy: RetryPolicy, method: str, status: int, retried: bool) -> None:
    assert policy.is_retry(method, status) is retried


def test_no_429_replay_once_exhausted() -> None:
    assert RetryPolicy.for_couch(retries=0).is_retry("POST", 429) is False


def test_replays_stop_after_the_configured_number(policy: RetryPolicy) -> None:
    for _ in range(3):
        policy = policy.increment("POST", URL, response=response(429))
    with pytest.raises(MaxRetryError):
        policy.increment("POST", URL, response=response(429))


def test_read_errors_are_replayed_only_for_reads(policy: RetryPolicy) -> None:
    error = ReadTimeoutError(None, URL, "read timed out")  # type: ignore[arg-type]
    assert policy.increment("GET", URL, error=error).read == 2
    with pytest.raises(ReadTimeoutError):
        policy.increment("POST", URL, error=error)
    with pytest.raises(ProtocolError):
        policy.increment("PUT", URL, error=ProtocolError("connection reset"))


def test_connect_errors_are_replayed_for_every_method(policy: RetryPolicy) -> None:
    # Nothing reached the server, so even a POST may be sent again.
    error = ConnectTimeoutError("connect timed out")
    assert policy.increment("POST", URL, error=error).connect == 2


def test_backoff_starts_at_the_initial_value_and_doubles() -> None:
    policy = RetryPolicy.for_couch(retries=5, initial_backoff=0.25)
    assert policy.get_backoff_time() == 0  # nothing failed yet
    waits = []
    for _ in range(4):
        policy = policy.increment("GET", URL, response=response(429))
        waits.append(policy.get_backoff_time())
    bases = [0.25, 0.5, 1.0, 2.0]
    for wait, base in zip(waits, bases):
        assert base <= wait <= base + 0.25  # plus up to `jitter` seconds of random delay


def test_jitter_survives_copies() -> None:
    policy = RetryPolicy(total=2, backoff_factor=0.5, jitter=0.125)
    assert policy.new(total=1).jitter == 0.125
    assert policy.increment("GET", URL, response=response(429)).jitter == 0.125


def test_no_backoff_without_a_factor() -> None:
    policy = RetryPolicy(total=2, status_forcelist={429}, jitter=1.0)
    assert policy.increment("GET", URL, response=response(429)).get_backoff_time() == 0.0


def test_retry_after_is_honoured(policy: RetryPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: List[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)
    assert policy.get_retry_after(response(429, {"Retry-After": "3"})) == 3
    assert policy.sleep_for_retry(response(429, {"Retry-After": "3"})) is True
    policy.sleep(response(429, {"Retry-After": "2"}))
    assert slept == [3, 2]


def test_replay429adapter_builds_its_policy() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # python-cloudant's adapter failed or warned on current urllib3
        adapter = Replay429Adapter(retries=5, initialBackoff=0.1)
        default = Replay429Adapter()
        keyword = Replay429Adapter(initial_backoff=0.5)
    retry = adapter.max_retries
    assert isinstance(retry, RetryPolicy) and isinstance(retry, Retry)
    assert (retry.total, retry.status, retry.backoff_factor) == (5, 5, 0.1)
    assert retry.respect_retry_after_header
    assert default.max_retries.backoff_factor == 0.25
    assert keyword.max_retries.backoff_factor == 0.5
    assert urllib3.__version__.split(".")[0] in ("1", "2")


def test_an_explicit_count_keeps_python_cloudants_meaning() -> None:
    for retries in (3, 10, 0):
        retry = Replay429Adapter(retries=retries).max_retries
        assert (retry.total, retry.status, retry.budget) == (retries, retries, None)
    assert Replay429Adapter(3, 0.5).max_retries.total == 3  # positionally too


def test_the_default_adapter_replays_within_a_time_budget() -> None:
    retry = Replay429Adapter().max_retries
    assert (retry.total, retry.status, retry.budget) == (None, None, DEFAULT_RETRY_BUDGET)
    assert (retry.connect, retry.read) == (3, 3)  # errors stay counted
    assert inspect.signature(Replay429Adapter).parameters["retries"].default == 3  # as python-cloudant shows it
    assert Replay429Adapter(budget=5).max_retries.budget == 5
    both = Replay429Adapter(retries=2, budget=5).max_retries
    assert (both.total, both.budget) == (2, 5)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(adapters, "time", fake)
    return fake


def test_a_budget_replays_429_until_the_time_is_spent(clock: Clock) -> None:
    policy = RetryPolicy.for_couch(None, 0.25, budget=60)
    replays = 0
    with pytest.raises(MaxRetryError):
        while replays < 1000:  # bounded: the budget ends it long before
            policy = policy.increment("POST", URL, response=response(429))
            wait = policy.get_backoff_time()
            assert wait <= BUDGET_MAX_BACKOFF + 0.25  # capped, plus jitter
            clock.now += wait
            replays += 1
    assert 8 <= replays <= 20  # 0.25 + 0.5 + ... + 8 + 8 + ... within 60 s
    assert policy.deadline == 1060.0  # counted from the first refusal


def test_a_budget_refuses_a_retry_after_that_outlasts_it(clock: Clock) -> None:
    policy = RetryPolicy.for_couch(None, 0.25, budget=10)
    policy = policy.increment("PUT", URL, response=response(429, {"Retry-After": "9"}))
    clock.now += 9
    with pytest.raises(MaxRetryError):
        policy.increment("PUT", URL, response=response(429, {"Retry-After": "2"}))


def test_a_budget_never_replays_a_write_whose_connection_dropped(clock: Clock) -> None:
    policy = RetryPolicy.for_couch(None, 0.25, budget=60)
    for method in ("POST", "PUT", "DELETE"):
        with pytest.raises(ProtocolError):
            policy.increment(method, URL, error=ProtocolError("connection reset"))
    assert policy.increment("GET", URL, error=ProtocolError("connection reset")).read == 2


# -- end to end through a real socket ---------------------------------------------------------------------------------
class Flaky:
    """Answers ``status`` (with ``Retry-After: 0``) ``failures`` times, then 200."""

    def __init__(self, status: int, failures: int) -> None:
        self.status = status
        self.failures = failures

    def __call__(self, seen: Seen) -> Any:
        if len([s for s in server_calls(self) if s.path == seen.path]) <= self.failures:
            return self.status, {"Retry-After": "0"}, {"error": "too_many_requests", "reason": "slow down"}
        return 200, {}, {"ok": True}


def server_calls(flaky: Flaky) -> List[Seen]:
    return flaky.server.seen  # type: ignore[attr-defined, no-any-return]


def serve(status: int, failures: int) -> LoopbackServer:
    flaky = Flaky(status, failures)
    server = LoopbackServer(flaky)
    flaky.server = server  # type: ignore[attr-defined]
    return server


def client_for(server: LoopbackServer, retries: int = 3) -> CouchDB:
    client = CouchDB(None, None, admin_party=True, url=server.url,
                     adapter=Replay429Adapter(retries=retries, initialBackoff=0.01))
    client.connect()
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_429_twice_then_200(method: str) -> None:
    with serve(429, failures=2) as server:
        client = client_for(server)
        result = Endpoint(client, server.url + "/db").json(method, json_body={"a": 1} if method == "POST" else None)
        client.disconnect()
    assert result == {"ok": True}
    assert [seen.method for seen in server.seen] == [method] * 3
    if method == "POST":
        assert [seen.json() for seen in server.seen] == [{"a": 1}] * 3  # the body is sent whole each time


def test_429_beyond_the_retries_raises_too_many_requests() -> None:
    with serve(429, failures=10) as server:
        client = client_for(server, retries=2)
        with pytest.raises(TooManyRequests) as info:
            Endpoint(client, server.url + "/db").json("POST", json_body={})
        client.disconnect()
    assert len(server.seen) == 3
    assert info.value.reason == "slow down"


def test_503_on_get_is_replayed() -> None:
    with serve(503, failures=1) as server:
        client = client_for(server)
        assert Endpoint(client, server.url + "/db").json() == {"ok": True}
        client.disconnect()
    assert len(server.seen) == 2


def test_503_on_post_is_not_replayed() -> None:
    with serve(503, failures=1) as server:
        client = client_for(server)
        with pytest.raises(ServerError) as info:
            Endpoint(client, server.url + "/db").json("POST", json_body={"a": 1})
        client.disconnect()
    assert info.value.status_code == 503
    assert len(server.seen) == 1


def test_the_time_budget_outlasts_a_storm_a_count_would_not() -> None:
    with serve(429, failures=6) as server:
        client = CouchDB(None, None, admin_party=True, url=server.url,
                         adapter=Replay429Adapter(initialBackoff=0.01, budget=10))
        client.connect()
        assert Endpoint(client, server.url + "/db").json("POST", json_body={"a": 1}) == {"ok": True}
        client.disconnect()
    assert len(server.seen) == 7


def test_a_spent_budget_returns_the_429() -> None:
    with serve(429, failures=1000) as server:
        client = CouchDB(None, None, admin_party=True, url=server.url,
                         adapter=Replay429Adapter(initialBackoff=0.01, budget=0.3))
        client.connect()
        with pytest.raises(TooManyRequests):
            Endpoint(client, server.url + "/db").json("POST", json_body={})
        client.disconnect()
    assert 3 <= len(server.seen) < 100
