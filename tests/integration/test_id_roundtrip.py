"""Property test: random document ids and attachment names survive the trip to the server and back exactly.

Ids and names are drawn from all of Unicode except surrogates (not encodable), the characters that carry
meaning in URLs (``/ ? # % + & ; =``) and the space; the fixed tables in ``test_document.py`` and
``test_attachments.py`` cover those. Each example writes an
attachment (which creates the document), reads the document back by id and the attachment back by name.
"""
from __future__ import annotations

from typing import Any, Set

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudant.document import Document

_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="/?#%+&;= "),
    min_size=1,
    max_size=24,
).filter(lambda value: not value.startswith("_"))


@pytest.fixture
def used() -> Set[str]:
    """The ids written so far: like ``db``, one for all the examples of the test."""
    return set()


# The number of examples comes from the Hypothesis profile (tests/conftest.py): 200 by default, 2000 under
# HYPOTHESIS_PROFILE=ci.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc_id=_text, name=_text, payload=st.binary(max_size=64))
def test_ids_and_attachment_names_round_trip(db: Any, used: Set[str], doc_id: str, name: str,
                                             payload: bytes) -> None:
    doc = Document(db, doc_id)
    if doc_id in used:  # hypothesis may draw an id twice: write over the existing document
        doc.fetch()
    used.add(doc_id)
    doc.put_attachment(name, "application/octet-stream", payload)

    fetched = Document(db, doc_id)
    fetched.fetch()
    assert fetched["_id"] == doc_id
    assert fetched["_rev"] == doc["_rev"]
    assert name in fetched["_attachments"]
    assert fetched.get_attachment(name, attachment_type="binary") == payload
