"""``python -m skw2v``: the skw2v command line (see :mod:`skw2v.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
