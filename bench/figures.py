"""How the report and the targets write the figures of a measured command: seconds, shares, sizes, calls, status.

Shared by `bench.analysis` (the targets' figures and gaps) and `bench.report` (the markdown), so a figure reads
the same in both.
"""

from __future__ import annotations


def _gib(value: float) -> str:
    return f"{value / 2**30:.2f} GiB" if value >= 2**30 else f"{value / 2**20:.0f} MiB"


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:,.0f} s" if seconds >= 100 else f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%" if share >= 0.01 else f"{100 * share:.1f}%"


def _calls(n: int) -> str:
    return f"{n:,} call" + ("" if n == 1 else "s")


def _cpu(result: dict) -> float | None:
    """User + system CPU seconds of the command (its process and the children it waited for)."""
    if result.get("cpu_user_s") is None:
        return None
    return result["cpu_user_s"] + (result.get("cpu_system_s") or 0.0)


def _status(result: dict) -> str:
    if result["status"] == "timeout":
        return f"did not finish in {result['timeout_s']:.0f} s"
    return result["status"]
