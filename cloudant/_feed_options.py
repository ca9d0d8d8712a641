"""What a feed source tells :class:`~cloudant.feed.Feed`, and how feed options are checked and sent.

A database (``_changes``) or a client (``_db_updates``) describes its feed with a :class:`FeedTarget`
(where to read, which options it takes); the helpers below carry python-cloudant's type rule, the query-string
form of an option and the ``POST`` body the ``doc_ids`` and ``selector`` filters need.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

from ._endpoint import Endpoint
from ._params import FEED_TYPES

__all__ = ["FeedTarget", "FEED_VALUES", "COUCHDB_FEED_VALUES", "filter_body", "wire", "type_ok", "source_kind"]


#: The ``feed`` values python-cloudant named in its message 119 (CouchDB's ``_db_updates``: the first two).
FEED_VALUES = ("continuous", "normal", "longpoll")
COUCHDB_FEED_VALUES = ("continuous", "longpoll")


class FeedTarget:
    """What a feed source tells :class:`~cloudant.feed.Feed`: where to read and which options it takes.

    :param endpoint: the feed's ``cloudant._endpoint.Endpoint``.
    :param dict arg_table: option name → accepted types.
    :param bool pass_through: accept options missing from the table (custom filter parameters).
    :param dict defaults: options applied unless the caller gives them.
    :param tuple feed_types: the accepted ``feed`` values.
    """

    __slots__ = ("endpoint", "arg_table", "pass_through", "defaults", "feed_types")

    def __init__(self, endpoint: Endpoint, arg_table: Dict[str, Any], pass_through: bool = False,
                 defaults: Optional[Dict[str, Any]] = None, feed_types: Tuple[str, ...] = FEED_TYPES) -> None:
        self.endpoint = endpoint
        self.arg_table = arg_table
        self.pass_through = pass_through
        self.defaults = defaults or {}
        self.feed_types = feed_types


def filter_body(options: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    """Move ``doc_ids``/``selector`` into a POST body and name the built-in filter they need."""
    body: Dict[str, Any] = {}
    for name, builtin in (("doc_ids", "_doc_ids"), ("selector", "_selector")):
        if options.get(name) is not None and name in params:
            body[name] = options[name] if name == "selector" else list(options[name])
            del params[name]
            params.setdefault("filter", builtin)
    return body


def wire(value: Any) -> Any:
    """An option's query-string form: ``'true'``/``'false'``, JSON for lists and dicts, numbers as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    return json.dumps(value)


def type_ok(value: Any, types: Any) -> bool:
    """python-cloudant's type rule: an instance of ``types``, and a bool only where bool itself is listed."""
    if types is None:
        return False
    if isinstance(value, bool) and int in types and bool not in types:
        return False
    return isinstance(value, types)


def source_kind(source: Any) -> str:
    """``'Cloudant'`` or ``'CouchDB'`` for a client, else the source's class name (a database)."""
    from .client import Cloudant, CouchDB  # imported late: the client module builds on this one
    if isinstance(source, Cloudant):
        return "Cloudant"
    if isinstance(source, CouchDB):
        return "CouchDB"
    return type(source).__name__
