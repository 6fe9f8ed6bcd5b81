"""The Datasette edition (`nhs-ledger browse`, `make browse`): the published tables as SQLite, its metadata from
the registry, the cookbook as canned queries, and Datasette serving it on 127.0.0.1.

The sample is built once; the edition is written from its DuckDB file. The server test starts the real command
(`nhs-ledger browse`, which hands the process to Datasette) on a free port, fetches the `figures` table and a
canned query as JSON, and takes a headless-Chromium screenshot of the front page (skipping that part where
Chromium is not installed; CI installs it in `.ci/run`).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from cli.main import main
from pipeline.browse.edition import write_edition
from pipeline.browse.metadata import CAVEAT, datasette_metadata
from pipeline.browse.queries import CANNED_QUERIES
from pipeline.publish.database import VIEWS
from schemas import REGISTRY
from tests.support.browser import browse, require_chromium
from tests.support.sample import build_sample
from tests.test_cookbook import cookbook_queries

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "nhs_ledger"
START_TIMEOUT = 60

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.mktemp("browse"))


@pytest.fixture(scope="module")
def edition(warehouse):
    return write_edition(warehouse)


def _sqlite(edition) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{edition.sqlite}?mode=ro", uri=True)


# ---------------------------------------------------------------------------------------------- the file

def test_every_public_table_and_view_is_in_the_sqlite_file_with_the_duckdb_rows(warehouse, edition):
    with duckdb.connect(str(warehouse / "nhs_ledger.duckdb"), read_only=True) as ddb, _sqlite(edition) as lite:
        for table in REGISTRY.public():
            columns = ", ".join(f'"{f.name}"' for f in table.fields if f.type not in ("list[string]",))
            order = ", ".join(f'"{c}"' for c in table.primary_key)
            ours = lite.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY {order}').fetchall()
            theirs = ddb.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY {order}').fetchall()
            assert len(ours) == len(theirs), table.name
            assert [_plain(row) for row in ours] == [_plain(row) for row in theirs], table.name
        for view in VIEWS:
            assert lite.execute(f'SELECT count(*) FROM "{view}"').fetchone() == \
                ddb.execute(f'SELECT count(*) FROM "{view}"').fetchone(), view


def _plain(row: tuple) -> tuple:
    """A row as text, so SQLite's ISO dates and 0/1 booleans compare with DuckDB's dates and booleans."""
    def plain(value):
        if isinstance(value, bool):
            return str(int(value))
        if hasattr(value, "hour"):  # a timestamp (UTC), as the edition writes it
            return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value) if value is not None else None
    return tuple(plain(value) for value in row)


def test_lists_are_json_arrays_keys_are_declared_and_text_is_searchable(edition, warehouse):
    with _sqlite(edition) as lite:
        (fact_ids,) = lite.execute("SELECT fact_ids FROM figures ORDER BY figure_id LIMIT 1").fetchone()
        assert json.loads(fact_ids) and all(re.fullmatch(r"(sav|def)_[0-9a-f]{16}", f) for f in json.loads(fact_ids))
        pointed = {(row[2], row[3]) for row in lite.execute("PRAGMA foreign_key_list(figures)")}
        assert ("organisations", "org_id") in pointed
        assert lite.execute("SELECT pk FROM pragma_table_info('figures') WHERE name = 'figure_id'").fetchone() == (1,)
        assert lite.execute("SELECT count(*) FROM deficits_fts WHERE deficits_fts MATCH 'deficit'").fetchone()[0] > 0
        indexed = {row[1] for row in lite.execute("PRAGMA index_list(figures)")}
        assert {"idx_figures_org_type", "idx_figures_measure", "idx_figures_fy_end"} <= indexed


def test_the_edition_is_written_again_only_when_the_warehouse_changed(warehouse, edition):
    again = write_edition(warehouse)
    assert not again.written and again.sqlite.read_bytes() == edition.sqlite.read_bytes()
    os.utime(warehouse / "nhs_ledger.duckdb")  # as a new build leaves it
    assert write_edition(warehouse).written


def test_browse_without_a_built_warehouse_says_so_in_one_line(tmp_path, capsys):
    assert main(["browse", "--warehouse", str(tmp_path / "nothing"), "--no-serve"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "build the warehouse first" in err[0]


# ---------------------------------------------------------------------------------------------- metadata

def test_the_metadata_describes_every_table_and_column_with_licence_caveat_and_facets(edition):
    metadata = json.loads(edition.metadata.read_text())
    assert metadata["license_url"].startswith("https://creativecommons.org/licenses/by/4.0")
    assert "figures" in metadata["description_html"] and "as reported by the press" in metadata["description_html"]
    tables = metadata["databases"][DATABASE]["tables"]
    for table in REGISTRY.public():
        described = tables[table.name]
        assert described["description"] == table.description
        assert set(described["columns"]) == set(table.field_names)
        assert all(described["columns"].values())
    units = tables["figures"]["columns"]["amount_gbp"]
    assert "Unit: GBP" in units
    assert tables["figures"]["facets"][:3] == ["org_type", "measure", "fy_end"]
    assert tables["organisations"]["label_column"] == "name"
    assert set(VIEWS) <= set(tables)
    assert CAVEAT in metadata["databases"][DATABASE]["description_html"]


def test_every_cookbook_question_is_a_canned_query_and_each_answers_on_the_sample(edition):
    canned = {query.title: query for query in CANNED_QUERIES}
    titles = [re.sub(r"^\d+\. ", "", title) for title, _ in cookbook_queries()]
    # The one question SQLite cannot ask: it reads the release folders' Parquet files.
    missing = [title for title in titles if title not in canned and title != "What changed in the last release"]
    assert missing == []
    assert len({query.name for query in CANNED_QUERIES}) == len(CANNED_QUERIES)
    with _sqlite(edition) as lite:
        for query in CANNED_QUERIES:
            parameters = {name: "" for name in re.findall(r":(\w+)", query.sql)}
            assert lite.execute(query.sql, parameters).fetchall(), f"{query.title} returned nothing"
    queries = json.loads(edition.metadata.read_text())["databases"][DATABASE]["queries"]
    assert set(queries) == {query.name for query in CANNED_QUERIES}


def test_a_release_edition_leaves_out_what_the_release_leaves_out():
    articles = next(t for t in REGISTRY.public() if t.name == "articles")
    from pipeline.release.export import released_table

    released = released_table(articles, include_body_text=False)
    metadata = datasette_metadata(DATABASE, [released], version="1.2.0")
    assert "body_text" not in metadata["databases"][DATABASE]["tables"]["articles"]["columns"]
    assert metadata["title"] == "NHS Ledger 1.2.0"


# ---------------------------------------------------------------------------------------------- the server

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def server(warehouse, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("datasette") / "datasette.log"
    command = [sys.executable, "-m", "cli", "browse", "--warehouse", str(warehouse), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                _get_json(f"{url}/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"datasette did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_datasette_serves_the_figures_table_as_json(server, warehouse):
    rows = _get_json(f"{server}/{DATABASE}/figures.json?_shape=array&_size=max")
    with duckdb.connect(str(warehouse / "nhs_ledger.duckdb"), read_only=True) as ddb:
        expected = dict(ddb.execute("SELECT figure_id, amount_gbp FROM figures").fetchall())
    assert {row["figure_id"]: row["amount_gbp"] for row in rows} == expected
    assert set(rows[0]) >= set(REGISTRY["figures"].field_names)
    assert all(json.loads(row["fact_ids"]) for row in rows)


def test_datasette_answers_a_canned_query_with_a_parameter(server):
    rows = _get_json(f"{server}/{DATABASE}/figure_for_body_and_year.json?_shape=array&body=Stockport")
    assert rows and all("Stockport" in row["org_name"] for row in rows)
    facets = _get_json(f"{server}/{DATABASE}/figures.json?_facet=org_type&_size=0")["facet_results"]
    assert "org_type" in facets and facets["org_type"]["results"]


def test_the_front_page_renders_in_a_browser_and_leads_to_figures(server, tmp_path):
    require_chromium()
    screenshot = tmp_path / "front.png"
    browse(f"{server}/", f"--screenshot={screenshot}", window=(1100, 700))
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000, "the screenshot is blank or missing"
    dom = browse(f"{server}/", "--dump-dom").decode("utf-8", errors="replace")
    assert f'href="/{DATABASE}/figures"' in dom and "as reported by the press" in dom
