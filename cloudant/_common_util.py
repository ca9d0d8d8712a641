"""python-cloudant's helper module, kept for the programs and test suites that import from it.

Each name here is a thin layer over the library's own code, or one of the
argument tables python-cloudant checked options against (their ``repr`` is part
of the messages of code 117, so they keep python-cloudant's exact contents).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Dict, Mapping, Optional, Tuple, Type

import requests

from ._2to3 import LONGTYPE, NONETYPE, STRTYPE, UNITYPE
from ._cloud_foundry import CloudFoundryService
from ._endpoint import DESIGN_PREFIX, LOCAL_PREFIX, Endpoint
from ._params import (LEGACY_QUERY_TYPES, LEGACY_SEARCH_TYPES, LEGACY_TEXT_INDEX_TYPES, LEGACY_VIEW_TYPES,
                      check_document_id)
from ._types import JsonValue
from .client import USER_AGENT
from .error import CloudantArgumentError, append_response_error_content
from .view import _Code, codify

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = [
    "USER_AGENT", "DESIGN_PREFIX", "LOCAL_PREFIX", "QUERY_LANGUAGE", "JSON_INDEX_TYPE", "TEXT_INDEX_TYPE",
    "SPECIAL_INDEX_TYPE", "ANY_ARG", "ANY_TYPE", "RESULT_ARG_TYPES", "TYPE_CONVERTERS", "QUERY_ARG_TYPES",
    "TEXT_INDEX_ARGS", "SEARCH_INDEX_ARGS", "feed_arg_types", "python_to_couch", "py_to_couch_validate",
    "type_or_none", "codify", "get_docs", "append_response_error_content", "response_to_json_dict",
    "assert_document_type_id", "assert_attachment_name", "_Code", "CloudFoundryService",
]

QUERY_LANGUAGE = "query"
JSON_INDEX_TYPE = "json"
TEXT_INDEX_TYPE = "text"
SPECIAL_INDEX_TYPE = "special"

#: Placeholders of the ``_changes`` table: any other option, of any type, is passed to a filter function.
ANY_ARG = object()
ANY_TYPE = object()

_COUNT = (int, LONGTYPE, NONETYPE)

#: View, ``_all_docs`` and list-function options and the types each accepts.
RESULT_ARG_TYPES: Dict[str, Tuple[Any, ...]] = LEGACY_VIEW_TYPES


def _json_list(value: Any) -> str:
    return json.dumps(list(value))


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _same(value: Any) -> Any:
    return value


#: How each Python type of a view option becomes its query-string value.
TYPE_CONVERTERS: Dict[Any, Any] = {
    STRTYPE: json.dumps, UNITYPE: json.dumps, Sequence: _json_list, list: json.dumps, tuple: _json_list,
    int: _same, LONGTYPE: _same, bool: _bool_text, NONETYPE: _same,
}

_COUCH_DB_UPDATES_ARG_TYPES: Dict[Any, Any] = {"feed": (STRTYPE,), "heartbeat": (bool,), "timeout": _COUNT}
_DB_UPDATES_ARG_TYPES: Dict[Any, Any] = {
    "descending": (bool,), "limit": _COUNT, "since": (int, LONGTYPE, STRTYPE), "feed": (STRTYPE,),
    "heartbeat": _COUNT, "timeout": _COUNT,
}
_CHANGES_ARG_TYPES: Dict[Any, Any] = {
    "conflicts": (bool,), "doc_ids": (list,), "filter": (STRTYPE,), "include_docs": (bool,), "style": (STRTYPE,),
    ANY_ARG: ANY_TYPE, **_DB_UPDATES_ARG_TYPES,
}

#: Mango ``_find`` options and their types.
QUERY_ARG_TYPES: Dict[str, Any] = LEGACY_QUERY_TYPES
#: The definition keys of a Mango text index and their types.
TEXT_INDEX_ARGS: Dict[str, Any] = LEGACY_TEXT_INDEX_TYPES
#: Search options and their types.
SEARCH_INDEX_ARGS: Dict[str, Any] = LEGACY_SEARCH_TYPES

_JSON_KEYS = frozenset({"key", "startkey", "endkey"})
_UNCONVERTED = frozenset({"keys", "endkey_docid", "startkey_docid", "stale", "update"})


def feed_arg_types(feed_type: Any) -> Dict[Any, Any]:
    """Return the option table of a feed: ``'Cloudant'`` or ``'CouchDB'`` ``_db_updates``, else ``_changes``."""
    if feed_type == "Cloudant":
        return _DB_UPDATES_ARG_TYPES
    if feed_type == "CouchDB":
        return _COUCH_DB_UPDATES_ARG_TYPES
    return _CHANGES_ARG_TYPES


def py_to_couch_validate(key: str, val: Any) -> None:
    """Check one view option against :data:`RESULT_ARG_TYPES`.

    :raises CloudantArgumentError: unknown option (116), wrong type (117; a bool
        is not an int, except for a key), a ``keys`` element of the wrong type
        (134: a bool is not one) or a bad ``stale`` value (135).
    """
    types = RESULT_ARG_TYPES.get(key)
    if types is None:
        raise CloudantArgumentError(116, key)
    if not isinstance(val, types) or (type(val) is bool and bool not in types and int in types):
        raise CloudantArgumentError(117, key, types)
    if key == "keys":
        key_types = RESULT_ARG_TYPES["key"]
        for element in val:
            if not isinstance(element, key_types) or type(element) is bool:
                raise CloudantArgumentError(134, key_types)
    if key == "stale" and val not in ("ok", "update_after"):
        raise CloudantArgumentError(135, val)


def python_to_couch(options: Mapping[str, Any],
                    encoder: Optional[Type[json.JSONEncoder]] = None) -> Dict[str, Any]:
    """Check view options and convert them to query-string values.

    ``key``, ``startkey`` and ``endkey`` become JSON (with ``encoder``), booleans
    ``'true'``/``'false'``, lists JSON; ``keys``, the ``*_docid`` options,
    ``stale`` and ``update`` stay as given, and ``None`` stays ``None``.
    """
    translation: Dict[str, Any] = {}
    for key, val in options.items():
        py_to_couch_validate(key, val)
        translation[key] = _translate(key, val, encoder)
    return translation


def _translate(key: str, val: Any, encoder: Optional[Type[json.JSONEncoder]]) -> Any:
    if key in _UNCONVERTED or val is None:
        return val
    try:
        if key in _JSON_KEYS:
            return json.dumps(val, cls=encoder)
        return TYPE_CONVERTERS[type(val)](val)
    except Exception as err:  # e.g. a value json cannot encode, or a Sequence type of its own
        raise CloudantArgumentError(136, key, err) from None


def type_or_none(typerefs: Any, value: Any) -> bool:
    """True when ``value`` is an instance of ``typerefs`` or ``None``."""
    return isinstance(value, typerefs) or value is None


class _SessionOwner:
    """What :class:`~cloudant._endpoint.Endpoint` needs of a client, around a bare session."""

    __slots__ = ("r_session", "encoder", "gzip_threshold")

    def __init__(self, r_session: requests.Session, encoder: Optional[Type[json.JSONEncoder]]) -> None:
        self.r_session = r_session
        self.encoder: Type[json.JSONEncoder] = encoder or json.JSONEncoder
        self.gzip_threshold: Optional[int] = None


def get_docs(r_session: requests.Session, url: str, encoder: Optional[Type[json.JSONEncoder]] = None,
             headers: Optional[Dict[str, str]] = None, **params: Any) -> requests.Response:
    """GET ``url`` with view options, or POST ``{"keys": [...]}`` when ``keys`` is among them.

    :returns: the response (a non-2xx status raises an ``HTTPError``).
    """
    keys = params.pop("keys", None)
    endpoint = Endpoint(_SessionOwner(r_session, encoder), url)
    query = python_to_couch(params, encoder)
    if keys is None:
        return endpoint.request("GET", headers=headers, params=query)
    headers = {} if headers is None else headers
    headers["Content-Type"] = "application/json"
    body = json.dumps({"keys": keys}, cls=encoder)
    return endpoint.request("POST", headers=headers, params=query, data=body)


def response_to_json_dict(response: requests.Response, **kwargs: Any) -> JsonValue:
    """Decode a response's body as JSON (UTF-8 unless the response says otherwise)."""
    if response.encoding is None:
        response.encoding = "utf-8"
    return json.loads(response.text, **kwargs)


def assert_document_type_id(docid: Any) -> None:
    """Raise ``CloudantArgumentError(137)`` for an id starting with ``_`` that is not ``_design/x`` or ``_local/x``."""
    if isinstance(docid, str) and docid.startswith("_"):
        check_document_id(docid)


def assert_attachment_name(attname: Any) -> None:
    """Raise ``CloudantArgumentError(138)`` for an attachment name starting with ``_``."""
    if isinstance(attname, str) and attname.startswith("_"):
        raise CloudantArgumentError(138, attname)
