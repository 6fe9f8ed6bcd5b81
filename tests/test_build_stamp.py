"""A build with nothing new stops before Dagster starts, and only then (`pipeline.warehouse.build_stamp`).

The second build of the same raw folder into the same warehouse prints the summary of the build before, writes
nothing and never imports Dagster. Whatever a build's output depends on brings the full build back: a raw file
changed, added or gone, the reference data, the settings, the code, and a warehouse changed by anyone else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.main import main
from pipeline.warehouse import build_stamp
from tests.support.sample import SAMPLE

ROOT = Path(__file__).resolve().parent.parent
NOTHING_NEW = "nothing has changed since the build"
SETTLING = build_stamp.RACY_SECONDS  # as a build in another process has it (the fixture sets it to 0 here)

# A build in its own process that says whether it imported Dagster.
_BUILD_AND_SAY = ("import sys; from cli.main import main; code = main(sys.argv[1:]); "
                  "print('dagster imported' if 'dagster' in sys.modules else 'dagster not imported'); sys.exit(code)")


def _listing(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".nhs_ledger.lock"}


def _build_in_a_process(raw: Path, warehouse: Path, *extra: str, env: dict | None = None):
    return subprocess.run([sys.executable, "-c", _BUILD_AND_SAY, "build", "--raw", str(raw), "--warehouse",
                           str(warehouse), *extra], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.fixture()
def built(tmp_path, monkeypatch):
    """The sample copied (so its files can change) and built once, its stamp written."""
    monkeypatch.setattr(build_stamp, "RACY_SECONDS", 0.0)  # the copy's files are seconds old
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    shutil.copytree(SAMPLE, raw)
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    assert build_stamp.stamp_path(warehouse).is_file()
    return raw, warehouse


@pytest.mark.slow
def test_a_build_with_nothing_new_writes_nothing_and_never_starts_dagster(built, capsys):
    raw, warehouse = built
    first_summary = capsys.readouterr().out.split("  batches processed")[0]
    before = _listing(warehouse)
    result = _build_in_a_process(raw, warehouse)
    assert result.returncode == 0, result.stderr
    assert NOTHING_NEW in result.stdout
    assert "dagster not imported" in result.stdout
    assert result.stdout.startswith(first_summary), "the summary is the last build's"
    assert "batches processed: 0 of 2" in result.stdout
    assert _listing(warehouse) == before


@pytest.mark.slow
def test_a_changed_raw_file_is_built(built):
    raw, warehouse = built
    article = next(p for p in sorted((raw / "2025-07").iterdir()) if p.suffix == ".txt")
    article.write_text(article.read_text(encoding="utf-8") + "\nThe trust must save £3m next year.\n",
                       encoding="utf-8")
    result = _build_in_a_process(raw, warehouse)
    assert result.returncode == 0, result.stderr
    assert NOTHING_NEW not in result.stdout
    assert "batches processed: 1 of 2 (2025-07)" in result.stdout
    assert "dagster imported" in result.stdout


@pytest.mark.slow
def test_a_warehouse_changed_by_someone_else_is_built_again(built):
    raw, warehouse = built
    (warehouse / "nhs_ledger.duckdb").unlink()
    result = _build_in_a_process(raw, warehouse)
    assert result.returncode == 0, result.stderr
    assert NOTHING_NEW not in result.stdout
    assert (warehouse / "nhs_ledger.duckdb").is_file()


@pytest.mark.slow
def test_full_and_new_settings_run_the_build(built):
    raw, warehouse = built
    for extra, env in ((("--full",), None), ((), {"NHS_LEDGER_DOMAINS": "all"})):
        result = _build_in_a_process(raw, warehouse, *extra, env=env)
        assert result.returncode == 0, result.stderr
        assert NOTHING_NEW not in result.stdout, (extra, env)


@pytest.mark.slow
def test_a_build_that_fails_leaves_no_stamp(built):
    raw, warehouse = built
    (raw / "2025-07" / "another.txt").write_text("The trust plans to save £4m in 2026/27.\n", encoding="utf-8")
    result = _build_in_a_process(raw, warehouse, env={"NHS_LEDGER_CRASH_AT": "duckdb"})
    assert result.returncode != 0
    assert not build_stamp.stamp_path(warehouse).exists()


# ---- the inputs, without a build

def _digest(raw: Path, **kwargs) -> str:
    return build_stamp.inputs_digest(raw, **kwargs).digest


def test_every_input_changes_the_digest(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "2025-07").mkdir(parents=True)
    story = raw / "2025-07" / "a.txt"
    story.write_text("one", encoding="utf-8")
    code = tmp_path / "project"
    (code / "pipeline").mkdir(parents=True)
    (code / "pipeline" / "rule.py").write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(build_stamp, "_PROJECT", code)
    monkeypatch.delenv("NHS_LEDGER_DOMAINS", raising=False)
    seen = {_digest(raw)}

    def changed() -> bool:
        digest = _digest(raw)
        new = digest not in seen
        seen.add(digest)
        return new

    assert _digest(raw) in seen, "the same inputs hash the same"
    story.write_text("two", encoding="utf-8")  # same size, new times
    assert changed()
    (raw / "2025-07" / "b.txt").write_text("new", encoding="utf-8")
    assert changed()
    story.unlink()
    assert changed()
    (code / "pipeline" / "rule.py").write_text("A = 2\n", encoding="utf-8")
    assert changed()
    monkeypatch.setenv("NHS_LEDGER_DOMAINS", "all")
    assert changed()
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "etr.csv").write_text("x", encoding="utf-8")
    assert _digest(raw, reference=reference) not in seen
    monkeypatch.setenv("NHS_LEDGER_LOCK_TOKEN", "held")  # the lock's token is no input
    assert not changed()


def test_inputs_changed_a_moment_ago_give_no_stamp(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("just written", encoding="utf-8")
    inputs = build_stamp.inputs_digest(raw)
    assert not inputs.settled
    assert not build_stamp.write_stamp(tmp_path / "warehouse", inputs, summary="", batches=0, finished_at="")
    assert not build_stamp.stamp_path(tmp_path / "warehouse").exists()


@pytest.mark.slow
def test_a_stamp_that_cannot_be_written_costs_only_the_short_cut(built):
    raw, warehouse = built
    (raw / "2025-07" / "another.txt").write_text("The trust plans to save £4m in 2026/27.\n", encoding="utf-8")
    time.sleep(SETTLING + 0.1)  # the build in its own process waits for its inputs to settle
    result = _build_in_a_process(raw, warehouse, env={"NHS_LEDGER_CRASH_AT": "stamp=enospc"})
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("nhs-ledger:")]
    assert len(said) == 1 and said[0].startswith("nhs-ledger: note: the build stamp was not written (no space left")
    assert said[0].endswith("the next build runs every step")
    assert "Traceback" not in result.stderr
    assert not build_stamp.stamp_path(warehouse).exists()
