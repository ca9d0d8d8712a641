"""Cloud Foundry ``VCAP_SERVICES`` parsing (``cloudant._cloud_foundry``) and ``Cloudant.bluemix``."""
from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from cloudant import CloudFoundryService
from cloudant.client import Cloudant
from cloudant.error import CloudantClientException, CloudantException


def vcap(*instances: Dict[str, Any], label: str = "cloudantNoSQLDB") -> str:
    return json.dumps({label: list(instances), "other-service": [{"name": "x", "credentials": {}}]})


LEGACY = {"name": "legacy", "credentials": {
    "host": "acct.cloudant.com", "port": 443, "url": "https://acct:pw-legacy@acct.cloudant.com",
    "username": "acct", "password": "pw-legacy"}}
IAM_ONLY = {"name": "iam", "credentials": {
    "apikey": "iam-key-123", "host": "iam-acct.cloudantnosqldb.appdomain.cloud",
    "url": "https://iam-acct.cloudantnosqldb.appdomain.cloud", "iam_apikey_name": "auto-generated"}}
URL_ONLY = {"name": "by-url", "credentials": {"url": "https://u:p@h.example:8443", "username": "u", "password": "p"}}


LABEL = {"service_name": "cloudantNoSQLDB"}


def test_legacy_credentials() -> None:
    service = CloudFoundryService(vcap(LEGACY), **LABEL)
    assert (service.name, service.host, service.port) == ("legacy", "acct.cloudant.com", "443")
    assert service.url == "https://acct.cloudant.com:443"
    assert service.server_url == "https://acct.cloudant.com:443"
    assert (service.username, service.password) == ("acct", "pw-legacy")
    with pytest.raises(AttributeError, match="'CloudFoundryService' object has no attribute '_iam_api_key'"):
        assert service.iam_api_key is None
    assert "pw-legacy" not in repr(service)


def test_host_and_port_from_the_url() -> None:
    service = CloudFoundryService(vcap(URL_ONLY), **LABEL)
    assert (service.host, service.port, service.url) == ("h.example", "8443", "https://h.example:8443")


def test_the_server_url_keeps_the_scheme_and_port_of_the_credentials_url() -> None:
    local = {"name": "local", "credentials": {"url": "http://u:p@127.0.0.1:5984", "host": "127.0.0.1", "port": 443,
                                              "username": "u", "password": "p"}}
    service = CloudFoundryService(vcap(local), **LABEL)
    assert service.url == "https://127.0.0.1:443"  # python-cloudant's property, unchanged
    assert service.server_url == "http://127.0.0.1:5984"


@pytest.mark.parametrize("url, port, server_url", [
    ("http://127.0.0.1", None, "http://127.0.0.1:80"),
    ("http://127.0.0.1", 5984, "http://127.0.0.1:5984"),
    ("https://h.example", None, "https://h.example:443"),
    ("http://[::1]:5984", 443, "http://[::1]:5984"),
])
def test_a_url_without_a_port_takes_the_credentials_port_or_its_schemes(url: str, port: Any,
                                                                          server_url: str) -> None:
    credentials = {"url": url, "username": "u", "password": "p", **({"port": port} if port else {})}
    service = CloudFoundryService(vcap({"name": "x", "credentials": credentials}), **LABEL)
    assert service.server_url == server_url


def test_api_key_only_credentials_are_accepted() -> None:
    """python-cloudant required a ``username`` even for IAM-only services."""
    service = CloudFoundryService(vcap(IAM_ONLY), **LABEL)
    assert service.iam_api_key == "iam-key-123"
    with pytest.raises(AttributeError):
        assert service.username is None
    assert service.url == "https://iam-acct.cloudantnosqldb.appdomain.cloud:443"


def test_a_dict_works_as_well_as_json() -> None:
    assert CloudFoundryService(json.loads(vcap(LEGACY)), **LABEL).username == "acct"


def test_instance_and_service_names() -> None:
    services = vcap(LEGACY, IAM_ONLY, label="my-cloudant")
    assert CloudFoundryService(services, instance_name="iam", service_name="my-cloudant").name == "iam"
    assert CloudFoundryService(services, "legacy", "my-cloudant").name == "legacy"


def test_there_is_no_default_service_name() -> None:
    with pytest.raises(CloudantException) as info:
        CloudFoundryService(vcap(LEGACY))
    assert str(info.value) == "Missing service in VCAP_SERVICES"


@pytest.mark.parametrize("services, kwargs, text, detail", [
    ("", {}, "Failed to decode VCAP_SERVICES JSON", "not JSON"),
    ("{not json", {}, "Failed to decode VCAP_SERVICES JSON", "not JSON"),
    (None, {}, "Failed to decode VCAP_SERVICES service credentials", "NoneType"),
    ("[1, 2]", {}, "Failed to decode VCAP_SERVICES service credentials", "not an object"),
    (vcap(LEGACY, label="elsewhere"), {}, "Missing service in VCAP_SERVICES", "no 'cloudantNoSQLDB' service"),
    (json.dumps({"cloudantNoSQLDB": []}), {}, "Missing service in VCAP_SERVICES", "no 'cloudantNoSQLDB' service"),
    (vcap(LEGACY, IAM_ONLY), {}, "Missing service in VCAP_SERVICES",
     "2 'cloudantNoSQLDB' instances (legacy, iam): give instance_name"),
    (vcap(LEGACY), {"instance_name": "missing"}, "Missing service in VCAP_SERVICES",
     "no 'cloudantNoSQLDB' instance named 'missing'"),
    (vcap({"name": "bare"}), {}, "Invalid service: 'credentials' missing", "'bare' has no credentials"),
    (vcap({"name": "list", "credentials": ["h", "p"]}), {}, "Failed to decode VCAP_SERVICES service credentials",
     "a list"),
    (vcap({"name": "nohost", "credentials": {"apikey": "k"}}), {}, "Invalid service: 'host' missing", "'host'"),
    (vcap({"name": "nouser", "credentials": {"host": "h", "password": "p"}}), {},
     "Invalid service: 'username' missing", "'username'"),
    (json.dumps({"cloudantNoSQLDB": ["text"]}), {}, "Failed to decode VCAP_SERVICES service credentials",
     "not a JSON object"),
])
def test_invalid_vcap_services_raise_python_cloudants_exceptions(services: Any, kwargs: Dict[str, Any], text: str,
                                                                  detail: str) -> None:
    with pytest.raises(CloudantException) as info:
        CloudFoundryService(services, **{**LABEL, **kwargs})
    assert type(info.value) is CloudantException
    assert str(info.value) == text
    assert detail in info.value.detail
    if hasattr(info.value, "__notes__"):
        assert info.value.__notes__ == [info.value.detail]


@pytest.mark.parametrize("credentials", [{"host": "h", "username": "u"}])
def test_missing_credentials_raise_103(credentials: Dict[str, Any]) -> None:
    with pytest.raises(CloudantClientException) as info:
        CloudFoundryService(vcap({"name": "x", "credentials": credentials}), **LABEL)
    assert info.value.status_code == 103
    assert str(info.value) == "Invalid service: IAM API key or username/password credentials are required."
    assert "'x'" in info.value.detail


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


def test_bluemix_honours_the_scheme_and_port_of_the_credentials_url() -> None:
    local = {"name": "local", "credentials": {"url": "http://127.0.0.1:5984", "host": "127.0.0.1", "port": 443,
                                              "username": "u", "password": "p"}}
    assert Cloudant.bluemix(vcap(local)).server_url == "http://127.0.0.1:5984"


def test_bluemix_with_invalid_services_raises_103_as_python_cloudant() -> None:
    with pytest.raises(CloudantClientException) as info:
        Cloudant.bluemix("definitely not json")
    assert info.value.status_code == 103
    assert str(info.value) == "Invalid service: IAM API key or username/password credentials are required."
    assert "not JSON" in info.value.detail
