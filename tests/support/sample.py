"""The sample in `raw/` built into a warehouse of a test's own, as `make run` builds it."""

from __future__ import annotations

from pathlib import Path

from cli.main import main

SAMPLE = Path(__file__).resolve().parents[2] / "raw"


def build_sample(folder: Path) -> Path:
    """`nhs-ledger build` of the sample into `folder / "warehouse"`; the warehouse."""
    warehouse = Path(folder) / "warehouse"
    assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(warehouse)]) == 0
    return warehouse
