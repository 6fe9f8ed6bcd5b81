"""Versioned releases of NHS Ledger: what people download, check and cite.

`build_release(warehouse, version)` writes `<warehouse>/releases/<version>/`
(one zstd Parquet file per public table, `datapackage.json`, a generated
`README.md` data dictionary, `CHANGES.md` and `data/changes.parquet` against the
previous release, devset `scores.json` when the devset is at hand, and
`SHA256SUMS`) and a deterministic `releases/nhs-ledger-<version>.tar.gz`.

One job per module: `version` (names and order of versions), `export` (data
files), `diff` and `changelog` (changes since the previous release),
`datapackage` (Frictionless descriptor), `dictionary` (README), `scores`
(devset evaluation), `checksums`, `archive` (the tarball), `validate`
(frictionless), `progress` (a terminal progress bar for the CLI) and `build`
(the order of work and the atomic swap). No Dagster here: `assets/release.py`
wraps `build_release` as an asset.
"""

from pipeline.release.build import ReleaseResult, build_release
from pipeline.release.version import ReleaseError, date_version, resolve_version, validate_version

__all__ = ["ReleaseError", "ReleaseResult", "build_release", "date_version", "resolve_version", "validate_version"]
