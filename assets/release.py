"""Publish layer: a versioned release of the warehouse, as a Dagster asset.

A thin wrapper over `pipeline.release.build_release`. It is kept out of the
`build` job and runs only in the `release` job, when someone asks for a release:
a release is a public, versioned promise, not a by-product of every build.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.resources import LedgerPaths
from pipeline import __version__
from pipeline.release.version import VERSION_ENV, resolve_version


class ReleaseConfig(dg.Config):
    version: str = Field(
        default="",
        description=f"Release version: semantic (1.2.0) or a date (2026.11.22). Empty: ${VERSION_ENV} if set, "
                    "else today's date (UTC).",
    )
    include_body_text: bool = Field(
        default=False, description="Include articles.body_text (the publishers' text); left out by default.")
    overwrite: bool = Field(default=False, description="Replace an existing release of the same version.")
    shared_dir: str = Field(
        default="", description="Folder holding the devset for the release's scores; empty: ../shared beside "
                                "the project, when present.")


@dg.asset(
    group_name="publish",
    deps=["nhs_ledger_duckdb"],
    code_version=__version__,
    description="A versioned release under `releases/<version>/`: one zstd Parquet file per public table "
                "(without the articles' text), datapackage.json, a generated data dictionary, CHANGES.md "
                "against the previous release, devset scores and SHA256SUMS, plus a deterministic "
                "`releases/nhs-ledger-<version>.tar.gz`.",
)
def release(context: dg.AssetExecutionContext, config: ReleaseConfig, ledger: LedgerPaths) -> dg.MaterializeResult:
    version = resolve_version(config.version)

    def log_progress(stage: str, done: int, total: int) -> None:
        context.log.debug(f"{stage}: {done}/{total}")

    # Imported here: every build loads these definitions, and only a release needs the release's code.
    from pipeline.release import build_release

    result = build_release(
        ledger.warehouse, version, include_body_text=config.include_body_text, overwrite=config.overwrite,
        shared_dir=Path(config.shared_dir) if config.shared_dir else None, progress=log_progress,
    )
    rows = "\n".join(f"| {table} | {count} |" for table, count in result.row_counts.items())
    changes = "\n".join(f"| {table} | {c['added']} | {c['removed']} | {c['changed']} |"
                        for table, c in result.change_counts.items())
    metadata = {
        "version": dg.MetadataValue.text(version),
        "path": dg.MetadataValue.path(str(result.path)),
        "tarball": dg.MetadataValue.path(str(result.tarball)),
        "tarball_sha256": dg.MetadataValue.text(result.tarball_sha256),
        "file_count": dg.MetadataValue.int(len(result.files)),
        "row_counts": dg.MetadataValue.json(result.row_counts),
        "tables": dg.MetadataValue.md("| table | rows |\n| --- | ---: |\n" + rows),
        "previous_version": dg.MetadataValue.text(result.previous_version or "none (first release)"),
        "changes": dg.MetadataValue.md("| table | added | removed | changed |\n| --- | ---: | ---: | ---: |\n"
                                       + changes),
    }
    if result.scores is not None:
        metadata["devset_f1"] = dg.MetadataValue.float(result.scores["overall"]["f1"] or 0.0)
    return dg.MaterializeResult(metadata=metadata)
