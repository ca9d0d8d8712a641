"""Security objects against a live server: fetch, save, and the context manager."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from cloudant.security_document import SecurityDocument

READERS = {"names": ["reader"], "roles": ["readers"]}
ADMINS = {"names": ["boss"], "roles": []}


def _stored(admin_session: requests.Session, db: Any) -> Any:
    return admin_session.get(db.database_url + "/_security", timeout=30).json()


def test_fetch_reads_what_the_server_holds(db: Any, admin_session: requests.Session) -> None:
    admin_session.put(db.database_url + "/_security", json={"members": READERS}, timeout=30).raise_for_status()
    security = SecurityDocument(db)
    assert security == {}
    security.fetch()
    assert security["members"] == READERS
    assert security.document_url == db.database_url + "/_security"
    assert security.r_session is db.r_session


def test_save_writes_the_local_content(db: Any, admin_session: requests.Session) -> None:
    security = SecurityDocument(db)
    security.update(members=READERS, admins=ADMINS)
    security.save()
    stored = _stored(admin_session, db)
    assert stored["members"] == READERS and stored["admins"] == ADMINS


def test_context_manager_saves_on_a_clean_exit(db: Any, admin_session: requests.Session) -> None:
    with SecurityDocument(db) as security:
        security["members"] = READERS
    assert _stored(admin_session, db)["members"] == READERS
    with db.get_security_document() as security:
        assert security["members"] == READERS
        security["admins"] = ADMINS
    stored = _stored(admin_session, db)
    assert stored["members"] == READERS and stored["admins"] == ADMINS


def test_context_manager_saves_nothing_when_the_body_raises(db: Any, admin_session: requests.Session) -> None:
    before = _stored(admin_session, db)
    with pytest.raises(RuntimeError):
        with SecurityDocument(db) as security:
            security["members"] = {"names": ["half-done"], "roles": []}
            raise RuntimeError("abandon")
    assert _stored(admin_session, db) == before


def test_json_encodes_the_local_content(db: Any) -> None:
    security = SecurityDocument(db)
    security["members"] = READERS
    assert security.json() == '{"members": {"names": ["reader"], "roles": ["readers"]}}'
