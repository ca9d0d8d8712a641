"""The floor: the fewest HTTP calls each job needs, made with a bare :class:`requests.Session`.

Nothing here depends on the library or its defaults (page sizes, chunk sizes, paging strategy): the floor is
what a careful caller who knows CouchDB writes by hand. Every body is decoded with one :func:`json.loads` on
the raw bytes; every non-2xx answer raises.

* rows (``_all_docs``, a view): pages of ``page_size`` rows asked for with one extra row (``limit=page_size+1``);
  the next page starts at the extra row (``startkey`` = its key as JSON, ``startkey_docid`` = its id), so the
  server never walks a skipped row;
* a Mango query: ``_find`` pages of ``limit=page_size``, each from the previous page's ``bookmark`` (``skip``
  only on a server that sends none, as pouchdb-server 4.2.0);
* a ``_changes`` feed: one ``feed=continuous`` request read line by line, one :func:`json.loads` per line;
* a write: ``_bulk_docs`` in batches.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Mapping, Optional

import requests

from _common import get_json, post_json

#: Bytes per read of a streamed feed. A backlog arrives at once, so the bare reader asks for large reads (the
#: default of ``iter_lines``, 512 bytes, would cost several times more CPU): the floor's own choice.
FEED_CHUNK = 64 * 1024
#: Continuous feeds are asked for uncompressed: a server that gzips them (pouchdb-server) holds the tail of a
#: backlog in its compression buffer.
IDENTITY = {"Accept-Encoding": "identity"}


def key_pages(session: requests.Session, url: str, page_size: int, params: Mapping[str, Any], field: str,
              each: Optional[Callable[[Any], Any]] = None) -> int:
    """Page through the rows of ``url`` by key, taking ``row[field]`` of each (and handing it to ``each``).
    Returns the number of rows."""
    count, start, limit = 0, {}, page_size + 1
    while True:
        rows = get_json(session, url, params=dict(params, limit=limit, **start))["rows"]
        if each is None:
            for row in rows[:page_size]:
                _ = row[field]
        else:
            for row in rows[:page_size]:
                each(row[field])
        if len(rows) <= page_size:
            return count + len(rows)
        count += page_size
        held = rows[page_size]
        start = {"startkey": json.dumps(held["key"]), "startkey_docid": held["id"]}


def all_docs(session: requests.Session, db_url: str, page_size: int,
             each: Optional[Callable[[Any], Any]] = None) -> int:
    """Every document of a database, ``include_docs=true``; each document is taken from its row (and handed to
    ``each``)."""
    return key_pages(session, db_url + "/_all_docs", page_size, {"include_docs": "true"}, "doc", each)


def view_rows(session: requests.Session, view_url: str, page_size: int) -> int:
    """Every row of a view."""
    return key_pages(session, view_url, page_size, {}, "value")


def find(session: requests.Session, db_url: str, selector: Dict[str, Any], page_size: int) -> int:
    """Every document a Mango query selects, by bookmark. Returns the number of documents."""
    url, count, place = db_url + "/_find", 0, {}
    while True:
        page = post_json(session, url, dict({"selector": selector, "limit": page_size}, **place))
        docs: List[Any] = page["docs"]
        count += len(docs)
        if len(docs) < page_size:
            return count
        bookmark = page.get("bookmark")
        if bookmark is None:
            place = {"skip": count}
        elif not bookmark or bookmark == place.get("bookmark"):
            return count
        else:
            place = {"bookmark": bookmark}


def changes(session: requests.Session, db_url: str, limit: int, stop_after: int) -> int:
    """``limit`` changes from a continuous feed, line by line; stops after ``stop_after`` changes (a server that
    ignores ``limit`` on a continuous feed never ends it). Returns the number of changes.
    """
    count = 0
    with session.get(db_url + "/_changes", params={"feed": "continuous", "limit": limit}, stream=True,
                     headers=IDENTITY, timeout=(30, 60)) as response:
        response.raise_for_status()
        for line in response.iter_lines(chunk_size=FEED_CHUNK):
            if line and "seq" in json.loads(line):
                count += 1
                if count == stop_after:
                    break
    return count


def bulk_write(session: requests.Session, db_url: str, docs: List[Dict[str, Any]], batch_size: int) -> None:
    """Write ``docs`` with ``_bulk_docs`` in batches of ``batch_size``; raises if any document failed."""
    url = db_url + "/_bulk_docs"
    for start in range(0, len(docs), batch_size):
        check_written(post_json(session, url, {"docs": docs[start:start + batch_size]}))


def check_written(results: List[Dict[str, Any]]) -> None:
    """Raise when a ``_bulk_docs`` answer reports an error for any document."""
    failed = [result for result in results if "error" in result]
    if failed:
        raise AssertionError("bulk write failed for %d documents, e.g. %r" % (len(failed), failed[0]))


# -- small calls -----------------------------------------------------------------------------------------------
def head(session: requests.Session, url: str) -> None:
    """``HEAD``: does the database exist (what ``client[db]`` asks)."""
    session.head(url).raise_for_status()


def get(session: requests.Session, url: str) -> Any:
    """``GET`` and decode (database metadata, ``_all_dbs``, one document)."""
    return get_json(session, url)


def normal_changes(session: requests.Session, db_url: str, limit: int) -> int:
    """``limit`` changes of a normal feed: one request, one :func:`json.loads` of the whole body."""
    return len(get_json(session, db_url + "/_changes", params={"limit": limit})["results"])
