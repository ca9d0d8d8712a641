"""The environment's proxies and CA bundle, read once per change (cloudant._environment) and merged as requests
merges them (ClientSession.merge_environment_settings)."""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, Iterator

import pytest
import requests
import requests.sessions
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cloudant import _environment
from cloudant._client_session import ClientSession

VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "no_proxy", "NO_PROXY",
             "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
HOSTS = ("127.0.0.1", "localhost", "db.example.com", "example.com", "10.1.2.3", "[::1]")

posix_only = pytest.mark.skipif(sys.platform in ("win32", "darwin"),
                                reason="the cache applies only where proxies come from the environment alone")


@pytest.fixture
def clean_environment() -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in VARIABLES if name in os.environ}
    yield
    for name in VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(saved)


def requests_own(session: requests.Session, url: str, proxies: Any, stream: Any, verify: Any,
                 cert: Any) -> Dict[str, Any]:
    return requests.Session.merge_environment_settings(session, url, proxies, stream, verify, cert)


proxy_values = st.sampled_from(("", "http://proxy:3128", "socks5://other:1080"))
host_lists = st.lists(st.sampled_from(HOSTS + (".example.com", "*", "10.0.0.0/8", "db.example.com:5984", "")),
                      min_size=1, max_size=3).map(",".join)
bundle_values = st.sampled_from(("", "/etc/ssl/bundle.pem"))
environments = st.fixed_dictionaries({}, optional={
    "http_proxy": proxy_values, "HTTP_PROXY": proxy_values, "https_proxy": proxy_values,
    "HTTPS_PROXY": proxy_values, "all_proxy": proxy_values, "no_proxy": host_lists, "NO_PROXY": host_lists,
    "REQUESTS_CA_BUNDLE": bundle_values, "CURL_CA_BUNDLE": bundle_values})
urls = st.builds("{}://{}{}/{}".format, st.sampled_from(("http", "https")), st.sampled_from(HOSTS),
                 st.sampled_from(("", ":5984", ":443")), st.sampled_from(("", "db", "db/doc?rev=1")))


@posix_only
@settings(max_examples=300, deadline=None)
@example(environment={"http_proxy": "http://proxy:3128", "no_proxy": "example.com"},
         url_list=["http://db.example.com/db", "http://127.0.0.1/db"], proxies={}, verify=None,
         session_verify=True, session_proxies={}, trust_env=True, stream=None)
@given(environment=environments, url_list=st.lists(urls, min_size=1, max_size=4),
       # (a dict, as requests' Session.request always passes: older requests fail on None themselves)
       proxies=st.sampled_from(({}, {"http": "http://given:1"}, {"no_proxy": "example.com"})),
       verify=st.sampled_from((None, True, False, "/given/bundle.pem")),
       session_verify=st.sampled_from((True, False, "/session/bundle.pem")),
       session_proxies=st.sampled_from(({}, {"https": "http://session:2"})),
       trust_env=st.booleans(), stream=st.sampled_from((None, True)))
def test_the_merge_is_requests_own_in_every_environment(environment: Dict[str, str], url_list: Any, proxies: Any,
                                                        verify: Any, session_verify: Any, session_proxies: Any,
                                                        trust_env: bool, stream: Any) -> None:
    saved = {name: os.environ.pop(name) for name in VARIABLES if name in os.environ}
    try:
        os.environ.update(environment)
        session = ClientSession()
        session.verify, session.proxies, session.trust_env = session_verify, dict(session_proxies), trust_env
        for url in url_list * 2:  # the second time round from the cache
            ours = session.merge_environment_settings(url, dict(proxies), stream, verify, None)
            theirs = requests_own(session, url, dict(proxies), stream, verify, None)
            assert ours == theirs
    finally:
        for name in VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(saved)


@posix_only
def test_a_change_of_the_environment_is_seen_by_the_next_request(clean_environment: None) -> None:
    session = ClientSession()
    url = "http://db.example.com:5984/db"
    assert session.merge_environment_settings(url, {}, None, None, None)["proxies"] == {}
    os.environ["http_proxy"] = "http://proxy:3128"
    assert session.merge_environment_settings(url, {}, None, None, None)["proxies"] == {"http": "http://proxy:3128"}
    os.environ["no_proxy"] = "example.com"
    assert session.merge_environment_settings(url, {}, None, None, None)["proxies"] == {}
    os.environ["REQUESTS_CA_BUNDLE"] = "/etc/ssl/bundle.pem"
    assert session.merge_environment_settings(url, {}, None, None, None)["verify"] == "/etc/ssl/bundle.pem"
    del os.environ["REQUESTS_CA_BUNDLE"]
    assert session.merge_environment_settings(url, {}, None, None, None)["verify"] is True


@posix_only
def test_the_environment_is_scanned_once_while_it_stays_the_same(clean_environment: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    lookups = []
    original = _environment._GET_ENVIRON_PROXIES

    def counting(url: str, no_proxy: Any = None) -> Dict[str, str]:
        lookups.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(_environment, "_GET_ENVIRON_PROXIES", counting)
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counting)
    os.environ["http_proxy"] = "http://proxy:3128"  # a change: the cache starts afresh
    session = ClientSession()
    for doc in range(50):
        session.merge_environment_settings("http://db.example.com:5984/db/doc%d" % doc, {}, None, None, None)
    session.merge_environment_settings("https://other.example.com/db", {}, None, None, None)
    assert lookups == ["http://db.example.com:5984/db/doc0", "https://other.example.com/db"]


def test_a_patched_lookup_is_asked_every_time(clean_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def patched(url: str, no_proxy: Any = None) -> Dict[str, str]:
        calls.append(url)
        return {"http": "http://patched:1"}

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", patched)
    session = ClientSession()
    for _ in range(3):
        assert session.merge_environment_settings("http://db.example.com/db", {}, None, None, None)["proxies"] == {
            "http": "http://patched:1"}
    assert len(calls) == 3


def test_a_patched_requests_merge_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    def patched(self: requests.Session, url: str, proxies: Any, stream: Any, verify: Any, cert: Any) -> Dict[str, Any]:
        return {"proxies": {}, "stream": "patched", "verify": True, "cert": None}

    monkeypatch.setattr(requests.Session, "merge_environment_settings", patched)
    assert ClientSession().merge_environment_settings("http://db.example.com/db", {}, None, None, None)[
        "stream"] == "patched"
