"""A warehouse's Datasette edition: `<warehouse>/datasette/nhs_ledger.sqlite` and its `metadata.json`, written
from the DuckDB file (the warehouse's last complete build, so a build running meanwhile is never half in it) and
written again only when that file or this code changed since."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.browse.metadata import datasette_metadata
from pipeline.browse.sqlite import TableRows, write_sqlite
from pipeline.publish.database import open_warehouse
from pipeline.release import export
from pipeline.versions import code_fingerprint
from pipeline.warehouse import atomic
from pipeline.warehouse.layout import DUCKDB_FILE
from schemas import REGISTRY

EDITION_DIR = "datasette"
SQLITE_FILE = "nhs_ledger.sqlite"
METADATA_FILE = "metadata.json"
_STAMP = ".edition.json"  # what the edition was written from


@dataclass(frozen=True)
class Edition:
    sqlite: Path
    metadata: Path
    written: bool  # False: the edition on disk was already that of the warehouse


def write_edition(warehouse: Path) -> Edition:
    """The warehouse's edition, written unless the one on disk is already of this DuckDB file and code."""
    warehouse = Path(warehouse)
    if not (warehouse / DUCKDB_FILE).is_file():
        raise FileNotFoundError(f"no DuckDB file at {warehouse / DUCKDB_FILE}: build the warehouse first "
                                "(nhs-ledger build)")
    folder = warehouse / EDITION_DIR
    edition = Edition(folder / SQLITE_FILE, folder / METADATA_FILE, written=True)
    source = _source(warehouse)
    stamp = folder / _STAMP
    if edition.sqlite.is_file() and edition.metadata.is_file() and _read(stamp) == source:
        return Edition(edition.sqlite, edition.metadata, written=False)
    connection = open_warehouse(warehouse)
    try:
        released = [export.released_table(table, include_body_text=True) for table in REGISTRY.public()]
        write_sqlite(edition.sqlite, (TableRows(table, [export.read_released(connection, table)])
                                      for table in released))
    finally:
        connection.close()
    metadata = datasette_metadata(edition.sqlite.stem, released)
    atomic.write_bytes(edition.metadata, _json(metadata).encode(), mode=0o644)
    atomic.write_bytes(stamp, _json(source).encode(), mode=0o644)
    return edition


def _source(warehouse: Path) -> dict:
    stat = (warehouse / DUCKDB_FILE).stat()
    return {"duckdb": [stat.st_size, stat.st_mtime_ns, stat.st_ino], "code": code_fingerprint()}


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _json(payload: dict) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
