"""``python -m agents.zoo``: see :mod:`agents.zoo.cli`."""

import sys

from agents.zoo.cli import main

sys.exit(main())
