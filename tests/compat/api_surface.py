"""Introspect the API surface of the installed ``cloudant`` package and dump it as JSON.

``python tests/compat/api_surface.py --dump FILE`` writes a snapshot of the package the interpreter imports;
without ``--dump`` it prints the snapshot. Run with python-cloudant 2.15.0's interpreter (the virtualenv that
``bench/setup_predecessor.py`` builds) it produces ``tests/compat/python-cloudant-2.15.0-api.json``, which
``tests/unit/test_api_surface.py`` checks the project against. The script needs only the standard library.

For each module the snapshot holds its public names and the internal ([I]) names the predecessor's API
reference lists; for every class and function the parameters in order (name, kind, default ``repr``); for
classes their bases, public methods and properties and the internal class-level attributes; and, for objects
that can be built without a server, the instance attributes programs read.
"""
from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import types
import warnings
from typing import Any, Callable, Dict, List, Optional

MODULES = [
    "cloudant", "cloudant.client", "cloudant.database", "cloudant.document", "cloudant.design_document",
    "cloudant.view", "cloudant.query", "cloudant.index", "cloudant.result", "cloudant.feed",
    "cloudant.replicator", "cloudant.scheduler", "cloudant.security_document", "cloudant.error",
    "cloudant.adapters", "cloudant._client_session", "cloudant._common_util", "cloudant._2to3",
    "cloudant._messages",
]

#: Underscore names that programs and test suites import from each module ([I] in the API reference).
INTERNAL_NAMES: Dict[str, List[str]] = {
    "cloudant._client_session": ["Session"],
    "cloudant._common_util": ["_Code"],
    "cloudant._2to3": ["PY2", "STRTYPE", "UNITYPE", "LONGTYPE", "NONETYPE", "url_quote", "url_quote_plus",
                       "url_parse", "url_join", "RawConfigParser", "Cookie", "iteritems_", "next_", "bytes_",
                       "unicode_"],
}

#: Underscore attributes read or patched on classes ([I]).
INTERNAL_CLASS_ATTRIBUTES: Dict[str, List[str]] = {
    "CouchDB": ["_DATABASE_CLASS"],
    "Cloudant": ["_DATABASE_CLASS"],
    "Feed": ["_translate"],
    "InfiniteFeed": ["_translate"],
}

#: Underscore attributes read on instances ([I]), checked on objects built without a server.
INTERNAL_INSTANCE_ATTRIBUTES: Dict[str, List[str]] = {
    "CouchDB": ["_user", "_auth_token", "_client_user_header"],
    "Cloudant": ["_user", "_auth_token", "_client_user_header"],
    "CouchDatabase": ["_fetch_limit", "_partitioned", "_database_host"],
    "CloudantDatabase": ["_fetch_limit", "_partitioned", "_database_host"],
    "Document": ["_client", "_database", "_database_host", "_database_name"],
    "DesignDocument": ["_client", "_database", "_database_host", "_database_name"],
    "View": ["_r_session", "_partition_key"],
    "Query": ["_database", "_r_session", "_encoder", "_partition_key"],
    "Feed": ["_url", "_r_session", "_raw_data", "_options", "_chunk_size"],
    "InfiniteFeed": ["_url", "_r_session", "_raw_data", "_options", "_chunk_size"],
    "Result": ["_ref", "_page_size"],
    "QueryResult": ["_ref", "_page_size"],
    "IAMSession": ["_token_url", "_api_key"],
}

#: Attributes that are neither API nor worth comparing.
IGNORED_MEMBERS = {"__dict__", "__weakref__", "__module__", "__doc__", "__init__", "__new__", "__annotations__",
                   "__slots__", "__qualname__", "__firstlineno__", "__static_attributes__", "__orig_bases__",
                   "__parameters__", "__abstractmethods__", "_abc_impl", "__hash__", "__attrs__",
                   "__class_getitem__", "__init_subclass__", "__subclasshook__"}

#: ``dict`` methods whose signature ``inspect`` cannot read: they take no argument.
NO_ARGUMENT_DICT_METHODS = ("keys", "values", "items", "copy", "clear")

SIMPLE_TYPES = (str, int, float, bool, type(None))
URL = "http://127.0.0.1:5984"


def clean_repr(value: Any) -> str:
    """``repr(value)`` without memory addresses, so two runs give the same text."""
    return re.sub(r" at 0x[0-9a-fA-F]+", " at 0x...", repr(value))


def qualified(obj: Any) -> str:
    """``module.qualname`` of a class or function."""
    return "%s.%s" % (getattr(obj, "__module__", "?"), getattr(obj, "__qualname__", getattr(obj, "__name__", "?")))


def describe_signature(obj: Callable[..., Any]) -> Optional[List[Dict[str, str]]]:
    """The parameters of ``obj`` in order: name, kind and (when it has one) the default's ``repr``."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = []
    for param in signature.parameters.values():
        entry = {"name": param.name, "kind": param.kind.name}
        if param.default is not inspect.Parameter.empty:
            entry["default"] = clean_repr(param.default)
        params.append(entry)
    return params


def describe_value(value: Any) -> Dict[str, Any]:
    """Type and, for scalars, the ``repr`` of a module or class constant."""
    entry: Dict[str, Any] = {"kind": "data", "type": type(value).__name__}
    if isinstance(value, SIMPLE_TYPES):
        entry["value"] = clean_repr(value)
    return entry


def describe_member(raw: Any) -> Dict[str, Any]:
    """Kind and signature of one class attribute as stored in the defining class's ``__dict__``."""
    if isinstance(raw, property):
        return {"kind": "property", "setter": raw.fset is not None, "deleter": raw.fdel is not None}
    if isinstance(raw, classmethod):
        return {"kind": "classmethod", "params": describe_signature(raw.__func__)}
    if isinstance(raw, staticmethod):
        return {"kind": "staticmethod", "params": describe_signature(raw.__func__)}
    if inspect.isclass(raw):
        return {"kind": "class", "origin": qualified(raw)}
    if inspect.isfunction(raw):
        return {"kind": "method", "params": describe_signature(raw)}
    if isinstance(raw, type(dict.get)) and raw.__objclass__ is dict:
        params = describe_signature(raw)
        if params is None and raw.__name__ in NO_ARGUMENT_DICT_METHODS:
            params = [{"name": "self", "kind": "POSITIONAL_ONLY"}]
        return {"kind": "method", "params": params}
    if callable(raw) or inspect.isdatadescriptor(raw) or inspect.ismethoddescriptor(raw):
        return {"kind": "descriptor", "type": type(raw).__name__}
    return describe_value(raw)


def owner_of(cls: type, name: str) -> Optional[type]:
    """The first class in ``cls``'s MRO whose ``__dict__`` defines ``name``."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def wanted_member(cls: type, name: str, owner: type) -> bool:
    """Public names and dunders defined by the package's own classes, the public methods of ``dict`` (which
    an override must keep callable the same way), plus the listed internal attributes."""
    if name in INTERNAL_CLASS_ATTRIBUTES.get(cls.__name__, []):
        return True
    if owner is dict:
        return not name.startswith("_")
    if name in IGNORED_MEMBERS or not owner.__module__.startswith("cloudant"):
        return False
    is_dunder = name.startswith("__") and name.endswith("__")
    return is_dunder or not name.startswith("_")


def describe_class(cls: type) -> Dict[str, Any]:
    """Constructor parameters, bases and members of a class."""
    members: Dict[str, Any] = {}
    for name in sorted(set(dir(cls)) | set(INTERNAL_CLASS_ATTRIBUTES.get(cls.__name__, []))):
        owner = owner_of(cls, name)
        if owner is None or not wanted_member(cls, name, owner):
            continue
        entry = describe_member(vars(owner)[name])
        entry["defined_in"] = qualified(owner)
        members[name] = entry
    return {"kind": "class", "origin": qualified(cls), "params": describe_signature(cls),
            "mro": [qualified(klass) for klass in cls.__mro__], "members": members}


def describe_name(value: Any, module_name: str) -> Dict[str, Any]:
    """One module-level name: a module, a class (described where it is defined), a function or a constant."""
    if isinstance(value, types.ModuleType):
        return {"kind": "module", "origin": value.__name__}
    if inspect.isclass(value):
        if value.__module__ == module_name:
            return describe_class(value)
        return {"kind": "class", "origin": qualified(value)}
    if inspect.isroutine(value) or callable(value) and hasattr(value, "__wrapped__"):
        return {"kind": "function", "origin": qualified(value), "params": describe_signature(value)}
    return describe_value(value)


def describe_module(module: types.ModuleType) -> Dict[str, Any]:
    """Public and internal names of a module (``internal``: the listed ones, required even when imported)."""
    names = [name for name in dir(module) if not name.startswith("_")]
    names += [name for name in INTERNAL_NAMES.get(module.__name__, []) if hasattr(module, name)]
    if hasattr(module, "__version__"):
        names.append("__version__")
    return {"internal": sorted(INTERNAL_NAMES.get(module.__name__, [])),
            "names": {name: describe_name(getattr(module, name), module.__name__) for name in sorted(set(names))}}


class Unbuildable:
    """Stands for an object whose construction raised."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def build_instances() -> Dict[str, Any]:
    """Objects of the main classes, built as programs build them, without any request."""
    from cloudant import _client_session as sessions
    from cloudant.client import Cloudant, CouchDB
    from cloudant.database import CloudantDatabase, CouchDatabase
    from cloudant.design_document import DesignDocument
    from cloudant.document import Document
    from cloudant.error import CloudantArgumentError, CloudantException
    from cloudant.feed import Feed, InfiniteFeed
    from cloudant.index import Index, SpecialIndex, TextIndex
    from cloudant.query import Query
    from cloudant.result import QueryResult, Result, ResultByKey
    from cloudant.scheduler import Scheduler
    from cloudant.security_document import SecurityDocument
    from cloudant.view import QueryIndexView, View

    built: Dict[str, Any] = {}

    def make(label: str, factory: Callable[[], Any]) -> Any:
        try:
            built[label] = factory()
        except Exception as error:  # recorded: the test reports a class the project cannot build
            built[label] = Unbuildable(error)
        return built[label]

    couch = make("CouchDB", lambda: CouchDB("user", "pass", url=URL))
    cloud = make("Cloudant", lambda: Cloudant("user", "pass", url=URL))
    db = make("CouchDatabase", lambda: CouchDatabase(couch, "db"))
    cdb = make("CloudantDatabase", lambda: CloudantDatabase(cloud, "db"))
    make("Document", lambda: Document(db, "doc"))
    ddoc = make("DesignDocument", lambda: DesignDocument(db, "_design/ddoc"))
    make("View", lambda: View(ddoc, "view", "function (doc) { emit(doc._id, 1); }"))
    make("QueryIndexView", lambda: QueryIndexView(ddoc, "qview", {"fields": [{"name": "asc"}]}, "_count"))
    query = make("Query", lambda: Query(db, selector={"name": {"$exists": True}}))
    make("Index", lambda: Index(db, "ddoc", "index", fields=["name"]))
    make("TextIndex", lambda: TextIndex(cdb, "ddoc", "index"))
    make("SpecialIndex", lambda: SpecialIndex(db))
    make("Result", lambda: Result(db.all_docs, include_docs=True))
    make("QueryResult", lambda: QueryResult(query))
    make("ResultByKey", lambda: ResultByKey(1))
    make("Feed", lambda: Feed(db))
    make("InfiniteFeed", lambda: InfiniteFeed(db))
    make("SecurityDocument", lambda: SecurityDocument(db))
    make("Scheduler", lambda: Scheduler(couch))
    make("ClientSession", lambda: sessions.ClientSession())
    make("BasicSession", lambda: sessions.BasicSession("user", "pass", URL))
    make("CookieSession", lambda: sessions.CookieSession("user", "pass", URL))
    make("IAMSession", lambda: sessions.IAMSession("key", URL))
    make("CloudantException", lambda: CloudantException("message", 500))
    make("CloudantArgumentError", lambda: CloudantArgumentError(101, 2020, 13))
    return built


def describe_instances() -> Dict[str, Any]:
    """Public instance attributes (from ``vars``) and the listed internal ones of each built object."""
    described: Dict[str, Any] = {}
    for label, obj in build_instances().items():
        if isinstance(obj, Unbuildable):
            described[label] = {"error": clean_repr(obj.error)}
            continue
        names = [name for name in vars(obj) if not name.startswith("_")]
        names += [name for name in INTERNAL_INSTANCE_ATTRIBUTES.get(label, []) if hasattr(obj, name)]
        described[label] = {"class": qualified(type(obj)), "attributes": sorted(set(names))}
    return described


def snapshot() -> Dict[str, Any]:
    """The whole surface: ``modules`` (name → names) and ``instances`` (class name → attributes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import importlib
        modules = {name: describe_module(importlib.import_module(name)) for name in MODULES}
        instances = describe_instances()
    import cloudant
    return {"package": "cloudant", "version": getattr(cloudant, "__version__", None),
            "python": "%d.%d" % sys.version_info[:2], "modules": modules, "instances": instances}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", metavar="FILE", help="write the snapshot to FILE instead of printing it")
    args = parser.parse_args(argv)
    text = json.dumps(snapshot(), indent=1, sort_keys=True) + "\n"
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as output:
            output.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
