"""Safe by construction (issue 6, point 5): no path taken from an input escapes its folder, and SQL takes values
as parameters.

- A batch folder name is whatever a user's file system allows: odd characters, unicode, `%`, `=`, quotes,
  `...`. It becomes a percent-encoded partition folder inside its table's folder, and comes back unchanged in
  the store, in DuckDB and in the runs table. A build writes nothing outside the warehouse folder.
- Release versions and the member names of downloaded ODS zips cannot name a folder outside theirs.
- No SQL statement in `pipeline/` or `assets/` is built by formatting a value into a string: every
  interpolation is an identifier or a DDL literal quoted by `pipeline.publish.database` (or one of the few reviewed
  fragments listed below, built from the schema registry and constants).
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.warehouse import store
from pipeline.register import fetch
from pipeline.release import ReleaseError, build_release
from pipeline.release.version import validate_version
from pipeline.publish.database import DUCKDB_FILE, sql_identifier, sql_literal
from schemas import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"

# Names a folder can have on Linux (anything but "/" and NUL), chosen to trip naive path and SQL handling.
ODD_BATCHES = [
    "a b#c%..",
    "ünï cödé ✓ 日本語",
    "%2F..%2F..%2Fescape",
    "batch=x=y",
    "a...b",  # "..." may not be in a Dagster partition key; a name starting with "." is a hidden folder, not read
    "-rf ~",
    "x'); DROP TABLE savings; --",
    'semi;colon "double" `tick` $HOME',
    "tab\there",
    "~tilde",
    "ends with space ",
]


# ------------------------------------------------------------------------------------------ partition folders

_ANY_BATCH = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(["..", ".", "/", "../../etc", "a/../../b", "%2e%2e", "\x00", "batch=..", "\\..\\..", "~"]),
)


@settings(derandomize=True, database=None, max_examples=300)
@given(batch=_ANY_BATCH)
def test_a_partition_folder_is_always_a_child_of_its_table_folder(batch):
    warehouse = Path("/warehouse")
    for name, table in REGISTRY.tables.items():
        if table.partition_by is None:
            continue
        folder = store.partition_dir(warehouse, name, batch)
        assert folder.parent == store.table_dir(warehouse, name)
        assert folder.name.startswith("batch=") and "/" not in folder.name and "\x00" not in folder.name
        assert os.path.normpath(folder) == str(folder)  # no "." or ".." component to resolve
    encoded = store.partition_dir(warehouse, "articles", batch).name.removeprefix("batch=")
    assert unquote(encoded) == batch


def _listing(root: Path, exclude: set[Path]) -> dict[str, str]:
    """Every path under root (not following links) with its kind and content hash, folders in `exclude` left out."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in exclude]
        for name in dirnames:
            found[(here / name).relative_to(root).as_posix()] = "dir"
        for name in filenames:
            path = here / name
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = "link:" + os.readlink(path)
            else:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def odd_build(tmp_path_factory):
    """The sample's articles under odd batch names, plus links that point out of the raw folder, built by a
    subprocess whose working, temp and home folders are under the test's folder, so any write lands where the
    test can see it."""
    root = tmp_path_factory.mktemp("odd")
    raw, warehouse, outside = root / "raw", root / "warehouse", root / "outside"
    for sub in ("cwd", "tmp", "home"):
        (root / sub).mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("NHS Leeds CCG must save £99m in 2015/16. Nobody may read this.\n",
                                        encoding="utf-8")
    sources = sorted(p for p in SAMPLE.rglob("*") if p.is_file() and p.suffix in (".txt", ".html", ".jsonl"))
    for i, batch in enumerate(ODD_BATCHES):
        folder = raw / batch
        folder.mkdir(parents=True)
        source = sources[i % len(sources)]
        shutil.copy(source, folder / f"odd name #{i} %41 ü{source.suffix}")
        # A few bytes of its own, so no batch is only a duplicate of another.
        with open(folder / f"odd name #{i} %41 ü{source.suffix}", "ab") as handle:
            handle.write(f"\n\nNHS Batch{i} CCG must save £{i + 1}m in 2016/17.\n".encode() if source.suffix != ".jsonl"
                         else ("\n" + json.dumps({"text": f"NHS Batch{i} CCG must save £{i + 1}m in 2016/17."}) + "\n").encode())
    links = raw / ODD_BATCHES[0]
    (links / "link-to-secret.txt").symlink_to(outside / "secret.txt")
    (links / "link-to-folder").symlink_to(outside, target_is_directory=True)
    (links / "feed.jsonl").write_text(json.dumps({
        "text": "NHS Leeds CCG must save £3m in 2016/17.", "url": "file:///etc/passwd",
        "title": "../../../../etc/passwd", "source_path": "../../escape.txt", "batch": "../../escape"}) + "\n",
        encoding="utf-8")
    (links / "page.html").write_text(
        "<!DOCTYPE html [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><html><head><title>&xxe;</title>"
        "<link rel='canonical' href='file:///etc/passwd'><base href='../../'></head><body><article>"
        "<p>NHS Leeds CCG must save £5m in 2016/17, its board papers show, as the CCG sets out plans.</p>"
        "<p>&xxe; <img src='http://127.0.0.1:9/x.png'><iframe src='../../outside/secret.txt'></iframe></p>"
        "</article></body></html>", encoding="utf-8")

    before = _listing(root, exclude={warehouse})
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "NHS_LEDGER_CRASH_AT")}
    env |= {"TMPDIR": str(root / "tmp"), "HOME": str(root / "home"), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "build", "--raw", str(raw), "--warehouse", str(warehouse)],
        cwd=root / "cwd", env=env | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    after = _listing(root, exclude={warehouse})
    return raw, warehouse, outside, result, before, after


def test_odd_batch_names_build_and_every_check_passes(odd_build):
    _, _, _, result, _, _ = odd_build
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "FAILED" not in result.stdout, result.stdout


def test_odd_batch_names_round_trip_through_the_partition_folders_and_duckdb(odd_build):
    _, warehouse, _, result, _, _ = odd_build
    assert result.returncode == 0, result.stderr[-3000:]
    assert store.list_partitions(warehouse, "articles") == sorted(ODD_BATCHES)
    assert set(store.read_table(warehouse, "articles")["batch"]) == set(ODD_BATCHES)
    assert sorted(store.read_table(warehouse, "runs")["batch"]) == sorted(ODD_BATCHES)
    table_folder = store.table_dir(warehouse, "articles")
    assert sorted(p.name for p in table_folder.iterdir() if not p.name.startswith(".")) == sorted(
        store.partition_dir(warehouse, "articles", b).name for b in ODD_BATCHES)
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        for table in ("articles", "rejected_inputs", "runs"):
            batches = {b for (b,) in con.execute(f"SELECT DISTINCT batch FROM {sql_identifier(table)}").fetchall()}
            assert batches <= set(ODD_BATCHES) and (table == "rejected_inputs" or batches == set(ODD_BATCHES)), table
        # A name that looks like SQL is data: the table it names is still there.
        assert con.execute("SELECT count(*) FROM savings").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM articles WHERE batch = ?", [ODD_BATCHES[6]]).fetchone()[0] == 1


def test_links_out_of_the_raw_folder_are_rejected_and_never_read(odd_build):
    _, warehouse, outside, result, _, _ = odd_build
    assert result.returncode == 0, result.stderr[-3000:]
    rejected = store.read_table(warehouse, "rejected_inputs")
    link = f"{ODD_BATCHES[0]}/link-to-secret.txt"
    assert rejected.filter(rejected["source_path"] == link)["reason"].to_list() == ["outside raw folder"]
    articles = store.read_table(warehouse, "articles")
    assert not any("Nobody may read this" in text for text in articles["body_text"])
    assert not any(path.startswith(f"{ODD_BATCHES[0]}/link-to-folder/") for path in articles["source_path"])
    # Input fields that look like paths stay data.
    jsonl = articles.filter(articles["source_path"] == f"{ODD_BATCHES[0]}/feed.jsonl#1")
    assert jsonl["batch"].to_list() == [ODD_BATCHES[0]]
    assert jsonl["url"].to_list() == ["file:///etc/passwd"]
    html = articles.filter(articles["source_path"] == f"{ODD_BATCHES[0]}/page.html")
    assert html.height == 1 and "root:" not in html["body_text"][0] and "root:" not in (html["title"][0] or "")
    assert html["url"].to_list() == [None]  # a file:// canonical link is not a URL of the article


def test_a_build_writes_nothing_outside_the_warehouse(odd_build):
    raw, warehouse, _, result, before, after = odd_build
    assert result.returncode == 0, result.stderr[-3000:]
    added = sorted(set(after) - set(before))
    changed = sorted(k for k in before if k in after and before[k] != after[k])
    removed = sorted(set(before) - set(after))
    assert (added, changed, removed) == ([], [], []), "the build touched files outside the warehouse"
    for path in warehouse.rglob("*"):
        assert not path.is_symlink(), path
        assert path.resolve().is_relative_to(warehouse.resolve()), path


def test_a_fifo_in_the_raw_folder_is_rejected_and_does_not_hang_the_build(tmp_path):
    """Found in the audit: opening a named pipe blocks until something writes to it, so a FIFO saved into the raw
    folder hung the run id's hashing and the reader forever. It must be a rejection like any unreadable input."""
    from pipeline.ingest.inventory import list_raw_files
    from pipeline.ingest.readers import read_batch
    from pipeline.ingest.stage import batch_inputs

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "a.txt").write_text("NHS Leeds CCG must save £3m in 2016/17.\n", encoding="utf-8")
    fifo = tmp_path / "b" / "pipe.txt"
    os.mkfifo(fifo)
    outcome: dict = {}

    def read() -> None:
        files = list_raw_files(tmp_path)
        batch_inputs(files)
        outcome["read"] = read_batch(files)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(10)
    hung = worker.is_alive()
    while worker.is_alive():  # unblock the reader: open the pipe's other end, then close it (end of file)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        worker.join(0.2)
    assert not hung, "reading a FIFO blocked"
    articles, rejections = outcome["read"]
    assert [a.source_path for a in articles] == ["b/a.txt"]
    assert [r.source_path for r in rejections] == ["b/pipe.txt"]


# ------------------------------------------------------------------------------------------ other input paths

@pytest.mark.parametrize("version", ["../evil", "1.2.0/../../evil", "/tmp/evil", "1.2.0\x00", "..", ".", "",
                                     "1.2.0/", "2026.11.22/..", " 1.2.0", "1.2", "01.2.0", "2026.02.30"])
def test_a_release_version_never_names_a_folder_outside_releases(version, tmp_path):
    with pytest.raises(ReleaseError):
        validate_version(version)
    with pytest.raises(ReleaseError):
        build_release(tmp_path / "warehouse", version)
    assert list(tmp_path.iterdir()) == []


def test_ods_zip_members_are_unpacked_inside_the_destination(tmp_path):
    served, dest = tmp_path / "served", tmp_path / "deep" / "dest"
    served.mkdir()
    payload = io.BytesIO()
    rows = "A001,SOME NHS TRUST,,,,,,,,,,,,,\n"
    with zipfile.ZipFile(payload, "w") as archive:
        for name in ("../../evil1.csv", "/tmp/evil2.csv", "..\\..\\evil3.csv", "sub/dir/etr.csv",
                     "a/../../../evil4.csv", "readme.txt"):
            archive.writestr(name, rows)
    (served / "etr.zip").write_bytes(payload.getvalue())
    results = fetch.fetch_reference(dest, base_url=served.as_uri(), names=["etr"])
    assert results[0].ok, results[0].detail
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["deep/dest/.fetched.json", "deep/dest/etr.csv", "deep/dest/evil1.csv", "deep/dest/evil2.csv",
                       "deep/dest/evil3.csv", "deep/dest/evil4.csv", "served/etr.zip"]
    assert not Path("/tmp/evil2.csv").exists() or Path("/tmp/evil2.csv").read_text() != rows


# ------------------------------------------------------------------------------------------ SQL

_SQL_START = re.compile(r"^\s*\(?\s*(SELECT|INSERT|CREATE|COMMENT|DELETE|UPDATE|DROP|ALTER|COPY|ATTACH|WITH|"
                        r"PRAGMA|SET|INSTALL|LOAD|EXPORT|IMPORT|DESCRIBE|CALL)\b")
_EXECUTE = {"execute", "executemany", "sql", "query", "from_query"}
_QUOTING = {"sql_identifier", "sql_literal"}
# Interpolations reviewed in the audit: fragments built from the schema registry and constants, never a value.
REVIEWED = {
    ("pipeline/publish/database.py", "sql"),  # VIEWS: constant view bodies
    ("pipeline/publish/database.py", "columns"),  # ", ".join(sql_identifier(f.name) for f in table.fields)
    ("pipeline/publish/database.py", "options"),  # one of two constant read_parquet option strings
    ("pipeline/publish/database.py", "create_table_sql(table)"),  # identifiers and the DuckDB type names of schemas/types.py
    ("pipeline/publish/database.py", "statement"),  # comment_sql(table): sql_identifier + sql_literal
    ("pipeline/release/export.py", "columns"),  # ", ".join(sql_identifier(...)) of the registry's fields
    ("pipeline/release/export.py", "order"),  # ", ".join(sql_identifier(...)) of the primary key
    ("pipeline/evaluate/predictions.py", "id_column"),  # "saving_id" / "deficit_id", constants of the caller
    ("pipeline/evaluate/predictions.py", "_FACT_COLUMNS"),  # a constant column list
    ("pipeline/evaluate/predictions.py", "table"),  # "savings" / "deficits", constants of the caller
    ("pipeline/evaluate/predictions.py", "sql"),  # _query(con, table, sql): constant statements and the f-string above
    ("pipeline/release/dictionary.py", "table.name"),  # an SQL example in the release README, not executed
    ("assets/locking.py", "plan_context"),  # Executor.execute(plan_context, plan): Dagster's executor, not SQL
    ("pipeline/browse/sqlite.py", "create_table_sql(table, fields)"),  # identifiers and schemas/types.py's names
    ("pipeline/browse/sqlite.py", "fts"),  # sql_identifier(f"{table}_fts")
    ("pipeline/browse/sqlite.py", "', '.join(map(sql_identifier, searched))"),  # quoted column names
    ("pipeline/browse/sqlite.py", "sql"),  # VIEWS: constant view bodies
    ("pipeline/report/reading.py", "columns"),  # ", ".join(map(sql_identifier, ...)) of a constant list
    ("pipeline/report/reading.py", "facts"),  # the UNION of the SELECT above: identifiers and sql_literal
    ("pipeline/report/reading.py", "articles"),  # quoted column names of a constant list
    ("pipeline/report/reading.py", "names"),  # ", ".join(map(sql_identifier, columns))
}


def _engine_files() -> list[Path]:
    return sorted([*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "assets").rglob("*.py")])


def _sql_interpolations() -> list[tuple[str, int, str]]:
    """(file, line, expression) of every non-constant piece that goes into an SQL string or an execute call."""
    found = []
    for path in _engine_files():
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            pieces: list[ast.expr] = []
            if isinstance(node, ast.JoinedStr):
                head = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if _SQL_START.match(head):
                    pieces = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
            elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
                for side in (node.left, node.right):
                    if isinstance(side, ast.Constant) and isinstance(side.value, str) and _SQL_START.match(side.value):
                        pieces = [node.right if side is node.left else node.left]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func.value
                if node.func.attr == "format" and isinstance(target, ast.Constant) and isinstance(target.value, str) \
                        and _SQL_START.match(target.value):
                    pieces = [*node.args, *(k.value for k in node.keywords)]
                elif node.func.attr in _EXECUTE and node.args and not isinstance(node.args[0], (ast.Constant,
                                                                                                ast.JoinedStr)):
                    pieces = [node.args[0]]
            for piece in pieces:
                if isinstance(piece, ast.Call) and isinstance(piece.func, ast.Name) and piece.func.id in _QUOTING:
                    continue
                found.append((relative, node.lineno, ast.unparse(piece)))
    return found


def test_sql_never_has_a_value_formatted_into_it():
    unreviewed = [f"{file}:{line}: {expr}" for file, line, expr in _sql_interpolations()
                  if (file, expr) not in REVIEWED]
    assert unreviewed == [], ("SQL built by string formatting: pass values as parameters ($name or ?), quote "
                              "identifiers with sql_identifier; or review the fragment and add it to REVIEWED")


def test_the_sql_scan_finds_what_it_must():
    found = {(file, expr) for file, _, expr in _sql_interpolations()}
    assert ("pipeline/publish/database.py", "columns") in found  # the scan sees f-strings and execute calls


@pytest.mark.parametrize("text", ["plain", "it's", "''", "'; DROP TABLE x; --", "\\'", "ü ✓", "a\nb"])
def test_sql_literal_and_identifier_quote_anything(text):
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {sql_literal(text)}").fetchone()[0] == text
        con.execute(f"CREATE TABLE {sql_identifier(text or 'x')} (v INTEGER)")
        con.execute(f"COMMENT ON TABLE {sql_identifier(text or 'x')} IS {sql_literal(text)}")
        assert con.execute("SELECT comment FROM duckdb_tables()").fetchone()[0] == text
