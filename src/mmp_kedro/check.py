"""``python -m mmp_kedro.check --env dev``: is this machine ready to run an env?

The checks themselves: :mod:`mmp_kedro.services.environment_check`.
"""

import sys

from mmp_kedro.services.environment_check import main

if __name__ == "__main__":
    sys.exit(main())
