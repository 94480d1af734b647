"""`python -m rolecall`: the same as the `rolecall` command."""

import sys

from .cli import main

sys.exit(main())
