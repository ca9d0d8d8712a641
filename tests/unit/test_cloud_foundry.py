"""Cloud Foundry ``VCAP_SERVICES`` parsing (``cloudant._cloud_foundry``) and ``Cloudant.bluemix``."""
from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from cloudant import CloudFoundryService
from cloudant.client import Cloudant
from cloudant.error import CloudantClientException


def vcap(*instances: Dict[str, Any], label: str = "cloudantNoSQLDB") -> str:
    return json.dumps({label: list(instances), "other-service": [{"name": "x", "credentials": {}}]})


LEGACY = {"name": "legacy", "credentials": {
    "host": "acct.cloudant.com", "port": 443, "url": "https://acct:pw-legacy@acct.cloudant.com",
    "username": "acct", "password": "pw-legacy"}}
IAM_ONLY = {"name": "iam", "credentials": {
    "apikey": "iam-key-123", "host": "iam-acct.cloudantnosqldb.appdomain.cloud",
    "url": "https://iam-acct.cloudantnosqldb.appdomain.cloud", "iam_apikey_name": "auto-generated"}}
URL_ONLY = {"name": "by-url", "credentials": {"url": "https://u:p@h.example:8443", "username": "u", "password": "p"}}


def test_legacy_credentials() -> None:
    service = CloudFoundryService(vcap(LEGACY))
    assert (service.name, service.host, service.port) == ("legacy", "acct.cloudant.com", "443")
    assert service.url == "https://acct.cloudant.com:443"
    assert (service.username, service.password, service.iam_api_key) == ("acct", "pw-legacy", None)
    assert "pw-legacy" not in repr(service)


def test_host_and_port_from_the_url() -> None:
    service = CloudFoundryService(vcap(URL_ONLY))
    assert (service.host, service.port, service.url) == ("h.example", "8443", "https://h.example:8443")


def test_api_key_only_credentials_are_accepted() -> None:
    """python-cloudant required a ``username`` even for IAM-only services."""
    service = CloudFoundryService(vcap(IAM_ONLY))
    assert service.iam_api_key == "iam-key-123"
    assert service.username is None
    assert service.url == "https://iam-acct.cloudantnosqldb.appdomain.cloud:443"


def test_a_dict_works_as_well_as_json() -> None:
    assert CloudFoundryService(json.loads(vcap(LEGACY))).username == "acct"


def test_instance_and_service_names() -> None:
    services = vcap(LEGACY, IAM_ONLY, label="my-cloudant")
    assert CloudFoundryService(services, instance_name="iam", service_name="my-cloudant").name == "iam"
    assert CloudFoundryService(services, "legacy", "my-cloudant").name == "legacy"


@pytest.mark.parametrize("services, kwargs, fragment", [
    ("", {}, "empty or not set"),
    (None, {}, "empty or not set"),
    ("{not json", {}, "not JSON"),
    ("[1, 2]", {}, "not a JSON object"),
    (vcap(LEGACY, label="elsewhere"), {}, "no 'cloudantNoSQLDB' service"),
    (json.dumps({"cloudantNoSQLDB": []}), {}, "no 'cloudantNoSQLDB' service"),
    (vcap(LEGACY, IAM_ONLY), {}, "2 'cloudantNoSQLDB' instances (legacy, iam): give instance_name"),
    (vcap(LEGACY), {"instance_name": "missing"}, "no 'cloudantNoSQLDB' instance named 'missing'"),
    (vcap({"name": "bare"}), {}, "service 'bare' has no credentials"),
    (vcap({"name": "nohost", "credentials": {"apikey": "k"}}), {}, "give no host or url"),
    (json.dumps({"cloudantNoSQLDB": ["text"]}), {}, "not a JSON object"),
])
def test_invalid_vcap_services_raise_105(services: Any, kwargs: Dict[str, Any], fragment: str) -> None:
    with pytest.raises(CloudantClientException) as info:
        CloudFoundryService(services, **kwargs)
    assert info.value.status_code == 105
    assert fragment in str(info.value)


@pytest.mark.parametrize("credentials", [
    {"host": "h", "username": "u"},
    {"host": "h", "password": "p"},
    {"host": "h"},
])
def test_missing_credentials_raise_103(credentials: Dict[str, Any]) -> None:
    with pytest.raises(CloudantClientException) as info:
        CloudFoundryService(vcap({"name": "x", "credentials": credentials}))
    assert info.value.status_code == 103


# -- Cloudant.bluemix ---------------------------------------------------------------------------------------------
def test_bluemix_with_legacy_credentials_builds_a_cookie_client() -> None:
    client = Cloudant.bluemix(vcap(LEGACY))
    assert client.server_url == "https://acct.cloudant.com:443"
    assert client.is_iam_authenticated is False
    assert client.r_session is None  # nothing is sent before connect()
    assert client.basic_auth_str() is not None


def test_bluemix_with_an_api_key_builds_an_iam_client() -> None:
    client = Cloudant.bluemix(vcap(IAM_ONLY), auto_renew=False)
    assert client.is_iam_authenticated is True
    assert client.server_url == "https://iam-acct.cloudantnosqldb.appdomain.cloud:443"
    assert "iam-key-123" not in repr(client)


def test_bluemix_picks_the_named_instance_and_keeps_a_given_url() -> None:
    client = Cloudant.bluemix(vcap(LEGACY, IAM_ONLY), instance_name="legacy", url="https://proxy.example")
    assert client.server_url == "https://proxy.example"
    assert client.is_iam_authenticated is False


def test_bluemix_with_invalid_services_raises() -> None:
    with pytest.raises(CloudantClientException) as info:
        Cloudant.bluemix("definitely not json")
    assert info.value.status_code == 105
