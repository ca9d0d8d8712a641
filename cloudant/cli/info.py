"""``cloudant info [DB]``: facts about the server, or about one database, as JSON on stdout.

Without DB: the server's ``GET /`` (version, vendor, features), the URL (without credentials) and who the
connection is authenticated as (``GET /_session``: whether it is, and the roles). With DB: the database's ``GET /{db}``
(document counts, sizes, update sequence, partitioned or not).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Dict

from ..error import CloudantHTTPError
from ._common import add_connection_arguments, connected, redact
from .follow import open_database

if TYPE_CHECKING:
    from ..client import CouchDB
    from ..database import CouchDatabase

__all__ = ["add_parser", "run", "server_facts", "database_facts"]

EXAMPLES = """\
examples:
  cloudant info                 # the server: version, vendor, features, your roles
  cloudant info mydb            # the database: counts, sizes, update sequence
  cloudant info mydb --json     # one line of JSON
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``info`` command."""
    parser = subparsers.add_parser(
        "info", help="show server or database facts",
        description="Show facts about the server, or about DB when given, as JSON on stdout.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", metavar="DB", nargs="?", help="a database (default: the server)")
    add_connection_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the facts; 1 when the database does not exist."""
    with connected(args) as client:
        facts = database_facts(open_database(client, args.db)) if args.db else server_facts(client)
    text = json.dumps(facts, ensure_ascii=False, sort_keys=True,
                      **({"separators": (",", ":")} if args.json else {"indent": 2}))
    sys.stdout.write(text + "\n")  # the URLs are redacted; the server's facts hold no credentials
    sys.stdout.flush()
    return 0


def server_facts(client: CouchDB) -> Dict[str, Any]:
    """``GET /`` plus the server URL (no credentials) and the session's roles."""
    facts: Dict[str, Any] = {"url": redact(client.server_url)}
    facts.update(client.metadata())
    try:
        session = client._endpoint.child("_session").json()
    except CloudantHTTPError:
        session = None
    if isinstance(session, dict) and isinstance(session.get("userCtx"), dict):
        user = session["userCtx"]
        # the user name is not shown: with an API key as user name it is half a credential
        facts["session"] = {"authenticated": user.get("name") is not None, "roles": user.get("roles", [])}
    return facts


def database_facts(database: CouchDatabase) -> Dict[str, Any]:
    """``GET /{db}`` plus the database URL (no credentials)."""
    facts: Dict[str, Any] = {"url": redact(database.database_url)}
    facts.update(database.metadata())
    return facts
