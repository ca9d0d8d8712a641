"""Create ``bench/.venv-ibmcloudant``: a virtualenv holding IBM's ``ibmcloudant`` SDK (optional).

``python bench/setup_ibmcloudant.py`` (any Python 3.9+). ``bench/run.py`` then times the SDK too, running
``bench/ibmcloudant_side.py`` with that virtualenv's interpreter. The virtualenv stays out of git.
"""
from __future__ import annotations

import sys
from pathlib import Path

from setup_predecessor import create, interpreter as _interpreter

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-ibmcloudant"
REQUIREMENT = "ibmcloudant==0.11.12"


def interpreter(root: Path = VENV) -> Path:
    """The virtualenv's python (``bin/python``, or ``Scripts/python.exe`` on Windows)."""
    return _interpreter(root)


def main() -> int:
    return create(VENV, REQUIREMENT, "from ibmcloudant.version import __version__ as v; import requests; "
                                     "print('ibmcloudant', v, 'requests', requests.__version__)")


if __name__ == "__main__":
    sys.exit(main())
