"""Shared test fixtures: the read-only ../shared folder is optional (a user's clone has none).

Timing guards in the tests (against catastrophic regex backtracking) measure CPU time with
time.process_time(), not wall time: the machines are shared, and another process's load must not
fail them, and a run over its budget fails only if its time also grows faster than its input
(`tests/support/timing.py`). Speed targets themselves are measured by the benchmark, never asserted by tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "devset" / "GUIDELINES.md").exists():
        pytest.skip("../shared is not present (it is only beside CI and developer checkouts)")
    return SHARED


def pytest_configure(config):
    # Before any fixture, module-scoped ones included: a build in a module fixture would otherwise run in the
    # project's instance that `make test` exports, and test processes running side by side (pytest-xdist) would
    # add and delete each other's `batches` partitions there.
    os.environ.pop("DAGSTER_HOME", None)


@pytest.fixture(autouse=True)
def _throwaway_dagster_instance(monkeypatch):
    # `make test` exports the project's DAGSTER_HOME; tests must not fill the user's run history.
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
