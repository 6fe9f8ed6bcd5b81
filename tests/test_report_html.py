"""The static report (`nhs-ledger report`, `make report`, every release's `report/`): pages that open offline in a
browser, with the charts as SVG, a page per body, every claim listed, and no link that leads nowhere.

The sample is built once and its report written; headless Chromium opens the index and a body page (skipping
that part where Chromium is not installed; CI installs it in `.ci/run`).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import polars as pl
import pytest

from cli.main import main
from pipeline.report import build_report
from pipeline.report.body_page import Body, render_body
from pipeline.report.claim_rows import ROW_COLUMN
from pipeline.report.markup import element, link
from pipeline.report.money import format_amount, format_date, format_gbp, format_years
from pipeline.warehouse import store
from schemas import REGISTRY
from schemas.polars_types import empty_frame
from tests.support.browser import browse
from tests.support.sample import build_sample

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(warehouse) -> Path:
    assert main(["report", "--warehouse", str(warehouse)]) == 0
    return warehouse / "report"


class _Page(HTMLParser):
    """The links, resources, SVGs, scripts and element ids of one page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.svgs = self.scripts = 0
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs and tag != "svg" and attrs["id"]:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script", "iframe", "source", "video", "audio", "embed") and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.resources.append(attrs["href"])
        self.svgs += tag == "svg"
        self.scripts += tag == "script"


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages(report: Path) -> list[Path]:
    return sorted(report.rglob("*.html"))


# ---------------------------------------------------------------------------------------------- the files

def test_every_body_with_figures_has_a_page_listing_every_claim(report, warehouse):
    figures = store.read_table(warehouse, "figures")
    pages = {path.stem for path in (report / "bodies").glob("*.html")}
    assert pages == set(figures["org_id"]) and pages
    facts = pl.concat([store.read_table(warehouse, t, ["org_id", id_]).rename({id_: "fact_id"})
                       for t, id_ in (("savings", "saving_id"), ("deficits", "deficit_id"))])
    for org_id in pages:
        page = _parse(report / "bodies" / f"{org_id}.html")
        claims = set(facts.filter(pl.col("org_id") == org_id)["fact_id"])
        assert claims <= page.ids, org_id  # each claim is a row, and each figure's best value links to it
        best = set(figures.filter(pl.col("org_id") == org_id)["best_fact_id"])
        assert {f"#{fact_id}" for fact_id in best} <= set(page.links)


def test_no_local_link_is_broken_and_nothing_is_loaded_from_anywhere(report):
    for path in _pages(report):
        page = _parse(path)
        assert page.scripts == 0, path
        for resource in page.resources:
            assert not urlsplit(resource).scheme and not resource.startswith("//"), (path, resource)
            assert (path.parent / unquote(resource)).is_file(), (path, resource)
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https"):
                continue  # an article's page: a link, not a resource
            assert not parts.scheme, (path, href)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), (path, href)
            if parts.fragment:
                assert parts.fragment in _parse(target).ids, (path, href)


def test_the_report_is_the_same_bytes_on_every_run(report, warehouse, tmp_path):
    again = build_report(warehouse, tmp_path / "again").parent
    ours = {p.relative_to(report).as_posix(): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    theirs = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert ours == theirs


def test_a_warehouse_without_figures_gets_an_index_that_says_so(tmp_path):
    (tmp_path / "raw" / "empty-batch").mkdir(parents=True)
    assert main(["build", "--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "empty-warehouse")]) == 0
    index = build_report(tmp_path / "empty-warehouse", tmp_path / "report")
    assert "There are no figures yet" in index.read_text(encoding="utf-8")
    assert list((tmp_path / "report" / "bodies").iterdir()) == []


def test_report_without_a_built_warehouse_says_so_in_one_line(tmp_path, capsys):
    assert main(["report", "--warehouse", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "build the warehouse first" in err[0]


# ---------------------------------------------------------------------------------------------- in a browser

def test_the_index_renders_with_its_three_charts_in_a_browser(report, tmp_path):
    url = (report / "index.html").as_uri()
    dom = browse(url, "--dump-dom").decode("utf-8", errors="replace")
    assert len(re.findall(r"<svg\b", dom)) >= 3
    for title in ("Reported deficits and savings by financial year and body type", "The largest reported deficits",
                  "How many bodies report each year", "as reported by the press"):
        assert title in dom
    screenshot = tmp_path / "index.png"
    browse(url, f"--screenshot={screenshot}")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 30_000


def test_a_body_page_renders_with_its_chart_and_its_name_in_a_browser(report, warehouse):
    figures = store.read_table(warehouse, "figures")
    org_id, name = figures.sort("org_id").select("org_id", "org_name").row(0)
    dom = browse((report / "bodies" / f"{org_id}.html").as_uri(), "--dump-dom").decode("utf-8", errors="replace")
    assert re.search(r"<svg\b", dom) and name in dom
    assert 'href="../index.html"' in dom


# ---------------------------------------------------------------------------------------------- the parts

def test_sums_and_dates_print_as_the_press_prints_them():
    assert [format_gbp(v) for v in (1.25e9, 999.96e6, 35e6, 35.4e6, 450e3, 950, None)] == \
        ["£1.25bn", "£1bn", "£35m", "£35.4m", "£450k", "£950", "–"]
    assert format_amount(35e6, qualifier="more than") == "more than £35m"
    assert format_amount(None, 10e6, 12e6) == "£10m to £12m"
    assert format_years("2015/16", "2017/18") == "2015/16 to 2017/18" and format_years(None, "2016/17") == "2016/17"
    assert format_date(dt.date(2015, 4, 1)) == "1 April 2015"


def test_text_from_articles_is_escaped_and_only_web_links_become_links():
    assert element("td", '<script>alert("x")</script> & co') == \
        "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</td>"
    assert link("story", "javascript:alert(1)") == "story"
    assert link("story", "https://example.org/a?b=1&c=2").startswith('<a href="https://example.org/a?b=1&amp;c=2"')


def test_a_body_page_names_its_successions_and_links_those_with_pages():
    figures = empty_frame(REGISTRY["figures"]).with_columns(report_year=pl.lit(None, pl.Utf8))
    successions = pl.DataFrame({
        "predecessor_org_id": ["org_a", "org_p"], "successor_org_id": ["org_i", "org_a"],
        "effective_on": [dt.date(2022, 7, 1), dt.date(2013, 4, 1)],
        "kind": ["ccg to icb", "pct to ccg (inferred from names)"]})
    body = Body("org_a", {"name": "NHS Salford CCG", "org_type": "CCG", "ods_code": "01G",
                          "valid_from": dt.date(2013, 4, 1), "valid_to": dt.date(2022, 6, 30)},
                figures, pl.DataFrame(schema={ROW_COLUMN: pl.Utf8}), successions,
                {"org_i": "NHS Greater Manchester ICB", "org_p": "Salford PCT"}, frozenset({"org_a", "org_i"}))
    html = render_body(body, None).decode()
    assert 'Succeeded by <a href="org_i.html">NHS Greater Manchester ICB</a> on 1 July 2022 (CCG to ICB)' in html
    assert "Took over from Salford PCT on 1 April 2013 (PCT to CCG, inferred from names)" in html
    assert "01G" in html and "1 April 2013 to 30 June 2022" in html


def _claim_row_markup(claim: dict, best: set):
    """A claim's row built with `element`, as the report built it before its rows were written column-wise."""
    from pipeline.report.markup import element, link
    from pipeline.report.money import NO_VALUE, format_amount, format_date, format_years

    period = format_years(claim["fy_start"], claim["fy_end"])
    if period == NO_VALUE and claim["period_text"]:
        period = f"“{claim['period_text']}”"

    return element(
        "tr",
        element("td", claim["evidence"], class_="evidence"),
        element("td", claim["fact_table"].removesuffix("s"), " ", claim["measure"],
                " " if claim["fact_id"] in best else None,
                element("span", "best value", class_="badge best") if claim["fact_id"] in best else None),
        element("td", format_amount(claim["amount_gbp"], claim["amount_low_gbp"], claim["amount_high_gbp"],
                                    claim["qualifier"]), class_="num"),
        element("td", period),
        element("td", link(claim["title"] or claim["source_path"], claim["url"])),
        element("td", format_date(claim["published_on"]), class_="num"),
        id=claim["fact_id"],
    )


def test_a_claim_row_is_written_as_element_would_write_it():
    import datetime as dt

    from pipeline.report.claim_rows import ROW_COLUMN, with_claim_rows

    base = {"fact_id": "sav_1", "fact_table": "savings", "measure": "target", "amount_gbp": 35e6,
            "amount_low_gbp": None, "amount_high_gbp": None, "qualifier": "more than", "fy_start": "2015/16",
            "fy_end": "2016/17", "period_text": None, "evidence": 'It said <b>"£35m"</b> & more', "title": "A & B",
            "source_path": "2025-06/a.txt", "url": "https://example.org/?a=1&b=<2>", "published_on": dt.date(2025, 6, 1)}
    variants = [base, {**base, "url": "javascript:alert(1)"}, {**base, "url": None, "title": None},
                {**base, "measure": None, "evidence": None, "published_on": None, "amount_gbp": None},
                {**base, "fy_start": None, "fy_end": None, "period_text": "over <three> years"},
                {**base, "url": "http://x", "title": None, "source_path": None},
                {**base, "url": "HTTPS://X.ORG/a'b", "title": "", "evidence": "it's 'quoted'"},
                {**base, "url": "", "title": None, "source_path": None},
                {**base, "fact_id": None, "fact_table": "deficits", "measure": "forecast"},
                {**base, "fact_id": "def_2", "amount_gbp": None, "amount_low_gbp": 10e6, "amount_high_gbp": 12.5e6,
                 "qualifier": None, "fy_start": "2015/16", "fy_end": "2015/16"},
                {**base, "fact_id": "def_3", "amount_gbp": None, "amount_low_gbp": 1e9, "qualifier": None}]
    schema = {"fact_id": pl.Utf8, "fact_table": pl.Utf8, "measure": pl.Utf8, "amount_gbp": pl.Float64,
              "amount_low_gbp": pl.Float64, "amount_high_gbp": pl.Float64, "qualifier": pl.Utf8, "fy_start": pl.Utf8,
              "fy_end": pl.Utf8, "period_text": pl.Utf8, "evidence": pl.Utf8, "title": pl.Utf8,
              "source_path": pl.Utf8, "url": pl.Utf8, "published_on": pl.Date}
    claims = pl.DataFrame(variants, schema=schema, orient="row")
    for best in (set(), {"sav_1", "def_2"}):
        rows = with_claim_rows(claims, best)[ROW_COLUMN].to_list()
        assert len(rows) == len(variants)
        for claim, row in zip(variants, rows):
            assert row == _claim_row_markup(claim, best)


def test_a_body_chart_has_a_labelled_bar_per_figure_and_the_same_bytes_every_time():
    from xml.etree import ElementTree

    from pipeline.report.body_chart import RANGE_OPACITY, draw_body_chart
    from pipeline.report.charts import MEASURE_COLOURS

    schema = {"report_year": pl.Utf8, "measure": pl.Utf8, "amount_gbp": pl.Float64, "amount_low_gbp": pl.Float64,
              "amount_high_gbp": pl.Float64}
    figures = pl.DataFrame([
        ("2015/16", "forecast", 35e6, None, None), ("2015/16", "actual", 41.2e6, None, None),
        ("2016/17", "forecast", None, 10e6, 12.5e6),  # a range: pale, to its high end, with its interval
        ("2017/18", "actual", None, None, None),  # no value at all: no bar
    ], schema=schema, orient="row")
    svg = draw_body_chart(figures, name="body-org_x", label='Figures of "A & B" by financial year')
    assert svg == draw_body_chart(figures, name="body-org_x", label='Figures of "A & B" by financial year')
    root = ElementTree.fromstring(svg)  # well-formed, so inline in the page as it is
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("role") == "img"
    assert root.get("aria-label") == 'Figures of "A & B" by financial year'
    assert root.find(f"{ns}title").text == root.get("aria-label")
    assert "<script" not in svg and "<!--" not in svg  # pygal's script and its dated comment are gone
    assert {element.get("id") for element in root.iter() if element.get("id")} == {"chart-body-org_x"}
    values = [text.text for text in root.iter(f"{ns}text") if "value" in (text.get("class") or "").split()]
    assert sorted(values) == ["£10m–£12.5m", "£35m", "£41.2m"]
    bars = [rect for rect in root.iter(f"{ns}rect") if "rect" in (rect.get("class") or "").split()]
    assert len(bars) == 3
    assert [bar.get("style") for bar in bars].count(f"fill-opacity: {RANGE_OPACITY}") == 1
    assert len(root.findall(f".//{ns}g[@class='ci']")) == 1  # the range's interval line
    for measure in ("forecast", "actual"):
        assert MEASURE_COLOURS[measure] in svg
    assert "2015/16" in svg and "2016/17" in svg and "2017/18" not in svg
    nothing = figures.filter(pl.col("amount_gbp").is_null() & pl.col("amount_high_gbp").is_null())
    assert draw_body_chart(nothing, name="body-org_y", label="none") is None
