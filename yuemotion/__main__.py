"""``python -m yuemotion``: the ``yuemotion`` command line (:func:`yuemotion.cli.main`), for an
environment whose console scripts are not on ``PATH``."""

import sys

from yuemotion.cli import main

if __name__ == "__main__":
    sys.exit(main())
