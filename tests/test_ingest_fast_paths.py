"""The ingest's shortcuts give exactly what the plain way gives (issue 7: read and clean inputs faster).

* HTML: trafilatura runs with a prebuilt Extractor and without its metadata pass, and `_page_metadata` takes
  the title, URL and date with trafilatura's own steps. Compared here with the plain calls, so an upgrade of
  trafilatura that changes either is caught.
* Cleaning: the anchored furniture rows are told apart by the group of one alternation, and the floating rows
  are searched only in lines holding their required literal. Compared here with trying every row in order.
* Reading: control characters counted on bytes, each input hashed once.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata

from pipeline.ingest import html as html_module
from pipeline.ingest.clean import FurnitureRules, _required_literal, load_rules
from pipeline.ingest.inventory import list_raw_files
from pipeline.ingest.readers import _count_controls, read_batch

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RAW = PROJECT_ROOT / "raw"

# ------------------------------------------------------------------------------------------------ HTML

PAGES = {
    "json-ld": """<!doctype html><html><head><title>Site | Kernow CCG sets £9.9m target</title>
        <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Kernow CCG sets &amp; agrees £9.9m",
        "datePublished": "2017-04-03", "url": "https://news.example/kernow"}</script></head><body><article>
        <h1>Kernow CCG sets £9.9m QIPP target</h1><p>NHS Kernow CCG has agreed a QIPP target of £9.9m for 2017/18,
        its governing body papers show, with most of the savings from prescribing.</p></article></body></html>""",
    "opengraph": """<html><head><meta property="og:title" content="  Trust   faces £4m gap ">
        <meta property="og:url" content="https://news.example/og?x=1">
        <meta name="date" content="2015-09-22"></head><body><div><h2>Trust faces £4m gap</h2>
        <p>Example Hospitals NHS Trust is forecasting a deficit of £4m in 2015/16, according to board papers
        published this week ahead of the meeting.</p></div></body></html>""",
    "relative-canonical": """<html><head><title>Headline</title><link rel="canonical" href="/relative/path">
        <meta name="twitter:url" content="https://news.example/t"></head><body><article><h1>Headline</h1>
        <h1>Second headline</h1><p>NHS Example CCG plans to save £5m by 2020/21, it said on 3 March 2016, in a
        plan to cut referrals that the governing body agreed.</p></article></body></html>""",
    "no-metadata": """<html><body><main><p>NHS Bolton must save £3m in 2014/15, the CCG said in its plan for
        the year, which the board agreed after a long debate about the cost of prescribing.</p>
        <table><tr><td>Prescribing</td><td>£1m</td></tr></table></main></body></html>""",
    "long-title": "<html><head><title>" + "NHS &amp; title " * 900 + "</title></head><body><article><p>"
                  + "NHS Leeds CCG must save £3m in 2016/17, its board papers show. " * 5 + "</p></article></body></html>",
}


def _html_inputs() -> list[tuple[str, bytes]]:
    pages = [(name, page.encode("utf-8")) for name, page in PAGES.items()]
    pages += [(p.name, p.read_bytes()) for p in sorted(RAW.rglob("*.html"))]
    return pages


def _tree(page: bytes):
    tree = html_module._parse(page)
    html_module._drop_invisible(tree)
    html_module._drop_navigation(tree)
    return tree


@pytest.mark.parametrize(("name", "page"), _html_inputs())
def test_page_metadata_is_what_trafilatura_extract_metadata_finds(name, page):
    tree = _tree(page)
    full = extract_metadata(tree, None, html_module._DATE_PARAMS, False, set())
    assert html_module._page_metadata(tree) == (full.title, full.url, full.date)


@pytest.mark.parametrize(("name", "page"), _html_inputs())
def test_prebuilt_extractor_gives_the_text_of_the_keyword_call(name, page):
    plain = trafilatura.bare_extraction(
        _tree(page), with_metadata=True, include_comments=False, include_tables=True, include_images=False,
        include_links=False, date_extraction_params=html_module._DATE_PARAMS)
    fast = trafilatura.bare_extraction(_tree(page), options=html_module._EXTRACTOR)
    assert (fast is None) == (plain is None)
    if plain is not None:
        assert fast.text == plain.text


def _extract_html_plain(page: bytes) -> html_module.HtmlArticle | None:
    """extract_html as it was before the shortcuts: one keyword call of bare_extraction with metadata."""
    tree = html_module._parse(page)
    if tree is None:
        return None
    html_module._drop_invisible(tree)
    visible_chars = html_module._visible_chars(tree)
    html_module._drop_navigation(tree)
    url = html_module._canonical_url(tree)
    doc = trafilatura.bare_extraction(
        tree, with_metadata=True, include_comments=False, include_tables=True, include_images=False,
        include_links=False, date_extraction_params=html_module._DATE_PARAMS)
    text = (doc.text or "").strip() if doc is not None else ""
    if not text:
        return None
    return html_module.HtmlArticle(
        title=html_module._clean_str(doc.title), text=text, url=url or html_module._absolute_url(doc.url),
        published_on=html_module._parse_date(doc.date), n_removed_chars=max(0, visible_chars - len(text)))


@pytest.mark.parametrize(("name", "page"), [*_html_inputs(), ("menu only", b"<html><body><nav>Home</nav></body></html>")])
def test_extract_html_gives_what_the_plain_call_gave(name, page):
    assert html_module.extract_html(page) == _extract_html_plain(page)


# ------------------------------------------------------------------------------------------------ cleaning


def _reference_first_match(rules: FurnitureRules, line_lower: str):
    """The rule order's meaning, without shortcuts: the first row (CSV order) that matches the line."""
    for k, rule in enumerate(rules.rules):
        matched = rule.regex.match(line_lower) if k in rules.anchored else rule.regex.search(line_lower)
        if matched:
            return rule
    return None


def _lines() -> list[str]:
    lines = {"", "x", "£195 + vat", "£195+vat per delegate", "book now", "please book now.", "call us on 020 7946",
             "readers' comments (3)", "comments (3)", "3 comments", "by ian quinn", "sign in", "cookie policy notice"}
    for path in sorted(RAW.rglob("*")):
        if path.suffix in (".txt", ".jsonl", ".html"):
            lines.update(line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return sorted(lines)


def test_first_match_is_the_first_matching_row_on_every_sample_line():
    rules = load_rules()
    assert rules.floating_needles, "the shipped rows all have a required literal: the shortcut is on"
    for line in _lines():
        assert rules.first_match(line) is _reference_first_match(rules, line), line


CUSTOM_ROWS = [
    r"^(a)(b)?c,t,drop_line,anchored row with groups",
    r"^(?:a|x)(b)c,t,drop_line,a second anchored row matching the same lines",
    r"^(z)(z*)$,t,drop_line,two groups",
    r"q(u+)ick,t,drop_line,floating row with a group",
    r"(?i)shout,t,drop_line,floating IGNORECASE row: no literal can be trusted",
]


@pytest.mark.parametrize("rows", [CUSTOM_ROWS, CUSTOM_ROWS[:4], CUSTOM_ROWS[3:] + CUSTOM_ROWS[:3]])
def test_first_match_follows_row_order_with_capturing_groups(tmp_path, rows):
    path = tmp_path / "furniture.csv"
    path.write_text("pattern,kind,action,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    rules = load_rules(path)
    for line in ["abc", "ac", "xbc", "zzz", "quick abc", "abc quuuick", "shout", "shoutabc", "nothing", ""]:
        assert rules.first_match(line) is _reference_first_match(rules, line), (rows, line)


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("report this comment$", "report this comment"),
        (r"£\s?\d[\d,]*(?:\.\d\d)?\s*\+\s*vat\b", "vat"),
        ("cookies? (?:policy|settings)", "cookie"),
        ("abc(d|e)fghi", "fghi"),
        ("a|bcd", ""),
        ("x*", ""),
        ("(?i)cookie", ""),
        ("(?x) a b c", "abc"),
    ],
)
def test_required_literal(pattern, literal):
    regex = re.compile(pattern)
    assert _required_literal(regex) == literal
    if literal:
        for text in ("report this comment", "£195 + vat", "cookie policy", "abcefghi", "abc"):
            assert not regex.search(text) or literal in text


# ------------------------------------------------------------------------------------------------ reading


@pytest.mark.parametrize("text", ["", "plain text\n\twith tab\r\n", "\x00\x01\x7f£\x1f é\u2028\x85\x9f😀", "\x0b" * 50])
def test_control_characters_are_counted_like_the_pattern_did(text):
    assert _count_controls(text) == len(re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text))


def test_each_input_is_identified_by_the_hash_of_its_own_bytes(tmp_path):
    page = "NHS Leeds must save £9m\n\nNHS Leeds plans to save £9m in 2012/13.\n".encode()
    record = json.dumps({"text": "NHS Hull is forecasting a deficit of £7.6m this year.", "title": "Hull"}).encode()
    (tmp_path / "a.txt").write_bytes(page)
    (tmp_path / "feed.jsonl").write_bytes(record + b"\n")
    articles, rejected = read_batch(list_raw_files(tmp_path))
    assert rejected == []
    by_path = {a.source_path: a for a in articles}
    for source_path, raw in (("a.txt", page), ("feed.jsonl#1", record)):
        digest = hashlib.sha256(raw).hexdigest()
        assert (by_path[source_path].content_sha256, by_path[source_path].article_id) == (digest, digest[:16])
    assert by_path["feed.jsonl#1"].source_format == "jsonl"
