"""`build_release`: a versioned release folder and archive, from a built warehouse.

Order of work: data files, devset scores, the diff against the previous
release, `datapackage.json` (which needs the data files' checksums), `README.md`,
`SHA256SUMS` (last, over everything else), validation of the package, and the
archive. All of it is written into a hidden folder beside the final one and
renamed into place at the end, so `releases/<version>/` is either absent or
complete: a crash or a failed validation leaves no half release behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline import progress as pipeline_progress
from pipeline.browse.metadata import datasette_metadata
from pipeline.browse.sqlite import TableRows, write_sqlite
from pipeline.register.report import match_rates
from pipeline.warehouse import atomic
from pipeline.release import archive, changelog, checksums, datapackage, dictionary, diff, export, scores
from pipeline.release.version import (
    DATA_PACKAGE, ReleaseError, existing_releases, previous_release, releases_dir, validate_version, version_key,
)
from pipeline.versions import code_fingerprint
from pipeline.publish.database import DUCKDB_FILE, open_warehouse
from schemas import REGISTRY

Progress = Callable[[str, int, int], None]
SCORES_FILE = "scores.json"
README_FILE = "README.md"
CHANGES_FILE = "CHANGES.md"
CHANGES_DATA = Path(export.DATA_DIR) / "changes.parquet"
# Progress is reported as three stages, each counting its own steps (the CLI draws one bar per stage).
STAGE_TABLES, STAGE_SCORES, STAGE_FILES = "release tables", "release scores", "release files"
# The data package is checked while the report (on a thread of its own since "editions") is still being written;
# "report" is the wait for it; "SHA256SUMS" writes the sums of every file, report included, and verifies them.
FILE_STEPS = ("changes", "editions", "datapackage.json", "validation", "report", "README.md", "SHA256SUMS",
              "archive")
SQLITE_DATA = Path(export.DATA_DIR) / "nhs_ledger.sqlite"
DATASETTE_METADATA = "datasette.json"
REPORT_INDEX = "report/index.html"
# Kept in memory after the export: the diffed tables, the articles (their URLs) and the organisations.
_KEPT_FRAMES = frozenset({"savings", "deficits", "organisations", "articles"})
_SQLITE_BATCH_ROWS = 50_000
NO_SCORES = "the project's hand-annotated devset was not at hand when it was built."


@dataclass(frozen=True)
class ReleaseResult:
    version: str
    path: Path  # the release folder
    tarball: Path
    tarball_sha256: str
    files: list[str]  # every file of the release, relative to its folder
    row_counts: dict[str, int]  # released table -> rows
    previous_version: str | None
    change_counts: dict[str, dict[str, int]]  # diffed table -> added/removed/changed -> rows
    scores: dict | None  # the devset report, when the devset was at hand
    created: str | None  # when the newest run of the warehouse finished


@dataclass
class _Contents:
    """What the steps of a release pass on to each other."""

    exported: list[export.ExportedTable]
    # The tables later steps read in memory (the diffed ones until the diff is made, the articles' URLs, the
    # organisations); the SQLite edition reads every table back from its data file, a batch at a time.
    frames: dict[str, pl.DataFrame]
    created: dt.datetime | None
    code_version: str  # that built the data
    release_code_version: str  # that cuts the release and scores the devset
    scores: dict | None = None
    diff: diff.ReleaseDiff | None = None


def tarball_name(version: str) -> str:
    return f"nhs-ledger-{version}.tar.gz"


def build_release(warehouse: Path, version: str, *, shared_dir: Path | None = None, include_body_text: bool = False,
                  previous: Path | None = None, progress: Progress | None = None, overwrite: bool = False,
                  validate: bool = True) -> ReleaseResult:
    """Write `<warehouse>/releases/<version>/` and `<warehouse>/releases/nhs-ledger-<version>.tar.gz`.

    `shared_dir` holds the devset (default: the `shared` folder beside the project, when present);
    `previous` is the release folder to compare with (default: the latest release older than `version`);
    `progress(stage, done, total)` hears of each step (default: `pipeline.progress.report`, which the CLI's
    progress bars listen to). Refuses to replace an existing release unless `overwrite`.
    """
    warehouse = Path(warehouse)
    target = releases_dir(warehouse) / validate_version(version)
    previous_dir = _check_request(warehouse, target, previous, overwrite)
    shared = shared_dir if shared_dir is not None else scores.default_shared_dir()
    report = progress or pipeline_progress.report

    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".building-{version}-", dir=target.parent))
    building_tarball = building.with_name(building.name + ".tar.gz")
    tarball = target.parent / tarball_name(version)
    report_job: Future | None = None
    try:
        contents = _export(building, warehouse, report, include_body_text=include_body_text)
        if scores.has_devset(shared):
            report(STAGE_SCORES, 0, 1)
            contents.scores = scores.devset_scores(shared)
            (building / SCORES_FILE).write_text(_json(contents.scores), encoding="utf-8", newline="\n")
            report(STAGE_SCORES, 1, 1)
        def step(name: str) -> None:
            report(STAGE_FILES, FILE_STEPS.index(name), len(FILE_STEPS))

        step("changes")
        _write_changes(building, version, contents, previous_dir)
        step("editions")
        # The report reads the DuckDB file on its own: it is made on a thread of its own while this one writes
        # the SQLite edition (whose SQLite work holds no GIL) and checks the data package, and is waited for
        # before the files that list it. Started here, not sooner: the export's memory is gone by now.
        report_job = _start_report(warehouse, building)
        _write_editions(building, version, contents)
        step("datapackage.json")
        descriptor = _write_package(building, version, contents)
        step("validation")
        hashed = _validate(building) if validate else {}
        step("report")
        report_job.result()
        step("README.md")
        _write_readme(building, version, contents, descriptor.get("created"), include_body_text)
        step("SHA256SUMS")
        checksums.write_sums(building)
        if validate:
            _verify_sums(building, hashed)
        step("archive")
        archive.write_tarball(building, building_tarball, root_name=f"nhs-ledger-{version}")
        tarball_sha256 = checksums.sha256_file(building_tarball)
        files = [*checksums.release_files(building), checksums.SUMS_FILE]
        # The folder first, then its archive and the archive's checksum: each rename is atomic.
        atomic.replace_folder(building, target)
        os.replace(building_tarball, tarball)
        tarball.with_name(tarball.name + ".sha256").write_text(
            f"{tarball_sha256}  {tarball.name}\n", encoding="utf-8", newline="\n")
    except BaseException:
        _stop_report(report_job)
        shutil.rmtree(building, ignore_errors=True)
        building_tarball.unlink(missing_ok=True)
        raise
    report(STAGE_FILES, len(FILE_STEPS), len(FILE_STEPS))
    return ReleaseResult(
        version=version, path=target, tarball=tarball, tarball_sha256=tarball_sha256, files=files,
        row_counts={e.table.name: e.rows for e in contents.exported},
        previous_version=contents.diff.previous_version, change_counts=_change_counts(contents),
        scores=contents.scores, created=descriptor.get("created"),
    )


def _check_request(warehouse: Path, target: Path, previous: Path | None, overwrite: bool) -> Path | None:
    """Refuse what cannot or must not be released, before anything is written; returns the previous release."""
    version = target.name
    if not (warehouse / DUCKDB_FILE).is_file():
        raise FileNotFoundError(f"no DuckDB file at {warehouse / DUCKDB_FILE}: build the warehouse first "
                                "(nhs-ledger build)")
    if target.exists() and not overwrite:
        raise ReleaseError(f"release {version} already exists at {target}; choose a new version "
                           "(or pass overwrite=True / --overwrite to replace it)")
    clash = [name for name in existing_releases(warehouse)
             if name != version and version_key(name) == version_key(version)]
    if clash:
        raise ReleaseError(f"release {clash[0]} already exists and is the same version as {version}")
    previous_dir = Path(previous) if previous is not None else previous_release(warehouse, version)
    if previous_dir is not None and not (previous_dir / DATA_PACKAGE).is_file():
        raise ReleaseError(f"previous release {previous_dir} has no {DATA_PACKAGE}")
    return previous_dir


def _export(folder: Path, warehouse: Path, report: Progress, *, include_body_text: bool) -> _Contents:
    tables = REGISTRY.public()
    connection = open_warehouse(warehouse)
    try:
        exported, frames = [], {}
        for done, table in enumerate(tables):
            report(STAGE_TABLES, done, len(tables))
            written, frame = export.export_table(connection, table, folder, include_body_text=include_body_text,
                                                 keep=table.name in _KEPT_FRAMES)
            exported.append(written)
            if frame is not None:
                frames[table.name] = frame.select("url") if table.name == "articles" and "url" in frame.columns \
                    else frame
            del frame
        report(STAGE_TABLES, len(tables), len(tables))
        created, built_by = export.newest_run(connection), export.code_versions(connection)
    finally:
        connection.close()
    release_code_version = f"{__version__}+{code_fingerprint()}"
    return _Contents(exported, frames, created, ", ".join(built_by) or release_code_version, release_code_version)


def _write_changes(folder: Path, version: str, contents: _Contents, previous_dir: Path | None) -> None:
    previous_version = previous_dir.name if previous_dir is not None else None
    diffed = {name: frame for name, frame in contents.frames.items() if name in diff.DIFFED_TABLES}
    contents.diff = diff.diff_releases(previous_dir, previous_version, diffed,
                                       rows_now={e.table.name: e.rows for e in contents.exported})
    for name in diff.DIFFED_TABLES:  # done with: only the organisations are read again (the README's rates)
        if name != "organisations":
            contents.frames.pop(name, None)
    frame = contents.diff.frame()
    export.write_parquet(frame, folder / CHANGES_DATA, diff.CHANGES_TABLE.name)
    contents.exported.append(export.ExportedTable(diff.CHANGES_TABLE, CHANGES_DATA, frame.height))
    (folder / CHANGES_FILE).write_text(changelog.render_changes(contents.diff, version), encoding="utf-8",
                                       newline="\n")


def _write_editions(folder: Path, version: str, contents: _Contents) -> None:
    """The same tables as one SQLite file with its Datasette metadata (the static HTML report is written on its
    own thread meanwhile)."""
    tables = [TableRows(e.table, _batches(folder / e.path)) for e in contents.exported]
    write_sqlite(folder / SQLITE_DATA, tables)
    metadata = datasette_metadata(SQLITE_DATA.stem, [e.table for e in contents.exported], version=version)
    (folder / DATASETTE_METADATA).write_text(_json(metadata), encoding="utf-8", newline="\n")


def _batches(path: Path) -> Iterator[pl.DataFrame]:
    """A data file of the release as frames of a batch of rows each: the table is never in memory whole."""
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=_SQLITE_BATCH_ROWS):
        yield pl.from_arrow(batch)


def _start_report(warehouse: Path, folder: Path) -> Future:
    from pipeline.report import build_report  # late: its chart libraries take a while to import

    pool = ThreadPoolExecutor(1, thread_name_prefix="release-report")
    try:
        return pool.submit(build_report, warehouse, folder / Path(REPORT_INDEX).parent)
    finally:
        pool.shutdown(wait=False)


def _stop_report(report_job: Future | None) -> None:
    """A release that fails lets its report end before its folder is removed (a thread cannot be stopped; the
    report writes into that folder), and the report's own error, if any, gives way to the release's."""
    if report_job is None or report_job.done():
        return
    try:
        report_job.result()
    except BaseException:
        pass


def _editions(folder: Path) -> list[tuple[str, str]]:
    found = [(SQLITE_DATA.as_posix(), datapackage.SQLITE_DESCRIPTION),
             (DATASETTE_METADATA, "Datasette's metadata for the SQLite file: descriptions, facets, the cookbook's "
                                  "queries"),
             (REPORT_INDEX, "the static report: charts of the figures, and a page per body with every claim")]
    return [(path, what) for path, what in found if (folder / path).is_file()]


def _write_package(folder: Path, version: str, contents: _Contents) -> dict:
    sqlite = folder / SQLITE_DATA
    paths = [folder / e.path for e in contents.exported] + ([sqlite] if sqlite.is_file() else [])
    digests = checksums.sha256_files(paths)
    files = [datapackage.PackagedFile(e.table, e.path.as_posix(), path.stat().st_size, digest)
             for e, path, digest in zip(contents.exported, paths, digests)]
    extra = ([datapackage.sqlite_resource(SQLITE_DATA.as_posix(), sqlite.stat().st_size, digests[-1])]
             if sqlite.is_file() else [])
    articles = contents.frames.get("articles")  # its URLs
    urls = articles["url"].to_list() if articles is not None and "url" in articles.columns else []
    descriptor = datapackage.package_descriptor(files, version=version, created=contents.created,
                                                code_version=contents.code_version,
                                                sources=datapackage.sources(urls), files_besides=extra)
    datapackage.write_package(descriptor, folder / DATA_PACKAGE)
    return descriptor


def _write_readme(folder: Path, version: str, contents: _Contents, created: str | None,
                  include_body_text: bool) -> None:
    readme = dictionary.render_readme(dictionary.ReadmeInputs(
        version=version, created=created, code_version=contents.code_version,
        scores_code_version=contents.release_code_version,
        tables=[(e.table, e.path.as_posix(), e.rows) for e in contents.exported],
        previous_version=contents.diff.previous_version, change_counts=_change_counts(contents),
        scores=contents.scores, scores_note=NO_SCORES, include_body_text=include_body_text,
        tarball_name=tarball_name(version),
        match_rates=match_rates(contents.frames["organisations"]) if "organisations" in contents.frames else {},
        editions=_editions(folder),
    ))
    (folder / README_FILE).write_text(readme, encoding="utf-8", newline="\n")


def _change_counts(contents: _Contents) -> dict[str, dict[str, int]]:
    return {table: {kind: contents.diff.count(table, kind) for kind in diff.CHANGE_KINDS}
            for table in diff.DIFFED_TABLES if table in contents.diff.row_counts}


def _validate(folder: Path) -> dict[str, tuple[str, int] | None]:
    """Raise ReleaseError unless the folder's data package checks out (its SHA256SUMS is not written yet: see
    `_verify_sums`); the digests of the files it hashed."""
    # Imported late: frictionless is slow to import and only this step needs it.
    from pipeline.release.validate import check_package_files

    _, problems, hashed = check_package_files(folder, sums=False)
    if problems:
        raise ReleaseError("the data package does not validate: " + "; ".join(problems))
    return hashed


def _verify_sums(folder: Path, hashed: dict[str, tuple[str, int] | None]) -> None:
    """The SHA256SUMS just written, checked against the files (those the validation hashed are not read again:
    nothing has written them since)."""
    failures = checksums.verify_sums(folder, known=hashed)
    if failures:
        raise ReleaseError(f"checksums do not verify for {', '.join(failures)}")


def _json(payload: dict) -> str:
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
