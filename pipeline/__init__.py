"""NHS Ledger's engine: plain functions over polars frames and Python values.

Nothing in this package imports Dagster except `definitions.py` (which gathers
the asset wrappers from `assets/`) and `cli.py` (which materialises them), so
the engine stays fast to test and usable without an orchestrator.
"""

__version__ = "0.1.0"
