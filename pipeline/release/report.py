"""What the command line prints after a release: where it is, what it holds, what changed."""

from __future__ import annotations

from pipeline.release.build import ReleaseResult


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
        overall = result.scores["overall"]
        f1 = "-" if overall.get("f1") is None else f"{overall['f1']:.3f}"
        lines.append(f"  devset F1               {f1}")
    else:
        lines.append("  devset scores           not available (no ../shared/devset)")
    lines.append(f"  archive                 {result.tarball}")
    lines.append(f"  sha256                  {result.tarball_sha256}")
    return "\n".join(lines)
