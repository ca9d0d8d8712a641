"""The CouchDB-compatible server the integration tests, the demo and the benchmarks run against.

Two ways to get one:

* ``COUCHDB_URL`` is set (with ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``, default ``admin`` / ``admin``):
  that server is used as it is -- Apache CouchDB 3.x or IBM Cloudant.
* Otherwise pouchdb-server 4.2.0 (installed by ``make`` from ``tests/pouchdb/package-lock.json``) is started
  on a free loopback port, with its data directory, configuration file and log in a fresh temporary
  directory, and an admin user is created before anything else talks to it. It is stopped by PID at the end.

Either way the result is a :class:`CouchServer` whose ``capabilities`` say what the server can do, probed once
with plain ``requests`` calls, so a test can skip with a reason instead of passing silently.

From the command line, ``python tests/_servers.py run -- COMMAND [ARG ...]`` (``make demo``, ``make bench``)
starts the server the same way, runs COMMAND with ``COUCHDB_URL``, ``COUCHDB_USER`` and
``COUCHDB_PASSWORD`` in its environment, stops the server and exits with COMMAND's exit status.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
POUCHDB_SERVER = REPO_ROOT / "tests" / "pouchdb" / "node_modules" / ".bin" / "pouchdb-server"

START_TIMEOUT = 30.0  # seconds for pouchdb-server to accept connections (it needs about one)
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
PROBE_TIMEOUT = 10.0  # seconds per probing request

# Every capability a test may ask for with ``@pytest.mark.requires(...)``; probe_capabilities() says how each
# one is decided. A name outside this set in a marker is a typo and fails the test.
CAPABILITIES = frozenset(
    {
        "db_updates",
        "scheduler",
        "reshard",
        "membership",
        "cluster",
        "partitioned",
        "cookie_auth",
        "search",
        "jwt",
        "view_info",
        "opaque_seq",
        "real_etag",
        "show_list_update",
        "compact",
        "users_db",
    }
)


class HarnessError(RuntimeError):
    """The server the tests run against failed: a broken test harness, not a failing test."""


@dataclass
class CouchServer:
    """A running server and what the tests need to know about it.

    ``url`` has no trailing slash and no credentials. ``kind`` is ``"pouchdb"``, ``"couchdb"`` or
    ``"cloudant"``. ``node_urls`` lists every node of a cluster (just ``[url]`` otherwise).
    """

    url: str
    user: str
    password: str
    kind: str
    version: str
    jwt_hmac_key: Optional[str] = None
    node_urls: List[str] = field(default_factory=list)
    capabilities: FrozenSet[str] = frozenset()
    process: Optional[PouchDBProcess] = field(default=None, repr=False)

    @property
    def auth(self) -> tuple:
        return (self.user, self.password)

    def session(self) -> requests.Session:
        """A new plain ``requests.Session`` with the admin's basic-auth credentials (close it after use)."""
        session = requests.Session()
        session.auth = self.auth
        return session

    def assert_alive(self) -> None:
        """Raise :class:`HarnessError` unless the server still runs and answers ``GET /``."""
        if self.process is not None:
            self.process.assert_running()
        try:
            response = requests.get(self.url + "/", auth=self.auth, timeout=PROBE_TIMEOUT)
        except requests.RequestException as exc:
            raise HarnessError(f"{self.kind} server at {self.url} does not answer: {exc}{self._log_tail()}") from exc
        if response.status_code != 200:
            raise HarnessError(f"{self.kind} server at {self.url} answers GET / with {response.status_code}")

    def stop(self) -> None:
        """Stop the server if this harness started it (an external server is left alone)."""
        if self.process is not None:
            self.process.stop()

    def _log_tail(self) -> str:
        return self.process.output_tail() if self.process is not None else ""


class PouchDBProcess:
    """pouchdb-server running in its own process group, with everything it writes in a temporary directory."""

    def __init__(self, executable: Path = POUCHDB_SERVER) -> None:
        if not executable.exists():
            raise HarnessError(
                f"{executable} is missing: run `make test` (or `npm ci --ignore-scripts` in tests/pouchdb) first"
            )
        self.workdir = Path(tempfile.mkdtemp(prefix="cloudant-pouchdb-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output_path = self.workdir / "output.log"
        config = self.workdir / "config.json"
        # pouchdb-server keeps its /_config in this file; pointing its log file into the temporary directory
        # too (it defaults to ./log.txt) means nothing is written into the checkout.
        config.write_text(json.dumps({"log": {"file": str(self.workdir / "pouchdb.log"), "level": "info"}}))
        # On-disk LevelDB (the default backend, loaded from leveldown's bundled prebuilt binary) rather than
        # --in-memory: it is the configuration pouchdb-server is used in, and one session's data is small.
        command = [
            str(executable),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.workdir / "data"),
            "--config", str(config),
            "--no-stdout-logs",  # requests go to pouchdb.log; output.log keeps start-up lines and crashes
            "--no-color",
        ]  # fmt: skip
        (self.workdir / "data").mkdir()
        try:
            with open(self.output_path, "wb") as output:
                # A new session makes the server the leader of its own process group: stop() signals that
                # group, i.e. exactly the processes started here.
                self.popen = subprocess.Popen(
                    command,
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except OSError as exc:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise HarnessError(f"cannot start {executable}: {exc}") from exc
        self.pid = self.popen.pid

    def wait_until_listening(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the port accepts connections, without sending any HTTP request."""
        deadline = time.monotonic() + timeout
        while True:
            self.assert_running()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise HarnessError(
                        f"pouchdb-server did not listen on port {self.port} within {timeout:.0f}s" + self.output_tail()
                    ) from None
                time.sleep(0.1)

    def assert_running(self) -> None:
        code = self.popen.poll()
        if code is not None:
            raise HarnessError(f"pouchdb-server (PID {self.pid}) exited with status {code}" + self.output_tail())

    def output_tail(self, lines: int = 30) -> str:
        try:
            text = self.output_path.read_text(errors="replace")
        except OSError:
            return ""
        tail = "\n".join(text.splitlines()[-lines:])
        return f"\n--- last lines of {self.output_path} ---\n{tail}" if tail else ""

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers, reap the server and remove the directory."""
        try:
            if self.popen.poll() is None:  # not reaped yet, so the PID (and group id) is still ours
                _signal_group(self.pid, signal.SIGTERM)
                try:
                    self.popen.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    _signal_group(self.pid, signal.SIGKILL)
                    self.popen.wait(timeout=STOP_TIMEOUT)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _launch_pouchdb(attempts: int = 3) -> PouchDBProcess:
    """Launch pouchdb-server and wait until it listens, on another port if the free one was taken meanwhile."""
    for attempt in range(attempts):
        process = PouchDBProcess()
        try:
            process.wait_until_listening()
            return process
        except HarnessError:
            process_output = process.output_tail()
            process.stop()
            if "EADDRINUSE" not in process_output or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def start_pouchdb(user: str = "admin", password: Optional[str] = None) -> CouchServer:
    """Start pouchdb-server 4.2.0 with an admin user; the caller must call ``.stop()`` on the result."""
    # A fresh random password: it is what the leak tests look for in reprs, messages and logs.
    password = password or secrets.token_urlsafe(12)
    process = _launch_pouchdb()
    try:
        # The admin comes first: while no admin exists pouchdb-server is in "admin party" and accepts this
        # PUT unauthenticated. Every later request is authenticated, because an unauthenticated database PUT
        # once an admin exists crashes pouchdb-server 4.2.0.
        response = requests.put(
            f"{process.url}/_config/admins/{user}", data=json.dumps(password), timeout=PROBE_TIMEOUT
        )
        if response.status_code != 200:
            raise HarnessError(f"creating the admin on pouchdb-server failed: {response.status_code} {response.text}")
        server = describe(process.url, user, password, process=process)
        if server.kind != "pouchdb":
            raise HarnessError(f"{process.url} is not pouchdb-server: {server.kind}")
        return server
    except BaseException:
        process.stop()
        raise


def from_environment(environ: Optional[Dict[str, str]] = None) -> Optional[CouchServer]:
    """The server named by ``COUCHDB_URL`` (and friends), or ``None`` when the variable is unset."""
    env = os.environ if environ is None else environ
    url = env.get("COUCHDB_URL", "").strip()
    if not url:
        return None
    user = env.get("COUCHDB_USER") or "admin"
    password = env.get("COUCHDB_PASSWORD") or "admin"
    node_urls = [u.rstrip("/") for u in env.get("COUCHDB_NODE_URLS", "").split()]
    return describe(url, user, password, jwt_hmac_key=env.get("COUCHDB_JWT_HMAC_KEY") or None, node_urls=node_urls)


def start_or_connect() -> CouchServer:
    """The external server from the environment if there is one, else a freshly started pouchdb-server."""
    return from_environment() or start_pouchdb()


def describe(
    url: str,
    user: str,
    password: str,
    *,
    jwt_hmac_key: Optional[str] = None,
    node_urls: Sequence[str] = (),
    process: Optional[PouchDBProcess] = None,
) -> CouchServer:
    """Identify the server at ``url`` and probe its capabilities (a handful of cheap GETs and one POST)."""
    url = url.rstrip("/")
    with requests.Session() as session:
        session.auth = (user, password)
        try:
            root = _get(session, url + "/")
        except requests.RequestException as exc:
            raise HarnessError(f"no CouchDB-compatible server answers at {url}: {exc}") from exc
        if root is None:
            raise HarnessError(f"GET {url}/ with the admin credentials failed: check COUCHDB_USER/COUCHDB_PASSWORD")
        kind = server_kind(root)
        server = CouchServer(
            url=url,
            user=user,
            password=password,
            kind=kind,
            version=str(root.get("version", "")),
            jwt_hmac_key=jwt_hmac_key,
            node_urls=list(node_urls) or [url],
            process=process,
        )
        server.capabilities = probe_capabilities(session, url, kind, root, user, password, jwt_hmac_key)
    return server


def server_kind(root: Dict[str, Any]) -> str:
    """``"pouchdb"``, ``"cloudant"`` or ``"couchdb"`` from the body of ``GET /``."""
    vendor = str((root.get("vendor") or {}).get("name", ""))
    if "express-pouchdb" in root:
        return "pouchdb"
    if "cloudant" in vendor.lower():
        return "cloudant"
    if root.get("couchdb") == "Welcome":
        return "couchdb"
    raise HarnessError(f"GET / does not look like CouchDB, Cloudant or pouchdb-server: {root!r}")


def probe_capabilities(
    session: requests.Session,
    url: str,
    kind: str,
    root: Dict[str, Any],
    user: str,
    password: str,
    jwt_hmac_key: Optional[str],
) -> FrozenSet[str]:
    """What the server can do. Endpoints are probed where one GET answers the question; the rest follow
    from the kind of server, with the reason given beside each."""
    features = set(root.get("features") or ())
    major = _major_version(root.get("version"))
    caps = set()

    # _db_updates: a normal (non-streaming) feed answers 200. pouchdb-server answers 400.
    if _get(session, url + "/_db_updates", params={"feed": "normal", "limit": 1, "timeout": 1000}) is not None:
        caps.add("db_updates")
    # Replication scheduler (/_scheduler/jobs, /_scheduler/docs): CouchDB 2.1+ and Cloudant; pouchdb 404.
    if _get(session, url + "/_scheduler/jobs", params={"limit": 1}) is not None:
        caps.add("scheduler")
    # Shard splitting (/_reshard): CouchDB 2.4+; pouchdb 404.
    if _get(session, url + "/_reshard") is not None:
        caps.add("reshard")
    # /_membership answers 200 on all three (pouchdb fakes one node); "cluster" means more than one node,
    # where per-node sequences and a node dying under a feed can be seen.
    membership = _get(session, url + "/_membership")
    if membership is not None:
        caps.add("membership")
        if len(membership.get("cluster_nodes") or ()) > 1:
            caps.add("cluster")
    # Partitioned databases: pouchdb accepts ?partitioned=true and ignores it, so this is decided by the
    # server: CouchDB 3+ announcing the feature, or Cloudant.
    if kind == "cloudant" or (kind == "couchdb" and major >= 3 and "partitioned" in features):
        caps.add("partitioned")
    # Cookie sessions: POST /_session with name and password sets an AuthSession cookie.
    if _cookie_login_works(url, user, password):
        caps.add("cookie_auth")
    # Search indexes (_search): Cloudant, or a CouchDB built with search that lists it in its features.
    # The CouchDB 3.4.3 used in CI is built without it and answers 503.
    if kind == "cloudant" or "search" in features:
        caps.add("search")
    # JWT bearer tokens: the server was started with an HMAC key the tests can sign tokens with.
    if jwt_hmac_key:
        caps.add("jwt")
    # View index information (GET _design/x/_info with a view_index object): pouchdb answers
    # {"view_index": "Not implemented."}.
    if kind != "pouchdb":
        caps.add("view_info")
    # _users database present (GET /_users answers 200); its info also shows the sequence format.
    users_info = _get(session, url + "/_users")
    if users_info is not None:
        caps.add("users_db")
    # Opaque string sequences (CouchDB 2+, Cloudant) rather than pouchdb's integers.
    if users_info is not None and "update_seq" in users_info:
        if isinstance(users_info["update_seq"], str):
            caps.add("opaque_seq")
    elif kind != "pouchdb":
        caps.add("opaque_seq")
    # Document ETag equal to the quoted revision: CouchDB and Cloudant. pouchdb-server sends Express's
    # weak hash of the body.
    if kind != "pouchdb":
        caps.add("real_etag")
    # JavaScript show, list and update functions: CouchDB and Cloudant run them, and so does
    # pouchdb-server 4.2.0 (checked by hand); a server without them would leave this out.
    caps.add("show_list_update")
    # POST /{db}/_compact: Cloudant compacts by itself and refuses the request.
    if kind != "cloudant":
        caps.add("compact")
    return frozenset(caps)


def _get(session: requests.Session, url: str, **kwargs: Any) -> Optional[Dict[str, Any]]:
    """The decoded JSON of a 200 answer to GET, else ``None``."""
    response = session.get(url, timeout=PROBE_TIMEOUT, **kwargs)
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _cookie_login_works(url: str, user: str, password: str) -> bool:
    with requests.Session() as session:  # no basic auth: the cookie must be what authenticates
        response = session.post(url + "/_session", json={"name": user, "password": password}, timeout=PROBE_TIMEOUT)
        if response.status_code != 200 or "AuthSession" not in session.cookies:
            return False
        return session.get(url + "/_session", timeout=PROBE_TIMEOUT).json().get("userCtx", {}).get("name") == user


def _major_version(version: Any) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0


def exported_environment(server: CouchServer) -> Dict[str, str]:
    """The variables that point a child process (or a nested test run) at ``server``."""
    env = {
        "COUCHDB_URL": server.url,
        "COUCHDB_USER": server.user,
        "COUCHDB_PASSWORD": server.password,
        "COUCHDB_NODE_URLS": " ".join(server.node_urls),
    }
    if server.jwt_hmac_key:
        env["COUCHDB_JWT_HMAC_KEY"] = server.jwt_hmac_key
    return env


def run(command: Sequence[str]) -> int:
    """Run ``command`` against the server (started here unless ``COUCHDB_URL`` is set); its exit status."""

    def terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally below, which stops the server

    signal.signal(signal.SIGTERM, terminate)
    server = start_or_connect()
    try:
        where = "started" if server.process else "using"
        print(f"{where} {server.kind} {server.version} at {server.url}", file=sys.stderr, flush=True)
        child = subprocess.run(list(command), env={**os.environ, **exported_environment(server)})
        server.assert_alive()
        return child.returncode
    finally:
        server.stop()


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    if len(args) >= 2 and args[0] == "run" and args[1] == "--":
        args = [args[0]] + args[2:]
    if len(args) < 2 or args[0] != "run":
        print("usage: python tests/_servers.py run -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    try:
        return run(args[1:])
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
