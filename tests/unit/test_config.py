"""External configuration: ``ibm-credentials.env`` and ``{SERVICE}_*`` variables (``cloudant._config``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import pytest

from cloudant._config import AUTH_TYPES, read_service_config
from cloudant.error import CloudantClientException


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials file of the machine running the tests may leak in: cwd and home are empty dirs."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for name in list(os.environ):
        if name.startswith(("CLOUDANT_", "MYDB_")) or name == "IBM_CREDENTIALS_FILE":
            monkeypatch.delenv(name)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_file_named_by_ibm_credentials_file(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = write(isolated / "creds.env", "\n".join([
        "# a comment",
        "",
        "CLOUDANT_URL=https://acct.cloudant.com",
        "CLOUDANT_APIKEY='key-123'",
        'CLOUDANT_CLIENT_ID="cid"',
        "OTHER_URL=https://other.example",
        "not a property line",
    ]))
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(env_file))
    config = read_service_config()
    assert config == {"URL": "https://acct.cloudant.com", "APIKEY": "key-123", "CLIENT_ID": "cid",
                      "AUTH_TYPE": "IAM"}


def test_file_in_the_current_directory(isolated: Path) -> None:
    write(isolated / "work" / "ibm-credentials.env",
          "CLOUDANT_URL=http://127.0.0.1:5984\nCLOUDANT_USERNAME=admin\nCLOUDANT_PASSWORD=pw\n")
    config = read_service_config()
    assert config["AUTH_TYPE"] == "COUCHDB_SESSION"
    assert (config["USERNAME"], config["PASSWORD"]) == ("admin", "pw")


def test_file_in_the_home_directory(isolated: Path) -> None:
    write(isolated / "home" / "ibm-credentials.env", "CLOUDANT_URL=http://home.example\nCLOUDANT_AUTH_TYPE=noauth\n")
    assert read_service_config() == {"URL": "http://home.example", "AUTH_TYPE": "NOAUTH"}


def test_the_file_wins_over_the_environment(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(isolated / "work" / "ibm-credentials.env", "CLOUDANT_URL=http://from-file\nCLOUDANT_AUTH_TYPE=NOAUTH\n")
    monkeypatch.setenv("CLOUDANT_URL", "http://from-env")
    assert read_service_config()["URL"] == "http://from-file"


def test_environment_when_no_file_names_the_service(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(isolated / "work" / "ibm-credentials.env", "OTHER_URL=http://other\n")
    monkeypatch.setenv("CLOUDANT_URL", "http://from-env")
    monkeypatch.setenv("CLOUDANT_AUTH_TYPE", "basic")
    monkeypatch.setenv("CLOUDANT_USERNAME", "u")
    monkeypatch.setenv("CLOUDANT_PASSWORD", "p")
    monkeypatch.setenv("CLOUDANT_APIKEY", "")  # empty values count as unset
    config = read_service_config()
    assert config == {"URL": "http://from-env", "AUTH_TYPE": "BASIC", "USERNAME": "u", "PASSWORD": "p"}


def test_explicit_environ_mapping() -> None:
    environ: Dict[str, str] = {"MY_DB_URL": "http://x", "MY_DB_APIKEY": "k"}
    config = read_service_config("my-db", environ=environ)  # dashes become underscores, case is ignored
    assert config == {"URL": "http://x", "APIKEY": "k", "AUTH_TYPE": "IAM"}


def test_custom_service_name_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYDB_URL", "http://mydb")
    monkeypatch.setenv("MYDB_AUTH_TYPE", "noauth")
    monkeypatch.setenv("CLOUDANT_URL", "http://not-this-one")
    assert read_service_config("mydb")["URL"] == "http://mydb"


@pytest.mark.parametrize("environ, fragment", [
    ({}, "no CLOUDANT_URL"),
    ({"CLOUDANT_APIKEY": "k"}, "no CLOUDANT_URL"),
    ({"CLOUDANT_URL": "http://x", "CLOUDANT_AUTH_TYPE": "kerberos"}, "unknown CLOUDANT_AUTH_TYPE 'KERBEROS'"),
    ({"CLOUDANT_URL": "http://x", "CLOUDANT_AUTH_TYPE": "IAM"}, "IAM needs CLOUDANT_APIKEY"),
    ({"CLOUDANT_URL": "http://x"}, "COUCHDB_SESSION needs CLOUDANT_USERNAME and CLOUDANT_PASSWORD"),
    ({"CLOUDANT_URL": "http://x", "CLOUDANT_USERNAME": "u", "CLOUDANT_PASSWORD": ""},
     "COUCHDB_SESSION needs CLOUDANT_USERNAME and CLOUDANT_PASSWORD"),
    ({"CLOUDANT_URL": "http://x", "CLOUDANT_AUTH_TYPE": "BASIC", "CLOUDANT_PASSWORD": "p"},
     "BASIC needs CLOUDANT_USERNAME and CLOUDANT_PASSWORD"),
])
def test_incomplete_configuration_raises_106(environ: Dict[str, str], fragment: str) -> None:
    with pytest.raises(CloudantClientException) as info:
        read_service_config(environ=environ)
    assert info.value.status_code == 106
    assert fragment in str(info.value)
    assert "CLOUDANT" in str(info.value)


def test_credentials_in_the_url_are_enough() -> None:
    config = read_service_config(environ={"CLOUDANT_URL": "https://u:p@acct.cloudant.com"})
    assert config == {"URL": "https://u:p@acct.cloudant.com", "AUTH_TYPE": "COUCHDB_SESSION"}


def test_auth_types() -> None:
    assert set(AUTH_TYPES) == {"IAM", "COUCHDB_SESSION", "BASIC", "NOAUTH"}
