"""A bounded soak: eight threads share one client through expiring cookie sessions (``bench/soak.py``, ~20 s).

The server's session timeout is set to 3 s over HTTP (``PUT /_node/_local/_config/chttpd_auth/timeout``,
Apache CouchDB 3.x) and restored afterwards; a server without that setting (pouchdb-server, Cloudant) skips.
Logins and refusals are counted on the wire by the adapter the client is given, not by a fake server.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import soak  # noqa: E402

THREADS = 8
SESSION_TIMEOUT = 3  # seconds
SECONDS = 22  # three bursts of 3 s, the last two after a quiet period of 5 s in which the session expires


@pytest.fixture
def short_sessions(couch_server: Any) -> Any:
    try:
        with soak.session_timeout(couch_server.url, couch_server.user, couch_server.password, SESSION_TIMEOUT):
            yield
    except RuntimeError as err:
        pytest.skip("%s %s cannot be given a session timeout of seconds: %s"
                    % (couch_server.kind, couch_server.version, err))


@pytest.mark.soak
@pytest.mark.requires("cookie_auth")
def test_threads_sharing_a_client_ride_through_session_expiries(couch_server: Any, short_sessions: Any) -> None:
    report = soak.run_soak(couch_server.url, couch_server.user, couch_server.password, seconds=SECONDS,
                           threads=THREADS, session_timeout=SESSION_TIMEOUT, burst=3.0)
    print(report.text())
    assert report.error_count == 0, report.errors
    assert sum(report.operations.values()) > 0
    assert report.expiries, "no session expired: the quiet periods did not outlast the server's timeout"
    assert report.bursts[0].refused == 0  # the session opened by connect() held through the first burst
    assert report.refused_unattributed == 0
    # Several threads were refused at once after a quiet period, and one login renewed the session for all.
    assert max(burst.refused for burst in report.bursts) >= 2
    assert report.logins_per_expiry == [1] * len(report.expiries)
    assert report.logins_without_expiry == 0
    assert report.logins_total == 1 + len(report.expiries)  # connect() and one renewal per expiry
    assert report.max_logins_in_flight == 1
    # The pool keeps at most one connection per thread; nothing else is left open.
    start, end = report.samples[0], report.samples[-1]
    assert end["sockets"] - start["sockets"] <= THREADS
    assert end["rss_kb"] - report.samples[1]["rss_kb"] < 32 * 1024  # no gross leak after warming up
