"""``python -m bimotion``: the ``bimotion`` command line (:func:`bimotion.cli.main`), for an
environment whose console scripts are not on ``PATH``."""

import sys

from bimotion.cli import main

if __name__ == "__main__":
    sys.exit(main())
