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

from pipeline.release.version import ReleaseError, date_version, resolve_version, validate_version

__all__ = ["ReleaseError", "ReleaseResult", "build_release", "date_version", "resolve_version", "validate_version"]


def __getattr__(name: str):
    # The release's own code (polars, pyarrow, the exporters) is imported when asked for, not with the package:
    # every build loads the Dagster definitions, whose release asset reads only `version` until it runs.
    if name in ("ReleaseResult", "build_release"):
        from pipeline.release import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
