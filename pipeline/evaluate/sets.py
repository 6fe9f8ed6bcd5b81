"""Named evaluation sets: the articles and gold files of each, and scoring several side by side.

What belongs here: the project's standard sets under the shared folder (the real
articles of `devset/real/dev` and `devset/real/check`, and the fictional devset
with the seeds), copying a set's articles into a scratch raw folder, scoring each
set's build against its own gold, the stamp of a scoring (date, code version) and
the table that reports the sets apart. Real and fictional articles are never
pooled: the fictional devset was written to the guidelines and scores far higher.

What does not belong here: building a warehouse. The caller passes
`build(raw, warehouse)` (the CLI and the release pass one that materialises the
project's Dagster definitions), so this engine module stays free of Dagster.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from pipeline.evaluate.errors import EvaluationError
from pipeline.evaluate.render import fmt_ratio
from pipeline.evaluate.report import EvaluationReport
from pipeline.evaluate.scoring import evaluate_warehouse

Build = Callable[[Path, Path], None]  # build(raw folder, warehouse folder); raises when the build fails
SETS_COMMAND = "nhs-ledger evaluate --sets"


@dataclass(frozen=True)
class EvaluationSet:
    """A set of articles with gold: folders of `*.txt` articles and gold files, relative to the shared folder."""

    name: str
    label: str
    texts: tuple[str, ...]
    gold: tuple[str, ...]

    def gold_paths(self, shared: Path) -> list[Path]:
        return [Path(shared) / name for name in self.gold]

    def article_paths(self, shared: Path) -> list[Path]:
        return sorted(path for folder in self.texts for path in (Path(shared) / folder).glob("*.txt"))

    def missing(self, shared: Path) -> list[str]:
        """What of the set is not in the shared folder (relative paths); empty when the set can be scored."""
        shared = Path(shared)
        return ([folder for folder in self.texts if not (shared / folder).is_dir()]
                + [name for name in self.gold if not (shared / name).is_file()])


STANDARD_SETS = (
    EvaluationSet("real_dev", "real/dev", ("devset/real/dev/texts",), ("devset/real/dev/gold.jsonl",)),
    EvaluationSet("real_check", "real/check", ("devset/real/check/texts",), ("devset/real/check/gold.jsonl",)),
    EvaluationSet("devset", "devset (fictional, with the 5 seeds)", ("seeds", "devset/articles"),
                  ("devset/seeds.gold.jsonl", "devset/devset.gold.jsonl")),
)


@dataclass(frozen=True)
class SetScore:
    set: EvaluationSet
    report: EvaluationReport

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.set.label, "gold": list(self.set.gold), "summary": self.report.summary(),
                "report": self.report.to_dict()}


@dataclass
class SetsReport:
    """The scores of several sets, stamped with when and by which code they were measured."""

    date: str  # YYYY-MM-DD
    code_version: str  # <version>+<code fingerprint>, as the runs table records it
    scored: list[SetScore]
    missing: dict[str, str] = field(default_factory=dict)  # set name -> why it was not scored

    def get(self, name: str) -> EvaluationReport | None:
        return next((s.report for s in self.scored if s.set.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date, "code_version": self.code_version,
                "sets": {s.set.name: s.to_dict() for s in self.scored}, "missing_sets": dict(self.missing)}


def current_code_version() -> str:
    """The version and code fingerprint of this checkout (`pipeline.versions`), as runs and releases record it."""
    # Imported here: pipeline.versions loads the extractor, which scoring a built warehouse never needs.
    from pipeline import __version__
    from pipeline.versions import code_fingerprint

    return f"{__version__}+{code_fingerprint()}"


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def copy_articles(evaluation_set: EvaluationSet, shared: Path, batch: Path) -> int:
    """Copy the set's articles into the batch folder `batch` (emptied first); returns how many."""
    sources = evaluation_set.article_paths(shared)
    seen: dict[str, Path] = {}
    for source in sources:
        if source.name in seen:
            # Gold names articles by file name, so two files of one name could not be told apart.
            raise EvaluationError(f"set {evaluation_set.name}: {source} and {seen[source.name]} share a file name")
        seen[source.name] = source
    if batch.exists():
        shutil.rmtree(batch)
    batch.mkdir(parents=True)
    for source in sources:
        shutil.copy(source, batch / source.name)
    return len(sources)


@contextmanager
def _scratch_folder(scratch: Path | None) -> Iterator[Path]:
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
        yield scratch
        return
    with tempfile.TemporaryDirectory(prefix="nhs-ledger-sets-") as folder:
        yield Path(folder)


def score_sets(shared: Path, build: Build, *, sets: Sequence[EvaluationSet] = STANDARD_SETS,
               scratch: Path | None = None, progress: Callable[[str], None] | None = None,
               date: str | None = None, code_version: str | None = None) -> SetsReport:
    """Build each set's articles into a warehouse of its own and score it against the set's gold.

    Warehouses go under `scratch/<set>/` (kept, for `evaluate --details` later) or, without `scratch`, a
    temporary folder. A set missing from the shared folder is listed in `missing` rather than scored;
    raises EvaluationError when the shared folder holds none of the sets.
    """
    shared = Path(shared)
    if not shared.is_dir():
        raise EvaluationError(f"shared folder not found: {shared}")
    missing = {s.name: "not in the shared folder: " + ", ".join(s.missing(shared)) for s in sets if s.missing(shared)}
    wanted = [s for s in sets if s.name not in missing]
    if not wanted:
        raise EvaluationError(f"none of the evaluation sets ({', '.join(s.name for s in sets)}) is in {shared}")
    scored = []
    with _scratch_folder(scratch) as root:
        for evaluation_set in wanted:
            raw, warehouse = root / evaluation_set.name / "raw", root / evaluation_set.name / "warehouse"
            count = copy_articles(evaluation_set, shared, raw / evaluation_set.name)
            if progress is not None:
                progress(f"building {evaluation_set.name} ({count} articles) into {warehouse}")
            build(raw, warehouse)
            scored.append(SetScore(evaluation_set, evaluate_warehouse(warehouse, evaluation_set.gold_paths(shared))))
    return SetsReport(date=date or today(), code_version=code_version or current_code_version(),
                      scored=scored, missing=missing)


_TABLE_COLUMNS = (("articles", "articles"), ("gold_facts", "gold facts"), ("precision", "precision"),
                  ("recall", "recall"), ("f1", "F1"), ("measure_accuracy", "measure accuracy"),
                  ("period_accuracy", "period accuracy"), ("aggregate_recall", "aggregate recall"),
                  ("org_recall", "organisation recall"))


def render_sets_table(report: SetsReport) -> str:
    """A Markdown table, one row per set, stamped with the date and code version (the README pastes it)."""
    lines = [f"Scores measured on {report.date} with NHS Ledger {report.code_version} "
             f"(`{SETS_COMMAND}` regenerates them):", "",
             "| set | " + " | ".join(label for _, label in _TABLE_COLUMNS) + " |",
             "| --- |" + " ---: |" * len(_TABLE_COLUMNS)]
    for score in report.scored:
        summary = score.report.summary()
        cells = [str(summary[key]) if isinstance(summary[key], int) else fmt_ratio(summary[key])
                 for key, _ in _TABLE_COLUMNS]
        lines.append(f"| {score.set.label} | " + " | ".join(cells) + " |")
    for name, reason in report.missing.items():
        lines += ["", f"Not scored: {name} ({reason})."]
    return "\n".join(lines) + "\n"
