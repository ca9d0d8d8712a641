"""``for doc in db``: every document of a database, read page by page, each one yielded as a document object.

The pages come from ``_all_docs?include_docs=true`` through the paging engine
(:func:`cloudant._paging.pages`, reading one page ahead). Their size is the
database's ``fetch_limit`` when a program set one; left at python-cloudant's
default of 100, the first page has 100 rows and the next ones are sized from
it: as many rows as fit in :data:`PAGE_BYTES` of JSON, between 1 and
:data:`MAX_PAGE_ROWS`. Small documents are then read 1,000 a request, and very
large ones a few at a time, so that memory stays bounded either way.

Each document object is built from the database's template (the attributes a
new :class:`~cloudant.document.Document` of that database has) rather than by
checking an id the server itself returned; design documents are built the
ordinary way. The database's cache keeps the last
:data:`~cloudant.database.ITERATION_CACHE_LIMIT` documents of the loop.
"""
from __future__ import annotations

from collections import deque
from itertools import compress
from operator import is_
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, Iterator, List, Mapping, Tuple

from . import codec as _codec
from ._endpoint import DESIGN_PREFIX
from ._paging import KeyPager, page_lists, rows_of
from ._read_ahead import can_read_ahead
from ._types import JsonObject
from .design_document import DesignDocument
from .document import Document
from .result import Result

if TYPE_CHECKING:
    from .database import CouchDatabase

__all__ = ["DEFAULT_FETCH_LIMIT", "MAX_PAGE_ROWS", "PAGE_BYTES", "documents"]

#: python-cloudant's ``fetch_limit`` default: left at it, pages are sized by :data:`PAGE_BYTES`.
DEFAULT_FETCH_LIMIT = 100
#: The JSON size pages aim at, when sized from the first page.
PAGE_BYTES = 4 * 1024 * 1024
#: The most rows a page sized from the first page has.
MAX_PAGE_ROWS = 1000
#: How many rows of the first page are measured.
_SAMPLE_ROWS = 20


def documents(database: CouchDatabase, cache_limit: int) -> Iterator[Document]:
    """Yield every document of ``database`` (design documents included), caching each one as it goes; the
    cache keeps the last ``cache_limit`` of them."""
    fetch: Callable[..., Mapping[str, Any]] = database.all_docs
    pager = KeyPager({"include_docs": True}, database._fetch_limit)
    if database._fetch_limit == DEFAULT_FETCH_LIMIT:
        fetch = _SizingFetch(fetch, pager)
    read_ahead = Result.read_ahead and can_read_ahead(database.all_docs)
    template = _template(database)
    new, update, store = Document.__new__, dict.update, dict.__setitem__
    # The ids and documents of the last pages, a pair of lists a page: the cache keeps cache_limit of them.
    recent: Deque[Tuple[List[str], List[Document]]] = deque()
    kept = 0
    for page in page_lists(fetch, pager, read_ahead):
        ids: List[str] = []
        yielded: List[Document] = []
        keep_id, keep = ids.append, yielded.append
        for row in page:
            content = row.get("doc")
            if content is None:
                continue
            doc_id = row["id"]
            if doc_id.startswith(DESIGN_PREFIX):
                doc: Document = DesignDocument(database, doc_id)
            else:
                doc = new(Document)
                doc.__dict__.update(template)
            update(doc, content)
            store(database, doc_id, doc)
            keep_id(doc_id)
            keep(doc)
            yield doc
        # Trimmed once a page, so the cache holds at most cache_limit documents of the loop plus one page.
        recent.append((ids, yielded))
        kept += len(ids)
        while kept > cache_limit:
            oldest_ids, oldest = recent[0]
            drop = min(len(oldest), kept - cache_limit)
            _uncache(database, oldest_ids[:drop], oldest[:drop])
            del oldest_ids[:drop], oldest[:drop]
            kept -= drop
            if not oldest:
                recent.popleft()


def _template(database: CouchDatabase) -> Dict[str, Any]:
    """The attributes of a new document of ``database``, none of them tied to an id.

    Its content is marked as not known to match the server's (``_synced`` None), as for every document
    iteration yields: an attachment call then keeps the local content instead of reading it again first.
    """
    template = dict(vars(Document(database)))
    template["_synced"] = None
    return template


def _uncache(database: CouchDatabase, ids: List[str], docs: List[Document]) -> None:
    """Drop each of ``docs`` from the cache, where it was stored under the matching one of ``ids``, unless the
    cache now holds another object under that id (the program stored or fetched one since)."""
    cached = dict.get.__get__(database)
    forget = dict.__delitem__.__get__(database)
    still_ours = map(is_, map(cached, ids), docs)
    deque(map(forget, compress(ids, still_ours)), maxlen=0)  # (loops in C: a page is up to 1,000 documents)


class _SizingFetch:
    """``all_docs`` that, after the first page, sizes the next pages from that page's rows."""

    __slots__ = ("_fetch", "_pager", "_sized")

    def __init__(self, fetch: Callable[..., Mapping[str, Any]], pager: KeyPager) -> None:
        self._fetch = fetch
        self._pager = pager
        self._sized = False

    def __call__(self, **request: Any) -> Mapping[str, Any]:
        reply = self._fetch(**request)
        if not self._sized:
            self._sized = True
            self._pager.resize(page_rows(rows_of(reply, "rows")))
        return reply


def page_rows(rows: Any) -> int:
    """The rows a page of :data:`PAGE_BYTES` holds, judged from a sample of ``rows``."""
    sample = rows[:_SAMPLE_ROWS]
    if not sample:
        return MAX_PAGE_ROWS
    size = sum(len(_encoded(row)) for row in sample) / len(sample)
    return max(1, min(MAX_PAGE_ROWS, int(PAGE_BYTES // max(size, 1))))


def _encoded(row: JsonObject) -> bytes:
    try:
        return _codec.dumps(row)
    except (TypeError, ValueError):  # a row the codec cannot encode (never one the server sent)
        return b"x" * 1024
