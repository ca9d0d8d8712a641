"""What every command shares: the connection options, messages, progress display and JSON lines.

A command module uses these helpers:

- :func:`add_connection_arguments` adds ``--url``, ``--timeout``, ``--quiet`` and ``--json`` to its parser;
- :func:`connect` (or the :func:`connected` context manager) returns a connected client from those options;
- :class:`Progress` shows documents done, rate and ETA on a terminal, plain lines otherwise;
- :func:`emit_json_line` writes one JSON object per line; :func:`info` writes a plain message on stderr;
- :func:`fail` stops the command with a one-line reason (exit status 1).

Credentials are never printed: every message written through this module goes through :func:`redact`, which
drops user info from URLs and masks every secret :func:`connect` was given.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import time
from typing import IO, Any, Dict, Iterator, NoReturn, Optional, Set
from urllib.parse import unquote, urlsplit

from ..client import CouchDB

__all__ = [
    "CliError", "add_connection_arguments", "connect", "connected", "redact", "fail", "info", "warn",
    "emit_json_line", "Progress", "format_duration",
]

#: Secrets seen while connecting (passwords, API keys): masked in every message.
_SECRETS: Set[str] = set()
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


class CliError(Exception):
    """A command failed: ``str(err)`` is the one-line reason, ``code`` the exit status (default 1)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def redact(text: Any) -> str:
    """Return ``text`` as a string with user info removed from every URL and every known secret masked."""
    clean = _URL_USERINFO.sub(r"\g<scheme>", str(text))
    for secret in sorted(_SECRETS, key=len, reverse=True):
        clean = clean.replace(secret, "***")
    return clean


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop the command: the entry point prints ``message`` (redacted) on stderr and exits with ``code``."""
    raise CliError(message, code)


def info(message: str, args: Optional[argparse.Namespace] = None, stream: Optional[IO[str]] = None) -> None:
    """Write a plain message line on stderr, unless ``--quiet`` or ``--json`` is set in ``args``."""
    if args is not None and (getattr(args, "quiet", False) or getattr(args, "json", False)):
        return
    print(redact(message), file=stream or sys.stderr, flush=True)


def warn(message: str, stream: Optional[IO[str]] = None) -> None:
    """Write a warning or error line on stderr, whatever ``--quiet`` says (redacted)."""
    print(redact(message), file=stream or sys.stderr, flush=True)


def emit_json_line(obj: Any, stream: Optional[IO[str]] = None) -> None:
    """Write ``obj`` as one line of compact JSON (UTF-8 text as is) on ``stream`` (stdout) and flush it."""
    stream = stream or sys.stdout
    stream.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    stream.flush()


# -- connection ----------------------------------------------------------------------------------------------
def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the connection and output options every command takes: ``--url``, ``--timeout``, ``--quiet``,
    ``--json``."""
    group = parser.add_argument_group("connection")
    group.add_argument("--url", metavar="URL",
                       help="server URL; may hold user:password@ (default: $CLOUDANT_URL with $CLOUDANT_APIKEY "
                            "or $CLOUDANT_USERNAME/$CLOUDANT_PASSWORD, or ibm-credentials.env, else $COUCH_URL)")
    group.add_argument("--timeout", metavar="SECONDS", type=float, default=300.0,
                       help="seconds to wait for each server reply (default: %(default)s)")
    output = parser.add_argument_group("output")
    output.add_argument("-q", "--quiet", action="store_true", help="no progress, only errors")
    output.add_argument("--json", action="store_true", help="progress and summary as JSON lines on stderr")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_batching_arguments(parser: argparse.ArgumentParser, batch_help: str, parallelism_help: str) -> None:
    """Add ``--batch-size N`` (default 500) and ``--parallelism N`` (default 5)."""
    parser.add_argument("--batch-size", metavar="N", type=positive_int, default=500,
                        help="%s (default: %%(default)s)" % batch_help)
    parser.add_argument("--parallelism", metavar="N", type=positive_int, default=5,
                        help="%s (default: %%(default)s)" % parallelism_help)


def _env(name: str) -> Optional[str]:
    value = os.environ.get(name)
    return value if value else None


def _remember_secrets(url: Optional[str], *secrets: Optional[str]) -> None:
    if url:
        parts = urlsplit(url)
        if parts.password:
            _SECRETS.update((parts.password, unquote(parts.password)))
    _SECRETS.update(secret for secret in secrets if secret)


def _client_for_url(url: str, timeout: Any) -> CouchDB:
    """A client for ``url``: its user info, else ``$CLOUDANT_APIKEY``/``$COUCH_IAM_API_KEY`` (IAM), else
    ``$CLOUDANT_USERNAME``/``$CLOUDANT_PASSWORD``, else no credentials at all."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail("not an http(s) URL: %s" % url, 2)
    if parts.username is not None:
        _remember_secrets(url)
        return CouchDB(None, None, url=url, timeout=timeout, auto_renew=True)
    apikey = _env("CLOUDANT_APIKEY") or _env("COUCH_IAM_API_KEY")
    if apikey:
        _remember_secrets(None, apikey)
        return CouchDB(None, apikey, url=url, use_iam=True, timeout=timeout, auto_renew=True)
    user, password = _env("CLOUDANT_USERNAME"), _env("CLOUDANT_PASSWORD")
    if user and password:
        _remember_secrets(None, password)
        return CouchDB(user, password, url=url, timeout=timeout, auto_renew=True)
    return CouchDB(None, None, url=url, admin_party=True, timeout=timeout)


def make_client(args: argparse.Namespace) -> CouchDB:
    """Return an unconnected client for the command's options: ``--url``, else ``$CLOUDANT_URL`` (and the
    other ``CLOUDANT_*`` settings read by :meth:`CouchDB.from_environment`), else ``$COUCH_URL``."""
    timeout = getattr(args, "timeout", None)
    if getattr(args, "url", None):
        return _client_for_url(args.url, timeout)
    if _env("CLOUDANT_URL") or _env("IBM_CREDENTIALS_FILE"):
        _remember_secrets(_env("CLOUDANT_URL"), _env("CLOUDANT_APIKEY"), _env("CLOUDANT_PASSWORD"))
        return CouchDB.from_environment("CLOUDANT", timeout=timeout, auto_renew=True)
    if _env("COUCH_URL"):
        return _client_for_url(os.environ["COUCH_URL"], timeout)
    fail("no server given: use --url URL, or set CLOUDANT_URL or COUCH_URL", 2)


def connect(args: argparse.Namespace) -> CouchDB:
    """Return a connected client for the command's options (see :func:`make_client`)."""
    client = make_client(args)
    client.connect()
    return client


@contextlib.contextmanager
def connected(args: argparse.Namespace) -> Iterator[CouchDB]:
    """``with connected(args) as client:`` a connected client, disconnected afterwards."""
    client = connect(args)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.disconnect()


# -- progress ------------------------------------------------------------------------------------------------
def format_duration(seconds: Optional[float]) -> str:
    """``75.2`` -> ``'1m15s'``; ``None`` or not finite -> ``'?'``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm%02ds" % divmod(seconds, 60)
    hours, rest = divmod(seconds, 3600)
    return "%dh%02dm" % (hours, rest // 60)


def _load_tqdm() -> Any:
    try:
        from tqdm import tqdm  # the optional ``cloudant[cli]`` extra
    except ImportError:
        return None
    return tqdm


class Progress:
    """Progress of a count of items: a bar with rate and ETA on a terminal, plain lines every ``interval``
    seconds when stderr is not a terminal, JSON lines with ``--json``, nothing with ``--quiet``.

    :param str label: what is being done (``"backup mydb"``).
    :param int total: the expected count, or ``None`` when unknown (no ETA then).
    :param args: the command's options (``quiet``, ``json``); ``None`` for defaults.
    :param str unit: what is counted. Default ``"docs"``.
    :param stream: where to write (default stderr).
    :param float interval: seconds between plain or JSON lines. Default 5.
    """

    def __init__(self, label: str, total: Optional[int] = None, args: Optional[argparse.Namespace] = None,
                 unit: str = "docs", stream: Optional[IO[str]] = None, interval: float = 5.0) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.count = 0
        self.stream = stream or sys.stderr
        self.interval = interval
        self.started = time.monotonic()
        self._last_line = self.started
        self._tty_last = 0.0
        self._bar: Any = None
        quiet, as_json = bool(getattr(args, "quiet", False)), bool(getattr(args, "json", False))
        self.mode = "quiet" if quiet else "json" if as_json else "tty" if _isatty(self.stream) else "lines"
        if self.mode == "tty":
            tqdm = _load_tqdm()
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=label, unit=" " + unit, file=self.stream, dynamic_ncols=True)

    @property
    def rate(self) -> float:
        """Items per second since the start."""
        elapsed = time.monotonic() - self.started
        return self.count / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> Optional[float]:
        """Seconds left at the current rate, or ``None`` when unknown."""
        if self.total is None or self.rate <= 0:
            return None
        return max(self.total - self.count, 0) / self.rate

    def set_total(self, total: Optional[int]) -> None:
        """Change the expected count."""
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def update(self, done: int = 1) -> None:
        """Count ``done`` more items and show progress when it is time to."""
        self.count += done
        if self._bar is not None:
            self._bar.update(done)
            return
        now = time.monotonic()
        if self.mode == "tty" and now - self._tty_last >= 0.2:
            self._tty_last = now
            self.stream.write("\r\x1b[K" + self.describe())
            self.stream.flush()
        elif self.mode in ("lines", "json") and now - self._last_line >= self.interval:
            self._last_line = now
            self._line()

    def describe(self) -> str:
        """One line: label, count (of total), rate and ETA."""
        if self.total is not None:
            percent = 100.0 * self.count / self.total if self.total else 100.0
            done = "%d/%d %s (%.0f%%)" % (self.count, self.total, self.unit, percent)
        else:
            done = "%d %s" % (self.count, self.unit)
        text = "%s: %s, %.0f %s/s" % (self.label, done, self.rate, self.unit)
        if self.total is not None:
            text += ", ETA %s" % format_duration(self.eta)
        return text

    def snapshot(self) -> Dict[str, Any]:
        """The state as a dict (what ``--json`` writes)."""
        eta = self.eta
        return {"progress": self.label, "done": self.count, "total": self.total, "unit": self.unit,
                "rate": round(self.rate, 1), "eta_seconds": None if eta is None else round(eta, 1),
                "elapsed_seconds": round(time.monotonic() - self.started, 3)}

    def _line(self) -> None:
        if self.mode == "json":
            emit_json_line(self.snapshot(), self.stream)
        else:
            print(redact(self.describe()), file=self.stream, flush=True)

    def close(self) -> None:
        """End the display (a final line in plain and JSON modes, a newline after a terminal bar)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "tty":
            self.stream.write("\r\x1b[K" + self.describe() + "\n")
            self.stream.flush()
        elif self.mode in ("lines", "json"):
            self._line()
        self.mode = "quiet"

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
