"""Drawing the index's Vega-Lite specs to inline SVG with vl-convert.

A report draws three of these, so they are drawn here, one after the other; the hundreds of body charts are
pygal's (`body_chart`), which draws one in about a fifth of the time vl-convert takes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import vl_convert as vlc

from pipeline.report.markup import Html, escape

_SVG_ID = re.compile(r'\bid="([^"]+)"')


def render_svg(spec: dict, *, name: str, label: str) -> Html:
    """The chart as an inline `<svg>`, labelled for screen readers. Its ids (clip paths, gradients) are prefixed
    with `name`: the SVGs of a page share one id space, and a second `clip1` would clip by the first one."""
    svg = vlc.vegalite_to_svg(spec)
    for found in sorted(set(_SVG_ID.findall(svg))):
        svg = (svg.replace(f'id="{found}"', f'id="{name}-{found}"')
               .replace(f"url(#{found})", f"url(#{name}-{found})")
               .replace(f'href="#{found}"', f'href="#{name}-{found}"'))
    start = svg.index("<svg")
    return Html(f'{svg[:start]}<svg role="img" aria-label="{escape(label)}"{svg[start + 4:]}')


Chart = tuple[dict, str, str]  # (spec, name, label): the arguments of render_svg


def render_many(charts: Sequence[Chart]) -> list[Html]:
    """`render_svg` of each chart, in order."""
    return [render_svg(spec, name=name, label=label) for spec, name, label in charts]
