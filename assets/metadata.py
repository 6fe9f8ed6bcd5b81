"""Materialisation metadata shared by every asset: row count, column schema, a markdown preview."""

import dagster as dg
import polars as pl

from schemas import REGISTRY

PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 60

def column_schema(table_name: str) -> dg.TableSchema:
    table = REGISTRY[table_name]
    return dg.TableSchema(columns=[
        dg.TableColumn(
            name=f.name,
            type=f.type,
            description=f.description + (f" Unit: {f.unit}." if f.unit else ""),
            constraints=dg.TableColumnConstraints(nullable=f.nullable, unique=f.unique),
        )
        for f in table.fields
    ])

def definition_metadata(table_name: str) -> dict:
    return {"dagster/column_schema": column_schema(table_name)}

def markdown_preview(frame: pl.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    if frame.height == 0:
        return "_(no rows)_"
    head = frame.head(rows)

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("\n", " ").replace("|", "\\|")
        return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"

    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in head.iter_rows()]
    return "\n".join(lines)

def table_metadata(table_name: str, frame: pl.DataFrame, **extra) -> dict:
    return {
        "dagster/row_count": dg.MetadataValue.int(frame.height),
        "dagster/column_schema": column_schema(table_name),
        "preview": dg.MetadataValue.md(markdown_preview(frame)),
        **extra,
    }
