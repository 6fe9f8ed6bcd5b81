"""frictionless plugin, found by frictionless itself (it loads installed `frictionless_*` modules).

With NHS Ledger installed, the stock `frictionless validate datapackage.json` reads a release's Parquet
files with pyarrow (list columns included) and checks every cell, key, size and hash; see
`pipeline/release/validate.py`.
"""

from pipeline.release.validate import ArrowParquetPlugin as NhsledgerPlugin

__all__ = ["NhsledgerPlugin"]
