"""Cloudant-only endpoints (``/_api/v2``: CORS, API keys, shared databases, billing and usage), played
from cassettes written by hand from the documented request/response examples.

No local server serves these, so no ``couch_server`` is involved. Every cassette must be played entirely:
a request the library did not send, or sent differently (method, URL, query or body), fails the test.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from _cassettes import player

from cloudant.client import Cloudant
from cloudant.error import CloudantArgumentError, CloudantHTTPError, Forbidden, NotFound


VCR = player("cloudant")


@pytest.fixture
def client() -> Iterator[Cloudant]:
    """Basic auth, so that connecting sends no login request of its own."""
    client = Cloudant("example", "example-password", url="https://example.cloudant.com", use_basic_auth=True)
    client.connect()
    yield client
    client.disconnect()


def play(name: str) -> Any:
    return VCR.use_cassette(name + ".yaml")


# -- CORS ----------------------------------------------------------------------------------------------------
def test_cors_configuration_and_origins(client: Cloudant) -> None:
    """CORS > Reading the CORS configuration (example response)."""
    with play("cors_read") as cassette:
        assert client.cors_configuration() == {
            "enable_cors": True, "allow_credentials": True,
            "origins": ["https://example.com", "https://www.example.com"]}
        assert client.cors_origins() == ["https://example.com", "https://www.example.com"]
    assert cassette.all_played


def test_cors_origins_without_a_configuration(client: Cloudant) -> None:
    """CORS > Reading the CORS configuration: an empty document when nothing was configured."""
    with play("cors_unset") as cassette:
        assert client.cors_origins() == []
    assert cassette.all_played


def test_update_cors_merges_new_origins_after_the_current_ones(client: Cloudant) -> None:
    """CORS > Setting the CORS configuration: merged with the current configuration, order kept,
    duplicates dropped."""
    with play("cors_merge") as cassette:
        result = client.update_cors_configuration(
            enable_cors=True, allow_credentials=False, origins=["https://www.example.com", "https://app.example.org"])
        assert result == {"ok": True}
    assert cassette.all_played


def test_update_cors_with_a_wildcard_replaces_the_origins(client: Cloudant) -> None:
    """CORS > Setting the CORS configuration: ["*"] allows every origin."""
    with play("cors_wildcard") as cassette:
        assert client.update_cors_configuration(origins=["*"]) == {"ok": True}
    assert cassette.all_played


def test_update_cors_overwriting_sends_exactly_what_is_given(client: Cloudant) -> None:
    """CORS > Setting the CORS configuration (example request)."""
    with play("cors_overwrite") as cassette:
        result = client.update_cors_configuration(
            True, True, ["https://example.com", "https://www.example.com"], overwrite_origins=True)
        assert result == {"ok": True}
    assert cassette.all_played


def test_disable_cors(client: Cloudant) -> None:
    """CORS > Setting the CORS configuration: enable_cors false, no origins."""
    with play("cors_disable") as cassette:
        assert client.disable_cors() == {"ok": True}
    assert cassette.all_played


# -- API keys and sharing ---------------------------------------------------------------------------------------
def test_generate_api_key(client: Cloudant) -> None:
    """Authorization > Creating API keys (example response)."""
    with play("api_keys") as cassette:
        assert client.generate_api_key() == {
            "password": "YPNCaIX1sJRX5upaL3eqvTfi", "ok": True, "key": "blentfortedsionstrindigl"}
    assert cassette.all_played


def test_shared_databases(client: Cloudant) -> None:
    """python-cloudant API reference 3.2: ``shared_databases()`` returns the list, or [] when absent."""
    with play("shared_databases") as cassette:
        assert client.shared_databases() == ["alice/products", "bob/orders"]
        assert client.shared_databases() == []
    assert cassette.all_played


# -- billing and usage -------------------------------------------------------------------------------------------
def test_bill_and_usage(client: Cloudant) -> None:
    """python-cloudant API reference 3.2: bill, volume_usage, requests_usage with and without a period."""
    with play("usage") as cassette:
        current = client.bill()
        assert set(current) == {"bill_type", "start", "end", "data_volume", "http_heavy", "http_light", "total"}
        assert client.bill(2016, 1)["total"] == "4.00"
        assert client.volume_usage(2016, 1)["data_vol"] == {"total": 21474836480}
        assert client.requests_usage()["requests"] == {"light": 1200, "heavy": 30}
        assert client.requests_usage("2016", "12")["start"] == "2016-12-01"  # numeric strings are accepted
    assert cassette.all_played


@pytest.mark.parametrize("year, month", [(2016, None), (None, 12), (2016, 13), (2016, 0), ("last", 1)])
def test_usage_period_is_checked_before_any_request(client: Cloudant, year: Any, month: Any) -> None:
    """python-cloudant API reference 3.2: year and month both or neither, month in 1..12 (code 101)."""
    with play("no_request") as cassette:
        for method in (client.bill, client.volume_usage, client.requests_usage):
            with pytest.raises(CloudantArgumentError) as info:
                method(year, month)
            assert info.value.status_code == 101
    assert cassette.play_count == 0
    assert cassette.all_played


# -- errors ------------------------------------------------------------------------------------------------------
def test_api_v2_error_bodies_become_typed_errors(client: Cloudant) -> None:
    """Error handling > Error Responses specific to /_api/v2/ endpoints."""
    with play("api_v2_errors") as cassette:
        with pytest.raises(NotFound) as not_found:
            client.shared_databases()
        assert not_found.value.error == "Could not find Cloudant user"
        assert not_found.value.request_id == "a1b2c3d4e5"
        with pytest.raises(CloudantHTTPError) as not_allowed:
            client.generate_api_key()
        assert not_allowed.value.status_code == 405
        assert not_allowed.value.reason == "The method is not allowed for the requested URL."
        with pytest.raises(Forbidden) as forbidden:
            client.bill(2016, 1)
        assert (forbidden.value.error, forbidden.value.caused_by) == ("forbidden", "iam")
        # a 429 is replayed by the client's retry adapter: the caller only sees the answer that followed
        assert client.cors_origins() == []
    assert cassette.all_played
