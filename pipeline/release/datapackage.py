"""`datapackage.json`: the release as a Frictionless Data Package, generated from `schemas/`.

Every Table Schema here is derived from the field registry (types, descriptions,
constraints, units, keys), so the package says exactly what the pandera models,
the DuckDB comments and the data dictionary say. The package declares both the
Data Package v2 `$schema` (needed for `exclusiveMinimum`: amounts must be
strictly positive) and the v1 `profile: tabular-data-package`, which v2 readers
ignore and v1 readers rely on.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.licence import LICENCE_NOTE, LICENSE
from schemas.registry import Field, Table
from schemas.types import TYPES

PACKAGE_NAME = "nhs-ledger"
PACKAGE_TITLE = "NHS Ledger"
PACKAGE_DESCRIPTION = (
    "NHS savings plans, savings achieved or missed, and deficits, as reported in UK news articles, with the "
    "organisations they belong to and, for every figure, the sentence that states it. Figures are as reported "
    "by the press, not audited accounts."
)
DATAPACKAGE_V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
SQLITE_MEDIATYPE = "application/vnd.sqlite3"
SQLITE_DESCRIPTION = ("Every table of the release in one SQLite file, with indexes, full-text search and the "
                      "facts and org_finances views, for Datasette (datasette.json) or any SQLite client.")
KEYWORDS = ["NHS", "health finance", "savings", "deficits", "QIPP", "CIP", "news", "United Kingdom"]


@dataclass(frozen=True)
class PackagedFile:
    """A data file of the release and what its resource needs to say about it."""

    table: Table
    path: str  # POSIX, relative to the release folder
    bytes: int
    sha256: str


def field_descriptor(field: Field) -> dict:
    descriptor: dict = {"name": field.name, "type": TYPES[field.type].frictionless, "description": field.description}
    if field.type == "list[string]":
        descriptor["arrayItem"] = {"type": "string"}
    if field.unit:
        # Not a Table Schema property; custom properties are allowed and readers ignore them.
        descriptor["unit"] = field.unit
    if field.example:
        descriptor["example"] = field.example
    constraints = _constraints(field)
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def _constraints(field: Field) -> dict:
    constraints: dict = {}
    if not field.nullable:
        constraints["required"] = True
    if field.unique:
        constraints["unique"] = True
    if field.enum:
        constraints["enum"] = list(field.enum)
    if field.pattern:
        # Table Schema patterns are implicitly anchored (XML Schema regular expressions, where ^ and $
        # are not anchors), so the registry's anchors come off.
        constraints["pattern"] = field.pattern.removeprefix("^").removesuffix("$")
    if field.minimum is not None:
        bound = int(field.minimum) if field.type in ("integer", "big integer") else field.minimum
        constraints["exclusiveMinimum" if field.exclusive_minimum else "minimum"] = bound
    return constraints


def table_schema(table: Table) -> dict:
    schema: dict = {
        "fields": [field_descriptor(f) for f in table.fields],
        # Parquet has real nulls: an empty string is a value, not a missing one.
        "missingValues": [],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fk.fields),
             # A reference to the table itself is written with an empty resource name.
             "reference": {"resource": "" if fk.table == table.name else fk.table,
                           "fields": list(fk.reference_fields)}}
            for fk in table.foreign_keys
        ]
    return schema


def resource_descriptor(packaged: PackagedFile) -> dict:
    return {
        "name": packaged.table.name,
        "type": "table",
        "profile": "tabular-data-resource",
        "path": packaged.path,
        "scheme": "file",
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        "bytes": packaged.bytes,
        "hash": f"sha256:{packaged.sha256}",
        "description": packaged.table.description,
        "schema": table_schema(packaged.table),
    }


def sqlite_resource(path: str, size: int, sha256: str) -> dict:
    """The SQLite edition: a file resource (its tables are the tabular resources' rows again)."""
    return {
        "name": "nhs_ledger_sqlite",
        "type": "file",
        "path": path,
        "scheme": "file",
        "format": "sqlite",
        "mediatype": SQLITE_MEDIATYPE,
        "bytes": size,
        "hash": f"sha256:{sha256}",
        "description": SQLITE_DESCRIPTION,
    }


def package_descriptor(files: list[PackagedFile], *, version: str, created: dt.datetime | None,
                       code_version: str, sources: list[dict], files_besides: list[dict] = ()) -> dict:
    descriptor: dict = {
        "$schema": DATAPACKAGE_V2,
        # A tabular data package may hold tabular resources only; with the SQLite file it is a data package
        # whose tables are each still a tabular data resource.
        "profile": "data-package" if files_besides else "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": PACKAGE_TITLE,
        "description": PACKAGE_DESCRIPTION,
        "version": version,
    }
    if created is not None:
        descriptor["created"] = created.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    descriptor.update({
        "keywords": KEYWORDS,
        "licenses": [LICENSE],
        "licenseNote": LICENCE_NOTE,
        "sources": sources,
        "nhsLedgerCodeVersion": code_version,
        "resources": [*(resource_descriptor(f) for f in files), *files_besides],
    })
    return descriptor


def sources(urls: list[str]) -> list[dict]:
    """The news articles as a whole, then one source per publisher's host among the articles' URLs."""
    hosts = sorted({urlsplit(url).hostname for url in urls if url} - {None})
    return [{"title": "UK news articles on NHS finances; each is a row of the articles resource, with its URL "
                      "and title"}] + [{"title": host, "path": f"https://{host}/"} for host in hosts]


def write_package(descriptor: dict, target: Path) -> Path:
    # Keys stay in the generator's order (fixed, so reruns give the same bytes), which reads best for people.
    target.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")
    return target
