"""Mango query indexes: :class:`Index` (``json``), :class:`TextIndex` (``text``), :class:`SpecialIndex`.

An index object describes one index of a database; :meth:`Index.create`
sends ``POST /{db}/_index`` and :meth:`Index.delete` sends
``DELETE /{db}/_index/{ddoc}/{type}/{name}``. The definition is checked before
anything is sent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Type, Union

from ._endpoint import DESIGN_PREFIX, Endpoint
from ._types import JsonObject
from ._params import JSON_INDEX_ARGS, LEGACY_TEXT_INDEX_TYPES, TEXT_INDEX_ARGS, check_type, design_document_id
from .error import CloudantArgumentError, CloudantDatabaseException, CloudantIndexException
from .view import SessionAttribute, json_request, with_own_session

if TYPE_CHECKING:
    from .client import CouchDB
    from .database import CouchDatabase

from ._legacy import module_getattr as _module_getattr

__getattr__ = _module_getattr(__name__)  # names python-cloudant 2.15.0 imported into this module
__all__ = ["Index", "TextIndex", "SpecialIndex"]

JSON_INDEX_TYPE = "json"
TEXT_INDEX_TYPE = "text"
SPECIAL_INDEX_TYPE = "special"


class Index:
    """A Mango ``json`` index (a view over the listed fields).

    :param database: the :class:`~cloudant.database.CouchDatabase`.
    :param str design_document_id: the design document to hold the index
        (with or without ``_design/``); the server picks one when omitted.
    :param str name: the index name; the server picks one when omitted.
    :param bool partitioned: create a partitioned (``True``) or global
        (``False``) index in a partitioned database; ``None`` leaves it to the server.
    :param kwargs: the definition: ``fields`` (required, e.g. ``["name", {"age": "desc"}]``)
        and optionally ``partial_filter_selector``.

    .. versionchanged:: 3.0
       ``partial_filter_selector`` is accepted besides ``fields``; the design
       document id and name are quoted in the ``DELETE`` URL; the session is
       read from the client at each call, unless assigned to ``_r_session``.
    """

    _type = JSON_INDEX_TYPE
    _r_session = SessionAttribute()

    def __init__(self, database: CouchDatabase, design_document_id: Optional[str] = None, name: Optional[str] = None,
                 partitioned: Optional[bool] = None, **kwargs: Any) -> None:
        self._database = database
        self._ddoc_id = design_document_id
        self._name = name
        self._partitioned = partitioned
        self._def: Dict[str, Any] = kwargs

    def __repr__(self) -> str:
        return "<%s %s %r>" % (type(self).__name__, self._database.database_name, self.as_a_dict())

    @property
    def _endpoint(self) -> Endpoint:
        return with_own_session(self, self._database._endpoint.child("_index"))

    def _client_of_session(self) -> CouchDB:
        client: CouchDB = self._database.client
        return client

    @property
    def index_url(self) -> str:
        """The ``/{db}/_index`` URL."""
        return self._endpoint.url

    @property
    def design_document_id(self) -> Optional[str]:
        """The id of the design document holding the index (known after :meth:`create`)."""
        return self._ddoc_id

    @property
    def name(self) -> Optional[str]:
        """The index name (known after :meth:`create`)."""
        return self._name

    @property
    def type(self) -> str:
        """``json``, ``text`` or ``special``."""
        return self._type

    @property
    def definition(self) -> Dict[str, Any]:
        """The index definition (``fields``...)."""
        return self._def

    @property
    def partitioned(self) -> Optional[bool]:
        """Whether the index is partitioned (``None``: not said)."""
        return self._partitioned

    def as_a_dict(self) -> Dict[str, Any]:
        """Return ``{"ddoc", "name", "type", "def"}``, plus ``"partitioned": True`` for a partitioned index."""
        index: Dict[str, Any] = {"ddoc": self._ddoc_id, "name": self._name, "type": self._type, "def": self._def}
        if self._partitioned:
            index["partitioned"] = True
        return index

    def create(self) -> None:
        """Create the index (``POST /{db}/_index``); an identical existing index is kept as is.

        Afterwards :attr:`design_document_id` and :attr:`name` hold the server's values.

        :raises CloudantArgumentError: 122/123 for a design document id or name
            that is not a str, 124 for a JSON index definition other than
            ``fields`` (and ``partial_filter_selector``), 127 for an unknown text
            index definition key, 128 for a wrong type; nothing is sent.
        """
        payload = self._payload()
        endpoint = self._endpoint
        response = endpoint.json_object("POST", **json_request(payload, endpoint.client.encoder))
        self._ddoc_id = response.get("id", self._ddoc_id)
        self._name = response.get("name", self._name)

    def _payload(self) -> Dict[str, Any]:
        self._check_names()
        self._check_definition()
        payload: Dict[str, Any] = {"type": self._type, "index": self._def}
        if self._ddoc_id:
            payload["ddoc"] = self._ddoc_id[len(DESIGN_PREFIX):] if self._ddoc_id.startswith(
                DESIGN_PREFIX) else self._ddoc_id
        if self._name:
            payload["name"] = self._name
        if self._partitioned is not None:
            payload["partitioned"] = bool(self._partitioned)
        return payload

    def _check_names(self) -> None:
        if self._ddoc_id and not isinstance(self._ddoc_id, str):
            raise CloudantArgumentError(122, self._ddoc_id)
        if self._name and not isinstance(self._name, str):
            raise CloudantArgumentError(123, self._name)

    def _check_definition(self) -> None:
        """A JSON index takes ``fields`` (and CouchDB 3's ``partial_filter_selector``); the server judges values."""
        if "fields" not in self._def or any(key not in JSON_INDEX_ARGS for key in self._def):
            raise CloudantArgumentError(124, self._def)

    def delete(self) -> None:
        """Delete the index (``DELETE /{db}/_index/{ddoc}/{type}/{name}``).

        :raises CloudantArgumentError: 125 without a design document id, 126
            without a name; nothing is sent.
        :raises NotFound: when there is no such index.
        """
        if not self._ddoc_id:
            raise CloudantArgumentError(125)
        if not self._name:
            raise CloudantArgumentError(126)
        self._check_names()
        ddoc_id = design_document_id(self._ddoc_id)
        # The whole design document id is one quoted segment: CouchDB also takes it bare, pouchdb-server only so.
        self._endpoint.child(ddoc_id, self._type, self._name).json("DELETE")


class TextIndex(Index):
    """A Mango ``text`` index, served by the search engine (IBM Cloudant, CouchDB with search).

    :param kwargs: the definition, all optional: ``fields`` (list of
        ``{"name", "type"}``), ``default_field`` (dict), ``selector`` (dict),
        ``analyzer``, ``index_array_lengths``, ``partial_filter_selector``;
        an empty definition indexes every field. ``partitioned`` may be given too.

    .. versionchanged:: 3.0
       ``analyzer``, ``index_array_lengths`` and ``partial_filter_selector`` are accepted.
    """

    _type = TEXT_INDEX_TYPE

    def _check_definition(self) -> None:
        for key, value in self._def.items():
            if key not in TEXT_INDEX_ARGS:
                raise CloudantArgumentError(127, key)
            check_type(key, value, TEXT_INDEX_ARGS[key], code=128, shown=LEGACY_TEXT_INDEX_TYPES.get(key))


class SpecialIndex(Index):
    """The built-in ``_all_docs`` index: listed by the server, never created or deleted."""

    _type = SPECIAL_INDEX_TYPE

    def __init__(self, database: CouchDatabase, design_document_id: Optional[str] = None,
                 name: Optional[str] = "_all_docs",
                 **kwargs: Any) -> None:
        super().__init__(database, design_document_id, name, **kwargs)

    def create(self) -> None:
        """Not allowed: raises :class:`~cloudant.error.CloudantIndexException` (101)."""
        raise CloudantIndexException(101)

    def delete(self) -> None:
        """Not allowed: raises :class:`~cloudant.error.CloudantIndexException` (102)."""
        raise CloudantIndexException(102)


_CLASSES: Dict[str, Type[Index]] = {JSON_INDEX_TYPE: Index, TEXT_INDEX_TYPE: TextIndex,
                                    SPECIAL_INDEX_TYPE: SpecialIndex}


def index_class(index_type: Any) -> Type[Index]:
    """Return the class for ``json`` or ``text``; raise ``CloudantArgumentError(103)`` otherwise."""
    if index_type not in (JSON_INDEX_TYPE, TEXT_INDEX_TYPE):
        raise CloudantArgumentError(103, index_type)
    return _CLASSES[index_type]


def list_indexes(database: CouchDatabase, raw_result: bool = False) -> Union[JsonObject, List[Index]]:
    """Return the database's indexes (``GET /{db}/_index``) as index objects, or the raw JSON.

    :raises CloudantDatabaseException: code 101 for an index type this library does not know.
    """
    data = database._endpoint.child("_index").json_object()
    if raw_result:
        return data
    indexes: List[Index] = []
    for entry in data.get("indexes", []):
        cls = _CLASSES.get(entry.get("type"))
        if cls is None:
            raise CloudantDatabaseException(101, entry.get("type"))
        indexes.append(cls(database, entry.get("ddoc"), entry.get("name"),
                           partitioned=entry.get("partitioned"), **entry.get("def", {})))
    return indexes


def create_index(database: CouchDatabase, design_document_id: Optional[str] = None, index_name: Optional[str] = None,
                 index_type: str = JSON_INDEX_TYPE, partitioned: Optional[bool] = None, **kwargs: Any) -> Index:
    """Build an ``Index``/``TextIndex`` and create it on the server; return it.

    :raises CloudantArgumentError: 103 for an index type other than ``json``/``text``.
    """
    index = index_class(index_type)(database, design_document_id, index_name, partitioned=partitioned, **kwargs)
    index.create()
    return index


def delete_index(database: CouchDatabase, design_document_id: str, index_type: str, index_name: str) -> None:
    """Delete an index by design document id, type and name.

    :raises CloudantArgumentError: 103 for an index type other than ``json``/``text``.
    """
    index_class(index_type)(database, design_document_id, index_name).delete()
