"""`python -m cli`: the same command as the `nhs-ledger` script."""

import sys

from cli.main import main

sys.exit(main())
