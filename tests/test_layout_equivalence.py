"""The restructuring of issue 12 changes no output: the code before it and the code now build byte-identical Parquet.

The code before is the commit `BASELINE` (the last commit before the layout moved), taken out of this
repository's history with `git archive`; the code now is this checkout. Each builds the sample in `raw/`, the
fictional devset with the seeds (when `../shared` is beside the project) and a generated bench set, each into a
fresh warehouse, with the code fingerprint pinned (`pipeline.versions.FINGERPRINT_ENV`): run ids are derived
from the fingerprint, which hashes the engine's files and so differs between two layouts of the same engine.
The engine's plain steps (`pipeline.build`, which release scoring uses) must give the same bytes as the Dagster
build too. Only the `runs` table's times and Dagster run id may differ.

Skips when there is no git history to take the baseline from (a source tarball).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import polars as pl
import pytest

from pipeline.warehouse import store
from tests.support.warehouse_tables import RUN_TIMES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# The last commit before the layout moved (it added FINGERPRINT_ENV, so both sides can pin the fingerprint).
BASELINE = "96aa1ad"
PINNED = "layout0000000000"
BENCH_ARTICLES = 240
# Tables added after the baseline (issue 14's `figures`, issue 15's `warc_records`, a partition per batch): the
# later code writes their files, the baseline cannot.
ADDED_SINCE_BASELINE = ("figures", "warc_records")


def _added(paths) -> set[str]:
    return {path for path in paths if path.split("/")[1] in ADDED_SINCE_BASELINE}


def _git(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, **kwargs)


def _baseline_code(folder: Path) -> Path:
    if shutil.which("git") is None or _git("cat-file", "-e", f"{BASELINE}^{{commit}}").returncode != 0:
        pytest.skip(f"no git history holding {BASELINE} to build the code before the restructuring with")
    archive = folder / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", BASELINE], stdout=out, check=True)
    code = folder / "baseline"
    with tarfile.open(archive) as tar:
        tar.extractall(code, filter="data")
    return code


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "NHS_LEDGER_CRASH_AT", "PYTHONPATH")}
    env["NHS_LEDGER_CODE_FINGERPRINT"] = PINNED
    return env


def _start(command: list[str], cwd: Path) -> subprocess.Popen:
    env = _env()
    env["PYTHONPATH"] = str(cwd)  # the checkout's own packages first, not the installed (editable) ones
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> None:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, f"build failed ({process.returncode}):\n{out}\n{err[-3000:]}"


def _raw_folders(root: Path) -> dict[str, Path]:
    folders = {"sample": root / "sample"}
    shutil.copytree(ROOT / "raw", folders["sample"], ignore=shutil.ignore_patterns("reference"))
    if (SHARED / "devset" / "articles").is_dir():
        batch = root / "devset" / "devset"
        batch.mkdir(parents=True)
        for path in [*(SHARED / "seeds").glob("*.txt"), *(SHARED / "devset" / "articles").glob("*.txt")]:
            shutil.copy(path, batch / path.name)
        folders["devset"] = root / "devset"
    folders["bench"] = root / "bench"
    subprocess.run([sys.executable, "-m", "bench.generate", "--articles", str(BENCH_ARTICLES), "--out",
                    str(folders["bench"]), "--batch-size", "80", "--jobs", "1"], cwd=ROOT, env=_env(), check=True,
                   capture_output=True)
    return folders


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """{set: {"before": warehouse, "after": warehouse, "plain": warehouse}}."""
    root = tmp_path_factory.mktemp("layout")
    baseline = _baseline_code(root)
    folders = _raw_folders(root)
    warehouses: dict[str, dict[str, Path]] = {}
    processes = []
    plain = ("import sys; from pipeline.build import build; "
             "build(sys.argv[1], sys.argv[2], full=True)")
    for name, raw in folders.items():
        out = warehouses[name] = {side: root / f"{name}-{side}" for side in ("before", "after", "plain")}
        processes += [
            _start([sys.executable, "-m", "pipeline.cli", "build", "--raw", str(raw), "--warehouse",
                    str(out["before"])], baseline),
            _start([sys.executable, "-m", "cli", "build", "--raw", str(raw), "--warehouse", str(out["after"])], ROOT),
            _start([sys.executable, "-c", plain, str(raw), str(out["plain"])], ROOT),
        ]
        if len(processes) >= 6:  # two sets at a time: the machines are shared
            for process in processes:
                _finish(process)
            processes = []
    for process in processes:
        _finish(process)
    return warehouses


def _parquet_files(warehouse: Path) -> dict[str, bytes]:
    """Every Parquet file of the warehouse but the runs table's (its rows are compared without their times)."""
    return {path.relative_to(warehouse).as_posix(): path.read_bytes()
            for path in sorted(warehouse.rglob("*.parquet"))
            if not path.relative_to(warehouse).as_posix().startswith("parquet/runs/")}


def _runs(warehouse: Path) -> pl.DataFrame:
    return store.read_table(warehouse, "runs").drop(*RUN_TIMES).sort("run_id")


@pytest.mark.parametrize("side", ["after", "plain"])
@pytest.mark.parametrize("name", ["sample", "devset", "bench"])
def test_the_same_raw_folder_gives_byte_identical_parquet(builds, name, side):
    if name not in builds:
        pytest.skip(f"{name}: its articles are in ../shared, which is not beside the project")
    before, now = _parquet_files(builds[name]["before"]), _parquet_files(builds[name][side])
    assert any(path.startswith("parquet/savings/") for path in before)
    # Tables added since the baseline are new files; every file of the baseline is unchanged.
    assert sorted(set(now) - _added(now)) == sorted(before), "the builds hold different Parquet files"
    assert {path.split("/")[1] for path in _added(now)} == set(ADDED_SINCE_BASELINE)
    assert [path for path in before if before[path] != now[path]] == []
    assert _runs(builds[name][side]).equals(_runs(builds[name]["before"]))
