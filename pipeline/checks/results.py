"""What a check returns, and failure frames put together: the one type every other module of the package builds.

Each check returns a `CheckResult` naming the rule and, when it fails, the offending rows, so a failure says what
failed and where, not just "failed".
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class CheckResult:
    name: str
    table: str
    description: str
    failures: pl.DataFrame  # the failing rows (or failure cases); empty when the check passed

    @property
    def passed(self) -> bool:
        return self.failures.height == 0

    def summary(self, limit: int = 5) -> str:
        if self.passed:
            return f"PASS {self.name}"
        return f"FAIL {self.name}: {self.failures.height} rows\n{self.failures.head(limit)}"


def concat_failures(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Failure frames one after another; a frame without columns is a pass and adds nothing."""
    frames = [f for f in frames if f.width]
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]


class Results:
    """Check results gathered part by part, merged by check name in the order the names first appear."""

    def __init__(self) -> None:
        self.by_name: dict[str, tuple[str, str, list[pl.DataFrame]]] = {}

    def add(self, results: list[CheckResult]) -> None:
        for r in results:
            self.by_name.setdefault(r.name, (r.table, r.description, []))[2].append(r.failures)

    def results(self) -> list[CheckResult]:
        return [CheckResult(name, table, description, concat_failures(failures) if any(f.height for f in failures)
                            else failures[0])
                for name, (table, description, failures) in self.by_name.items()]
