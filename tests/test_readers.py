"""Each input format is read, and each kind of unreadable input is recorded with its reason."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.ingest.inventory import article_id_of, list_raw_files
from pipeline.ingest.readers import Article, Rejection, read_batch

ARTICLE = ("NHS Wirral CCG must save £12m in 2015/16\n\n"
           "NHS Wirral CCG plans to save £12m in 2015/16, board papers show.\n\n"
           "Readers' comments (1)\n\n  • We were told to save £30k too.\n")


def _read(raw: Path) -> tuple[list[Article], list[Rejection]]:
    return read_batch(list_raw_files(raw))


def test_txt_page_text_is_cleaned_and_identified_by_its_bytes(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    articles, rejected = _read(tmp_path)
    assert rejected == []
    [article] = articles
    assert article.source_format == "txt"
    assert article.article_id == article_id_of(ARTICLE.encode("utf-8"))
    assert article.title == "NHS Wirral CCG must save £12m in 2015/16"
    assert "£30k" not in article.body_text and article.n_removed_chars > 0
    assert article.batch == "_root"


def test_html_page_gives_title_url_date_and_main_text(tmp_path):
    page = """<!doctype html><html><head><title>Trust faces £9m deficit</title>
    <link rel="canonical" href="https://example.org/news/trust-deficit">
    <meta property="article:published_time" content="2016-03-04T09:00:00Z"></head>
    <body><nav>Home | News | Jobs</nav><script>var price = '£99m';</script>
    <article><h1>Trust faces £9m deficit</h1>
    <p>Sherwood Forest Hospitals NHS Foundation Trust is forecasting a deficit of £9m in 2015/16, according to
    papers published ahead of its board meeting this week, which also set out a recovery plan.</p>
    <p>The trust said it would work with commissioners on the plan over the coming months and expected to
    return to balance within three years if the savings were delivered in full.</p></article>
    <div class="comments"><h3>Readers' comments (1)</h3><p>They wasted £2m on consultants.</p></div>
    </body></html>"""
    (tmp_path / "batch-1").mkdir()
    (tmp_path / "batch-1" / "p.html").write_text(page, encoding="utf-8")
    [article], rejected = _read(tmp_path)
    assert rejected == []
    assert article.source_format == "html" and article.batch == "batch-1"
    assert article.url == "https://example.org/news/trust-deficit"
    assert str(article.published_on) == "2016-03-04"
    assert "forecasting a deficit of £9m" in article.body_text
    assert "£99m" not in article.body_text and "£2m" not in article.body_text
    assert article.body_text.startswith("Trust faces £9m deficit")


def test_jsonl_records_are_articles_and_bad_lines_are_rejected_with_their_number(tmp_path):
    good = {"text": "NHS Hull is forecasting a deficit of £7.6m this year.", "url": "https://example.org/hull",
            "title": "Hull deficit", "published": "2009-11-02"}
    lines = [json.dumps(good), "{not json", json.dumps([1, 2]), json.dumps({"title": "no text"}), ""]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    articles, rejected = _read(tmp_path)
    [article] = articles
    assert article.source_path == "feed.jsonl#1" and article.source_format == "jsonl"
    assert article.url == good["url"] and str(article.published_on) == "2009-11-02"
    assert article.body_text.startswith("Hull deficit")
    assert article.article_id == article_id_of(json.dumps(good).encode("utf-8"))
    reasons = {r.source_path: r.reason for r in rejected}
    assert reasons == {"feed.jsonl#2": "unreadable record", "feed.jsonl#3": "unreadable record",
                       "feed.jsonl#4": "no text"}
    assert "line 2" in next(r.detail for r in rejected if r.source_path == "feed.jsonl#2")


def test_unreadable_inputs_are_rejected_not_dropped(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\t\n")
    (tmp_path / "random.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "copy1.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "copy2.txt").write_text(ARTICLE, encoding="utf-8")
    articles, rejected = _read(tmp_path)
    assert [a.source_path for a in articles] == ["copy1.txt"]
    reasons = {r.source_path: r.reason for r in rejected}
    assert reasons == {"blank.txt": "empty", "empty.txt": "empty", "random.txt": "binary",
                       "scan.pdf": "unsupported format", "copy2.txt": "duplicate"}
    assert "copy1.txt" in next(r.detail for r in rejected if r.reason == "duplicate")


def test_windows_1252_and_utf16_text_are_decoded(tmp_path):
    (tmp_path / "cp1252.txt").write_bytes("NHS Kirklees must save £4m – board papers\n\nThe PCT’s plan.".encode("cp1252"))
    (tmp_path / "utf16.txt").write_bytes("NHS Leeds must save £9m\n\nThe PCT said so.".encode("utf-16"))
    articles, rejected = _read(tmp_path)
    assert rejected == []
    texts = {a.source_path: a.body_text for a in articles}
    assert "£4m – board" in texts["cp1252.txt"] and "PCT’s" in texts["cp1252.txt"]
    assert "£9m" in texts["utf16.txt"]
