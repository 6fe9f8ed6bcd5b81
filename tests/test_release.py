"""Releases: the data package validates, checksums verify, tables read back, and CHANGES.md tells the truth.

One warehouse is grown through three states, each released: the sample's 2025-06 batch (1.0.0), then both
batches (1.1.0), then with one 2025-06 article edited (1.2.0), so the diffs are checked against known
inputs. Releases skip the devset scores unless a test asks for them (they need ../shared and a build).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from frictionless import validate

from cli.main import main
from pipeline.release import ReleaseError, build_release, date_version, resolve_version, validate_version
from pipeline.release.checksums import verify_sums
from pipeline.release.changelog import render_changes
from pipeline.release.diff import ReleaseDiff, diff_table
from pipeline.release.validate import register_plugin
from pipeline.publish.database import DUCKDB_FILE
from schemas import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"
EDITED_ARTICLE = "2025-06/stockport-ccg-savings-plan.txt"
FACT_TABLES = {"savings": "saving_id", "deficits": "deficit_id"}


def _build(raw: Path, warehouse: Path) -> None:
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0


def _release(warehouse: Path, version: str, tmp: Path, **options):
    # A path that does not exist: no devset, so no scores and no devset build.
    options.setdefault("shared_dir", tmp / "no-shared")
    return build_release(warehouse, version, **options)


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """(warehouse, {version: ReleaseResult}) after releasing 1.0.0, 1.1.0 and 1.2.0 as the module docstring says."""
    tmp = tmp_path_factory.mktemp("release")
    raw, warehouse = tmp / "raw", tmp / "warehouse"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DAGSTER_HOME", raising=False)  # keep test builds out of the user's run history
        shutil.copytree(SAMPLE / "2025-06", raw / "2025-06")
        _build(raw, warehouse)
        releases = {"1.0.0": _release(warehouse, "1.0.0", tmp)}
        shutil.copytree(SAMPLE / "2025-07", raw / "2025-07")
        _build(raw, warehouse)
        releases["1.1.0"] = _release(warehouse, "1.1.0", tmp)
        edited = raw / EDITED_ARTICLE
        text = edited.read_text(encoding="utf-8")
        assert "£23.5m" in text
        edited.write_text(text.replace("£23.5m", "£25.5m"), encoding="utf-8")
        _build(raw, warehouse)
        releases["1.2.0"] = _release(warehouse, "1.2.0", tmp)
    return warehouse, releases


def _data(release, table: str) -> pl.DataFrame:
    return pl.read_parquet(release.path / "data" / f"{table}.parquet")


def _changes(release, table: str, change: str) -> set[str]:
    frame = _data(release, "changes").filter((pl.col("table") == table) & (pl.col("change") == change))
    return set(frame["key"].to_list())


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize("version", ["1.0.0", "0.1.12", "2026.11.22", "2026.01.05"])
def test_good_versions_pass(version):
    assert validate_version(version) == version


@pytest.mark.parametrize("version", ["", "1.0", "v1.0.0", "01.2.3", "1.2.3/..", "../1.0.0", "1.0.0-rc1",
                                     "2026.13.01", "1.0.0 "])
def test_bad_versions_are_refused(version):
    with pytest.raises(ReleaseError, match="invalid release version"):
        validate_version(version)


def test_version_defaults_to_the_environment_then_the_date(monkeypatch):
    import datetime as dt

    monkeypatch.delenv("NHS_LEDGER_RELEASE_VERSION", raising=False)
    assert resolve_version("", today=dt.date(2026, 1, 5)) == "2026.01.05" == date_version(dt.date(2026, 1, 5))
    monkeypatch.setenv("NHS_LEDGER_RELEASE_VERSION", "3.1.4")
    assert resolve_version("") == "3.1.4"
    assert resolve_version("2.0.0") == "2.0.0"


# ---------------------------------------------------------------- the package


def test_the_data_package_validates_with_frictionless(grown):
    _, releases = grown
    register_plugin()
    for release in releases.values():
        report = validate(str(release.path / "datapackage.json"))
        assert report.valid, report.flatten(["title", "message"])[:10]
        # Every resource was read to the end: the row counts are frictionless's own.
        rows = {task.name: task.stats.get("rows", 0) for task in report.tasks}  # absent for 0 rows
        assert {name: rows[name] for name in release.row_counts} == release.row_counts


def _broken_copy(release, tmp_path: Path) -> Path:
    """A copy of a release whose savings file holds a value outside its enum (and so a wrong hash)."""
    copy = tmp_path / "copy"
    shutil.copytree(release.path, copy)
    savings = pl.read_parquet(copy / "data" / "savings.parquet")
    savings.with_columns(pl.lit("bogus").alias("measure")).write_parquet(copy / "data" / "savings.parquet")
    return copy


def test_frictionless_catches_a_broken_file(grown, tmp_path):
    _, releases = grown
    copy = _broken_copy(releases["1.1.0"], tmp_path)
    register_plugin()
    report = validate(str(copy / "datapackage.json"))
    assert not report.valid
    types = {error.type for task in report.tasks for error in task.errors}
    assert {"constraint-error", "hash-count"} <= types


def _frictionless_cli(datapackage: Path) -> subprocess.CompletedProcess:
    # The stock command, in a fresh process: it finds the project's plugin module on its own.
    command = Path(sys.executable).with_name("frictionless")
    return subprocess.run([str(command), "validate", str(datapackage)], capture_output=True, text=True, timeout=300)


def test_the_stock_frictionless_validate_command_accepts_a_release(grown):
    _, releases = grown
    result = _frictionless_cli(releases["1.1.0"].path / "datapackage.json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "INVALID" not in result.stdout


def test_the_stock_frictionless_validate_command_rejects_a_broken_release(grown, tmp_path):
    _, releases = grown
    result = _frictionless_cli(_broken_copy(releases["1.1.0"], tmp_path) / "datapackage.json")
    assert result.returncode != 0 and "INVALID" in result.stdout


def test_the_package_is_generated_from_the_registry(grown):
    _, releases = grown
    package = json.loads((releases["1.1.0"].path / "datapackage.json").read_text())
    # With the SQLite edition beside its tables, the package is a data package whose tables are each a tabular
    # data resource (a tabular data package may hold nothing else).
    assert package["profile"] == "data-package" and package["version"] == "1.1.0"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    resources = {r["name"]: r for r in package["resources"]}
    tables = [name for name, r in resources.items() if r["type"] == "table"]
    assert all(resources[name]["profile"] == "tabular-data-resource" for name in tables)
    assert [t.name for t in REGISTRY.public()] == [name for name in tables if name != "changes"]
    assert [name for name in resources if name not in tables] == ["nhs_ledger_sqlite"]
    savings = resources["savings"]
    assert savings["format"] == "parquet" and savings["path"] == "data/savings.parquet"
    assert savings["hash"].startswith("sha256:") and savings["bytes"] > 0
    assert savings["schema"]["primaryKey"] == ["saving_id"]
    fields = {f["name"]: f for f in savings["schema"]["fields"]}
    assert fields["amount_gbp"]["unit"] == "GBP"
    assert fields["amount_gbp"]["constraints"] == {"exclusiveMinimum": 0}
    assert fields["measure"]["constraints"]["enum"] == ["target", "potential", "achieved", "shortfall"]
    assert fields["saving_id"]["constraints"] == {"required": True, "unique": True,
                                                  "pattern": "(sav|def)_[0-9a-f]{16}"}
    references = {fk["reference"]["resource"] for fk in savings["schema"]["foreignKeys"]}
    assert references == {"articles", "organisations", ""}  # "" is savings itself (parent_saving_id)
    orgs = {f["name"]: f for f in resources["organisations"]["schema"]["fields"]}
    assert orgs["aliases"]["type"] == "array"


def test_the_release_ships_its_sqlite_edition_listed_checked_and_with_every_row(grown):
    _, releases = grown
    release = releases["1.1.0"]
    package = json.loads((release.path / "datapackage.json").read_text())
    (sqlite,) = [r for r in package["resources"] if r["name"] == "nhs_ledger_sqlite"]
    path = release.path / sqlite["path"]
    assert sqlite["type"] == "file" and sqlite["mediatype"] == "application/vnd.sqlite3"
    assert sqlite["bytes"] == path.stat().st_size
    assert sqlite["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert "data/nhs_ledger.sqlite" in (release.path / "SHA256SUMS").read_text()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as lite:
        for resource in package["resources"]:
            if resource["type"] == "table":
                (rows,) = lite.execute(f'SELECT count(*) FROM "{resource["name"]}"').fetchone()
                assert rows == pl.read_parquet(release.path / resource["path"]).height, resource["name"]
    metadata = json.loads((release.path / "datasette.json").read_text())
    assert metadata["title"] == "NHS Ledger 1.1.0" and "figures" in metadata["databases"]["nhs_ledger"]["tables"]
    assert "datasette serve --immutable data/nhs_ledger.sqlite" in (release.path / "README.md").read_text()
    # And the static report, checked like every other file.
    assert "report/index.html" in release.files and "report/style.css" in release.files
    assert any(name.startswith("report/bodies/") for name in release.files)


def test_created_comes_from_the_runs_not_the_clock(grown):
    warehouse, releases = grown
    # 1.2.0 was cut from the warehouse as it is now (1.1.0 from an earlier state, before the last build).
    package = json.loads((releases["1.2.0"].path / "datapackage.json").read_text())
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        newest = con.execute("SELECT max(finished_at) FROM runs").fetchone()[0]
    assert package["created"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- files


def test_every_checksum_verifies(grown):
    _, releases = grown
    for release in releases.values():
        assert verify_sums(release.path) == []
        sums = (release.path / "SHA256SUMS").read_text().splitlines()
        listed = [line.split("  ", 1)[1] for line in sums]
        assert listed == sorted(listed) and "SHA256SUMS" not in listed
        assert set(listed) | {"SHA256SUMS"} == set(release.files)
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=releases["1.1.0"].path,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_no_publisher_text_anywhere_in_the_release(grown):
    _, releases = grown
    release = releases["1.1.0"]
    for path in (release.path / "data").glob("*.parquet"):
        assert "body_text" not in pl.read_parquet_schema(path), path.name
    package = json.loads((release.path / "datapackage.json").read_text())
    assert all(f["name"] != "body_text" for r in package["resources"] if r["type"] == "table"
               for f in r["schema"]["fields"])
    with sqlite3.connect(f"file:{release.path / 'data' / 'nhs_ledger.sqlite'}?mode=ro", uri=True) as lite:
        columns = {row[1] for row in lite.execute("PRAGMA table_info(articles)")}
    assert "body_text" not in columns and {"url", "title"} <= columns
    # The evidence sentences stay; the articles' URL, title and hashes stay.
    assert {"url", "title", "content_sha256"} <= set(_data(release, "articles").columns)
    assert _data(release, "savings")["evidence"].str.len_chars().min() > 0


def test_body_text_is_there_only_when_asked(grown, tmp_path):
    warehouse, _ = grown
    result = _release(warehouse, "9.0.0", tmp_path, include_body_text=True)
    articles = _data(result, "articles")
    assert "body_text" in articles.columns and articles["body_text"].str.len_chars().min() > 0
    shutil.rmtree(result.path)
    result.tarball.unlink()


def test_every_table_reads_back_with_duckdb_and_polars(grown):
    warehouse, releases = grown
    release = releases["1.2.0"]  # released from the warehouse as it is now
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        for table in REGISTRY.public():
            expected = con.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
            path = release.path / "data" / f"{table.name}.parquet"
            assert pl.read_parquet(path).height == expected, table.name
            assert con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0] == expected, table.name
            assert release.row_counts[table.name] == expected


def test_rows_are_sorted_by_primary_key(grown):
    _, releases = grown
    for table in REGISTRY.public():
        frame = _data(releases["1.1.0"], table.name)
        assert frame.equals(frame.sort(list(table.primary_key))), table.name


def test_the_same_warehouse_gives_byte_identical_data_files(grown, tmp_path):
    warehouse, releases = grown
    again = _release(warehouse, "1.2.1", tmp_path)
    for table in REGISTRY.public():
        name = f"data/{table.name}.parquet"
        assert (again.path / name).read_bytes() == (releases["1.2.0"].path / name).read_bytes(), name
    assert "No fact or organisation was added, removed or changed." in (again.path / "CHANGES.md").read_text()
    shutil.rmtree(again.path)
    again.tarball.unlink()


def test_the_tarball_is_deterministic_and_holds_the_folder(grown, tmp_path):
    warehouse, releases = grown
    release = releases["1.1.0"]
    assert (release.tarball.parent / f"{release.tarball.name}.sha256").read_text().split()[0] == \
        release.tarball_sha256
    with tarfile.open(release.tarball) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted(m.name for m in members)
        assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, members[0].mtime)}
        tar.extractall(tmp_path, filter="data")
    assert verify_sums(tmp_path / "nhs-ledger-1.1.0") == []
    # Rebuilt from a copy of the same warehouse state, the archive is byte for byte the same.
    copy = tmp_path / "again"
    (copy / "releases").mkdir(parents=True)
    shutil.copy(warehouse / DUCKDB_FILE, copy / DUCKDB_FILE)
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        shutil.copytree(releases[version].path, copy / "releases" / version)
    rebuilt = _release(copy, "1.2.0", tmp_path, overwrite=True)
    assert rebuilt.tarball_sha256 == releases["1.2.0"].tarball_sha256


def test_an_existing_version_is_not_overwritten(grown, tmp_path):
    warehouse, releases = grown
    before = (releases["1.0.0"].path / "SHA256SUMS").read_bytes()
    with pytest.raises(ReleaseError, match="already exists"):
        _release(warehouse, "1.0.0", tmp_path)
    assert (releases["1.0.0"].path / "SHA256SUMS").read_bytes() == before
    assert not [p for p in (warehouse / "releases").iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------- changes


def test_first_release_lists_everything_as_added(grown):
    _, releases = grown
    first = releases["1.0.0"]
    assert first.previous_version is None
    text = (first.path / "CHANGES.md").read_text()
    assert "There is no previous release" in text
    for table, key in {**FACT_TABLES, "organisations": "org_id"}.items():
        assert _changes(first, table, "added") == set(_data(first, table)[key].to_list())
        assert not _changes(first, table, "removed") and not _changes(first, table, "changed")


def test_a_new_batch_shows_as_added_facts_and_nothing_removed(grown):
    _, releases = grown
    old, new = releases["1.0.0"], releases["1.1.0"]
    assert new.previous_version == "1.0.0"
    text = (new.path / "CHANGES.md").read_text()
    assert "Compared with the previous release, **1.0.0**" in text
    for table, key in FACT_TABLES.items():
        frame = _data(new, table)
        july = set(frame.filter(pl.col("batch") == "2025-07")[key].to_list())
        june = set(frame.filter(pl.col("batch") == "2025-06")[key].to_list())
        assert july and _changes(new, table, "added") == july
        assert _changes(new, table, "removed") == set() and _changes(new, table, "changed") == set()
        # Facts of the unchanged batch keep their keys from one release to the next.
        assert june == set(_data(old, table)[key].to_list())
        assert f"| {table} | {len(july)} | 0 | 0 |" in text
        assert new.change_counts[table] == {"added": len(july), "removed": 0, "changed": 0}
    assert _changes(new, "organisations", "removed") == set()


def test_an_edited_article_shows_as_removed_and_added_facts(grown):
    _, releases = grown
    old, new = releases["1.1.0"], releases["1.2.0"]
    assert new.previous_version == "1.1.0"
    articles = _data(old, "articles")
    old_id = articles.filter(pl.col("source_path") == EDITED_ARTICLE)["article_id"].item()
    new_id = _data(new, "articles").filter(pl.col("source_path") == EDITED_ARTICLE)["article_id"].item()
    assert old_id != new_id
    for table, key in FACT_TABLES.items():
        was = set(_data(old, table).filter(pl.col("article_id") == old_id)[key].to_list())
        now = set(_data(new, table).filter(pl.col("article_id") == new_id)[key].to_list())
        assert _changes(new, table, "removed") == was
        assert _changes(new, table, "added") == now
        assert _changes(new, table, "changed") == set()
    added = _data(new, "changes").filter((pl.col("table") == "savings") & (pl.col("change") == "added"))
    assert any("£25.5m" in s for s in added["summary"].to_list())
    text = (new.path / "CHANGES.md").read_text()
    assert "removed + added" in text and "£23.5m" in text and "£25.5m" in text


def test_a_fact_read_differently_is_changed_and_lineage_is_ignored(grown):
    _, releases = grown
    before = _data(releases["1.1.0"], "savings")
    first, second = before["saving_id"][0], before["saving_id"][1]
    other = "potential" if before["measure"][0] != "potential" else "target"
    after = before.with_columns(
        pl.when(pl.col("saving_id") == first).then(pl.lit(other)).otherwise(pl.col("measure")).alias("measure"),
        pl.when(pl.col("saving_id") == second).then(pl.lit("run_0000000000000000")).otherwise(pl.col("run_id"))
        .alias("run_id"),
    )
    changes = diff_table("savings", before, after)
    assert [(c.key, c.change, c.changed_columns) for c in changes] == [(first, "changed", ("measure",))]
    text = render_changes(ReleaseDiff(previous_version="1.1.0", changes=changes), "1.1.1")
    assert "## savings: 1 changed" in text and f"`measure`: `{before['measure'][0]}` → `{other}`" in text
    assert ReleaseDiff("1.1.0", changes).frame()["changed_columns"].to_list() == [["measure"]]


def test_progress_is_reported_per_stage(grown, tmp_path):
    warehouse, _ = grown
    calls = []
    result = _release(warehouse, "8.0.0", tmp_path, progress=lambda *call: calls.append(call))
    stages = {stage for stage, _, _ in calls}
    assert {"release tables", "release files"} <= stages
    for stage in stages:
        done, total = max((d, t) for s, d, t in calls if s == stage)
        assert done == total
    shutil.rmtree(result.path)
    result.tarball.unlink()


# ---------------------------------------------------------------- scores and the asset


def test_devset_scores_are_written_when_the_devset_is_there(grown, shared_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    warehouse, _ = grown
    result = build_release(warehouse, "7.0.0", shared_dir=shared_dir)
    scores = json.loads((result.path / "scores.json").read_text())
    assert scores["overall"]["f1"] > 0.85 and result.scores["overall"] == scores["overall"]
    readme = (result.path / "README.md").read_text()
    assert "| overall |" in readme and "scores.json" in (result.path / "SHA256SUMS").read_text()
    shutil.rmtree(result.path)
    result.tarball.unlink()


def test_without_the_devset_the_readme_says_so(grown):
    _, releases = grown
    release = releases["1.1.0"]
    assert release.scores is None and not (release.path / "scores.json").exists()
    assert "No devset scores in this release" in (release.path / "README.md").read_text()


def test_the_readme_is_a_data_dictionary(grown):
    _, releases = grown
    readme = (releases["1.1.0"].path / "README.md").read_text()
    for table in REGISTRY.public():
        assert f"### `{table.name}`" in readme
        for field in table.fields:
            if field.name != "body_text":
                assert f"| `{field.name}` |" in readme, (table.name, field.name)
    for phrase in ("April", "`YYYY/YY`", "`target`", "`potential`", "`achieved`", "`shortfall`", "`forecast`",
                   "`actual`", "`planned`", "`aggregate`", "not audited accounts", "sha256sum -c SHA256SUMS",
                   "read_parquet", "| `savings` |"):
        assert phrase in readme, phrase


def test_the_release_asset_materialises_with_metadata(grown, tmp_path):
    from assets.release import release
    from assets.resources import LedgerPaths

    warehouse, _ = grown
    config = {"version": "6.0.0", "shared_dir": str(tmp_path / "no-shared")}
    result = dg.materialize([release], resources={"ledger": LedgerPaths(warehouse_dir=str(warehouse))},
                            run_config={"ops": {"release": {"config": config}}},
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    metadata = result.asset_materializations_for_node("release")[0].metadata
    assert metadata["version"].value == "6.0.0"
    files = [p for p in (warehouse / "releases" / "6.0.0").rglob("*") if p.is_file()]
    assert metadata["file_count"].value == len(files)
    assert metadata["row_counts"].value["savings"] > 0
    assert len(metadata["tarball_sha256"].value) == 64


# ---------------------------------------------------------------- the CLI and the Dagster job


def test_the_cli_cuts_a_release(request, tmp_path, capsys):
    import cli.main as cli

    warehouse, _ = request.getfixturevalue("grown")
    args = ["release", "--version", "5.0.0", "--warehouse", str(warehouse), "--shared", str(tmp_path / "none")]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "5.0.0" in out and "sha256" in out
    assert cli.main(args) == 2  # the same version again: one line, no traceback
    assert "already exists" in capsys.readouterr().err
    shutil.rmtree(warehouse / "releases" / "5.0.0")
    (warehouse / "releases" / "nhs-ledger-5.0.0.tar.gz").unlink()


def test_the_build_job_leaves_the_release_alone():
    from assets.definitions import defs

    build = defs.resolve_job_def("build")
    assert "release" not in build.graph.node_dict
    assert list(defs.resolve_job_def("cut_release").graph.node_dict) == ["release"]


def test_the_release_reports_the_ods_match_rate_per_type(grown):
    _, releases = grown
    readme = (releases["1.1.0"].path / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Organisation register", 1)[1].split("\n## ", 1)[0]
    organisations = _data(releases["1.1.0"], "organisations")
    named_ccgs = organisations.filter((pl.col("org_type") == "CCG") & (pl.col("n_articles") > 0)).height
    assert f"| CCG | {named_ccgs} | 0 | 0% |" in section  # the sample build loads no reference data


# ---------------------------------------------------------------- the release's own checks (vectorised)


def test_the_release_check_catches_what_frictionless_catches(grown, tmp_path):
    from pipeline.release.table_checks import check_release

    _, releases = grown
    assert check_release(releases["1.1.0"].path).valid
    report = check_release(_broken_copy(releases["1.1.0"], tmp_path))
    assert not report.valid
    types = {problem.type for problem in report.problems}
    assert {"constraint-error", "hash-count"} <= types
    assert any('field "measure"' in line and 'constraint "enum"' in line for line in report.lines())
    assert report.checksum_failures == ["data/savings.parquet"]


def test_the_release_check_catches_keys_patterns_and_missing_columns(grown, tmp_path):
    from pipeline.release.table_checks import check_release

    _, releases = grown
    copy = tmp_path / "keys"
    shutil.copytree(releases["1.1.0"].path, copy)
    deficits = pl.read_parquet(copy / "data" / "deficits.parquet")
    broken = pl.concat([deficits, deficits.head(1)]).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("org_not_a_body")).otherwise(pl.col("org_id")).alias("org_id"))
    broken.write_parquet(copy / "data" / "deficits.parquet")
    runs = pl.read_parquet(copy / "data" / "runs.parquet")
    runs.drop(runs.columns[-1]).write_parquet(copy / "data" / "runs.parquet")
    types = {(p.resource, p.type) for p in check_release(copy).problems}
    assert {("deficits", "primary-key"), ("deficits", "unique-error"), ("deficits", "foreign-key"),
            ("deficits", "constraint-error"), ("runs", "missing-label")} <= types


def test_a_release_that_does_not_check_is_not_published(grown, tmp_path, monkeypatch):
    from pipeline.release import export

    warehouse, _ = grown
    real = export.write_parquet_batches

    def corrupting(frames, target, table_name):
        if table_name == "deficits":
            frames = (frame.with_columns(pl.lit("bogus").alias("measure")) for frame in frames)  # outside its enum
        return real(frames, target, table_name)

    monkeypatch.setattr(export, "write_parquet_batches", corrupting)
    with pytest.raises(ReleaseError, match='does not validate.*deficits: .*constraint "enum"'):
        _release(warehouse, "9.9.9", tmp_path)
    assert not (warehouse / "releases" / "9.9.9").exists()
    assert not (warehouse / "releases" / "nhs-ledger-9.9.9.tar.gz").exists()


def test_the_archive_is_plain_gzip_with_no_name_or_time_and_the_same_twice(tmp_path):
    import gzip
    import io
    import random
    import tarfile

    from pipeline.release.archive import write_tarball

    generator = random.Random(7)
    folder = tmp_path / "release"
    (folder / "data").mkdir(parents=True)
    data = b"".join(generator.choice([b"NHS trust deficit ", b"saving ", bytes([generator.randrange(256)])])
                    for _ in range(400_000))
    (folder / "data" / "blob.bin").write_bytes(data)
    (folder / "README.md").write_text("# a release\n", encoding="utf-8")
    first = write_tarball(folder, tmp_path / "one.tar.gz", "nhs-ledger-0.0.1").read_bytes()
    second = write_tarball(folder, tmp_path / "two.tar.gz", "nhs-ledger-0.0.1").read_bytes()
    assert first == second
    assert first[:3] == b"\x1f\x8b\x08" and first[3] == 0 and first[4:8] == b"\0\0\0\0"  # no name, no time
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(first))) as tar:
        assert tar.getnames() == ["nhs-ledger-0.0.1", "nhs-ledger-0.0.1/README.md", "nhs-ledger-0.0.1/data",
                                  "nhs-ledger-0.0.1/data/blob.bin"]
        assert tar.extractfile("nhs-ledger-0.0.1/data/blob.bin").read() == data


# The one-line summary of a changed row, as the release wrote it row by row before the diff worked in frames:
# the reference `diff.summaries` must match.
def _summary_of_row(table: str, row: dict, org_names: dict[str, str]) -> str:
    from pipeline.evaluate import format_gbp

    if table == "organisations":
        return f"{row['name']} ({row['org_type']})"
    org = org_names.get(row.get("org_id"), row.get("org_id") or "unknown body")
    kind = "saving" if table == "savings" else "deficit"
    if row.get("amount_gbp") is not None:
        amount = format_gbp(row["amount_gbp"])
    elif row.get("amount_low_gbp") is not None and row.get("amount_high_gbp") is not None:
        amount = f"{format_gbp(row['amount_low_gbp'])}-{format_gbp(row['amount_high_gbp'])}"
    else:
        amount = "£?"
    amount = f"{row['qualifier']} {amount}" if row.get("qualifier") else amount
    start, end, horizon = row.get("fy_start"), row.get("fy_end"), row.get("horizon_years")
    if start and end:
        period = f", {start}" if start == end else f", {start} to {end}"
    elif end:
        period = f", by {end}"
    elif start:
        period = f", from {start}"
    elif horizon:
        period = f", over {horizon} years"
    else:
        period = ""
    return f"{org}: {row['measure']} {kind} {amount}{period}"


def test_the_summaries_of_changed_rows_are_worded_as_row_by_row():
    from pipeline.release.diff import summaries

    rows = pl.DataFrame({
        "org_id": ["org_a", "org_b", None, "", "org_gone", "org_a"],
        "measure": ["target", None, "achieved", "forecast", "target", "shortfall"],
        "amount_gbp": [35e6, None, None, 1234.5, 2.5e9, None],
        "amount_low_gbp": [None, 10e6, None, None, None, 1e6],
        "amount_high_gbp": [None, 12e6, 3e6, None, None, None],
        "qualifier": ["more than", None, "", "about", None, None],
        "fy_start": ["2015/16", "2016/17", None, "", None, "2019/20"],
        "fy_end": ["2015/16", "2017/18", "2020/21", None, None, ""],
        "horizon_years": [None, None, None, 3, 0, None],
    })
    names = {"org_a": "NHS Leeds CCG", "org_b": "Barts Health NHS Trust"}
    organisations = pl.DataFrame({"org_id": list(names), "name": list(names.values())})
    for table in ("savings", "deficits"):
        found = rows.select(summaries(table, rows, organisations)).to_series().to_list()
        assert found == [_summary_of_row(table, row, names) for row in rows.iter_rows(named=True)]
    orgs = pl.DataFrame({"name": ["NHS Leeds CCG", None], "org_type": [None, "trust"]})
    assert orgs.select(summaries("organisations", orgs, None)).to_series().to_list() == [
        _summary_of_row("organisations", row, {}) for row in orgs.iter_rows(named=True)]


def test_changed_rows_are_found_column_by_column_as_python_compares_rows(grown):
    # The diff compares a column at a time over matched row numbers; a row is changed exactly when Python's `!=`
    # says a content column differs (NaN differs from itself, None from a value), lineage columns aside.
    from pipeline.release.diff import table_changes

    _, releases = grown
    nan = float("nan")
    rows = _data(releases["1.1.0"], "savings").head(7)
    keys = rows["saving_id"].to_list()
    before = rows.with_columns(pl.Series("amount_gbp", [1.0, 2.0, nan, None, 5.0, 6.0, 7.0]),
                               pl.Series("measure", ["target"] * 4 + [None] + ["target"] * 2))
    now = before.with_columns(pl.Series("amount_gbp", [1.0, 2.5, nan, 4.0, 5.0, 6.0, 7.0]),
                              pl.Series("measure", ["target"] * 4 + ["achieved"] + ["target"] * 2),
                              pl.Series("run_id", ["r1"] * 5 + ["r2"] + ["r1"]),
                              pl.Series("saving_id", keys[:6] + ["sav_new"]))

    def python_changed(before: pl.DataFrame, now: pl.DataFrame) -> dict[str, list[str]]:
        old = {row["saving_id"]: row for row in before.iter_rows(named=True)}
        found = {}
        for row in now.iter_rows(named=True):
            if row["saving_id"] in old:
                differing = [c for c in now.columns if c not in ("saving_id", "run_id")
                             and row[c] != old[row["saving_id"]][c]]
                if differing:
                    found[row["saving_id"]] = differing
        return found

    found = table_changes("savings", before, now).rows
    changed = {key: columns for key, change, columns in found.select("key", "change", "changed_columns").iter_rows()
               if change == "changed"}
    assert changed == python_changed(before, now) == {keys[1]: ["amount_gbp"], keys[2]: ["amount_gbp"],
                                                      keys[3]: ["amount_gbp"], keys[4]: ["measure"]}
    assert sorted(found.filter(pl.col("change") != "changed").select("key", "change").iter_rows()) == sorted([
        (keys[6], "removed"), ("sav_new", "added")])
    # A column whose type changed between releases makes every matched row a candidate, compared as Python does.
    retyped = now.with_columns(pl.col("amount_gbp").cast(pl.Float32))
    changed = {key for key, change in table_changes("savings", before, retyped).rows.select("key", "change")
               .iter_rows() if change == "changed"}
    assert changed == set(python_changed(before, retyped))
