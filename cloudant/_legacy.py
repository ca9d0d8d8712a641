"""Names python-cloudant 2.15.0's modules held only because they imported them.

Programs written for 2.15.0 import some of them from there (``from cloudant.database import Query, View``)
and test suites patch them (``cloudant.database.get_docs``). A module that no longer imports such a name ends
with ``__getattr__ = module_getattr(__name__)``: on first access the name is looked up in the module that
defines it now and kept in the asking module, so importing stays free of cycles.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Dict

_UTIL = "cloudant._common_util"
_2TO3 = "cloudant._2to3"

#: module → name → the module the name is taken from.
LEGACY_NAMES: Dict[str, Dict[str, str]] = {
    "cloudant.client": {"CloudantException": "cloudant.error", "append_response_error_content": _UTIL,
                        "response_to_json_dict": _UTIL, "url_parse": _2TO3},
    "cloudant.database": {
        "DesignDocument": "cloudant.design_document", "View": "cloudant.view", "Query": "cloudant.query",
        "Index": "cloudant.index", "TextIndex": "cloudant.index", "SpecialIndex": "cloudant.index",
        "Result": "cloudant.result", "QueryResult": "cloudant.result", "JSON_INDEX_TYPE": _UTIL,
        "SEARCH_INDEX_ARGS": _UTIL, "SPECIAL_INDEX_TYPE": _UTIL, "TEXT_INDEX_TYPE": _UTIL,
        "TYPE_CONVERTERS": _UTIL, "get_docs": _UTIL, "response_to_json_dict": _UTIL, "iteritems_": _2TO3,
        "url_quote_plus": _2TO3},
    "cloudant.document": {"assert_attachment_name": _UTIL, "assert_document_type_id": _UTIL,
                          "response_to_json_dict": _UTIL, "url_quote": _2TO3, "url_quote_plus": _2TO3},
    "cloudant.design_document": {"assert_document_type_id": _UTIL, "response_to_json_dict": _UTIL,
                                 "QUERY_LANGUAGE": _UTIL, "DESIGN_PREFIX": _UTIL, "iteritems_": _2TO3,
                                 "url_quote_plus": _2TO3, "STRTYPE": _2TO3},
    "cloudant.view": {"get_docs": _UTIL, "response_to_json_dict": _UTIL, "STRTYPE": _2TO3},
    "cloudant.query": {"QUERY_ARG_TYPES": _UTIL, "response_to_json_dict": _UTIL, "iteritems_": _2TO3},
    "cloudant.index": {"JSON_INDEX_TYPE": _UTIL, "TEXT_INDEX_TYPE": _UTIL, "SPECIAL_INDEX_TYPE": _UTIL,
                       "TEXT_INDEX_ARGS": _UTIL, "response_to_json_dict": _UTIL, "iteritems_": _2TO3,
                       "STRTYPE": _2TO3},
    "cloudant.result": {"py_to_couch_validate": _UTIL, "type_or_none": _UTIL, "STRTYPE": _2TO3},
    "cloudant.feed": {"ANY_ARG": _UTIL, "ANY_TYPE": _UTIL, "TYPE_CONVERTERS": _UTIL, "feed_arg_types": _UTIL,
                      "iteritems_": _2TO3, "next_": _2TO3, "unicode_": _2TO3, "STRTYPE": _2TO3,
                      "NONETYPE": _2TO3},
    "cloudant.scheduler": {"response_to_json_dict": _UTIL},
    "cloudant._client_session": {"CloudantException": "cloudant.error", "response_to_json_dict": _UTIL,
                                 "bytes_": _2TO3, "unicode_": _2TO3, "url_join": _2TO3},
    "cloudant.security_document": {"response_to_json_dict": _UTIL, "url_quote_plus": _2TO3},
    "cloudant.error": {name: "cloudant._messages" for name in (
        "ARGUMENT_ERROR", "CLIENT", "DATABASE", "DESIGN_DOCUMENT", "DOCUMENT", "FEED", "INDEX", "REPLICATOR",
        "RESULT", "VIEW")},
    "cloudant._common_util": {"CloudantException": "cloudant.error", "CloudantClientException": "cloudant.error",
                              "iteritems_": _2TO3},
}


def module_getattr(module_name: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) that finds the module's 2.15.0 names where they are defined now."""
    sources = LEGACY_NAMES.get(module_name, {})

    def __getattr__(name: str) -> Any:  # noqa: N807 - the name the import system looks for
        source = sources.get(name)
        if source is None:
            raise AttributeError("module %r has no attribute %r" % (module_name, name))
        value = getattr(importlib.import_module(source), name)
        setattr(sys.modules[module_name], name, value)
        return value

    return __getattr__
