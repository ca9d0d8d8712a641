"""The public names of each module, pinned: python-cloudant's documented ([D]) and public ([U]) names must
stay importable, and any other change to ``__all__`` must be deliberate (update the lists here with it).

The predecessor's names come from the API reference of python-cloudant 2.15.0, sections 2, 3, 11, 15 and 16.
"""
from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from typing import Dict, List

import pytest

ALL: Dict[str, List[str]] = {
    "cloudant": ["cloudant", "cloudant_iam", "cloudant_bluemix", "couchdb", "couchdb_admin_party", "Cloudant",
                 "CouchDB", "CloudFoundryService", "__version__"],
    "cloudant.client": ["CouchDB", "Cloudant"],
    "cloudant.error": [
        "CloudantException", "CataloguedException", "CloudantArgumentError", "CloudantClientException",
        "ClientNotConnected",
        "CloudantDatabaseException", "CloudantDesignDocumentException", "CloudantDocumentException",
        "CloudantFeedException", "CloudantIndexException", "CloudantReplicatorException",
        "CloudantViewException", "ResultException", "MalformedResponse", "CloudantConnectionError",
        "CloudantTimeout", "OutcomeUnknown", "OutcomeUnknownTimeout", "CloudantHTTPError", "BadRequest",
        "Unauthorized", "Forbidden", "NotFound", "Conflict", "PreconditionFailed", "RequestEntityTooLarge",
        "UnsupportedMediaType", "TooManyRequests", "ServerError", "from_response", "redact_url",
        "append_response_error_content"],
    "cloudant.adapters": ["Replay429Adapter", "RetryPolicy"],
    "cloudant.feed": ["Feed", "InfiniteFeed", "FeedTarget"],
    "cloudant.database": ["CouchDatabase", "CloudantDatabase"],
    "cloudant.document": ["Document"],
    "cloudant.design_document": ["DesignDocument"],
    "cloudant.security_document": ["SecurityDocument"],
    "cloudant.view": ["View", "QueryIndexView"],
    "cloudant.query": ["Query", "SearchResult"],
    "cloudant.index": ["Index", "TextIndex", "SpecialIndex"],
    "cloudant.result": ["ResultByKey", "Result", "QueryResult", "KeyPager", "KeysPager", "BookmarkPager"],
    "cloudant.replicator": ["Replicator", "ReplicationDocument"],
    "cloudant.scheduler": ["Scheduler"],
}

#: python-cloudant 2.15.0 names user code imports from each module ([D] and [U]).
PREDECESSOR: Dict[str, List[str]] = {
    "cloudant": ["cloudant", "cloudant_iam", "cloudant_bluemix", "couchdb", "couchdb_admin_party", "Cloudant",
                 "CouchDB", "CloudFoundryService", "__version__"],
    "cloudant.client": ["CouchDB", "Cloudant"],
    "cloudant.error": ["CloudantException", "CloudantArgumentError", "CloudantClientException",
                       "CloudantDatabaseException", "CloudantDesignDocumentException", "CloudantDocumentException",
                       "CloudantFeedException", "CloudantIndexException", "CloudantReplicatorException",
                       "CloudantViewException", "ResultException"],
    "cloudant.adapters": ["Replay429Adapter"],
    "cloudant.feed": ["Feed", "InfiniteFeed"],
    "cloudant.database": ["CouchDatabase", "CloudantDatabase"],
    "cloudant.document": ["Document"],
    "cloudant.design_document": ["DesignDocument"],
    "cloudant.security_document": ["SecurityDocument"],
    "cloudant.view": ["View", "QueryIndexView"],
    "cloudant.query": ["Query"],
    "cloudant.index": ["Index", "TextIndex", "SpecialIndex"],
    "cloudant.result": ["ResultByKey", "Result", "QueryResult"],
    "cloudant.replicator": ["Replicator"],
    "cloudant.scheduler": ["Scheduler"],
}

COUCHDB_MEMBERS = [
    "is_iam_authenticated", "features", "connect", "disconnect", "session", "session_cookie", "session_login",
    "change_credentials", "session_logout", "basic_auth_str", "all_dbs", "create_database", "delete_database",
    "db_updates", "metadata", "keys", "__getitem__", "__delitem__", "get", "__setitem__",
]
CLOUDANT_MEMBERS = COUCHDB_MEMBERS + [
    "infinite_db_updates", "bill", "volume_usage", "requests_usage", "shared_databases", "generate_api_key",
    "cors_configuration", "cors_origins", "disable_cors", "update_cors_configuration", "bluemix", "iam",
]
COUCHDB_INSTANCE_ATTRIBUTES = ["server_url", "admin_party", "encoder", "adapter", "r_session"]
FEED_MEMBERS = ["__iter__", "__next__", "next", "stop", "last_seq"]


@pytest.mark.parametrize("module_name", sorted(ALL))
def test_all_is_pinned(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(ALL[module_name])
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("module_name", sorted(PREDECESSOR))
def test_predecessor_names_are_still_exported(module_name: str) -> None:
    module = importlib.import_module(module_name)
    missing = [name for name in PREDECESSOR[module_name] if name not in module.__all__]
    assert missing == []


def test_the_package_reexports_the_client_classes() -> None:
    import cloudant
    from cloudant import _cloud_foundry, client

    assert cloudant.CouchDB is client.CouchDB and cloudant.Cloudant is client.Cloudant
    assert cloudant.CloudFoundryService is _cloud_foundry.CloudFoundryService
    assert isinstance(cloudant.__version__, str) and cloudant.__version__.startswith("3.")


@pytest.mark.parametrize("cls_name, members", [("CouchDB", COUCHDB_MEMBERS), ("Cloudant", CLOUDANT_MEMBERS)])
def test_client_members(cls_name: str, members: List[str]) -> None:
    from cloudant import client

    cls = getattr(client, cls_name)
    assert [name for name in members if not hasattr(cls, name)] == []
    assert issubclass(cls, dict)
    instance = cls("user", "pw", url="https://h.example")
    assert [name for name in COUCHDB_INSTANCE_ATTRIBUTES if not hasattr(instance, name)] == []


def test_client_signatures_keep_their_parameter_names() -> None:
    from cloudant.client import Cloudant, CouchDB

    def names(function: object) -> List[str]:
        return list(inspect.signature(function).parameters)  # type: ignore[arg-type]

    assert names(CouchDB.__init__)[:4] == ["self", "user", "auth_token", "admin_party"]
    assert names(Cloudant.__init__)[:3] == ["self", "cloudant_user", "auth_token"]
    assert names(CouchDB.create_database)[:3] == ["self", "dbname", "partitioned"]
    assert names(CouchDB.get)[:4] == ["self", "key", "default", "remote"]
    assert names(CouchDB.__setitem__)[:4] == ["self", "key", "value", "remote"]
    assert names(CouchDB.__delitem__)[:3] == ["self", "key", "remote"]
    assert names(CouchDB.keys)[:2] == ["self", "remote"]
    assert names(CouchDB.session_login)[:3] == ["self", "user", "passwd"]
    assert names(CouchDB.change_credentials)[:3] == ["self", "user", "auth_token"]
    assert names(CouchDB.db_updates)[:2] == ["self", "raw_data"]
    assert names(Cloudant.update_cors_configuration)[1:] == [
        "enable_cors", "allow_credentials", "origins", "overwrite_origins"]
    assert names(Cloudant.bill)[1:] == ["year", "month"]
    assert names(Cloudant.bluemix)[:3] == ["vcap_services", "instance_name", "service_name"]
    assert names(Cloudant.iam)[:2] == ["account_name", "api_key"]


def test_adapter_keeps_its_camel_case_keyword() -> None:
    from cloudant.adapters import Replay429Adapter

    assert list(inspect.signature(Replay429Adapter.__init__).parameters)[1:3] == ["retries", "initialBackoff"]


def test_feed_members() -> None:
    from cloudant.feed import Feed, InfiniteFeed

    assert [name for name in FEED_MEMBERS if not hasattr(Feed, name)] == []
    assert issubclass(InfiniteFeed, Feed)


def test_error_hierarchy_roots() -> None:
    import requests

    from cloudant import error

    for name in PREDECESSOR["cloudant.error"]:
        assert issubclass(getattr(error, name), error.CloudantException)
    assert issubclass(error.CloudantHTTPError, requests.HTTPError)


def test_importing_the_package_warns_nothing() -> None:
    """python-cloudant 2.15.0 emitted a DeprecationWarning on import."""
    result = subprocess.run([sys.executable, "-W", "error", "-c",
                             "import cloudant, cloudant.client, cloudant.error, cloudant.adapters, cloudant.feed"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_internals_user_code_relies_on() -> None:
    """The [I] names of the API reference that programs and python-cloudant's own tests reach for."""
    from cloudant.client import CouchDB
    from cloudant.database import CouchDatabase
    from cloudant.design_document import DesignDocument
    from cloudant.document import Document
    from cloudant.feed import Feed
    from cloudant.query import Query
    from cloudant.view import View

    client = CouchDB("user", "pw", url="http://couch.test:5984")
    database = CouchDatabase(client, "db", fetch_limit=7)
    assert (client._DATABASE_CLASS, client._user, client._auth_token) == (CouchDatabase, "user", "pw")
    assert (database._fetch_limit, database._partitioned, database._database_host) == (7, False, client.server_url)
    document = Document(database, "doc")
    assert (document._client, document._database, document._database_name) == (client, database, "db")
    view = View(DesignDocument(database, "ddoc"), "by_name")
    query = Query(database, selector={"name": "x"})
    assert view._r_session is None and query._r_session is None  # read from the client: not connected yet
    assert query._encoder is client.encoder and query._partition_key is None
    assert Feed(database)._translate({"include_docs": True, "doc_ids": ["a"]}) == {
        "include_docs": "true", "doc_ids": '["a"]'}
