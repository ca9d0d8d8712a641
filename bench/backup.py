"""``cloudant backup`` / ``cloudant restore`` against ``couchbackup`` / ``couchrestore`` 2.11.12 on one server.

    COUCHDB_URL=http://127.0.0.1:5984 COUCHDB_USER=admin COUCHDB_PASSWORD=admin .venv/bin/python bench/backup.py

What it does, on the server named by ``COUCHDB_URL`` / ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``:

1. fills a database with ``--docs`` documents (default 20,000: 500 of them at a second revision, one design
   document, non-ASCII text in every document);
2. times ``cloudant backup`` and ``couchbackup`` of it, and ``cloudant restore`` and ``couchrestore`` of each
   one's own file into empty databases (each tool run once, as its command line, in a fresh process);
3. checks that every restored database holds the same documents at the same revisions with the same
   histories as the source, and restores each tool's file with the other tool too;
4. kills ``cloudant backup`` with SIGKILL halfway, runs ``--resume`` and checks the file restores to the
   whole database.

couchbackup is installed from npm into ``bench/.node`` on first use (needs Node.js and npm).
Prints a table of times and a list of checks; exits 1 when a check of this tool fails (a couchrestore
check that fails is reported with its cause: couchrestore 2.11.12 breaks multi-byte characters that fall
on its read-chunk boundaries into U+FFFD).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import quote, urlsplit, urlunsplit

import requests

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / ".node"
COUCHBACKUP_VERSION = "2.11.12"
PYTHON = sys.executable


def server_url() -> Tuple[str, str]:
    """(URL with credentials, URL without)."""
    url = os.environ.get("COUCHDB_URL", "").rstrip("/")
    if not url:
        raise SystemExit("set COUCHDB_URL (and COUCHDB_USER, COUCHDB_PASSWORD)")
    parts = urlsplit(url)
    user, password = os.environ.get("COUCHDB_USER", "admin"), os.environ.get("COUCHDB_PASSWORD", "admin")
    netloc = "%s:%s@%s" % (quote(user, safe=""), quote(password, safe=""), parts.netloc)
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")), url


def install_couchbackup() -> Path:
    """``bench/.node/node_modules/.bin`` with couchbackup and couchrestore, installed by npm once."""
    bin_dir = NODE_DIR / "node_modules" / ".bin"
    if not (bin_dir / "couchbackup").exists():
        NODE_DIR.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR),
                        "@cloudant/couchbackup@%s" % COUCHBACKUP_VERSION], check=True, stdout=subprocess.DEVNULL)
    return bin_dir


def fill(session: requests.Session, base: str, name: str, count: int, updated: int) -> None:
    """Create ``name`` with ``count`` documents (one of them a design document), ``updated`` at revision 2."""
    url = "%s/%s" % (base, name)
    session.put(url).raise_for_status()
    rng = random.Random(7)
    words = ["café", "naïve", "Zürich", "日本語", "Ελληνικά", "✓", "😀", "ascii", "données", "строка"]
    docs: List[Dict[str, Any]] = [{"_id": "_design/bench", "views": {"by_n": {"map": "function (d) { emit(d.n); }"}}}]
    docs += [{"_id": "doc%06d" % i, "n": i, "text": " ".join(rng.choice(words) for _ in range(12)),
              "tags": [rng.choice(words) for _ in range(3)]} for i in range(count - 1)]
    revs: Dict[str, str] = {}
    for start in range(0, len(docs), 2000):
        reply = session.post(url + "/_bulk_docs", json={"docs": docs[start:start + 2000]})
        reply.raise_for_status()
        revs.update((r["id"], r["rev"]) for r in reply.json())
    second = [dict(doc, _rev=revs[doc["_id"]], updated=True) for doc in docs[1:updated + 1]]
    session.post(url + "/_bulk_docs", json={"docs": second}).raise_for_status()


def snapshot(session: requests.Session, base: str, name: str) -> Dict[str, Any]:
    """{id: document with ``_revisions``} of every document (``_bulk_get`` in pages)."""
    url = "%s/%s" % (base, name)
    ids = [row["id"] for row in session.get(url + "/_all_docs").json()["rows"]]
    out: Dict[str, Any] = {}
    for start in range(0, len(ids), 1000):
        body = {"docs": [{"id": i} for i in ids[start:start + 1000]]}
        for result in session.post(url + "/_bulk_get", params={"revs": "true"}, json=body).json()["results"]:
            doc = result["docs"][0]["ok"]
            out[doc["_id"]] = doc
    return out


def same(session: requests.Session, base: str, name: str, expected: Dict[str, Any]) -> Tuple[bool, str]:
    """Whether ``name`` holds exactly ``expected``; else a note: how many documents differ, how many of those
    hold U+FFFD (a character broken in decoding), how many are missing."""
    actual = snapshot(session, base, name)
    if actual == expected:
        return True, ""
    differ = [i for i in expected if i in actual and actual[i] != expected[i]]
    broken = sum(1 for i in differ if "\ufffd" in json.dumps(actual[i], ensure_ascii=False))
    missing = sum(1 for i in expected if i not in actual)
    return False, " (%d differ, %d of them with U+FFFD; %d missing; %d extra)" % (
        len(differ), broken, missing, len(set(actual) - set(expected)))


def timed(command: List[str], **kwargs: Any) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)
    return time.perf_counter() - started


def ours(*args: str) -> List[str]:
    return [PYTHON, "-m", "cloudant", *args, "-q"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--updated", type=int, default=500)
    options = parser.parse_args()
    url, plain_url = server_url()
    bin_dir = install_couchbackup()
    session = requests.Session()
    session.auth = (os.environ.get("COUCHDB_USER", "admin"), os.environ.get("COUCHDB_PASSWORD", "admin"))
    tag = uuid.uuid4().hex[:8]
    source = "bench-backup-%s" % tag
    created = [source]
    env = dict(os.environ, COUCH_URL=url)
    times: List[Tuple[str, float]] = []
    checks: List[Tuple[str, bool, str]] = []

    def new_db() -> str:
        name = "bench-restore-%s-%d" % (tag, len(created))
        session.put("%s/%s" % (plain_url, name)).raise_for_status()
        created.append(name)
        return name

    try:
        fill(session, plain_url, source, options.docs, options.updated)
        expected = snapshot(session, plain_url, source)
        with tempfile.TemporaryDirectory() as tmp:
            our_file, cb_file = os.path.join(tmp, "ours.jsonl"), os.path.join(tmp, "couchbackup.jsonl")
            times.append(("cloudant backup", timed(ours("backup", source, "-o", our_file, "--url", url))))
            with open(cb_file, "wb") as out:
                times.append(("couchbackup", timed([str(bin_dir / "couchbackup"), "--db", source], env=env,
                                                   stdout=out, stderr=subprocess.DEVNULL)))
            target = new_db()
            times.append(("cloudant restore", timed(ours("restore", target, "-i", our_file, "--url", url))))
            checks.append(("cloudant backup -> cloudant restore: same documents and revisions",
                           *same(session, plain_url, target, expected)))
            target = new_db()
            with open(cb_file, "rb") as stream:
                times.append(("couchrestore", timed([str(bin_dir / "couchrestore"), "--db", target], env=env,
                                                    stdin=stream, stderr=subprocess.DEVNULL)))
            checks.append(("couchbackup -> couchrestore: same documents and revisions",
                           *same(session, plain_url, target, expected)))
            target = new_db()
            with open(our_file, "rb") as stream:
                subprocess.run([str(bin_dir / "couchrestore"), "--db", target], env=env, stdin=stream,
                               stderr=subprocess.DEVNULL, check=True)
            checks.append(("cloudant backup -> couchrestore: same documents and revisions",
                           *same(session, plain_url, target, expected)))
            target = new_db()
            subprocess.run(ours("restore", target, "-i", cb_file, "--url", url), check=True)
            checks.append(("couchbackup -> cloudant restore: same documents and revisions",
                           *same(session, plain_url, target, expected)))
            checks.append(("SIGKILL halfway, then --resume: restores to the whole database",
                           kill_and_resume(source, url, os.path.join(tmp, "killed.jsonl"), new_db(), session,
                                           plain_url, expected, options.docs), ""))
    finally:
        for name in created:
            session.delete("%s/%s" % (plain_url, name))
    print_report(times, checks, options.docs)
    ours_ok = all(ok for name, ok, _ in checks if not name.endswith("couchrestore: same documents and revisions"))
    return 0 if ours_ok else 1


def kill_and_resume(source: str, url: str, path: str, target: str, session: requests.Session, plain_url: str,
                    expected: Dict[str, Any], count: int) -> bool:
    """Start a backup, SIGKILL it once about half the documents are logged, resume, restore, compare."""
    process = subprocess.Popen(ours("backup", source, "-o", path, "--url", url, "--batch-size", "250",
                                    "--parallelism", "1"))
    log = path + ".log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        done = 0
        if os.path.exists(log):
            with open(log, encoding="utf-8") as stream:
                done = sum(json.loads(line).get("docs", 0) for line in stream if line.endswith("\n"))
        if done >= count // 2:
            break
        time.sleep(0.005)
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    subprocess.run(ours("backup", source, "-o", path, "--url", url, "--resume"), check=True)
    subprocess.run(ours("restore", target, "-i", path, "--url", url), check=True)
    with open(path, "rb") as stream:
        ids = [doc["_id"] for line in stream for doc in (json.loads(line) if line.startswith(b"[") else [])]
    print("kill test: killed mid-backup: %s; %d ids in the file, %d distinct" % (killed, len(ids), len(set(ids))))
    return killed and len(ids) == len(set(ids)) == count and snapshot(session, plain_url, target) == expected


def print_report(times: List[Tuple[str, float]], checks: List[Tuple[str, bool, str]], count: int) -> None:
    by_name = dict(times)
    print("\n%d documents (%s)" % (count, os.environ.get("COUCHDB_URL", "")))
    print("%-22s %10s" % ("run", "seconds"))
    for name, seconds in times:
        print("%-22s %10.2f" % (name, seconds))
    ours_total = by_name["cloudant backup"] + by_name["cloudant restore"]
    theirs_total = by_name["couchbackup"] + by_name["couchrestore"]
    print("%-22s %10.2f" % ("cloudant total", ours_total))
    print("%-22s %10.2f" % ("couchbackup total", theirs_total))
    print("%-22s %10.2f   (target: at most 0.50)" % ("ratio ours/theirs", ours_total / theirs_total))
    print()
    for name, ok, note in checks:
        print("%-4s %s%s" % ("ok" if ok else "FAIL", name, note))


if __name__ == "__main__":
    sys.exit(main())
