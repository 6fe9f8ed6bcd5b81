"""NHS Ledger's engine: plain functions over polars frames and Python values.

Nothing in this package imports Dagster, the asset wrappers of `assets/` or the
command line of `cli/` (the import-linter contracts of pyproject.toml say so), so
the engine stays fast to test and usable without an orchestrator: `pipeline.build`
runs the whole build as plain steps. ARCHITECTURE.md maps the stages.
"""

__version__ = "0.1.0"
