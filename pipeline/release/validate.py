"""Validating a release's data package with the `frictionless` library.

frictionless 5's own Parquet format (the `parquet` extra adds only pyarrow)
reads through pandas, which turns list columns into numpy arrays that its cell
checks reject (`organisations.aliases` fails), and it bypasses the byte stream
on which frictionless counts and hashes a file, so `bytes` and `hash` go
unchecked. frictionless's supported extension point is a plugin: the one
registered here reads Parquet with pyarrow straight to Python values (lists,
dates, datetimes) through frictionless's loader, and frictionless then checks
every cell, constraint, primary and foreign key, size and checksum itself.
The engine imports frictionless only here.

A release checks itself with `check_package`: frictionless validates the
descriptor (`datapackage.json`) and `table_checks` checks the data against it a
column at a time, as frictionless would row by row (and in its words), in a
fraction of the time. `validate_package` (and `python -m
pipeline.release.validate`, and the stock `frictionless validate`) still reads
every row through frictionless.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
from frictionless import Package, Plugin, Report, system
from frictionless.resources import TableResource
from frictionless.system import Parser

PLUGIN_NAME = "nhs_ledger_parquet"
_BATCH_ROWS = 10_000
_CHUNK_BYTES = 1 << 20


class ArrowParquetParser(Parser):
    """Reads a local Parquet file row by row with pyarrow, keeping nested values as Python lists."""

    supported_types = ["array", "boolean", "date", "datetime", "integer", "number", "object", "string", "time"]
    # Through frictionless's loader, so that it counts the bytes and hashes them as it reads, and checks
    # them against the resource's `bytes` and `hash` (a parser reading the path itself leaves both unchecked).
    requires_loader = True

    def read_cell_stream_create(self):
        # Parquet keeps its footer at the end, so the file is read whole before pyarrow can open it.
        parquet = pq.ParquetFile(io.BytesIO(self._read_all()))
        names = parquet.schema_arrow.names
        yield names
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
            columns = [column.to_pylist() for column in batch.columns]
            yield from (list(row) for row in zip(*columns))

    def _read_all(self) -> bytes:
        # read1 until the end: the loader counts and hashes in read1 (a plain read() would bypass it).
        stream, chunks = self.loader.byte_stream, []
        while chunk := stream.read1(_CHUNK_BYTES):
            chunks.append(chunk)
        return b"".join(chunks)


class ArrowParquetPlugin(Plugin):
    def create_parser(self, resource):
        if resource.format in ("parquet", "parq") and isinstance(resource, TableResource):
            return ArrowParquetParser(resource)
        return None


def register_plugin() -> None:
    # Plugins registered at run time take precedence over frictionless's own parquet format.
    system.register(PLUGIN_NAME, ArrowParquetPlugin())


def validate_package(release_dir: Path) -> Report:
    register_plugin()
    package = Package(str(release_dir / "datapackage.json"))
    return package.validate()


def check_package(release_dir: Path, *, sums: bool = True) -> tuple[list[str], list[str]]:
    """What is wrong with a release folder: the files whose checksum in SHA256SUMS does not verify (with `sums`;
    without, the folder need have no SHA256SUMS yet), and the problems of its data package, one line each (both
    empty when nothing is). frictionless validates the descriptor; `table_checks.check_resources` checks the
    files and tables against it."""
    checksum_failures, problems, _ = check_package_files(release_dir, sums=sums)
    return checksum_failures, problems


def check_package_files(release_dir: Path, *, sums: bool = True
                        ) -> tuple[list[str], list[str], dict[str, tuple[str, int] | None]]:
    """`check_package`, and the (sha256, bytes) of each file it hashed."""
    from pipeline.release.checksums import verify_sums
    from pipeline.release.table_checks import check_resources

    release_dir = Path(release_dir)
    descriptor_report = Package.validate_descriptor(str(release_dir / "datapackage.json"))
    if not descriptor_report.valid:
        return (verify_sums(release_dir) if sums else []), report_errors(descriptor_report), {}
    report = check_resources(release_dir, sums=sums)
    return report.checksum_failures, report.lines(), report.digests


def report_errors(report: Report, limit: int = 10) -> list[str]:
    """The first errors of a report as one line each: resource, row, field and note."""
    lines = []
    for task in report.tasks:
        for error in task.errors[:limit]:
            lines.append(f"{task.name}: {error.message}")
    lines += [error.message for error in report.errors[:limit]]
    return lines[:limit]


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline.release.validate FOLDER`: validate a release folder, print its errors."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pipeline.release.validate RELEASE_FOLDER", file=sys.stderr)
        return 2
    report = validate_package(Path(args[0]))
    if report.valid:
        print(f"{args[0]}: valid")
        return 0
    print("\n".join(report_errors(report, limit=50)))
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
