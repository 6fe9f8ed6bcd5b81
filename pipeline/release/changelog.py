"""`CHANGES.md`: the release diff written for people, with the rules that produced it."""

from __future__ import annotations

from pipeline.release.diff import CHANGE_KINDS, DIFFED_TABLES, LINEAGE_COLUMNS, LISTED_ROWS, ReleaseDiff

_VALUE_CHARS = 80


def render_changes(diff: ReleaseDiff, version: str) -> str:
    lines = [f"# Changes in NHS Ledger {version}", ""]
    lines += _how_to_read()
    if diff.previous_version is None:
        lines += ["There is no previous release: this is the first, so every fact and organisation is listed "
                  "as added.", ""]
    else:
        lines += [f"Compared with the previous release, **{diff.previous_version}**.", ""]
    lines += _summary_table(diff)
    if diff.previous_version is not None and diff.is_empty():
        lines += ["No fact or organisation was added, removed or changed.", ""]
    lines += _row_counts(diff)
    lines += _schema_changes(diff)
    for table in DIFFED_TABLES:
        for kind in CHANGE_KINDS:
            lines += _listing(diff, table, kind)
    return "\n".join(lines).rstrip() + "\n"


def _how_to_read() -> list[str]:
    lineage = ", ".join(f"`{c}`" for c in sorted(LINEAGE_COLUMNS))
    return [
        "## How to read this file",
        "",
        "Facts (`savings`, `deficits`) and organisations are matched between releases by key: `saving_id`, "
        "`deficit_id`, `org_id`.",
        "",
        "- **added**: the key is in this release only; **removed**: in the previous release only.",
        "- **changed**: the key is in both and a content column differs; the columns are listed. "
        f"Lineage-only columns ({lineage}) are not compared, so a rebuild by new code that reads everything "
        "the same shows no change.",
        "- A fact's key is derived from its article's raw bytes and the position of the amount in the text. "
        "An article whose text was corrected or fetched again is a new article, so its facts show as "
        "**removed + added**, not changed. A fact is *changed* when the same statement of the same article "
        "is read differently (another measure, period, body or amount), typically by a newer extractor.",
        "- An organisation's key is derived from its type and normalised name; it is *changed* when its "
        "aliases, members, ODS code, canonical name or article count differ.",
        "",
        "Every change, with the columns that differ, is also in `data/changes.parquet`.",
        "",
    ]


def _summary_table(diff: ReleaseDiff) -> list[str]:
    lines = ["## Summary", "", "| table | added | removed | changed |", "| --- | ---: | ---: | ---: |"]
    for table in DIFFED_TABLES:
        lines.append(f"| {table} | " + " | ".join(str(diff.count(table, kind)) for kind in CHANGE_KINDS) + " |")
    return lines + [""]


def _row_counts(diff: ReleaseDiff) -> list[str]:
    lines = ["## Rows per table", "", "| table | previous release | this release |", "| --- | ---: | ---: |"]
    for table, (before, now) in diff.row_counts.items():
        lines.append(f"| {table} | {'-' if before is None else before} | {now} |")
    return lines + [""]


def _schema_changes(diff: ReleaseDiff) -> list[str]:
    notes = []
    for table in DIFFED_TABLES:
        for label, columns in (("added", diff.columns_added.get(table)), ("removed", diff.columns_removed.get(table))):
            if columns:
                notes.append(f"- `{table}`: columns {label}: " + ", ".join(f"`{c}`" for c in columns))
    if not notes:
        return []
    return ["## Schema changes", "", *notes, "", "Only the columns both releases share are compared.", ""]


def _listing(diff: ReleaseDiff, table: str, kind: str) -> list[str]:
    count = diff.count(table, kind)
    if not count:
        return []
    lines = [f"## {table}: {count} {kind}", ""]
    for change in diff.listed(table, kind, LISTED_ROWS):
        lines.append(f"- `{change.key}` {_escape(change.summary)}")
        lines += [f"  - `{column}`: {_value(old)} → {_value(new)}" for column, old, new in change.differences]
    if count > LISTED_ROWS:
        lines.append(f"- ... and {count - LISTED_ROWS} more: see `data/changes.parquet`")
    return lines + [""]


def _value(value: object) -> str:
    text = "null" if value is None else str(value)
    text = text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"
    return "`" + text.replace("`", "'") + "`"


def _escape(text: str) -> str:
    # Markdown would read a leading "-" or "*" in a name as a list or emphasis.
    return text.replace("*", "\\*").replace("_", "\\_")
