"""Scores for a release: how well this code reads the project's hand-annotated articles.

Each evaluation set of the shared folder (`pipeline.evaluate.sets`: the real
articles of real/dev and real/check, and the fictional devset with the seeds) is
built into a throwaway warehouse of its own with the very pipeline that built
the release, then scored against its own gold. `scores.json` keeps the
devset's report at its top level, as releases always had it, and adds every
set's report under `sets`, with the date and the code version that measured
them. The shared folder is beside developer checkouts and CI only; without its
devset a release says that it carries no scores rather than inventing any.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pipeline.build import build

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GOLD_FILES = ("seeds.gold.jsonl", "devset.gold.jsonl")
DEVSET = "devset"  # the set whose report is the top level of scores.json


def default_shared_dir() -> Path:
    return PROJECT_ROOT.parent / "shared"


def has_devset(shared_dir: Path | None) -> bool:
    return shared_dir is not None and all((shared_dir / "devset" / name).is_file() for name in GOLD_FILES)


def devset_articles(shared_dir: Path) -> list[Path]:
    return sorted([*(shared_dir / "seeds").glob("*.txt"), *(shared_dir / "devset" / "articles").glob("*.txt")])


def build_warehouse(raw: Path, warehouse: Path) -> None:
    """Build `raw` into `warehouse` from scratch with the engine's plain steps (`pipeline.build`): the same
    Parquet bytes as `nhs-ledger build`, with no Dagster instance and so no runs in the user's history."""
    build(raw, warehouse, full=True)


def devset_scores(shared_dir: Path, *, build: Callable[[Path, Path], None] | None = None) -> dict:
    """The devset's `EvaluationReport.to_dict()`, plus `date`, `code_version`, `sets` (every set of the shared
    folder: label, gold files, headline `summary` and full `report`) and `missing_sets` (set -> why not scored)."""
    from pipeline.evaluate import score_sets

    sets = score_sets(shared_dir, build or build_warehouse)
    devset = sets.get(DEVSET)
    if devset is None:
        raise RuntimeError(f"the devset could not be scored: {sets.missing.get(DEVSET, 'not in ' + str(shared_dir))}")
    return {**devset.to_dict(), **sets.to_dict()}
