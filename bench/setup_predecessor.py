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


def create(root: Path, requirement: str, version_check: str) -> int:
    """Create the virtualenv ``root`` if needed, install ``requirement`` into it and print what
    ``version_check`` (Python code) prints there; return pip's exit status."""
    python = interpreter(root)
    if not python.exists():
        print("creating %s" % root)
        venv.EnvBuilder(with_pip=True).create(root)
        python = interpreter(root)
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", requirement]
    print(" ".join(command))
    status = subprocess.call(command)
    if status == 0:
        subprocess.call([str(python), "-I", "-W", "ignore", "-c", version_check])
    return status


def main() -> int:
    return create(VENV, REQUIREMENT, "import cloudant, requests, urllib3; print('cloudant', cloudant.__version__, "
                                     "'requests', requests.__version__, 'urllib3', urllib3.__version__)")


if __name__ == "__main__":
    sys.exit(main())
