"""End to end: the CLI builds a warehouse through the Dagster definitions, and the contract holds on it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.warehouse import store
from pipeline.checks import warehouse_checks
from cli.main import main
from pipeline.evaluate import evaluate_warehouse

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("sample") / "warehouse"
    assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(warehouse)]) == 0
    return warehouse


@pytest.fixture(scope="module")
def seeds_warehouse(tmp_path_factory) -> Path:
    shared = ROOT.parent / "shared"
    if not (shared / "seeds").is_dir():
        pytest.skip("../shared is not present")
    warehouse = tmp_path_factory.mktemp("seeds") / "warehouse"
    assert main(["build", "--raw", str(shared / "seeds"), "--warehouse", str(warehouse)]) == 0
    return warehouse


def test_build_prints_a_summary(tmp_path, capsys):
    assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(tmp_path / "w")]) == 0
    out = capsys.readouterr().out
    for label in ("articles", "organisations", "savings", "deficits", "rejected inputs", "checks passed"):
        assert label in out
    assert "FAILED" not in out


def test_sample_has_every_format_facts_and_the_rejected_line(sample_warehouse):
    articles = store.read_table(sample_warehouse, "articles")
    assert set(articles["source_format"]) == {"txt", "html", "jsonl"}
    assert articles.height >= 6
    assert store.read_table(sample_warehouse, "savings").height > 0
    assert store.read_table(sample_warehouse, "deficits").height > 0
    rejected = store.read_table(sample_warehouse, "rejected_inputs")
    assert rejected.height >= 1 and set(rejected["reason"]) <= {"unreadable record"}


@pytest.mark.parametrize("name", ["sample_warehouse", "seeds_warehouse"])
def test_every_contract_invariant_holds(name, request):
    warehouse = request.getfixturevalue(name)
    failed = [r.summary() for r in warehouse_checks(warehouse) if not r.passed]
    assert failed == []


def test_parquet_is_partitioned_by_batch_and_duckdb_is_built_from_it(sample_warehouse):
    batches = store.list_partitions(sample_warehouse, "articles")
    assert batches == sorted(p.name for p in SAMPLE.iterdir() if p.is_dir())
    for table in ("articles", "org_mentions", "savings", "deficits", "rejected_inputs"):
        assert (sample_warehouse / "parquet" / table / f"batch={batches[0]}" / "part-0.parquet").is_file()
    with duckdb.connect(str(sample_warehouse / "nhs_ledger.duckdb"), read_only=True) as con:
        for table in ("articles", "organisations", "org_mentions", "savings", "deficits", "rejected_inputs", "runs"):
            n_db = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert n_db == store.read_table(sample_warehouse, table).height
        comments = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'savings' "
                               "AND comment IS NOT NULL AND comment <> ''").fetchone()[0]
        assert comments == len(con.execute("DESCRIBE savings").fetchall())


def test_lineage_from_a_fact_back_to_the_raw_file_and_run(sample_warehouse):
    with duckdb.connect(str(sample_warehouse / "nhs_ledger.duckdb"), read_only=True) as con:
        rows = con.execute("""
            SELECT s.evidence, substr(a.body_text, s.char_start + 1, s.char_end - s.char_start), a.source_path,
                   r.run_id, s.rule_id, s.extractor_version
            FROM savings s JOIN articles a USING (article_id) JOIN runs r ON r.run_id = s.run_id
        """).fetchall()
    assert rows
    for evidence, sliced, source_path, run_id, rule_id, version in rows:
        assert evidence == sliced
        assert (SAMPLE / source_path.split("#")[0]).is_file()
        assert run_id.startswith("run_") and rule_id and version


def test_runs_table_records_each_batch(sample_warehouse):
    runs = store.read_table(sample_warehouse, "runs")
    assert sorted(runs["batch"]) == store.list_partitions(sample_warehouse, "articles")
    assert (runs["finished_at"] >= runs["started_at"]).all()
    assert runs["articles_written"].sum() == store.read_table(sample_warehouse, "articles").height


def test_rebuild_of_the_same_inputs_gives_the_same_rows_and_keys(sample_warehouse, tmp_path):
    again = tmp_path / "again"
    assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(again)]) == 0
    for table in ("articles", "organisations", "org_mentions", "savings", "deficits", "rejected_inputs"):
        assert store.read_table(again, table).equals(store.read_table(sample_warehouse, table)), table


def test_seeds_score_at_least_the_first_extractor_target(seeds_warehouse):
    gold = ROOT.parent / "shared" / "devset" / "seeds.gold.jsonl"
    report = evaluate_warehouse(seeds_warehouse, [gold])
    assert report.overall.f1 >= 0.70, report.overall


def test_figures_in_reader_comments_of_the_seeds_are_not_extracted(seeds_warehouse):
    shared = ROOT.parent / "shared" / "seeds"
    articles = store.read_table(seeds_warehouse, "articles")
    facts = pl.concat([store.read_table(seeds_warehouse, t).select("article_id", "amount_text")
                       for t in ("savings", "deficits")])
    for article in articles.iter_rows(named=True):
        raw = (shared / article["source_path"]).read_text(encoding="utf-8")
        if "Readers' comments" not in raw:
            continue
        comments = raw[raw.index("Readers' comments"):]
        stated = set(facts.filter(pl.col("article_id") == article["article_id"])["amount_text"])
        for amount in stated:
            assert amount in article["body_text"]
        for token in ("£60k", "200k", "£250K", "£X"):
            if token in comments:
                assert token not in article["body_text"] and token not in stated


def test_evaluate_command_prints_scores(seeds_warehouse, capsys):
    gold = ROOT.parent / "shared" / "devset" / "seeds.gold.jsonl"
    assert main(["evaluate", "--gold", str(gold), "--warehouse", str(seeds_warehouse), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "overall" in json.dumps(report)


def test_errors_are_one_line_and_non_zero(tmp_path, capsys):
    assert main(["build", "--raw", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "w")]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("nhs-ledger: error:") and "\n" not in err
    assert main(["evaluate", "--gold", str(tmp_path / "nope.jsonl"), "--warehouse", str(tmp_path)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("nhs-ledger: error:") and "\n" not in err
