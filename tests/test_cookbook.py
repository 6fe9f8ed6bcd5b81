"""Every query of the README's SQL cookbook runs on the sample warehouse and answers something."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def cookbook_queries() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## SQL cookbook", 1)[1].split("\n## ", 1)[0]
    titles = re.findall(r"\*\*(\d+\. [^*]+)\*\*\n```sql\n(.*?)```", section, re.S)
    return [(title, sql) for title, sql in titles]


def test_the_cookbook_has_at_least_eleven_queries():
    assert len(cookbook_queries()) >= 11


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("cookbook") / "warehouse"
    assert main(["build", "--raw", str(ROOT / "raw"), "--warehouse", str(warehouse)]) == 0
    # A release, so the cookbook's question about the last release has an answer.
    assert main(["release", "--version", "1.0.0", "--warehouse", str(warehouse),
                 "--shared", str(warehouse / "no-devset")]) == 0
    return warehouse / "nhs_ledger.duckdb"


@pytest.mark.parametrize("title,sql", cookbook_queries(), ids=[t for t, _ in cookbook_queries()])
def test_cookbook_query_runs_and_returns_rows(sample_db, title, sql, monkeypatch):
    monkeypatch.chdir(sample_db.parent.parent)  # the queries read warehouse/... as a user in the project would
    with duckdb.connect(str(sample_db), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows, f"{title} returned nothing on the sample"


def test_every_table_and_view_explains_itself(sample_db):
    with duckdb.connect(str(sample_db), read_only=True) as con:
        undocumented = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND table_name NOT IN (SELECT view_name FROM duckdb_views()) AND (comment IS NULL OR comment = '')"
        ).fetchall()
        tables = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        views = con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall()
    assert undocumented == []
    assert all(comment for _, comment in tables + views)
    assert {"facts", "org_finances"} <= {name for name, _ in views}
