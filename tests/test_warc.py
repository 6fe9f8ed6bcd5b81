"""Web archives in (issue 15): every record of a WARC file accounted for, the same facts as the pages saved as
.html, reruns byte-identical, one more WARC file read alone, and a broken file named at the byte it broke."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.materialise import materialise
from cli.main import main as cli_main
from pipeline.batches import list_batches
from pipeline.ingest import warc_domains
from pipeline.ingest.inventory import list_raw_files
from pipeline.ingest.readers import read_file
from pipeline.ingest.warc import BROKEN, READ, RecordCount
from pipeline.publish.database import DUCKDB_FILE
from tests.support.warcs import PAGE_HOST, domains_file, write_warc, write_warc_batches
from tests.support.warehouse_tables import parquet_bytes

pytestmark = pytest.mark.slow

# Columns that say where a row's input lay and which run read it: the rest must be equal across formats.
WHERE_FROM = {"batch", "run_id", "source_path", "source_format", "url", "published_on_source", "n_removed_chars"}


@pytest.fixture(autouse=True)
def allow_the_fictional_site(tmp_path: Path, monkeypatch) -> Path:
    path = domains_file(tmp_path)
    monkeypatch.setenv(warc_domains.DOMAINS_ENV, str(path))
    return path


def _read(path: Path, raw: Path):
    (raw_file,) = [f for f in list_raw_files(raw) if f.path == path.resolve()]
    items = read_file(raw_file)
    counts = {c.outcome: c.n_records for c in items if isinstance(c, RecordCount)}
    return [i for i in items if not isinstance(i, RecordCount)], counts


def _table(warehouse: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse / DUCKDB_FILE), read_only=True) as con:
        return con.sql(sql).pl()


def test_every_record_is_counted_once_and_each_page_is_an_article(tmp_path: Path):
    raw = tmp_path / "raw"
    (written,) = write_warc_batches(raw, files=1, pages_per_file=4)
    items, counts = _read(written.path, raw)
    assert sum(counts.values()) == written.records
    assert counts == {READ: len(written.pages), **written.passed_over}
    assert sorted(a.url for a in items) == sorted(written.pages)
    for article in items:
        assert article.source_format == "warc"
        assert article.source_path.startswith(f"crawl/{written.path.name}#")
        offset = int(article.source_path.rsplit("#", 1)[1])
        # The offset is where the record's gzip member begins: a reader can seek there and read the record alone.
        with written.path.open("rb") as handle:
            handle.seek(offset)
            member = gzip.GzipFile(fileobj=handle).read(4096)
        assert member.startswith(b"WARC/1.") and article.url.encode() in member
        # The page's own metadata date, not the day it was archived.
        assert article.published_on_source == "html_meta"


def test_a_page_without_a_date_of_its_own_takes_the_archive_date(tmp_path: Path):
    raw = tmp_path / "raw"
    from bench.warc_files import RecordWriter  # fixed record dates
    writer = RecordWriter("undated.warc.gz", 1)
    page = b"<html><body><article><p>Ashshire NHS Trust plans to save \xc2\xa312m this year.</p></article></body></html>"
    writer.response(f"https://{PAGE_HOST}/story", "200 OK", "text/html", page)
    (raw / "crawl").mkdir(parents=True)
    (raw / "crawl" / "undated.warc.gz").write_bytes(writer.getvalue())
    (article,), counts = _read(raw / "crawl" / "undated.warc.gz", raw)
    assert (str(article.published_on), article.published_on_source) == ("2025-06-30", "warc_date")


def test_each_warc_file_is_a_batch_of_its_own(tmp_path: Path):
    raw = tmp_path / "raw"
    written = write_warc_batches(raw, files=3)
    (raw / "2025-06").mkdir()
    (raw / "2025-06" / "story.txt").write_text("Ashshire NHS Trust plans to save £12m this year.\n")
    assert sorted(list_batches(raw)) == sorted(["2025-06", *(f"crawl/{w.path.name}" for w in written)])


def test_the_facts_are_those_of_the_same_pages_saved_as_html(tmp_path: Path):
    warc_raw, html_raw = tmp_path / "warc-raw", tmp_path / "html-raw"
    written = write_warc_batches(warc_raw, files=2)
    (html_raw / "pages").mkdir(parents=True)
    for n, (url, page) in enumerate(sorted(p for w in written for p in w.pages.items())):
        (html_raw / "pages" / f"page-{n:02d}.html").write_bytes(page)
    assert materialise(warc_raw, tmp_path / "from-warc").success
    assert materialise(html_raw, tmp_path / "from-html").success
    for table in ("articles", "savings", "deficits", "organisations", "org_mentions"):
        frames = []
        for warehouse in ("from-warc", "from-html"):
            frame = _table(tmp_path / warehouse, f"SELECT * FROM {table}")
            frames.append(frame.drop([c for c in frame.columns if c in WHERE_FROM]).sort(frame.columns[0]))
        assert frames[0].height > 0, table
        assert frames[0].sort(frames[0].columns).equals(frames[1].sort(frames[1].columns)), table


def test_builds_are_byte_identical_and_one_more_warc_is_read_alone(tmp_path: Path):
    raw = tmp_path / "raw"
    write_warc_batches(raw, files=2)
    first, second = tmp_path / "first", tmp_path / "second"
    assert materialise(raw, first).success and materialise(raw, second).success
    assert parquet_bytes(first) == parquet_bytes(second)

    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (first / "parquet").rglob("batch=*/*.parquet")}
    write_warc(raw / "crawl" / "CC-NEWS-20250701-00000.warc.gz", range(40, 43))
    result = materialise(raw, first)
    assert result.success
    assert result.processed == ["crawl/CC-NEWS-20250701-00000.warc.gz"]
    untouched = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in before}
    assert untouched == before, "a partition of another WARC file was written again"
    rows = _table(first, "SELECT batch, sum(n_records)::INT AS n FROM warc_records GROUP BY batch ORDER BY batch")
    assert rows["batch"].to_list()[-1] == "crawl/CC-NEWS-20250701-00000.warc.gz" and rows.height == 3


def test_warc_records_and_articles_agree_in_the_warehouse(tmp_path: Path):
    raw = tmp_path / "raw"
    written = write_warc_batches(raw, files=2)
    warehouse = tmp_path / "warehouse"
    result = materialise(raw, warehouse)
    assert result.success and all(passed for _, passed in result[2])
    counts = _table(warehouse, "SELECT source_path, outcome, n_records FROM warc_records")
    for w in written:
        mine = counts.filter(pl.col("source_path") == f"crawl/{w.path.name}")
        assert mine["n_records"].sum() == w.records
        read = mine.filter(pl.col("outcome") == READ)["n_records"].sum()
        landed = _table(warehouse, f"""SELECT count(*) AS n FROM (
            SELECT source_path FROM articles UNION ALL SELECT source_path FROM rejected_inputs)
            WHERE source_path LIKE 'crawl/{w.path.name}#%'""")["n"][0]
        assert read == landed == len(w.pages)


def _cut(path: Path, keep: int) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    return path


def test_a_truncated_warc_is_rejected_at_the_byte_it_broke_and_what_came_before_counts(tmp_path: Path):
    raw = tmp_path / "raw"
    (written,) = write_warc_batches(raw, files=1, pages_per_file=4)
    whole, counts_whole = _read(written.path, raw)
    # Cut inside the fourth page's record: three pages before it are whole.
    offsets = sorted(int(a.source_path.rsplit("#", 1)[1]) for a in whole)
    _cut(written.path, offsets[3] + 200)
    items, counts = _read(written.path, raw)
    articles = [i for i in items if not hasattr(i, "reason")]
    (rejected,) = [i for i in items if hasattr(i, "reason")]
    assert len(articles) == 3
    assert rejected.source_path == f"crawl/{written.path.name}#{offsets[3]}"
    assert rejected.reason == "unreadable record" and "cut short" in rejected.detail
    assert counts[BROKEN] == 1 and counts[READ] == 3


def test_a_damaged_gzip_member_is_named_by_its_offset(tmp_path: Path):
    raw = tmp_path / "raw"
    (written,) = write_warc_batches(raw, files=1, pages_per_file=4)
    whole, _ = _read(written.path, raw)
    offsets = sorted(int(a.source_path.rsplit("#", 1)[1]) for a in whole)
    data = bytearray(written.path.read_bytes())
    data[offsets[2] + 40: offsets[2] + 60] = b"\x00" * 20  # inside the deflate stream of the third page
    written.path.write_bytes(bytes(data))
    items, counts = _read(written.path, raw)
    (rejected,) = [i for i in items if hasattr(i, "reason")]
    assert rejected.source_path == f"crawl/{written.path.name}#{offsets[2]}"
    assert len([i for i in items if not hasattr(i, "reason")]) == 2 and counts[BROKEN] == 1


def test_an_uncompressed_warc_reads_the_same_and_a_cut_one_is_caught(tmp_path: Path):
    raw = tmp_path / "raw"
    (raw / "crawl").mkdir(parents=True)
    plain = write_warc(raw / "crawl" / "pages.warc", range(0, 3), gzipped=False)
    items, counts = _read(plain.path, raw)
    assert sorted(a.url for a in items) == sorted(plain.pages) and sum(counts.values()) == plain.records
    _cut(plain.path, plain.path.stat().st_size - 100)
    items, counts = _read(plain.path, raw)
    assert counts[BROKEN] == 1 and sum(counts.values()) == plain.records
    assert [i.reason for i in items if hasattr(i, "reason")] == ["unreadable record"]


@pytest.mark.parametrize("name,content,where", [
    ("empty.warc.gz", b"", "empty.warc.gz#0"),
    ("text.warc", b"this is not a web archive\n" * 10, "text.warc#0"),
    ("text.warc.gz", b"this is not a web archive\n" * 10, "text.warc.gz#0"),  # not gzip: broken at its first byte
])
def test_a_file_with_no_record_is_rejected(tmp_path: Path, name: str, content: bytes, where: str):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / name).write_bytes(content)
    items, counts = _read(raw / name, raw)
    assert [(i.source_path, i.reason) for i in items] == [(where, "unreadable record")]
    assert counts == {BROKEN: 1}


def test_the_allow_list_keeps_a_crawl_focused(tmp_path: Path, monkeypatch):
    raw = tmp_path / "raw"
    (written,) = write_warc_batches(raw, files=1)
    monkeypatch.delenv(warc_domains.DOMAINS_ENV)  # the default list: UK news and NHS sites, not the fictional one
    items, counts = _read(written.path, raw)
    # Every page of the fictional host (the off-topic one too) and the one of the host outside any list.
    assert items == [] and counts["outside domains"] == len(written.pages) + 2
    monkeypatch.setenv(warc_domains.DOMAINS_ENV, "all")
    items, counts = _read(written.path, raw)
    assert len(items) == len(written.pages) + 1  # the page of the host outside the list too


def test_default_allow_list_takes_uk_hosts_and_named_sites_only(monkeypatch):
    monkeypatch.delenv(warc_domains.DOMAINS_ENV, raising=False)
    assert warc_domains.allowed("www.bbc.co.uk") and warc_domains.allowed("www.uhb.nhs.uk")
    assert warc_domains.allowed("www.theguardian.com") and warc_domains.allowed("WWW.HSJ.CO.UK.")
    assert not warc_domains.allowed("www.nytimes.com") and not warc_domains.allowed("bbc.co.uk.example.com")


def test_a_changed_allow_list_reads_the_warc_batches_again(tmp_path: Path, monkeypatch):
    raw = tmp_path / "raw"
    write_warc_batches(raw, files=1)
    (raw / "2025-06").mkdir()
    (raw / "2025-06" / "story.txt").write_text("Ashshire NHS Trust plans to save £12m this year.\n")
    warehouse = tmp_path / "warehouse"
    assert materialise(raw, warehouse).success
    monkeypatch.setenv(warc_domains.DOMAINS_ENV, "all")
    result = materialise(raw, warehouse)
    assert result.processed == [b for b in result.batches if b.startswith("crawl/")]


def test_build_domains_option_names_a_missing_list_in_one_line(tmp_path: Path, capsys):
    (tmp_path / "raw").mkdir()
    code = cli_main(["build", "--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "wh"),
                     "--domains", str(tmp_path / "nope.txt")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "nope.txt" in err and "Traceback" not in err


def test_build_domains_option_reaches_the_reader(tmp_path: Path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    write_warc_batches(raw, files=1)
    monkeypatch.delenv(warc_domains.DOMAINS_ENV)
    allow = tmp_path / "allow.txt"
    allow.write_text(f"# one domain a line\n{PAGE_HOST}\n")
    assert cli_main(["build", "--raw", str(raw), "--warehouse", str(tmp_path / "wh"), "--domains", str(allow)]) == 0
    assert os.environ[warc_domains.DOMAINS_ENV] == str(allow.resolve())
    n = _table(tmp_path / "wh", "SELECT count(*) AS n FROM articles WHERE source_format = 'warc'")["n"][0]
    assert n == 4
    shutil.rmtree(tmp_path / "wh")


def test_the_contract_check_catches_a_page_read_that_landed_nowhere():
    from pipeline.checks.invariants import table_invariants
    from pipeline.checks.sources import FrameTables

    counts = pl.DataFrame({"source_path": ["a.warc.gz", "a.warc.gz", "b.warc"], "outcome": ["read", "off topic", "read"],
                           "n_records": [2, 5, 1]}, schema_overrides={"n_records": pl.Int32})
    articles = pl.DataFrame({"source_path": ["a.warc.gz#0", "a.warc.gz#900", "b.warc#0", "feed.jsonl#1"]})
    rejected = pl.DataFrame({"source_path": ["x.txt"]}, schema={"source_path": pl.Utf8})
    (whole,) = table_invariants("warc_records", counts, FrameTables({"articles": articles, "rejected_inputs": rejected}))
    assert whole.passed
    (short,) = table_invariants("warc_records", counts, FrameTables({"articles": articles.head(1),
                                                                      "rejected_inputs": rejected}))
    assert not short.passed and sorted(short.failures["source_path"]) == ["a.warc.gz", "b.warc"]
