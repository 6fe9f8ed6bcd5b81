"""The command line, on top of both layers: `nhs-ledger build` runs the Dagster definitions (`assets/`), the other
commands call the engine (`pipeline/`) directly. The command itself is `cli.main.main`."""
