"""Search (``_search``, ``_search_info``, ``_search_disk_size``, ``_search_analyze``) replayed from cassettes.

Neither local server serves search, so each test replays a cassette under ``tests/cassettes/search/`` written
by hand from the request/response examples of the documentation section its docstring names. Nothing is
recorded (``record_mode="none"``): a request the cassette does not hold fails the test, and every test checks
that all of its cassette's interactions were played.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from _cassettes import player

from cloudant.client import Cloudant
from cloudant.database import CloudantDatabase
from cloudant.design_document import DesignDocument
from cloudant.error import BadRequest, CloudantArgumentError
from cloudant.query import SearchResult

PASSWORD = "cassette-secret"

replay = player("search")


@pytest.fixture
def client() -> Iterator[Any]:
    """A Cloudant client on a made-up account, with Basic auth so connecting sends nothing.

    Databases are built directly (``client[name]`` would ask the server whether they exist).
    """
    cloudant = Cloudant("account", PASSWORD, url="https://example.cloudant.com", use_basic_auth=True)
    cloudant.connect()
    yield cloudant
    cloudant.disconnect()


def test_geographical_search_sorted_by_distance(client: Any) -> None:
    """Apache CouchDB docs, "Search" > "Geographical searches": cities sorted by distance to New York."""
    with replay.use_cassette("search_geographical.yaml") as cassette:
        reply = CloudantDatabase(client, "examples").get_search_result(
            "cities-designdoc", "cities", query="lat:[0 TO 90]", sort="<distance,lon,lat,-74.0059,40.7127,km>")
    assert [row["id"] for row in reply["rows"]] == ["city180", "city177", "city178"]
    distances = [row["order"][0] for row in reply["rows"]]
    assert distances == sorted(distances)
    assert reply["rows"][0]["fields"]["city"] == "New York, N.Y." and reply["total_rows"] == 205
    assert cassette.all_played


def test_counts_and_ranges_facets(client: Any) -> None:
    """Apache CouchDB docs, "Search" > "Faceting": the "counts" and "ranges" examples."""
    db = CloudantDatabase(client, "shop")
    with replay.use_cassette("search_facets.yaml") as cassette:
        counts = db.get_search_result("_design/facets", "products", q="*:*", counts=["type"], limit=0)
        ranges = db.get_search_result("facets", "products", q="*:*", limit=0, ranges={
            "price": {"cheap": "[0 TO 100]", "expensive": "{100 TO Infinity}"}})
    assert counts["counts"] == {"type": {"sofa": 10, "chair": 100, "lamp": 97}}
    assert ranges["ranges"] == {"price": {"expensive": 278682, "cheap": 257023}}
    assert cassette.all_played


def test_highlighting(client: Any) -> None:
    """Apache CouchDB docs, "Search" > "Highlighting search terms": fragments with the term between tags."""
    with replay.use_cassette("search_highlights.yaml") as cassette:
        reply = CloudantDatabase(client, "movies").get_search_result(
            "searches", "movies", q="movie_name:Azazel", highlight_fields=["movie_name"], highlight_pre_tag="**",
            highlight_post_tag="**", highlight_size=30, highlight_number=2)
    (row,) = reply["rows"]
    assert row["highlights"] == {"movie_name": [" on the Azazel Orient Express", " Azazel manuals, you"]}
    assert cassette.all_played


def test_search_result_follows_bookmarks_to_the_end(client: Any) -> None:
    """Apache CouchDB docs, "/{db}/_design/{ddoc}/_search/{index}", parameter "bookmark": pages until the
    server answers an empty page with the same bookmark."""
    db = CloudantDatabase(client, "animaldb")
    result = SearchResult(db, "views101", "animals", query="class:mammal", page_size=2)
    with replay.use_cassette("search_bookmarks.yaml") as cassette:
        ids = [row["id"] for row in result]
    assert ids == ["aardvark", "badger", "elephant", "giraffe"]
    assert cassette.all_played


def test_partitioned_search(client: Any) -> None:
    """IBM Cloudant API reference, "Query a search index within a partition"; the key is quoted in the URL."""
    with replay.use_cassette("search_partitioned.yaml") as cassette:
        reply = CloudantDatabase(client, "readings").get_partitioned_search_result(
            "sensor 42", "by-name", "names", query="name:sensor*", include_docs=True, limit=1)
    assert reply["rows"][0]["doc"]["value"] == 21.5
    assert cassette.all_played


def test_the_server_reason_reaches_the_exception(client: Any) -> None:
    """IBM Cloudant API reference, error model: "Example error response for a bad request with an
    unsupported option"."""
    with replay.use_cassette("search_bad_request.yaml") as cassette:
        with pytest.raises(BadRequest) as caught:
            CloudantDatabase(client, "readings").get_partitioned_search_result(
                "p1", "facets", "products", q="*:*", counts=["type"])
    assert caught.value.error == "bad_request"
    assert caught.value.reason == "`counts` is not supported on this search index"
    assert caught.value.request_id == "6d47b8e1b3"
    assert PASSWORD not in str(caught.value)
    assert cassette.all_played


def test_search_index_info_and_disk_size(client: Any) -> None:
    """Apache CouchDB docs, "/{db}/_design/{ddoc}/_search_info/{index}"; IBM Cloudant API reference,
    "Retrieve search index disk size information"."""
    ddoc = DesignDocument(CloudantDatabase(client, "recipes"), "cookbook")
    with replay.use_cassette("search_info.yaml") as cassette:
        info = ddoc.search_info("ingredients")
        size = ddoc.search_disk_size("ingredients")
    assert info["name"] == "_design/cookbook/ingredients"
    assert (info["search_index"]["doc_count"], info["search_index"]["doc_del_count"]) == (1066173, 129180)
    assert size == {"name": "_design/cookbook/ingredients", "search_index": {"disk_size": 728305827}}
    assert cassette.all_played


def test_search_analyze(client: Any) -> None:
    """Apache CouchDB docs, "/_search_analyze" and "Search" > "Testing analyzer tokenization"."""
    db = CloudantDatabase(client, "animaldb")
    with replay.use_cassette("search_analyze.yaml") as cassette:
        english = db.get_search_analyze("english", "running")
        keyword = db.search_analyze("keyword", "ablanks@renovations.com")
        standard = db.search_analyze("standard", "ablanks@renovations.com")
    assert english == {"tokens": ["run"]}
    assert keyword["tokens"] == ["ablanks@renovations.com"]
    assert standard["tokens"] == ["ablanks", "renovations.com"]
    assert cassette.all_played


@pytest.mark.parametrize("params", [{}, {"q": "*:*", "query": "*:*"}, {"query": "*:*", "colour": "red"},
                                    {"query": "*:*", "include_docs": "yes"}])
def test_bad_parameters_never_reach_the_server(client: Any, params: dict) -> None:
    """python-cloudant's search argument table (API reference section 19): refused before any request; the
    cassette holds no interaction, so any request would fail the test."""
    with replay.use_cassette("no_request.yaml") as cassette:
        with pytest.raises(CloudantArgumentError) as caught:
            CloudantDatabase(client, "animaldb").get_search_result("views101", "animals", **params)
    assert caught.value.code in (104, 105, 106)
    assert cassette.play_count == 0
    assert cassette.all_played
