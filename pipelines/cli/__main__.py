"""`python -m pipelines.cli ...` runs the same command line as `breakeven ...`."""

import sys

from pipelines.cli import main

sys.exit(main())
