"""What the command line prints after a release: where it is, what it holds, what changed."""

from __future__ import annotations

from pipeline.release.build import ReleaseResult

# Headline figures per set: (key of a set's summary, label).
_SET_FIGURES = (("f1", "F1"), ("aggregate_recall", "aggregate recall"), ("org_recall", "org recall"))


def render_result(result: ReleaseResult) -> str:
    lines = [f"NHS Ledger release {result.version}: {result.path}"]
    lines += [f"  {table:<24}{rows:>8}" for table, rows in result.row_counts.items()]
    if result.previous_version is None:
        lines.append("  changes                 first release: everything added")
    else:
        lines.append(f"  changes since {result.previous_version}")
        lines += [f"    {table:<22}+{c['added']} -{c['removed']} ~{c['changed']}"
                  for table, c in result.change_counts.items()]
    if result.scores is not None:
        lines += _score_lines(result.scores)
    else:
        lines.append("  devset scores           not available (no ../shared/devset)")
    lines.append(f"  archive                 {result.tarball}")
    lines.append(f"  sha256                  {result.tarball_sha256}")
    return "\n".join(lines)


def _score_lines(scores: dict) -> list[str]:
    """One line per scored set (real and fictional apart), stamped with the date and code version."""
    sets = scores.get("sets")
    if not sets:  # scores.json of a release cut before the sets were scored separately
        return [f"  devset F1               {_ratio(scores.get('overall', {}).get('f1'))}"]
    lines = [f"  scores                  {scores.get('date')}, code {scores.get('code_version')}"]
    for entry in sets.values():
        summary = entry.get("summary", {})
        figures = "  ".join(f"{label} {_ratio(summary.get(key))}" for key, label in _SET_FIGURES)
        lines.append(f"    {entry.get('label', '?'):<38}{figures}")
    lines += [f"    {name:<38}not scored: {reason}" for name, reason in scores.get("missing_sets", {}).items()]
    return lines


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
