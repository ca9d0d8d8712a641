"""Views (``cloudant.view``): URLs, query parameters on the wire, local refusals, paging through ``Result``."""
from __future__ import annotations

import datetime
import json
from typing import Any, Iterator
from unittest import mock

import pytest
from _fakes import Answer, FakeCouch, Seen

from cloudant.design_document import DesignDocument
from cloudant.error import BadRequest, CloudantArgumentError, CloudantViewException
from cloudant.result import Result
from cloudant.view import QueryIndexView, View

URL = "http://couch.test:5984"


class DateEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.date):
            return o.isoformat()
        return super().default(o)


class Fake(FakeCouch):
    def __init__(self) -> None:
        super().__init__((200, {}, {"total_rows": 0, "offset": 0, "rows": []}), encoder=DateEncoder)
        self.ddoc = DesignDocument(self.db, "my ddoc")


@pytest.fixture
def fake() -> Iterator[Fake]:
    server = Fake()
    yield server
    server.close()


def single(seen: list) -> Seen:
    assert len(seen) == 1
    return seen[0]


def test_call_gets_the_view_with_json_keys_and_lowercase_booleans(fake: Fake) -> None:
    view = View(fake.ddoc, "by/name")
    view(startkey=["a", 1], endkey=datetime.date(2024, 5, 1), include_docs=True, limit=10, stale="ok")
    seen = single(fake.adapter.seen)
    assert seen.method == "GET"
    # Design document and view names are each one quoted segment; _design/ stays readable.
    assert seen.path == "/orders/_design/my%20ddoc/_view/by%2Fname"
    # Keys are encoded as python-cloudant encoded them: json.dumps with the client's encoder.
    assert seen.query == {"startkey": ['["a", 1]'], "endkey": ['"2024-05-01"'], "include_docs": ["true"],
                          "limit": ["10"], "stale": ["ok"]}
    assert view.url == URL + "/orders/_design/my%20ddoc/_view/by%2Fname"


def test_keys_go_in_a_post_body_and_the_rest_in_the_query_string(fake: Fake) -> None:
    View(fake.ddoc, "v")(keys=["a", ["b", 2], datetime.date(2024, 1, 2)], descending=False)
    seen = single(fake.adapter.seen)
    assert (seen.method, seen.query) == ("POST", {"descending": ["false"]})
    assert seen.json() == {"keys": ["a", ["b", 2], "2024-01-02"]}
    assert seen.headers["Content-Type"] == "application/json"


def test_the_raw_reply_is_returned(fake: Fake) -> None:
    reply = {"total_rows": 1, "offset": 0, "rows": [{"id": "a", "key": 1, "value": None}]}
    fake.reply = lambda seen: (200, {}, reply)
    assert View(fake.ddoc, "v")() == reply


@pytest.mark.parametrize("options, code", [
    ({"conflict": True}, 116),          # not a view option
    ({"limit": "10"}, 117),             # wrong type
    ({"include_docs": "true"}, 117),    # a bool is required, not its text
    ({"limit": True}, 117),             # a bool is not a count
    ({"stale": "later"}, 135),
])
def test_bad_options_are_refused_before_any_request(fake: Fake, options: dict, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        View(fake.ddoc, "v", "function (doc) { emit(doc._id, 1); }", "_count")(**options)
    assert caught.value.code == code
    assert fake.adapter.seen == []


@pytest.mark.parametrize("options, query", [
    ({"skip": -1}, {"skip": ["-1"]}),
    ({"keys": ["a"], "key": "b"}, {"key": ['"b"']}),
    ({"reduce": True}, {"reduce": ["true"]}),
])
def test_values_only_the_server_can_judge_are_sent(fake: Fake, options: dict, query: dict) -> None:
    # As with python-cloudant, the server answers these (CouchDB with a 400), even on a map-only view.
    View(fake.ddoc, "map_only", "function (doc) { emit(doc.n, 1); }")(**options)
    assert single(fake.adapter.seen).query == query


def test_a_bad_option_names_python_cloudant_types_in_its_message(fake: Fake) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        View(fake.ddoc, "v")(limit="10")
    assert str(caught.value) == "Argument limit not instance of expected type: (%r, %r, %r)" % (int, int, type(None))


def test_a_key_the_encoder_cannot_encode_raises_136(fake: Fake) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        View(fake.ddoc, "v")(key=object())
    assert caught.value.code == 136 and str(caught.value).startswith("Error converting argument key: ")
    assert fake.adapter.seen == []


def test_a_session_assigned_to_the_view_sends_its_requests(fake: Fake) -> None:
    view = View(fake.ddoc, "v")
    assert view._r_session is fake.client.r_session  # read from the client, never stale
    own = mock.Mock()
    own.get.return_value = mock.Mock(text='{"rows": []}')
    view._r_session = own
    assert view._r_session is own
    assert view(limit=1) == {"rows": []}
    own.get.assert_called_once_with(view.url, params={"limit": 1})
    assert fake.adapter.seen == []


def test_a_view_known_only_by_name_leaves_reduce_to_the_server(fake: Fake) -> None:
    fake.reply = lambda seen: (400, {}, {"error": "query_parse_error",
                                         "reason": "Reduce is invalid for map-only views."})
    with pytest.raises(BadRequest) as caught:
        View(fake.ddoc, "v")(reduce=True)
    assert (caught.value.error, caught.value.reason) == ("query_parse_error", "Reduce is invalid for map-only views.")
    assert single(fake.adapter.seen).query == {"reduce": ["true"]}


def test_partitioned_view_url(fake: Fake) -> None:
    view = View(fake.ddoc, "v", partition_key="p 1")
    view(limit=1)
    assert single(fake.adapter.seen).path == "/orders/_partition/p%201/_design/my%20ddoc/_view/v"


@pytest.mark.parametrize("key", ["", "_p", "a:b", 5])
def test_illegal_partition_keys_are_refused(fake: Fake, key: Any) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        View(fake.ddoc, "v", partition_key=key)
    assert caught.value.code == 141


def test_map_and_reduce_are_kept_as_code(fake: Fake) -> None:
    view = View(fake.ddoc, "v", "function (doc) { emit(doc._id, 1); }", "_sum", options={"collation": "raw"})
    assert dict(view) == {"map": "function (doc) { emit(doc._id, 1); }", "reduce": "_sum",
                          "options": {"collation": "raw"}}
    view.reduce = "_count"
    assert view.reduce == "_count" and isinstance(view.reduce, str)
    assert json.loads(json.dumps(view)) == {"map": view.map, "reduce": "_count", "options": {"collation": "raw"}}


ROWS = [{"id": "doc%04d" % number, "key": number // 3, "value": number} for number in range(25)]


def paging_server(seen: Seen) -> Answer:
    """A view of 25 rows, three per key, honouring startkey/startkey_docid/limit/skip like CouchDB."""
    query = {name: values[0] for name, values in seen.query.items()}
    rows = ROWS
    if "startkey" in query:
        start = (json.loads(query["startkey"]), query.get("startkey_docid", ""))
        rows = [row for row in rows if (row["key"], row["id"]) >= start]
    rows = rows[int(query.get("skip", 0)):]
    if "limit" in query:
        rows = rows[:int(query["limit"])]
    return 200, {}, {"total_rows": len(ROWS), "offset": 0, "rows": rows}


def test_result_iterates_every_row_page_by_page(fake: Fake) -> None:
    fake.reply = paging_server
    view = View(fake.ddoc, "v")
    with view.custom_result(page_size=4) as result:
        assert isinstance(result, Result)
        assert fake.adapter.seen == []  # nothing is sent until the result is used
        assert list(result) == ROWS
    assert len(fake.adapter.seen) == 7  # 25 rows, 4 per page
    assert all(int(seen.query["limit"][0]) == 5 for seen in fake.adapter.seen)  # one extra row per page
    assert list(view.result) == ROWS   # the view's own result reads the same rows


def test_result_slices_use_skip_and_limit(fake: Fake) -> None:
    fake.reply = paging_server
    assert View(fake.ddoc, "v").result[10:12] == ROWS[10:12]
    assert single(fake.adapter.seen).query == {"skip": ["10"], "limit": ["2"]}


# -- QueryIndexView ---------------------------------------------------------------------------------------
def test_query_index_view_holds_mango_fields(fake: Fake) -> None:
    view = QueryIndexView(fake.ddoc, "idx", {"fields": {"n": "asc"}}, "_count", options={"def": {"fields": ["n"]}})
    assert dict(view) == {"map": {"fields": {"n": "asc"}}, "reduce": "_count", "options": {"def": {"fields": ["n"]}}}
    assert view.result is None


@pytest.mark.parametrize("map_fields, reduce_func, code", [("function () {}", "_count", 132),
                                                            ({"fields": {}}, {"_count": 1}, 133)])
def test_query_index_view_checks_its_parts(fake: Fake, map_fields: Any, reduce_func: Any, code: int) -> None:
    with pytest.raises(CloudantArgumentError) as caught:
        QueryIndexView(fake.ddoc, "idx", map_fields, reduce_func)
    assert caught.value.code == code
    view = QueryIndexView(fake.ddoc, "idx", {"fields": {}}, "_count")
    with pytest.raises(CloudantArgumentError):
        view.map = "function () {}"
    with pytest.raises(CloudantArgumentError):
        view.reduce = None


def test_query_index_view_cannot_be_queried(fake: Fake) -> None:
    view = QueryIndexView(fake.ddoc, "idx", {"fields": {}}, "_count")
    with pytest.raises(CloudantViewException) as called:
        view()
    with pytest.raises(CloudantViewException) as custom:
        view.custom_result()
    assert (called.value.code, custom.value.code) == (101, 102)
    assert fake.adapter.seen == []


def test_the_session_gets_the_arguments_python_cloudant_passed(fake: Fake) -> None:
    view = View(fake.ddoc, "v")
    own = mock.Mock()
    own.post.return_value = mock.Mock(text='{"rows": []}')
    view._r_session = own
    view(keys=["a", 1], include_docs=True)
    own.post.assert_called_once_with(view.url, headers={"Content-Type": "application/json"},
                                     params={"include_docs": "true"}, data='{"keys": ["a", 1]}')
