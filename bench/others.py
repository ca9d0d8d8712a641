"""The other libraries' sides, each run in its own virtualenv: python-cloudant 2.15.0 and IBM's ``ibmcloudant``.

A :class:`Side` starts its script (``predecessor.py``, ``sdk_ibmcloudant.py``) with that virtualenv's
interpreter in isolated mode (``-I``: the checkout's ``cloudant`` can never shadow the library timed), once per
task, and reads the JSON the script prints (see :mod:`_side`). The memory runs of ``memory.py`` go the same way,
with this interpreter.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import setup_ibmcloudant
import setup_predecessor

HERE = Path(__file__).resolve().parent


def subprocess_json(command: List[str], timeout: float) -> Dict[str, Any]:
    """Run a helper script and decode the JSON object it prints last (or describe how it failed)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after %.0fs" % timeout}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["exit status %d" % done.returncode])[-1][:200]}
    return json.loads(lines[-1])


@dataclass
class Side:
    """Another library: its column name, its interpreter and the script that runs its tasks."""

    name: str
    python: Path
    script: Path
    setup_command: str

    def run(self, task: str, **args: Any) -> Dict[str, Any]:
        return subprocess_json([str(self.python), "-I", str(self.script), task, json.dumps(args)], timeout=3600)


def available(skip: List[str]) -> List[Side]:
    """The other libraries whose virtualenv exists, less those named in ``skip``."""
    sides = [
        Side("2.15.0", setup_predecessor.interpreter(), HERE / "predecessor.py", "bench/setup_predecessor.py"),
        Side("ibmcloudant", setup_ibmcloudant.interpreter(), HERE / "sdk_ibmcloudant.py",
             "bench/setup_ibmcloudant.py"),
    ]
    return [side for side in sides if side.name not in skip]


def memory(mode: str, **args: Any) -> Dict[str, Any]:
    """``memory.py MODE`` with this interpreter, in a fresh process."""
    return subprocess_json([sys.executable, str(HERE / "memory.py"), mode, json.dumps(args)], timeout=3600)


def missing_note(side: Side) -> Optional[str]:
    """Why ``side`` is not measured, or ``None`` when its virtualenv exists."""
    if side.python.exists():
        return None
    return "%s not measured: run `python %s` first" % (side.name, side.setup_command)
