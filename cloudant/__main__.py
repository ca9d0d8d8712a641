"""``python -m cloudant``: the command line (see :mod:`cloudant.cli`)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
