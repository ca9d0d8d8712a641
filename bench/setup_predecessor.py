"""Create ``bench/.venv-predecessor``: a virtualenv holding python-cloudant 2.15.0, the predecessor.

``python bench/setup_predecessor.py`` (any Python 3.9+). ``bench/run.py`` then times the predecessor too,
running ``bench/predecessor.py`` with that virtualenv's interpreter. The virtualenv stays out of git.
"""
from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-predecessor"
REQUIREMENT = "cloudant==2.15.0"


def interpreter(root: Path = VENV) -> Path:
    """The virtualenv's python (``bin/python``, or ``Scripts/python.exe`` on Windows)."""
    unix = root / "bin" / "python"
    return unix if unix.exists() else root / "Scripts" / "python.exe"


def main() -> int:
    if not interpreter().exists():
        print("creating %s" % VENV)
        venv.EnvBuilder(with_pip=True).create(VENV)
    command = [str(interpreter()), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", REQUIREMENT]
    print(" ".join(command))
    status = subprocess.call(command)
    if status == 0:
        subprocess.call([str(interpreter()), "-I", "-W", "ignore", "-c",
                         "import cloudant, requests, urllib3; print('cloudant', cloudant.__version__, "
                         "'requests', requests.__version__, 'urllib3', urllib3.__version__)"])
    return status


if __name__ == "__main__":
    sys.exit(main())
