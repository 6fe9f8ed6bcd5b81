"""A body's chart: its figures by financial year, a bar per measure with its best value written above it, drawn
to inline SVG by pygal.

A report has one of these per body, hundreds on a national warehouse, so what one costs is what a release costs.
vl-convert (which draws the index's charts) takes about 35 ms of CPU for one, nearly all of it measuring each
label's text (about 0.7 ms a label, each measured by laying it out in a real font); pygal places the labels by
their anchor and leaves the measuring to the browser: about 8 ms a chart, in this process, with no worker or
JavaScript engine to start. Colours are `charts.MEASURE_COLOURS`, so a measure has one colour on every page.

A figure whose best claim is a range is drawn pale up to the range's high end, with an interval line from its low
end to its high end, and labelled with both ends. A value axis would say less than the labels, so there is none.
"""

from __future__ import annotations

import polars as pl
import pygal
from pygal.style import Style

from pipeline.report.charts import FONT, MEASURE_COLOURS, MEASURES
from pipeline.report.markup import Html
from pipeline.report.money import format_gbp

# Pixels per bar's slot (a slot per measure of the chart in each year): a body with many figures gets a wider
# chart, which the page scales down to fit (the SVG's own size is its largest).
SLOT_WIDTH = 40
HEIGHT = 200
MIN_WIDTH = 240
RANGE_OPACITY = 0.45
# pygal's own style sheets, which the chart adds one rule to.
_PYGAL_CSS = tuple(pygal.Config().css)
CHART_COLUMNS = ("report_year", "measure", "amount_gbp", "amount_low_gbp", "amount_high_gbp")


def body_chart_rows(figures: pl.DataFrame) -> list[dict]:
    """The bars of a body's chart: a dict per figure with a value to draw (rows of `summaries.figures_of_body`),
    with its financial year, measure, height (`top`: the value, or a range's high end), whether it is a range,
    the range's low end (`low`), and its label. In Python: a body has tens of figures, fewer than it would cost
    polars to start a query."""
    rows = []
    for figure in figures.select(CHART_COLUMNS).iter_rows(named=True):
        value, low, high = figure["amount_gbp"], figure["amount_low_gbp"], figure["amount_high_gbp"]
        if value is None and high is None:
            continue
        rows.append({"report_year": figure["report_year"], "measure": figure["measure"],
                     "top": value if value is not None else high, "is_range": value is None,
                     "low": low if value is None else None,
                     "text": format_gbp(value) if value is not None else f"{format_gbp(low)}–{format_gbp(high)}"})
    return rows


def draw_body_chart(figures: pl.DataFrame, *, name: str, label: str) -> Html | None:
    """The chart of a body's figures as an inline `<svg>` labelled `label` for screen readers, its ids prefixed
    with `name` (the SVGs of a page share one id space); None when no figure has a value to draw."""
    rows = body_chart_rows(figures)
    if not rows:
        return None
    years = sorted({row["report_year"] for row in rows})
    present = [m for m in MEASURES if m in {row["measure"] for row in rows}]
    chart = pygal.Bar(
        style=_style(tuple(MEASURE_COLOURS[m] for m in present)),
        width=max(MIN_WIDTH, SLOT_WIDTH * len(years) * len(present)), height=HEIGHT, margin=8,
        print_values=True, print_values_position="top", show_legend=False, show_y_labels=False,
        show_y_guides=False, truncate_label=-1, explicit_size=True, js=[], pretty_print=False,
        disable_xml_declaration=True,
        # pygal draws a vertical line at the left of its x axis; with no value axis, it is an axis to nothing.
        css=[*_PYGAL_CSS, f"inline:#chart-{name} .axis.x > path.line {{display: none}}"],
    )
    # pygal names its root element and prefixes its style rules with a random id: the body's name instead keeps
    # the report the same bytes on every run.
    chart.uuid = name
    chart.add_xml_filter(_for_inline(label))
    chart.x_labels = years
    for measure in present:
        by_year = {row["report_year"]: row for row in rows if row["measure"] == measure}
        chart.add(measure, [_bar(by_year[year]) if year in by_year else None for year in years])
    return Html(chart.render(is_unicode=True))


def _bar(row: dict) -> dict:
    bar = {"value": row["top"], "formatter": lambda _, text=row["text"]: text}
    if row["is_range"]:
        # On the bar's own rectangle: pygal's style sheet sets every bar's opacity, over what it would inherit.
        bar["node"] = {"style": f"fill-opacity: {RANGE_OPACITY}"}
        if row["low"] is not None:
            bar["ci"] = {"low": row["low"], "high": row["top"]}
    return bar


def _style(colours: tuple[str, ...]) -> Style:
    return Style(background="transparent", plot_background="transparent", font_family=FONT, colors=colours,
                 foreground="#333", foreground_strong="#333", foreground_subtle="#ccc", opacity="1",
                 opacity_hover="1", label_font_size=11, major_label_font_size=11, value_font_size=11)


def _for_inline(label: str):
    """An XML filter (pygal's hook on the tree it drew) fitting the chart to a page (lxml's tree: pygal draws
    with lxml when it is installed, and trafilatura needs it): no script (pygal writes its configuration there,
    for a tooltip script the page does not load), no comment (one carries the day it was drawn), the body's
    label as its title, and the `img` role, so a screen reader reads the label rather than every bar."""
    def fitted(root):
        for node in list(root.iter()):
            if not isinstance(node.tag, str) or node.tag.rsplit("}", 1)[-1] == "script":
                node.getparent().remove(node)
            elif node.tag.rsplit("}", 1)[-1] == "title":
                node.text = label
        root.set("role", "img")
        root.set("aria-label", label)
        return root
    return fitted
