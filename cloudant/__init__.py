"""Dict-style client for Apache CouchDB and IBM Cloudant.

The context managers connect on entry and always disconnect on exit, also when
the body raises::

    from cloudant import couchdb

    with couchdb("admin", "pass", url="http://127.0.0.1:5984") as client:
        database = client.create_database("orders", throw_on_exists=False)
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Optional, TypeVar, Union

__version__ = "3.0.0.dev0"

__all__ = ["cloudant", "cloudant_iam", "cloudant_bluemix", "couchdb", "couchdb_admin_party", "Cloudant",
           "CouchDB", "CloudFoundryService", "__version__"]


_Client = TypeVar("_Client", bound="CouchDB")


@contextlib.contextmanager
def _connected(instance: _Client) -> Iterator[_Client]:
    if instance.r_session is None:
        instance.connect()
    try:
        yield instance
    finally:
        instance.disconnect()


def cloudant(user: Optional[str], passwd: Optional[str], **kwargs: Any) -> contextlib.AbstractContextManager[Cloudant]:
    """Connect to Cloudant with a user name and password (``account=`` or ``url=`` required)."""
    return _connected(Cloudant(user, passwd, **kwargs))


def cloudant_iam(account_name: Optional[str], api_key: str,
                 **kwargs: Any) -> contextlib.AbstractContextManager[Cloudant]:
    """Connect to Cloudant with an IAM API key (``account_name=None`` with ``url=`` works too)."""
    return _connected(Cloudant.iam(account_name, api_key, **kwargs))


def cloudant_bluemix(vcap_services: Union[str, Dict[str, Any], None], instance_name: Optional[str] = None,
                     service_name: Optional[str] = None,
                     **kwargs: Any) -> contextlib.AbstractContextManager[Cloudant]:
    """Connect to the Cloudant service described by Cloud Foundry's ``VCAP_SERVICES``."""
    return _connected(Cloudant.bluemix(vcap_services, instance_name=instance_name, service_name=service_name,
                                       **kwargs))


def couchdb(user: Optional[str], passwd: Optional[str], **kwargs: Any) -> contextlib.AbstractContextManager[CouchDB]:
    """Connect to CouchDB with a user name and password."""
    return _connected(CouchDB(user, passwd, **kwargs))


def couchdb_admin_party(**kwargs: Any) -> contextlib.AbstractContextManager[CouchDB]:
    """Connect to a CouchDB without credentials (admin party)."""
    return _connected(CouchDB(None, None, True, **kwargs))


from ._cloud_foundry import CloudFoundryService  # noqa: E402  (the client modules import __version__)
from .client import Cloudant, CouchDB  # noqa: E402
# Every public submodule is an attribute of the package after `import cloudant`, as in python-cloudant.
from . import (_2to3, _client_session, _common_util, _messages, adapters, client, database,  # noqa: E402,F401
               design_document, document, error, feed, index, query, replicator, result, scheduler,
               security_document, view)
