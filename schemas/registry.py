"""The field registry's building blocks: what a field and a table are.

Everything else that describes a table (pandera models, polars schemas, DuckDB
comments, the release's data package, the data dictionary) is generated from
instances of these classes, so a column means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Logical types, mapped once to each target system in the generators.
LOGICAL_TYPES = ("string", "integer", "big integer", "number", "date", "datetime", "boolean", "list[string]")

FY_PATTERN = r"^\d{4}/\d{2}$"
HEX16_PATTERN = r"^[0-9a-f]{16}$"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    nullable: bool = False
    unit: str | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    # Inclusive lower bound, or exclusive when `exclusive_minimum` is set (amounts must be > 0).
    minimum: float | None = None
    exclusive_minimum: bool = False
    unique: bool = False
    example: str | None = None

    def __post_init__(self) -> None:
        if self.type not in LOGICAL_TYPES:
            raise ValueError(f"field {self.name}: unknown logical type {self.type!r}")


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class OneOf:
    """A column that holds the key of a row of any one of several tables (each by its one-column primary key).

    Read by the checks only: a Table Schema foreign key names one resource, so the data package and the data
    dictionary, which render `Table.foreign_keys`, cannot say it."""
    field: str
    tables: tuple[str, ...]
    name: str  # what the checks call the rows of those tables together, e.g. "facts"


@dataclass(frozen=True)
class Table:
    name: str
    # What one row is: every table's description starts "One row per ...".
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    # Hive-style partition column: written as a directory level, not inside the files.
    partition_by: str | None = None
    # Public tables are in the DuckDB file and in releases; staging tables are internal.
    public: bool = True
    # Read by the checks only (pipeline/checks/); nothing rendered from schemas/ shows them.
    # The text column that is the row's article's `body_text[char_start:char_end]`.
    spans: str | None = None
    # References besides `foreign_keys` that the release cannot declare (see `OneOf`).
    checked_references: tuple[OneOf, ...] = ()
    # When set, duplicated primary keys are also reported as a check of their own, described as
    # "<key_check> is unique" (the schema's uniqueness rule reports them too, row by row).
    key_check: str | None = None

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        """The fields inside each Parquet file: the partition column lives in the path."""
        return tuple(f for f in self.fields if f.name != self.partition_by)


@dataclass
class Registry:
    tables: dict[str, Table] = field(default_factory=dict)

    def add(self, table: Table) -> Table:
        if table.name in self.tables:
            raise ValueError(f"table {table.name} registered twice")
        self.tables[table.name] = table
        return table

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def public(self) -> list[Table]:
        return [t for t in self.tables.values() if t.public]
