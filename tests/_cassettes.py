"""The one vcrpy configuration: cassettes are written by hand from documented examples and only replayed."""
from __future__ import annotations

from pathlib import Path

import vcr

CASSETTES = Path(__file__).resolve().parent / "cassettes"


def player(folder: str) -> vcr.VCR:
    """A VCR replaying the cassettes in ``tests/cassettes/<folder>``; a request no cassette holds fails."""
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES / folder),
        record_mode="none",
        match_on=("method", "scheme", "host", "port", "path", "query", "body"),
        filter_headers=["authorization", "cookie"],
        decode_compressed_response=True,
    )
