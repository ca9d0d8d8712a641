"""The benchmark's jobs done with IBM's ``ibmcloudant`` SDK, in its own virtualenv (optional).

``bench/run.py`` starts this script with ``bench/.venv-ibmcloudant/bin/python -I`` (made by
``bench/setup_ibmcloudant.py``) once per task, as :mod:`predecessor` (see :mod:`_side`). Each job uses the SDK's
natural calls, with HTTP Basic credentials (``BasicAuthenticator``) and the SDK's defaults otherwise (it gzips
request bodies):

* documents: ``post_all_docs(include_docs=True, limit=page+1, start_key=...)`` pages (the extra row starts the
  next page); a view: ``post_view(limit=page+1, start_key=..., start_key_doc_id=...)``; a query:
  ``post_find(limit=page, bookmark=...)``; writes: ``post_bulk_docs(BulkDocs(docs=[Document.from_dict(d)...]))``;
* changes: ``post_changes(limit=N)``, and ``post_changes_as_stream(feed='continuous', limit=N)`` read line by line
  with one ``json.loads`` per line (the SDK hands back the raw response);
* small calls: ``head_database``, ``get_database_information``, ``get_all_dbs``, ``get_document``.
"""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _side (``python -I`` leaves it off sys.path)

import _side  # noqa: E402
from _side import best_of, expect  # noqa: E402

FEED_CHUNK = 64 * 1024  # bytes per read of the continuous feed, as on the bare side
IDENTITY = {"Accept-Encoding": "identity"}


def connect(args: Dict[str, Any]) -> Any:
    from ibm_cloud_sdk_core.authenticators import BasicAuthenticator
    from ibmcloudant.cloudant_v1 import CloudantV1

    url, user, password = _side.server()
    if args.get("auth", "basic") == "basic":
        service = CloudantV1(authenticator=BasicAuthenticator(user, password))
    else:
        from ibmcloudant.couchdb_session_authenticator import CouchDbSessionAuthenticator

        service = CloudantV1(authenticator=CouchDbSessionAuthenticator(user, password))
    service.set_service_url(url)
    return service


def with_service(task: Callable[[Any, Dict[str, Any]], Dict[str, Any]]) -> Callable[[Dict[str, Any]], Any]:
    return lambda args: task(connect(args), args)


def key_pages(page: Callable[..., Any], page_size: int, start: Callable[[Dict[str, Any]], Dict[str, Any]]) -> int:
    """Call ``page(limit=..., **place)`` until a page holds no extra row; the number of rows read."""
    count, place = 0, {}
    while True:
        rows: List[Dict[str, Any]] = page(limit=page_size + 1, **place).get_result()["rows"]
        for row in rows[:page_size]:
            _ = row["doc" if "doc" in row else "value"]
        if len(rows) <= page_size:
            return count + len(rows)
        count += page_size
        place = start(rows[page_size])


def all_docs(service: Any, db: str, page_size: int) -> int:
    return key_pages(lambda **kw: service.post_all_docs(db=db, include_docs=True, **kw), page_size,
                     lambda row: {"start_key": row["id"]})


def task_iterate_db(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    return best_of(lambda: expect(all_docs(service, args["db"], args["page_size"]), args["docs"], "all_docs"),
                   args["reps"])


task_result = task_iterate_db  # the same job: every document, in pages of 1,000


def task_view(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    ddoc = args["ddoc"][len("_design/"):] if args["ddoc"].startswith("_design/") else args["ddoc"]

    def run() -> int:
        return key_pages(lambda **kw: service.post_view(db=args["db"], ddoc=ddoc, view=args["view"], **kw),
                         args["page_size"], lambda row: {"start_key": row["key"], "start_key_doc_id": row["id"]})
    return best_of(lambda: expect(run(), args["docs"], "post_view"), args["reps"])


def task_query(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    def run() -> int:
        count, place = 0, {}
        while True:
            page = service.post_find(db=args["db"], selector=args["selector"], limit=args["page_size"],
                                     **place).get_result()
            count += len(page["docs"])
            if len(page["docs"]) < args["page_size"]:
                return count
            bookmark = page.get("bookmark")
            if bookmark is None:  # a server without bookmarks (pouchdb-server)
                place = {"skip": count}
            elif not bookmark or bookmark == place.get("bookmark"):
                return count
            else:
                place = {"bookmark": bookmark}
    return best_of(lambda: expect(run(), args["docs"], "post_find"), args["reps"])


def task_bulk(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    from ibmcloudant.cloudant_v1 import BulkDocs, Document

    docs, size, state = _side.make_docs(args["docs"], "new"), args["batch_size"], {}

    def setup() -> None:
        state["db"] = "bench-write-%s" % uuid.uuid4().hex[:8]
        service.put_database(db=state["db"])

    def run() -> None:
        for start in range(0, len(docs), size):
            batch = BulkDocs(docs=[Document.from_dict(doc) for doc in docs[start:start + size]])
            if any("error" in result for result in service.post_bulk_docs(db=state["db"], bulk_docs=batch)
                   .get_result()):
                raise AssertionError("bulk write failed")

    return best_of(run, args["reps"], setup=setup, teardown=lambda: service.delete_database(db=state["db"]))


def task_changes(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    def run() -> None:
        expect(len(service.post_changes(db=args["db"], limit=args["docs"]).get_result()["results"]), args["docs"],
               "post_changes")
    return best_of(run, args["reps"])


def task_changes_cont(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    expected = args["expected"]

    def run() -> None:
        response = service.post_changes_as_stream(db=args["db"], feed="continuous", limit=args["docs"],
                                                  headers=IDENTITY).get_result()
        count = 0
        with response:
            for line in response.iter_lines(chunk_size=FEED_CHUNK):
                if line and "seq" in json.loads(line):
                    count += 1
                    if count == expected:  # pouchdb-server ignores limit on a continuous feed
                        break
        expect(count, expected, "post_changes_as_stream")
    return best_of(run, args["reps"])


def small_call(op: str) -> Callable[[Any, Dict[str, Any]], Dict[str, Any]]:
    def task(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
        db, doc_id, calls = args["db"], args["doc_id"], args["calls"]
        call = {"lookup": lambda: service.head_database(db=db),
                "metadata": lambda: service.get_database_information(db=db).get_result(),
                "all_dbs": lambda: service.get_all_dbs().get_result(),
                "doc": lambda: service.get_document(db=db, doc_id=doc_id).get_result()}[op]

        def run() -> None:
            for _ in range(calls):
                call()
        return best_of(run, args["reps"])
    return task


def task_memory(service: Any, args: Dict[str, Any]) -> Dict[str, Any]:
    return _side.memory_of(lambda: all_docs(service, args["db"], args.get("page_size", 1000)), args["docs"])


TASKS = {name[5:]: with_service(function) for name, function in list(globals().items()) if name.startswith("task_")}
TASKS.update({op: with_service(small_call(op)) for op in ("lookup", "metadata", "all_dbs", "doc")})

if __name__ == "__main__":
    sys.exit(_side.main(TASKS, sys.argv[1:]))
