"""Devset scores for a release: how well this code reads the project's hand-annotated articles.

The seed and devset articles are built into a throwaway warehouse with the very
pipeline that built the release, then scored against both gold files. The
shared folder is beside developer checkouts and CI only; without it a release
says that it carries no scores rather than inventing any.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GOLD_FILES = ("seeds.gold.jsonl", "devset.gold.jsonl")


def default_shared_dir() -> Path:
    return PROJECT_ROOT.parent / "shared"


def has_devset(shared_dir: Path | None) -> bool:
    return shared_dir is not None and all((shared_dir / "devset" / name).is_file() for name in GOLD_FILES)


def devset_articles(shared_dir: Path) -> list[Path]:
    return sorted([*(shared_dir / "seeds").glob("*.txt"), *(shared_dir / "devset" / "articles").glob("*.txt")])


@contextmanager
def _throwaway_dagster_instance():
    # The devset build is scaffolding for the scores, not a run of the project: with DAGSTER_HOME unset,
    # `materialise` records it in an ephemeral instance instead of the user's run history.
    saved = os.environ.pop("DAGSTER_HOME", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["DAGSTER_HOME"] = saved


def devset_scores(shared_dir: Path) -> dict:
    """The evaluation report of a devset build, as `EvaluationReport.to_dict()` gives it."""
    # materialise runs the Dagster build job; imported here so that importing this module stays Dagster-free.
    from pipeline.cli import materialise
    from pipeline.evaluate import evaluate_warehouse

    with tempfile.TemporaryDirectory(prefix="nhs-ledger-devset-") as scratch:
        raw = Path(scratch) / "raw"
        raw.mkdir()
        for article in devset_articles(shared_dir):
            shutil.copy(article, raw / article.name)
        warehouse = Path(scratch) / "warehouse"
        with _throwaway_dagster_instance():
            success, failures, _ = materialise(raw, warehouse, full=True)
        if not success:
            raise RuntimeError("the devset build failed: " + "; ".join(failures))
        gold = [shared_dir / "devset" / name for name in GOLD_FILES]
        return evaluate_warehouse(warehouse, gold).to_dict()
