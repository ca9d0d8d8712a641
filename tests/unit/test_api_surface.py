"""The API surface of python-cloudant 2.15.0, checked against this package by introspection.

``tests/compat/python-cloudant-2.15.0-api.json`` is a record of the predecessor's modules, names, signatures,
class members and instance attributes, written by ``tests/compat/api_surface.py --dump`` run with 2.15.0's
interpreter (``bench/setup_predecessor.py`` builds it). The same script describes the package under test, and
every difference that could break a program written for 2.15.0 is reported:

* a module, name, class member or instance attribute 2.15.0 had is missing (imports of other libraries that
  a module merely happens to hold, such as ``json``, are not API unless the reference lists them);
* a re-exported name is another object than where 2.15.0 defined it (``cloudant.database.Query`` is
  ``cloudant.query.Query``);
* a parameter 2.15.0 had is not in the same position with the same name, kind and default (a default where
  2.15.0 had none is fine); new parameters must come after them and have defaults; ``*args`` and
  ``**kwargs`` stay where 2.15.0 had them;
* a base class, a property (and its setter), a method's kind (plain, class or static) or a scalar constant
  changed.

Differences kept on purpose are listed in :data:`ALLOWED` with their reason; an entry that no longer matches
a difference fails too, so the table only shrinks.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

import pytest

COMPAT = Path(__file__).resolve().parent.parent / "compat"
SNAPSHOT = COMPAT / "python-cloudant-2.15.0-api.json"

#: Location of a difference → why it is kept. Locations are what the failure messages start with.
ALLOWED: Dict[str, str] = {
    "cloudant.__version__": "the package's own version number",
    "cloudant._common_util.USER_AGENT": "carries the package's own version number",
    "cloudant.client.USER_AGENT": "carries the package's own version number",
}

POSITIONAL = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
Problem = Tuple[str, str]


def load_surface_script() -> ModuleType:
    """``tests/compat/api_surface.py``, loaded by path (``tests/compat`` need not be a package)."""
    spec = importlib.util.spec_from_file_location("api_surface", COMPAT / "api_surface.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def show_param(param: Dict[str, str]) -> str:
    """``name=default`` with ``*``/``**`` for variadic and ``/`` or ``*,`` markers for the other kinds."""
    text = param["name"] + ("=" + param["default"] if "default" in param else "")
    return {"VAR_POSITIONAL": "*" + text, "VAR_KEYWORD": "**" + text, "KEYWORD_ONLY": "*, " + text,
            "POSITIONAL_ONLY": text + " /"}.get(param["kind"], text)


def show_signature(params: List[Dict[str, str]]) -> str:
    """A parameter list as a ``def`` line writes it."""
    shown: List[str] = []
    for index, param in enumerate(params):
        text = show_param(param)
        if param["kind"] == "KEYWORD_ONLY" and index and params[index - 1]["kind"] in ("KEYWORD_ONLY",
                                                                                       "VAR_POSITIONAL"):
            text = text[3:]
        if param["kind"] == "POSITIONAL_ONLY" and index + 1 < len(params) and \
                params[index + 1]["kind"] == "POSITIONAL_ONLY":
            text = text[:-2]
        shown.append(text)
    return "(" + ", ".join(shown) + ")"


def compare_positional(old: List[Dict[str, str]], new: List[Dict[str, str]], has_var: bool) -> List[str]:
    """Each old positional parameter at the same index in ``new``; extra ones optional and not before ``*args``."""
    found = []
    for index, was in enumerate(old):
        now = new[index] if index < len(new) else None
        if now is None:
            found.append("positional parameter %d `%s` is missing" % (index, show_param(was)))
        elif was["kind"] != "POSITIONAL_ONLY" and (now["name"] != was["name"] or now["kind"] != was["kind"]):
            found.append("positional parameter %d was `%s`, is `%s`" % (index, show_param(was), show_param(now)))
        elif "default" in was and now.get("default") != was["default"]:
            found.append("default of `%s` was %s, is %s" % (was["name"], was["default"], now.get("default")))
    for extra in new[len(old):]:
        if has_var:
            found.append("new positional parameter `%s` takes what went to *args" % show_param(extra))
        elif "default" not in extra:
            found.append("new positional parameter `%s` has no default" % show_param(extra))
    return found


def compare_keywords(old: List[Dict[str, str]], new: List[Dict[str, str]]) -> List[str]:
    """Keyword-only parameters kept with their defaults; new keyword-only ones optional."""
    found = []
    by_name = {param["name"]: param for param in new if param["kind"] in ("KEYWORD_ONLY", "POSITIONAL_OR_KEYWORD")}
    old_names = {param["name"] for param in old}
    for was in old:
        now = by_name.get(was["name"])
        if now is None:
            found.append("keyword parameter `%s` is missing" % show_param(was))
        elif "default" in was and now.get("default") != was["default"]:
            found.append("default of `%s` was %s, is %s" % (was["name"], was["default"], now.get("default")))
    for extra in new:
        if extra["kind"] == "KEYWORD_ONLY" and extra["name"] not in old_names and "default" not in extra:
            found.append("new keyword-only parameter `%s` has no default" % extra["name"])
    return found


def compare_params(old: Optional[List[Dict[str, str]]], new: Optional[List[Dict[str, str]]]) -> List[str]:
    """Why a call written for ``old`` could bind differently (or fail) against ``new``; empty when it cannot."""
    if old is None:
        return []
    if new is None:
        return ["the signature cannot be read"]

    def of_kind(params: List[Dict[str, str]], *kinds: str) -> List[Dict[str, str]]:
        return [param for param in params if param["kind"] in kinds]

    has_var = bool(of_kind(old, "VAR_POSITIONAL"))
    found = compare_positional(of_kind(old, *POSITIONAL), of_kind(new, *POSITIONAL), has_var)
    found += compare_keywords(of_kind(old, "KEYWORD_ONLY"), new)
    for kind, label in (("VAR_POSITIONAL", "*args"), ("VAR_KEYWORD", "**kwargs")):
        if of_kind(old, kind) and not of_kind(new, kind):
            found.append("%s is gone" % label)
    if found:
        found.append("2.15.0 %s, now %s" % (show_signature(old), show_signature(new)))
    return found


def compare_member(old: Dict[str, Any], new: Dict[str, Any]) -> List[str]:
    """A class attribute: same kind, compatible signature, properties keep their setter."""
    if old["kind"] != new["kind"] and old["kind"] != "descriptor":
        return ["was a %s, is a %s" % (old["kind"], new["kind"])]
    if old["kind"] == "property" and old["setter"] and not new["setter"]:
        return ["the property lost its setter"]
    if old["kind"] in ("method", "classmethod", "staticmethod"):
        return compare_params(old["params"], new["params"])
    if old["kind"] == "class" and old["origin"] != new["origin"]:
        return ["was %s, is %s" % (old["origin"], new["origin"])]
    return compare_data(old, new)


def compare_data(old: Dict[str, Any], new: Dict[str, Any]) -> List[str]:
    """A constant: same type, same value when it is a scalar."""
    if old["kind"] != "data":
        return []
    if old["type"] != new.get("type"):
        return ["was of type %s, is %s" % (old["type"], new.get("type"))]
    if "value" in old and old["value"] != new.get("value"):
        return ["was %s, is %s" % (old["value"], new.get("value"))]
    return []


class Current:
    """Describes the package under test on demand, with the same functions that wrote the snapshot."""

    def __init__(self) -> None:
        self.script = load_surface_script()
        self._instances: Optional[Dict[str, Any]] = None

    def resolve(self, dotted: str) -> Any:
        """The object at ``package.module.Class`` in the package under test, or None."""
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                value: Any = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for part in parts[cut:]:
                value = getattr(value, part, None)
            return value
        return None

    def member(self, cls: type, name: str) -> Optional[Dict[str, Any]]:
        owner = self.script.owner_of(cls, name)
        return None if owner is None else self.script.describe_member(vars(owner)[name])

    @property
    def instances(self) -> Dict[str, Any]:
        """The objects ``api_surface.build_instances`` builds, built once."""
        if self._instances is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._instances = self.script.build_instances()
        return self._instances


def compare_class(where: str, old: Dict[str, Any], cls: type, current: Current) -> List[Problem]:
    """Constructor, bases and members of one class."""
    found = [(where, problem) for problem in compare_params(old["params"], current.script.describe_signature(cls))]
    mro = {current.script.qualified(klass) for klass in cls.__mro__}
    found += [(where, "no longer derives from %s" % base) for base in old["mro"][1:] if base not in mro]
    for name, was in sorted(old["members"].items()):
        now = current.member(cls, name)
        if now is None:
            found.append(("%s.%s" % (where, name), "is missing"))
        else:
            found += [("%s.%s" % (where, name), problem) for problem in compare_member(was, now)]
    return found


def required(module_name: str, name: str, old: Dict[str, Any], internal: List[str]) -> bool:
    """Whether programs may import ``name``: the package's own objects, constants and the listed imports."""
    if name in internal or old["kind"] == "data":
        return True
    return str(old.get("origin", "")).startswith("cloudant")


def compare_name(module: ModuleType, name: str, old: Dict[str, Any], current: Current) -> List[Problem]:
    """One module-level name of 2.15.0 against what the package under test has there."""
    where = "%s.%s" % (module.__name__, name)
    value = getattr(module, name)
    origin = old.get("origin", "")
    if old["kind"] in ("class", "function") and origin != where:
        target = current.resolve(origin)
        if target is not None:
            return [] if value is target else [(where, "is not %s" % origin)]
    if old["kind"] == "class" and "members" in old:
        if not isinstance(value, type):
            return [(where, "is not a class")]
        return compare_class(where, old, value, current)
    if old["kind"] == "function" and "params" in old:
        if not callable(value):
            return [(where, "is not callable")]
        return [(where, problem) for problem in compare_params(old["params"], current.script.describe_signature(value))]
    if old["kind"] == "data":
        return [(where, problem) for problem in compare_data(old, current.script.describe_value(value))]
    return []


def compare_module(module_name: str, old: Dict[str, Any], current: Current) -> List[Problem]:
    """Every required name of one module present and compatible."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return [(module_name, "cannot be imported: %s" % error)]
    found: List[Problem] = []
    for name, was in sorted(old["names"].items()):
        if not required(module_name, name, was, old["internal"]):
            continue
        if not hasattr(module, name):
            found.append(("%s.%s" % (module_name, name), "is missing"))
        else:
            found += compare_name(module, name, was, current)
    return found


def compare_instances(old: Dict[str, Any], current: Current) -> List[Problem]:
    """The attributes that objects built without a server had in 2.15.0."""
    found: List[Problem] = []
    for label, was in sorted(old.items()):
        where = "instance of %s" % was.get("class", label)
        built = current.instances.get(label)
        if built is None or isinstance(built, current.script.Unbuildable):
            found.append((where, "cannot be built: %r" % getattr(built, "error", None)))
            continue
        found += [("%s.%s" % (where, name), "is missing") for name in was.get("attributes", [])
                  if not hasattr(built, name)]
    return found


def report(problems: List[Problem]) -> str:
    return "\n".join("%s: %s" % problem for problem in problems)


@pytest.fixture(scope="module")
def snapshot() -> Dict[str, Any]:
    with SNAPSHOT.open(encoding="utf-8") as listing:
        return json.load(listing)


@pytest.fixture(scope="module")
def current() -> Current:
    return Current()


def all_problems(snapshot: Dict[str, Any], current: Current) -> List[Problem]:
    found: List[Problem] = []
    for module_name, old in sorted(snapshot["modules"].items()):
        found += compare_module(module_name, old, current)
    return found + compare_instances(snapshot["instances"], current)


def test_snapshot_is_of_the_predecessor(snapshot: Dict[str, Any], current: Current) -> None:
    assert snapshot["version"] == "2.15.0"
    assert sorted(snapshot["modules"]) == sorted(current.script.MODULES)


@pytest.mark.parametrize("module_name", load_surface_script().MODULES)
def test_module_surface_matches_predecessor(module_name: str, snapshot: Dict[str, Any], current: Current) -> None:
    problems = [problem for problem in compare_module(module_name, snapshot["modules"][module_name], current)
                if problem[0] not in ALLOWED]
    assert not problems, "differences from python-cloudant 2.15.0:\n" + report(problems)


def test_instance_attributes_match_predecessor(snapshot: Dict[str, Any], current: Current) -> None:
    problems = [problem for problem in compare_instances(snapshot["instances"], current)
                if problem[0] not in ALLOWED]
    assert not problems, "differences from python-cloudant 2.15.0:\n" + report(problems)


def test_every_allowed_difference_still_exists(snapshot: Dict[str, Any], current: Current) -> None:
    locations = {location for location, _ in all_problems(snapshot, current)}
    stale = sorted(set(ALLOWED) - locations)
    assert not stale, "no longer different, drop from ALLOWED: %s" % stale


def params(text: str) -> List[Dict[str, str]]:
    """Parameter records from a ``def`` line's parameter list, as the snapshot holds them."""
    namespace: Dict[str, Any] = {}
    exec("def f(%s): pass" % text, namespace)  # noqa: S102 - literal test input
    return load_surface_script().describe_signature(namespace["f"])


@pytest.mark.parametrize("old, new", [
    ("self, key, remote=False", "self, key, remote=False"),
    ("self, key, remote=False", "self, key, remote=False, default=None"),
    ("self, key, remote=False", "self, key, remote=False, *, timeout=None, **kwargs"),
    ("self, key, remote", "self, key, remote=False"),
    ("code=100, *args", "code=100, *args, **kwargs"),
    ("self, **kwargs", "self, *, encoder=None, **kwargs"),
    ("self, key, default=None, /", "self, name, default=None, remote=False"),
])
def test_compatible_signatures_pass(old: str, new: str) -> None:
    assert compare_params(params(old), params(new)) == []


@pytest.mark.parametrize("old, new, expected", [
    ("self, key, remote=False", "self, key, default=None, remote=False", "positional parameter 2 was"),
    ("self, key, remote=False", "self, key, remote=True", "default of `remote` was False, is True"),
    ("self, key, remote=False", "self, key, *, remote=False", "positional parameter 2 `remote=False` is missing"),
    ("self, key", "self, key, extra", "has no default"),
    ("code=100, *args", "code=100, extra=None, *args", "takes what went to *args"),
    ("self, **kwargs", "self, encoder=None", "**kwargs is gone"),
    ("self, *, limit=None", "self", "keyword parameter `*, limit=None` is missing"),
    ("msg, code=None", "msg", "positional parameter 1 `code=None` is missing"),
])
def test_incompatible_signatures_are_reported(old: str, new: str, expected: str) -> None:
    found = compare_params(params(old), params(new))
    assert any(expected in problem for problem in found), found
    assert found[-1].startswith("2.15.0 (")


def test_names_2_15_0_imported_resolve_lazily_patch_and_unknown_names_still_raise() -> None:
    import cloudant.database
    import cloudant.feed
    from cloudant.database import Query as LegacyQuery
    from cloudant.query import Query

    assert LegacyQuery is Query
    with mock.patch("cloudant.feed.next_") as patched:
        assert cloudant.feed.next_ is patched
    assert cloudant.feed.next_ is importlib.import_module("cloudant._2to3").next_
    with pytest.raises(AttributeError, match="no_such_name"):
        cloudant.database.no_such_name  # noqa: B018 - the lookup is the test
    with pytest.raises(ImportError):
        exec("from cloudant.database import no_such_name", {})  # noqa: S102 - literal test input
