"""Drawing Vega-Lite specs to inline SVG with vl-convert, in worker processes when there are many.

A chart costs vl-convert about 20 ms of CPU (nearly all of it laying out text), and a report has one per body:
hundreds on a large warehouse. Charts depend on nothing but their spec, so a large report draws them on every
core (`pipeline.parallel`, which `NHS_LEDGER_WORKERS` sets); a small one draws them here, since starting a worker
(and the JavaScript engine in it) costs more than a hundred charts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import vl_convert as vlc

from pipeline import parallel
from pipeline.report.markup import Html, escape

# A worker costs about 1.5 s to start (Python, then vl-convert's engine); 200 charts are 4 s of work.
MIN_PARALLEL_CHARTS = 200
_SVG_ID = re.compile(r'\bid="([^"]+)"')


def render_svg(spec: dict, *, name: str, label: str) -> Html:
    """The chart as an inline `<svg>`, labelled for screen readers. Its ids (clip paths, gradients) are prefixed
    with `name`: the SVGs of a page share one id space, and a second `clip1` would clip by the first one."""
    svg = _to_svg(spec)
    for found in sorted(set(_SVG_ID.findall(svg))):
        svg = (svg.replace(f'id="{found}"', f'id="{name}-{found}"')
               .replace(f"url(#{found})", f"url(#{name}-{found})")
               .replace(f'href="#{found}"', f'href="#{name}-{found}"'))
    start = svg.index("<svg")
    return Html(f'{svg[:start]}<svg role="img" aria-label="{escape(label)}"{svg[start + 4:]}')


# Vega-Lite compiled to Vega, per spec less its inline data: a body's chart differs from the next only in its data,
# and compiling is about half of what drawing one costs.
_COMPILED: dict[str, tuple[dict, int]] = {}


def _to_svg(spec: dict) -> str:
    """`vlc.vegalite_to_svg(spec)`; a spec with inline data is compiled once per shape, its data put in the Vega."""
    values = spec.get("data", {}).get("values") if isinstance(spec.get("data"), dict) else None
    if not isinstance(values, list) or set(spec["data"]) != {"values"}:
        return vlc.vegalite_to_svg(spec)
    shape = json.dumps({**spec, "data": None}, sort_keys=True)
    if shape not in _COMPILED:
        vega = vlc.vegalite_to_vega(spec)
        sources = [i for i, data in enumerate(vega.get("data", [])) if "values" in data]
        # Only when the data went into one dataset of the Vega as given: then the rest depends on no value.
        if len(sources) != 1 or json.loads(json.dumps(values)) != vega["data"][sources[0]]["values"]:
            return vlc.vegalite_to_svg(spec)
        _COMPILED[shape] = (vega, sources[0])
    vega, source = _COMPILED[shape]
    data = list(vega["data"])
    data[source] = {**data[source], "values": values}
    return vlc.vega_to_svg({**vega, "data": data})


Chart = tuple[dict, str, str]  # (spec, name, label): the arguments of render_svg


def render_many(charts: Sequence[Chart]) -> list[Html]:
    """`render_svg` of each chart, in order; on the worker processes when there are enough charts to pay for them."""
    use_workers = parallel.worker_count() > 1 and len(charts) >= MIN_PARALLEL_CHARTS
    # A few pieces per worker: one chart per task would spend on handing out what it saves on drawing.
    pieces = parallel.chunks(len(charts), 4 * parallel.worker_count()) if use_workers else [(0, len(charts))]
    drawn: list[Html] = []
    for svgs in parallel.ordered_map(_render_piece, [charts[start:stop] for start, stop in pieces],
                                     parallel=use_workers):
        drawn.extend(svgs)
    return drawn


def _render_piece(charts: Sequence[Chart]) -> list[Html]:
    return [render_svg(spec, name=name, label=label) for spec, name, label in charts]
