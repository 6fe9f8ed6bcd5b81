"""Named evaluation sets: scoring several sets apart, `nhs-ledger evaluate --sets`, and the release's scores.

A fake shared folder holds one or two articles per set, and a fake build writes a warehouse predicting the
amount each article's text states, so each test shows which set scores what without running the pipeline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline import __version__
from cli.main import main
from pipeline.evaluate import STANDARD_SETS, EvaluationError, render_sets_table, score_sets
from pipeline.release.build import ReleaseResult
from pipeline.release.report import render_result
from pipeline.release.scores import devset_scores
from pipeline.versions import code_fingerprint
from tests.test_evaluate import SALFORD, WarehouseBuilder, gold_article, gold_fact, write_gold

# set -> {article: (predicted amount, gold amount)}
ARTICLES = {
    "real_dev": {"ra01.txt": (1_000_000, 1_000_000), "ra02.txt": (2_000_000, 2_000_000)},
    "real_check": {"rc01.txt": (3_000_000, 4_000_000)},
    "devset": {"000_seed.txt": (5_000_000, 5_000_000), "d001.txt": (6_000_000, 9_000_000)},
}


def make_shared(root: Path, sets: tuple[str, ...] = tuple(ARTICLES)) -> Path:
    """A shared folder laid out as the real one, holding the ARTICLES of `sets`."""
    by_name = {s.name: s for s in STANDARD_SETS}
    for name in sets:
        evaluation_set = by_name[name]
        for folder in evaluation_set.texts:
            (root / folder).mkdir(parents=True, exist_ok=True)
        for article, (predicted, _) in ARTICLES[name].items():
            # The devset's seeds sit in their own folder, as in the shared folder.
            folder = evaluation_set.texts[0] if article[0].isdigit() or len(evaluation_set.texts) == 1 \
                else evaluation_set.texts[1]
            (root / folder / article).write_text(str(predicted), encoding="utf-8")
        articles = [gold_article(a, [SALFORD], [gold_fact(amount=g)]) for a, (_, g) in ARTICLES[name].items()]
        for gold_file in evaluation_set.gold:
            # Every gold file of a set gets its share: the devset's seeds gold the seed, its devset gold the rest.
            share = [a for a in articles if (a["article"][0].isdigit()) == ("seeds" in gold_file)] \
                if len(evaluation_set.gold) > 1 else articles
            (root / gold_file).parent.mkdir(parents=True, exist_ok=True)
            write_gold(root / gold_file, *share)
    return root


def fake_build(raw: Path, warehouse: Path) -> None:
    """Predict for each article of `raw` a saving of NHS Salford CCG of the amount its text states."""
    builder = WarehouseBuilder()
    salford = builder.org("NHS Salford CCG")
    for path in sorted(raw.glob("*/*.txt")):
        article_id = builder.article(f"{path.parent.name}/{path.name}")
        builder.mention(article_id, salford)
        builder.saving(article_id, salford, float(path.read_text(encoding="utf-8")))
    (warehouse / "nhs_ledger.duckdb").unlink(missing_ok=True)  # a build replaces the warehouse
    builder.write(warehouse)


@pytest.fixture
def shared(tmp_path) -> Path:
    return make_shared(tmp_path / "shared")


def test_each_set_is_built_apart_and_scored_against_its_own_gold(shared, tmp_path):
    built = []

    def build(raw: Path, warehouse: Path) -> None:
        built.append(sorted(p.name for p in raw.glob("*/*.txt")))
        fake_build(raw, warehouse)

    report = score_sets(shared, build, scratch=tmp_path / "scratch", date="2026-01-02", code_version="9.9.9+abc")
    assert built == [sorted(ARTICLES[name]) for name in ("real_dev", "real_check", "devset")]
    f1 = {s.set.name: s.report.overall.f1 for s in report.scored}
    assert f1 == {"real_dev": 1.0, "real_check": 0.0, "devset": 0.5}
    assert report.missing == {}
    assert (tmp_path / "scratch" / "real_check" / "warehouse" / "nhs_ledger.duckdb").is_file()

    data = json.loads(json.dumps(report.to_dict()))
    assert (data["date"], data["code_version"]) == ("2026-01-02", "9.9.9+abc")
    assert list(data["sets"]) == ["real_dev", "real_check", "devset"]
    real_dev = data["sets"]["real_dev"]
    assert real_dev["label"] == "real/dev" and real_dev["gold"] == ["devset/real/dev/gold.jsonl"]
    assert real_dev["summary"]["f1"] == 1.0 and real_dev["summary"]["articles"] == 2
    assert real_dev["report"]["overall"]["tp"] == 2
    assert data["missing_sets"] == {}


def test_the_sets_table_reports_each_set_with_the_date_and_code_version(shared):
    report = score_sets(shared, fake_build, date="2026-01-02", code_version="9.9.9+abc")
    table = render_sets_table(report)
    assert "2026-01-02" in table and "9.9.9+abc" in table and "`nhs-ledger evaluate --sets`" in table
    header = next(line for line in table.splitlines() if line.startswith("| set |"))
    for column in ("F1", "organisation recall", "measure accuracy", "period accuracy", "aggregate recall"):
        assert f"| {column} |" in header
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines()
            if line.startswith("| ") and not line.startswith(("| set", "| ---"))}
    assert list(rows) == ["real/dev", "real/check", "devset (fictional, with the 5 seeds)"]
    assert "| 2 | 2 | 1.000 | 1.000 | 1.000 |" in rows["real/dev"]
    assert "| 1 | 1 | 0.000 | 0.000 | 0.000 | n/a |" in rows["real/check"]


def test_a_set_missing_from_the_shared_folder_is_reported_not_scored(tmp_path):
    shared = make_shared(tmp_path / "shared", ("real_dev", "devset"))
    report = score_sets(shared, fake_build, date="2026-01-02", code_version="x")
    assert [s.set.name for s in report.scored] == ["real_dev", "devset"]
    assert list(report.missing) == ["real_check"] and "devset/real/check/gold.jsonl" in report.missing["real_check"]
    assert "Not scored: real_check (not in the shared folder: devset/real/check/texts" in render_sets_table(report)


def test_no_set_or_no_shared_folder_is_an_evaluation_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvaluationError, match="none of the evaluation sets"):
        score_sets(tmp_path / "empty", fake_build)
    with pytest.raises(EvaluationError, match="shared folder not found"):
        score_sets(tmp_path / "nowhere", fake_build)


def test_two_articles_of_one_file_name_in_a_set_are_an_error(shared):
    (shared / "seeds" / "d001.txt").write_text("1", encoding="utf-8")  # the devset has a d001.txt too
    with pytest.raises(EvaluationError, match="share a file name"):
        score_sets(shared, fake_build)


def test_a_kept_scratch_folder_is_refilled_from_the_sets_articles(shared, tmp_path):
    scratch = tmp_path / "scratch"
    score_sets(shared, fake_build, scratch=scratch)
    stale = scratch / "real_dev" / "raw" / "real_dev" / "gone.txt"
    stale.write_text("1", encoding="utf-8")
    score_sets(shared, fake_build, scratch=scratch)
    assert not stale.exists()


def test_the_stamp_is_todays_date_and_this_codes_version(shared):
    report = score_sets(shared, fake_build)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", report.date)
    assert report.code_version == f"{__version__}+{code_fingerprint()}"


# ---------------------------------------------------------------- the release's scores


def test_release_scores_keep_the_devset_report_on_top_and_add_every_set(shared):
    scores = json.loads(json.dumps(devset_scores(shared, build=fake_build)))
    devset = scores["sets"]["devset"]["report"]
    for key in ("tables", "overall", "org_recall", "n_gold_articles", "missing_articles", "unscored_facts",
                "unscored_articles", "ambiguous_articles", "articles"):
        assert scores[key] == devset[key], key
    assert scores["overall"]["f1"] == 0.5
    assert list(scores["sets"]) == ["real_dev", "real_check", "devset"]
    assert scores["sets"]["real_check"]["summary"]["f1"] == 0.0
    assert scores["code_version"] == f"{__version__}+{code_fingerprint()}" and scores["date"]
    assert scores["missing_sets"] == {}


def test_release_scores_need_the_devset(tmp_path):
    shared = make_shared(tmp_path / "shared", ("real_dev",))
    with pytest.raises(RuntimeError, match="the devset could not be scored"):
        devset_scores(shared, build=fake_build)


def _release_result(scores: dict | None) -> ReleaseResult:
    return ReleaseResult(version="1.0.0", path=Path("/r/1.0.0"), tarball=Path("/r/nhs-ledger-1.0.0.tar.gz"),
                         tarball_sha256="0" * 64, files=[], row_counts={"savings": 3}, previous_version=None,
                         change_counts={}, scores=scores, created=None)


def test_the_release_report_gives_each_set_apart_with_the_date_and_code_version(shared):
    text = render_result(_release_result(devset_scores(shared, build=fake_build)))
    assert f"code {__version__}+{code_fingerprint()}" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("    ")}
    assert "F1 1.000" in lines["real/dev"] and "F1 0.000" in lines["real/check"]
    assert "F1 0.500" in lines["devset"] and "aggregate recall -" in lines["devset"]


def test_the_release_report_reads_scores_of_older_releases():
    assert "devset F1               0.900" in render_result(_release_result({"overall": {"f1": 0.9}}))
    assert "devset scores           not available" in render_result(_release_result(None))


# ---------------------------------------------------------------- the command line


def test_evaluate_sets_prints_the_table_and_json(shared, monkeypatch, capsys):
    monkeypatch.setattr("pipeline.release.scores.build_warehouse", fake_build)
    assert main(["evaluate", "--sets", str(shared)]) == 0
    captured = capsys.readouterr()
    assert "| real/dev | 2 |" in captured.out and "| real/check | 1 |" in captured.out
    assert "building real_dev (2 articles)" in captured.err
    assert main(["evaluate", "--sets", str(shared), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sets"]["devset"]["summary"]["f1"] == 0.5


def test_evaluate_sets_with_details_prints_each_sets_errors(shared, monkeypatch, capsys):
    monkeypatch.setattr("pipeline.release.scores.build_warehouse", fake_build)
    assert main(["evaluate", "--sets", str(shared), "--details"]) == 0
    out = capsys.readouterr().out
    assert "### real/check" in out and "== rc01.txt" in out and "missed (FN): 1" in out


@pytest.mark.parametrize("argv, message", [
    (["evaluate"], "give --gold FILE"),
    (["evaluate", "--gold", "g.jsonl", "--sets"], "drop --gold and --warehouse"),
    (["evaluate", "--warehouse", "w", "--sets"], "drop --gold and --warehouse"),
    (["evaluate", "--gold", "g.jsonl", "--scratch", "s"], "--scratch goes with --sets"),
])
def test_evaluate_usage_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_evaluate_sets_without_the_shared_folder_is_one_line(tmp_path, capsys):
    assert main(["evaluate", "--sets", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "shared folder not found" in err and err.count("\n") == 1
