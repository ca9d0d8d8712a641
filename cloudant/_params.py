"""Python values to CouchDB query parameters, with the argument tables that check them first.

Everything here is local: a bad option raises :class:`~cloudant.error.CloudantArgumentError`
before any request is built.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Dict, Mapping, Optional, Tuple, Type

from ._endpoint import DESIGN_PREFIX, LOCAL_PREFIX
from .error import CloudantArgumentError

Params = Dict[str, Any]
Types = Tuple[type, ...]

STR = (str,)
INT = (int,)
BOOL = (bool,)
LIST = (list, tuple)
DICT = (dict,)
ANY: Types = (object,)

#: View, ``_all_docs`` and list-function parameters (python-cloudant's table, plus what CouchDB 3 accepts).
VIEW_ARGS: Dict[str, Types] = {
    "descending": BOOL, "endkey": ANY, "end_key": ANY, "endkey_docid": STR, "end_key_doc_id": STR,
    "group": BOOL, "group_level": INT, "include_docs": BOOL, "inclusive_end": BOOL, "key": ANY,
    "keys": LIST, "limit": INT, "reduce": BOOL, "skip": INT, "stale": STR, "startkey": ANY,
    "start_key": ANY, "startkey_docid": STR, "start_key_doc_id": STR, "update": (str, bool), "stable": BOOL,
    "conflicts": BOOL, "attachments": BOOL, "att_encoding_info": BOOL, "update_seq": BOOL, "sorted": BOOL,
    "partition": STR,
}
_JSON_VIEW_ARGS = frozenset({"key", "startkey", "start_key", "endkey", "end_key"})

# python-cloudant 2.15.0's own tables. Their ``repr`` is part of the messages of codes 117, 130, 106 and 128,
# which programs match on, so an option python-cloudant knew is always reported with its old types (Python 2's
# ``long`` is ``int``, hence the repeated ``int``).
_KEY_TYPES = (int, int, str, Sequence, bool)
_COUNT_TYPES = (int, int, type(None))
#: python-cloudant's view option types (``cloudant._common_util.RESULT_ARG_TYPES``).
LEGACY_VIEW_TYPES: Dict[str, Types] = {
    "descending": BOOL, "endkey": _KEY_TYPES, "endkey_docid": STR, "group": BOOL, "group_level": _COUNT_TYPES,
    "include_docs": BOOL, "inclusive_end": BOOL, "key": _KEY_TYPES, "keys": (list,), "limit": _COUNT_TYPES,
    "reduce": BOOL, "skip": _COUNT_TYPES, "stable": BOOL, "stale": STR, "startkey": _KEY_TYPES,
    "startkey_docid": STR, "update": STR,
}
#: python-cloudant's ``_find`` option types (``QUERY_ARG_TYPES``).
LEGACY_QUERY_TYPES: Dict[str, Any] = {
    "selector": dict, "limit": _COUNT_TYPES, "skip": _COUNT_TYPES, "sort": list, "fields": list,
    "r": _COUNT_TYPES, "bookmark": str, "use_index": str,
}
#: python-cloudant's text index definition types (``TEXT_INDEX_ARGS``).
LEGACY_TEXT_INDEX_TYPES: Dict[str, Any] = {"fields": list, "default_field": dict, "selector": dict}
#: python-cloudant's search option types (``SEARCH_INDEX_ARGS``).
LEGACY_SEARCH_TYPES: Dict[str, Any] = {
    "bookmark": str, "counts": list, "drilldown": list, "group_field": str, "group_limit": (int, type(None)),
    "group_sort": (str, list), "include_docs": bool, "limit": (int, type(None)), "query": (str, int, int),
    "q": (str, int, int), "ranges": dict, "sort": (str, list), "stale": str, "highlight_fields": list,
    "highlight_pre_tag": str, "highlight_post_tag": str, "highlight_number": _COUNT_TYPES,
    "highlight_size": _COUNT_TYPES, "include_fields": list, "partition": str,
}

#: ``_changes`` parameters; any other key passes through for custom filter functions.
CHANGES_ARGS: Dict[str, Types] = {
    "conflicts": BOOL, "descending": BOOL, "doc_ids": LIST, "feed": STR, "filter": STR, "heartbeat": (int, bool),
    "include_docs": BOOL, "attachments": BOOL, "att_encoding_info": BOOL, "limit": INT, "since": (int, str),
    "style": STR, "timeout": INT, "view": STR, "seq_interval": INT, "selector": DICT, "last-event-id": STR,
}
#: ``_db_updates`` parameters.
DB_UPDATES_ARGS: Dict[str, Types] = {
    "descending": BOOL, "feed": STR, "heartbeat": (int, bool), "limit": INT, "since": (int, str),
    "timeout": INT,
}
FEED_TYPES = ("continuous", "longpoll", "normal")
#: ``_all_dbs`` parameters (CouchDB reads them as ``_all_docs`` options of its ``_dbs`` database).
ALL_DBS_ARGS: Dict[str, Types] = {
    "descending": BOOL, "limit": INT, "skip": INT, "startkey": ANY, "start_key": ANY, "endkey": ANY,
    "end_key": ANY, "inclusive_end": BOOL,
}
_COUNTS = frozenset({"limit", "skip"})

#: Mango ``_find``/``_explain`` body keys: python-cloudant's eight plus what CouchDB 3 accepts.
QUERY_ARGS: Dict[str, Types] = {
    "selector": DICT, "fields": LIST, "sort": LIST, "limit": INT, "skip": INT, "r": INT, "bookmark": STR,
    "use_index": (str, list, tuple), "execution_stats": BOOL, "conflicts": BOOL, "stable": BOOL,
    "update": BOOL, "allow_fallback": BOOL,
}
#: Search (``_search``) parameters, sent in a POST body.
SEARCH_ARGS: Dict[str, Types] = {
    "bookmark": STR, "counts": LIST, "drilldown": LIST, "group_field": STR, "group_limit": INT,
    "group_sort": (str, list, tuple), "include_docs": BOOL, "limit": INT, "query": (str, int), "q": (str, int),
    "ranges": DICT, "sort": (str, list, tuple), "stale": STR, "highlight_fields": LIST,
    "highlight_pre_tag": STR, "highlight_post_tag": STR, "highlight_number": INT, "highlight_size": INT,
    "include_fields": LIST, "partition": STR,
}
#: The definition of a Mango ``text`` index.
TEXT_INDEX_ARGS: Dict[str, Types] = {
    "fields": LIST, "default_field": DICT, "selector": DICT, "analyzer": (str, dict),
    "index_array_lengths": BOOL, "partial_filter_selector": DICT,
}
#: The definition of a Mango ``json`` index.
JSON_INDEX_ARGS: Dict[str, Types] = {"fields": LIST, "partial_filter_selector": DICT}


def check_type(name: str, value: Any, types: Types, code: int = 117, shown: Any = None) -> None:
    """Raise ``CloudantArgumentError(code)`` unless ``value`` is one of ``types`` (a bool is not an int).

    :param shown: the types the message names, when they are not ``types``
        (python-cloudant's, for an option it knew).
    """
    if types is ANY:
        return
    if (isinstance(value, bool) and bool not in types and (int in types)) or not isinstance(value, types):
        raise CloudantArgumentError(code, name, types if shown is None else shown)


def json_value(value: Any, encoder: Optional[Type[json.JSONEncoder]] = None) -> str:
    """Encode one value as JSON text, with the client's encoder."""
    return json.dumps(value, cls=encoder, separators=(",", ":"))


def bool_text(value: bool) -> str:
    """``True`` → ``'true'``, ``False`` → ``'false'``."""
    return "true" if value else "false"


def view_params(options: Mapping[str, Any], encoder: Optional[Type[json.JSONEncoder]] = None) -> Params:
    """Check view/``_all_docs`` options and convert them to query parameters, as python-cloudant did.

    Keys (``key``, ``startkey``, ...) become JSON (``json.dumps`` with
    ``encoder``); booleans ``true``/``false``; ``keys`` stays a list (it goes
    in a POST body); ``None`` values are dropped. Anything else the server
    judges (a negative ``limit``, ``keys`` with ``key``...).

    :raises CloudantArgumentError: unknown option (116), wrong type (117, naming
        python-cloudant's types for the options it knew), a bad ``stale`` (135),
        a key the encoder cannot encode (136).
    """
    params: Params = {}
    for name, value in options.items():
        types = VIEW_ARGS.get(name)
        if types is None:
            raise CloudantArgumentError(116, name)
        if value is None:
            continue
        check_type(name, value, types, shown=LEGACY_VIEW_TYPES.get(name))
        if name == "stale" and value not in ("ok", "update_after"):
            raise CloudantArgumentError(135, value)
        params[name] = _view_value(name, value, encoder)
    return params


def _view_value(name: str, value: Any, encoder: Optional[Type[json.JSONEncoder]]) -> Any:
    if name == "keys":
        return list(value)
    if name in _JSON_VIEW_ARGS:
        try:
            return json.dumps(value, cls=encoder)
        except Exception as err:  # e.g. a value the encoder cannot encode, or an encoder that is no class
            raise CloudantArgumentError(136, name, err) from None
    if isinstance(value, bool):
        return bool_text(value)
    return value


def feed_params(options: Mapping[str, Any], table: Mapping[str, Types], pass_through: bool,
                feed_types: Sequence[str] = FEED_TYPES) -> Params:
    """Check feed options against ``table`` and convert them to query parameters.

    :param bool pass_through: accept unknown keys (``_changes`` custom filters).
    :raises CloudantArgumentError: unknown (116), wrong type (117), negative (118),
        bad ``feed`` (119) or ``style`` (120).
    """
    params: Params = {}
    for name, value in options.items():
        if value is None:
            continue
        types = table.get(name)
        if types is None and not pass_through:
            raise CloudantArgumentError(116, name)
        if types is not None:
            check_type(name, value, types)
        if name in ("limit", "timeout") or (name == "heartbeat" and not isinstance(value, bool)):
            if value < 0:
                raise CloudantArgumentError(118, name, value)
        if name == "feed" and value not in feed_types:
            raise CloudantArgumentError(119, value, list(feed_types))
        if name == "style" and value not in ("main_only", "all_docs"):
            raise CloudantArgumentError(120, value)
        params[name] = _wire(value)
    return params


def _wire(value: Any) -> Any:
    if isinstance(value, bool):
        return bool_text(value)
    if isinstance(value, (list, tuple, dict)):
        return json_value(value)
    return value


def all_dbs_params(options: Mapping[str, Any]) -> Params:
    """Check ``_all_dbs`` options against :data:`ALL_DBS_ARGS` and convert them with :func:`wire_param`.

    ``None`` values are dropped.

    :raises CloudantArgumentError: unknown option (116), wrong type (117), a negative ``limit`` or ``skip``
        (142), a key JSON cannot encode (136).
    """
    params: Params = {}
    for name, value in options.items():
        types = ALL_DBS_ARGS.get(name)
        if types is None:
            raise CloudantArgumentError(116, name)
        if value is None:
            continue
        check_type(name, value, types)
        if name in _COUNTS and value < 0:
            raise CloudantArgumentError(142, name, value)
        try:
            params[name] = wire_param(name, value)
        except (TypeError, ValueError) as err:  # a key JSON cannot encode
            raise CloudantArgumentError(136, name, err) from None
    return params


def wire_param(name: str, value: Any) -> Any:
    """One query parameter of the plain server calls (``_all_dbs``), as sent.

    Keys (``key``, ``startkey``, ...) and lists or objects are JSON (CouchDB answers 400 to
    ``startkey=b`` and wants ``startkey="b"``); booleans are ``true``/``false``; anything else is left as it is.
    """
    if name in _JSON_VIEW_ARGS or isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, bool):
        return bool_text(value)
    return value


def check_partitioned(partitioned: Any) -> None:
    """``CloudantArgumentError(117)`` unless ``partitioned`` is a bool or ``None`` (2.15.0 took any true value
    for ``True``: ``partitioned='no'`` created a partitioned database)."""
    if partitioned is not None:
        check_type("partitioned", partitioned, BOOL)


def check_url(url: Any) -> Any:
    """Return ``url`` unless it is neither ``None`` nor a string: then ``CloudantArgumentError(117)``."""
    if url is not None and not isinstance(url, str):
        raise CloudantArgumentError(117, "url", str)
    return url


def check_credentials(**credentials: Any) -> None:
    """Raise ``CloudantArgumentError(117)`` for a credential given that is neither ``str`` nor ``bytes``."""
    for name, value in credentials.items():
        if value is not None:
            check_type(name, value, (str, bytes))


_DB_NAME = re.compile(r"^[a-z][a-z0-9_$()+/-]*$")
_SYSTEM_DBS = frozenset({"_users", "_replicator", "_global_changes", "_metadata", "_nodes", "_dbs"})


def check_database_name(name: Any) -> str:
    """Raise ``CloudantArgumentError(140)`` unless ``name`` is a legal database name.

    A name starts with a lowercase letter, holds only ``a-z 0-9 _ $ ( ) + - /``
    and has at most 238 characters; the system databases (``_users``,
    ``_replicator``, ...) are allowed too.
    """
    if not isinstance(name, str):
        raise CloudantArgumentError(117, "database name", str)
    if name in _SYSTEM_DBS or name.startswith("shards/"):
        return name
    if len(name) > 238 or not _DB_NAME.fullmatch(name):
        raise CloudantArgumentError(140, name)
    return name


def check_partition_key(key: Any) -> str:
    """Raise ``CloudantArgumentError(141)`` unless ``key`` is a legal partition key."""
    if not isinstance(key, str) or not key or key.startswith("_") or ":" in key:
        raise CloudantArgumentError(141, key)
    return key


def check_document_id(doc_id: Any) -> str:
    """Raise ``CloudantArgumentError(137)`` for an id CouchDB reserves.

    Ids starting with ``_`` are allowed only as ``_design/<name>`` or ``_local/<name>``.
    """
    if not isinstance(doc_id, str):
        raise CloudantArgumentError(137, doc_id)
    if doc_id.startswith("_"):
        for prefix in (DESIGN_PREFIX, LOCAL_PREFIX):
            if doc_id.startswith(prefix) and len(doc_id) > len(prefix):
                return doc_id
        raise CloudantArgumentError(137, doc_id)
    if not doc_id:
        raise CloudantArgumentError(137, doc_id)
    return doc_id


def design_document_id(ddoc_id: str) -> str:
    """``ddoc_id`` with the ``_design/`` prefix, added when it is missing (nothing else is checked)."""
    return ddoc_id if ddoc_id.startswith(DESIGN_PREFIX) else DESIGN_PREFIX + ddoc_id


def check_usage_period(year: Any, month: Any) -> Optional[Tuple[int, int]]:
    """Validate the year/month pair of the usage calls: both or neither, month in 1..12.

    :returns: ``(year, month)`` or ``None`` when both are ``None``.
    :raises CloudantArgumentError: code 101 otherwise.
    """
    if year is None and month is None:
        return None
    try:
        if isinstance(year, bool) or isinstance(month, bool):
            raise ValueError
        year_number, month_number = int(year), int(month)
    except (TypeError, ValueError):
        raise CloudantArgumentError(101, year, month) from None
    if year_number <= 0 or not 1 <= month_number <= 12:
        raise CloudantArgumentError(101, year, month)
    return year_number, month_number

