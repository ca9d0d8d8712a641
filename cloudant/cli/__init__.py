"""The ``cloudant`` command line: ``python -m cloudant`` or the ``cloudant`` console script.

Commands are modules of this package named in :data:`COMMANDS`. Each exposes

- ``add_parser(subparsers) -> None``: adds its sub-parser (``subparsers.add_parser(NAME, ...)``), calls
  ``cloudant.cli._common.add_connection_arguments`` on it and sets ``func=run`` with ``set_defaults``;
- ``run(args) -> int``: does the work and returns the exit status.

A name in :data:`COMMANDS` whose module is not there is skipped, so a command is plugged in by adding its
module and its name. Exit statuses: 0 all good, 1 failure (one-line reason on stderr), 2 usage error,
130 interrupted (Ctrl-C).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import List, Optional, Sequence

__all__ = ["COMMANDS", "main", "build_parser"]

#: The command modules, in the order ``--help`` lists them.
COMMANDS = ("backup", "restore", "follow", "replicate", "info")

EXAMPLES = """\
examples:
  cloudant backup mydb --output mydb.jsonl.gz --url https://user:pass@host.example
  cloudant backup mydb --output mydb.jsonl --resume      # continue an interrupted backup
  cloudant restore newdb --input mydb.jsonl.gz --create
  COUCH_URL=http://admin:pw@localhost:5984 cloudant backup mydb > mydb.jsonl
  cloudant follow mydb --since now --checkpoint mydb.seq
  cloudant replicate https://host/a https://host/b
  cloudant info mydb

The server comes from --url, else $CLOUDANT_URL (with $CLOUDANT_APIKEY or $CLOUDANT_USERNAME and
$CLOUDANT_PASSWORD, or an ibm-credentials.env file), else $COUCH_URL.
Exit status: 0 all good, 1 failure (reason on stderr), 2 usage error, 130 interrupted.
"""


def _available_commands() -> List[str]:
    return [name for name in COMMANDS if importlib.util.find_spec("%s.%s" % (__name__, name)) is not None]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per available command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="cloudant", description="Back up, restore, follow and replicate CouchDB and Cloudant databases.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version="cloudant %s" % __version__)
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for name in _available_commands():
        importlib.import_module("%s.%s" % (__name__, name)).add_parser(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    from ._common import CliError, redact, warn

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors
        return exit_.code if isinstance(exit_.code, int) else 2
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        warn("cloudant %s: interrupted" % args.command)
        return 130
    except CliError as err:
        warn("cloudant %s: error: %s" % (args.command, err))
        return err.code
    except BrokenPipeError:
        return 1
    except Exception as err:  # one line, never a traceback with credentials in it
        warn("cloudant %s: error: %s: %s" % (args.command, type(err).__name__, redact(_first_line(err))))
        return 1


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
