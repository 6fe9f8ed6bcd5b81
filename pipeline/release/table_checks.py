"""The release's data checked against its own `datapackage.json`, a column at a time, with pyarrow and polars.

What frictionless checks when it reads a package row by row, done per column: every file's size and SHA-256
(against `SHA256SUMS` and the resource's `bytes` and `hash`), each table's labels against its schema's field
names, each column's type, every field constraint (`required`, `unique`, `enum`, `pattern`, `minimum`,
`maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minLength`, `maxLength`), blank rows, the primary key and
every foreign key. A problem is worded as frictionless words it (its error type, and its message with the row's
position counted as frictionless counts it, the header being row 1), so a failed release reads the same as
before. Files are read one column (or one key) at a time, so memory holds a column, never a whole table.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.release.checksums import Digest, digest, inside, read_sums, sum_failures

# Rows listed per problem of one kind in one column; the count says how many there are in all.
ROWS_LISTED = 10
_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}


@dataclass(frozen=True)
class Problem:
    type: str  # frictionless's error type: "constraint-error", "hash-count", "foreign-key", ...
    resource: str  # "" for the package as a whole
    message: str

    def line(self) -> str:
        return f"{self.resource}: {self.message}" if self.resource else self.message


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # tabular resource -> rows read
    checksum_failures: list[str] = field(default_factory=list)  # files of SHA256SUMS that do not verify
    # each file hashed, None when missing: `checksums.verify_sums` need not hash them again
    digests: dict[str, Digest | None] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems and not self.checksum_failures

    def lines(self, limit: int = 10) -> list[str]:
        """At most `limit` problems, one line each, taken from each resource in turn (so that one table's many
        errors do not hide another's), and a last line counting the rest."""
        groups: dict[str, list[Problem]] = {}
        for problem in self.problems:
            groups.setdefault(problem.resource, []).append(problem)
        queues, chosen = [list(group) for group in groups.values()], []
        while len(chosen) < limit and any(queues):
            for queue in queues:
                if queue and len(chosen) < limit:
                    chosen.append(queue.pop(0))
        order = {id(p): i for i, p in enumerate(self.problems)}
        lines = [p.line() for p in sorted(chosen, key=lambda p: order[id(p)])]
        rest = [name or "the package" for name, queue in zip(groups, queues) if queue]
        if rest:
            lines.append(f"and {sum(map(len, queues))} more problems (in {', '.join(rest)})")
        return lines


def check_release(folder: Path, *, threads: int = 2) -> CheckReport:
    """Check the release folder's files against its SHA256SUMS and its datapackage.json's resources."""
    return check_resources(folder, threads=threads, sums=True)


def check_resources(folder: Path, *, threads: int = 2, sums: bool = False) -> CheckReport:
    """Check the files and tables that datapackage.json lists against it; with `sums`, every file of the folder's
    SHA256SUMS against its checksum as well (each file is hashed once for both). Without, the folder need hold
    no SHA256SUMS yet: a release checks its data while its report is still being written."""
    folder = Path(folder)
    report = CheckReport()
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    listed = read_sums(folder) if sums else {}
    resources = descriptor.get("resources", [])
    paths = sorted({*listed, *(r["path"] for r in resources if isinstance(r.get("path"), str))})
    # Hashing (hashlib lets go of the GIL) runs beside the table checks.
    with ThreadPoolExecutor(threads, thread_name_prefix="sha256") as pool:
        digests = {name: pool.submit(digest, folder, name) for name in paths}
        tabular = [r for r in resources if r.get("type") == "table" or "schema" in r]
        table_problems = {id(r): _check_table(folder, r, tabular, report) for r in tabular}
        digested = {name: future.result() for name, future in digests.items()}
    report.digests = digested
    report.checksum_failures = sum_failures(listed, digested)
    for resource in resources:  # as frictionless reports them: a table's cells, then its size and hash
        report.problems += table_problems.get(id(resource), [])
        report.problems += _check_file(resource, digested.get(resource.get("path")))
    return report


def _check_file(resource: dict, digest: Digest | None) -> list[Problem]:
    name = resource.get("name", "")
    if digest is None:
        return [Problem("scheme-error", name, "The data source could not be successfully loaded: "
                        f'[Errno 2] No such file or directory: "{resource.get("path")}"')]
    sha256, size = digest
    problems = []
    expected_hash = resource.get("hash")
    if expected_hash is not None:
        algorithm, _, value = expected_hash.rpartition(":")
        if algorithm not in ("", "sha256", "md5") or (algorithm == "" and len(value) != 32):
            problems.append(Problem("hash-count", name, "The data source does not match the expected hash count: "
                                    f'hash algorithm "{algorithm}" is not checked here'))
        elif algorithm == "sha256" and value != sha256:
            problems.append(Problem("hash-count", name, "The data source does not match the expected hash count: "
                                    f'expected is "{expected_hash}" and actual is "sha256:{sha256}"'))
    if resource.get("bytes") is not None and resource["bytes"] != size:
        problems.append(Problem("byte-count", name, "The data source does not match the expected byte count: "
                                f'expected is "{resource["bytes"]}" and actual is "{size}"'))
    return problems


# ---------------------------------------------------------------- one table


def _check_table(folder: Path, resource: dict, tabular: list[dict], report: CheckReport) -> list[Problem]:
    name = resource.get("name", "")
    path = inside(folder, resource.get("path", ""))
    if path is None:
        return []  # the file check says so
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        return [Problem("source-error", name, "The data source has not supported or has inconsistent contents: "
                        f"{error}")]
    schema = resource.get("schema", {})
    fields = schema.get("fields", [])
    labels = parquet.schema_arrow.names
    report.rows[name] = parquet.metadata.num_rows
    problems = _check_labels(name, labels, fields)
    if problems:
        return problems  # cells would be read against the wrong fields
    blank = None
    for number, spec in enumerate(fields, start=1):
        column = pl.from_arrow(parquet.read(columns=[spec["name"]]).column(0))
        if not isinstance(column, pl.Series):
            column = column.to_series()
        arrow_type = parquet.schema_arrow.field(spec["name"]).type
        problems += _check_column(name, spec, number, column, arrow_type)
        blank = column.is_null() if blank is None else blank & column.is_null()
    if blank is not None and blank.any():
        problems += [Problem("blank-row", name, f'Row at position "{row + 2}" is completely blank')
                     for row in blank.arg_true().head(ROWS_LISTED).to_list()]
    problems += _check_primary_key(name, parquet, schema.get("primaryKey") or [])
    for foreign_key in schema.get("foreignKeys") or []:
        problems += _check_foreign_key(folder, name, parquet, foreign_key, tabular)
    return problems


def _check_labels(name: str, labels: list[str], fields: list[dict]) -> list[Problem]:
    problems = []
    for number in range(1, max(len(labels), len(fields)) + 1):
        label = labels[number - 1] if number <= len(labels) else None
        spec = fields[number - 1] if number <= len(fields) else None
        if spec is None:
            problems.append(Problem("extra-label", name,
                                    f'There is an extra label "{label}" in header at position "{number}"'))
        elif label is None:
            problems.append(Problem("missing-label", name, "There is a missing label in the header's field "
                                    f'"{spec["name"]}" at position "{number}"'))
        elif label != spec["name"]:
            problems.append(Problem("incorrect-label", name, f'Label "{label}" in field {spec["name"]} at position '
                                    f'"{number}" does not match the field name in the schema'))
    return problems


def _type_fits(spec: dict, arrow_type: pa.DataType) -> bool:
    kind = spec.get("type", "any")
    t = pa.types
    if kind == "string":
        return t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_string_view(arrow_type)
    if kind == "integer":
        return t.is_integer(arrow_type)
    if kind == "number":
        return t.is_integer(arrow_type) or t.is_floating(arrow_type) or t.is_decimal(arrow_type)
    if kind == "boolean":
        return t.is_boolean(arrow_type)
    if kind == "date":
        return t.is_date(arrow_type)
    if kind == "datetime":
        return t.is_timestamp(arrow_type)
    if kind == "time":
        return t.is_time(arrow_type)
    if kind == "array":
        if not (t.is_list(arrow_type) or t.is_large_list(arrow_type) or t.is_list_view(arrow_type)):
            return False
        item = spec.get("arrayItem")
        return item is None or _type_fits(item, arrow_type.value_type)
    if kind == "object":
        return t.is_struct(arrow_type) or t.is_map(arrow_type)
    return kind == "any"


def _cell(column: pl.Series, row: int) -> str:
    value = column[row]
    return str(value.to_list() if isinstance(value, pl.Series) else value)


def _cell_problems(kind: str, name: str, spec: dict, number: int, column: pl.Series, mask: pl.Series,
                   note: str) -> list[Problem]:
    """One problem per row of `mask` (the first ROWS_LISTED of them), worded as frictionless's cell errors."""
    rows = mask.fill_null(False).arg_true()
    if rows.is_empty():
        return []
    problems = []
    for row in rows.head(ROWS_LISTED).to_list():
        cell, position = _cell(column, row), row + 2
        if kind == "type-error":
            message = (f'Type error in the cell "{cell}" in row "{position}" and field "{spec["name"]}" at position '
                       f'"{number}": {note}')
        else:
            message = (f'The cell "{cell}" in row at position "{position}" and field "{spec["name"]}" at position '
                       f'"{number}" does not conform to a constraint: {note}')
        problems.append(Problem(kind, name, message))
    if rows.len() > ROWS_LISTED:
        problems.append(Problem(kind, name, f'{rows.len() - ROWS_LISTED} more rows of field "{spec["name"]}" at '
                                f'position "{number}" with the same error: {note}'))
    return problems


def _check_column(name: str, spec: dict, number: int, column: pl.Series, arrow_type: pa.DataType) -> list[Problem]:
    constraints = spec.get("constraints") or {}
    present = column.is_not_null()
    if not _type_fits(spec, arrow_type):
        note = f'type is "{spec.get("type", "any")}/{spec.get("format", "default")}"'
        return _cell_problems("type-error", name, spec, number, column, present, note)
    problems = []

    def constraint(key: str, failing: pl.Series) -> None:
        note = f'constraint "{key}" is "{constraints[key]}"'
        problems.extend(_cell_problems("constraint-error", name, spec, number, column, failing, note))

    if constraints.get("required"):
        constraint("required", column.is_null())
    if constraints.get("enum") is not None:
        allowed = pl.Series(constraints["enum"])
        if column.dtype != allowed.dtype:
            allowed = allowed.cast(column.dtype, strict=False)
        constraint("enum", present & ~column.is_in(allowed.drop_nulls()))
    if constraints.get("pattern") is not None and column.dtype == pl.Utf8:
        constraint("pattern", present & ~column.str.contains(f"^(?:{constraints['pattern']})$"))
    for key, operator in _BOUNDS.items():
        if constraints.get(key) is None:
            continue
        bound = pl.lit(constraints[key]).cast(column.dtype) if column.dtype.is_temporal() else constraints[key]
        frame = column.to_frame("v")
        within = {">=": pl.col("v") >= bound, "<=": pl.col("v") <= bound, ">": pl.col("v") > bound,
                  "<": pl.col("v") < bound}[operator]
        if column.dtype.is_float():
            within = within & ~pl.col("v").is_nan()
        constraint(key, present & ~frame.select(within.fill_null(True)).to_series())
    for key in ("minLength", "maxLength"):
        if constraints.get(key) is None:
            continue
        length = column.list.len() if column.dtype == pl.List else column.str.len_chars()
        failing = length < constraints[key] if key == "minLength" else length > constraints[key]
        constraint(key, present & failing)
    if constraints.get("unique"):
        problems += _unique_problems(name, spec, number, column)
    return problems


def _earlier_rows(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The rows whose key already appeared, each with the position of the row before it with that key."""
    indexed = frame.with_row_index("_row")
    previous = indexed.with_columns(pl.col("_row").shift(1).over(keys).alias("_previous"))
    return previous.filter(pl.col("_previous").is_not_null()).sort("_row").select("_row", "_previous")


def _unique_problems(name: str, spec: dict, number: int, column: pl.Series) -> list[Problem]:
    frame = column.to_frame("v")
    if not frame["v"].is_duplicated().any():
        return []
    repeats = _earlier_rows(frame, ["v"])
    repeats = repeats.filter(column.is_not_null().gather(repeats["_row"]))  # nulls repeat nothing
    problems = [Problem("unique-error", name, f'Row at position "{row + 2}" has unique constraint violation in field '
                        f'"{spec["name"]}" at position "{number}": the same as in the row at position {previous + 2}')
                for row, previous in repeats.head(ROWS_LISTED).iter_rows()]
    if repeats.height > ROWS_LISTED:
        problems.append(Problem("unique-error", name, f'{repeats.height - ROWS_LISTED} more rows with a value of '
                                f'field "{spec["name"]}" already in an earlier row'))
    return problems


def _read_frame(parquet: pq.ParquetFile, columns: list[str]) -> pl.DataFrame:
    frame = pl.from_arrow(parquet.read(columns=columns))
    return frame if isinstance(frame, pl.DataFrame) else frame.to_frame()


def _check_primary_key(name: str, parquet: pq.ParquetFile, key: list[str]) -> list[Problem]:
    if not key:
        return []
    frame = _read_frame(parquet, key)
    problems = []
    all_null = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
    rows = all_null.arg_true()
    problems += [Problem("primary-key", name, f'Row at position "{row + 2}" violates the primary key: cells composing '
                         'the primary keys are all "None"') for row in rows.head(ROWS_LISTED).to_list()]
    if frame.is_duplicated().any():
        repeats = _earlier_rows(frame, key)
        problems += [Problem("primary-key", name, f'Row at position "{row + 2}" violates the primary key: the same as '
                             f"in the row at position {previous + 2}")
                     for row, previous in repeats.head(ROWS_LISTED).iter_rows()]
        if repeats.height > ROWS_LISTED:
            problems.append(Problem("primary-key", name, f"{repeats.height - ROWS_LISTED} more rows repeat a primary "
                                    "key of an earlier row"))
    return problems


def _check_foreign_key(folder: Path, name: str, parquet: pq.ParquetFile, foreign_key: dict,
                       tabular: list[dict]) -> list[Problem]:
    fields = _as_list(foreign_key.get("fields"))
    reference = foreign_key.get("reference", {})
    source_name = reference.get("resource", "")
    source_fields = _as_list(reference.get("fields"))
    if source_name in ("", name):
        source = parquet
    else:
        found = [r for r in tabular if r.get("name") == source_name]
        path = inside(folder, found[0].get("path", "")) if found else None
        if path is None:
            return [Problem("resource-error", name, f'The data resource has an error: failed to handle a foreign key '
                            f'for resource "{name}" as resource "{source_name}" does not exist')]
        source = pq.ParquetFile(path)
    frame = _read_frame(parquet, fields).with_row_index("_row")
    frame = frame.filter(~pl.all_horizontal([pl.col(c).is_null() for c in fields]))
    lookup = _read_frame(source, source_fields).unique()
    lookup.columns = fields
    missing = frame.join(lookup, on=fields, how="anti", nulls_equal=True).sort("_row")
    if missing.is_empty():
        return []
    problems = []
    for row in missing.head(ROWS_LISTED).iter_rows(named=True):
        values = ", ".join(str(row[c]) for c in fields)
        problems.append(Problem("foreign-key", name, f'Row at position "{row["_row"] + 2}" violates the foreign key: '
                                f'for "{", ".join(fields)}": values "{values}" not found in the lookup table '
                                f'"{source_name}" as "{", ".join(source_fields)}"'))
    if missing.height > ROWS_LISTED:
        problems.append(Problem("foreign-key", name, f'{missing.height - ROWS_LISTED} more rows whose "'
                                f'{", ".join(fields)}" is not in "{source_name}"'))
    return problems


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
