"""The report's one stylesheet, `style.css`: system fonts only, so the pages load nothing from anywhere.

It is kept here as text rather than as a file beside the code so that it ships with the package however the
package is installed. The swatches of the body pages' chart legends take their colours from `charts`, so a
legend always matches its bars.
"""

from __future__ import annotations

from pipeline.report.charts import MEASURE_COLOURS

STYLESHEET = "style.css"

_BASE = """\
:root { --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; --band: #f6f8fa; --accent: #0b5cad; --warn: #9a3412; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { padding: 0.6rem 1.5rem; border-bottom: 1px solid var(--rule); background: var(--band); }
header .home { font-weight: 600; color: var(--ink); text-decoration: none; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.8rem; margin: 0.8rem 0 0.4rem; line-height: 1.25; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--rule); }
a { color: var(--accent); }
p.lede { font-size: 1.05rem; max-width: 48rem; }
.caveat { border-left: 4px solid var(--warn); background: #fff7ed; padding: 0.6rem 0.9rem; max-width: 48rem; }
figure.chart { margin: 1rem 0 1.5rem; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.92rem; max-width: 48rem; margin-top: 0.4rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.93rem; margin: 0.5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--rule); }
th { background: var(--band); font-weight: 600; }
tbody tr:nth-child(even) { background: #fbfcfd; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.evidence { max-width: 34rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1.2rem; margin: 0.8rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.badge { display: inline-block; font-size: 0.78rem; padding: 0 0.4rem; border-radius: 0.6rem;
         border: 1px solid var(--rule); white-space: nowrap; }
.badge.disputed { color: var(--warn); border-color: var(--warn); background: #fff7ed; }
.badge.best { color: var(--accent); border-color: var(--accent); }
.legend { list-style: none; padding: 0; margin: 0.3rem 0; display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.35rem; vertical-align: -0.05rem;
          border-radius: 2px; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 0.85rem; margin-top: 3rem; border-top: 1px solid var(--rule);
         padding-top: 0.6rem; }
"""


def stylesheet() -> bytes:
    swatches = "".join(f".swatch.m-{measure} {{ background: {colour}; }}\n"
                       for measure, colour in MEASURE_COLOURS.items())
    return (_BASE + swatches).encode("utf-8")
