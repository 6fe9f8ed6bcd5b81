"""The command line, on top of both layers: `nhs-ledger build` runs the Dagster definitions (`assets/`), the other
commands call the engine (`pipeline/`) directly."""

from cli.main import main

__all__ = ["main"]
