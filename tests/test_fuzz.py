"""Fuzzing the ingest and the extraction (issue 6, point 5): nothing an input holds makes them raise.

- Random files (random bytes, text in assorted encodings, JSON Lines with odd records, HTML-ish soup) written
  as .txt/.html/.jsonl into a raw folder: `read_batch` never raises, accounts for every file, and everything it
  returns can be stored (valid UTF-8).
- Random mutations of real articles (insertions, deletions, duplicated spans, unicode junk, £ signs, digits):
  `extract_article` never raises, and its rows keep the data contract: every evidence and surface is the slice
  of the text its span points to, amounts are finite and positive, keys are unique, references resolve.

Hypothesis runs derandomized (the same examples every run) with a bounded number of examples, and keeps no
example database, so the tests are repeatable and write nothing into the project.
"""

from __future__ import annotations

import json
import math
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract.extractor import extract_article
from pipeline.ingest.inventory import list_raw_files
from pipeline.ingest.readers import Article, Rejection, read_batch
from schemas import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


# ------------------------------------------------------------------------------------------ random files

_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]
_TEXTY = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=600)
_ODD_CHARS = "£€$0123456789.,m bn\u00a0\u200b\ufeff\u202e\r\n\t\x00\x0b<>&\"'\\/"
_JSON_STRING = st.one_of(
    _TEXTY,
    st.text(alphabet=_ODD_CHARS, max_size=80),
    # Lone surrogates: valid JSON escapes ("\ud800"), not characters, so not UTF-8 encodable.
    st.lists(st.one_of(st.characters(categories=["Cs"]), st.sampled_from("NHS Leeds CCG saves £4m. ")),
             max_size=20).map("".join),
)
_JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _JSON_STRING,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_JSON_STRING, inner, max_size=3),
    max_leaves=8,
)
_RECORD = st.fixed_dictionaries(
    {"text": _JSON_STRING},
    optional={"title": _JSON_VALUE, "url": _JSON_VALUE, "published": st.one_of(_JSON_VALUE, st.dates().map(str))},
)
_JSON_LINE = st.one_of(
    _RECORD.map(lambda r: json.dumps(r).encode("utf-8")),
    _RECORD.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    _JSON_VALUE.map(lambda v: json.dumps(v).encode("utf-8")),
    st.binary(max_size=200),
    st.sampled_from([b"", b"   ", b"{", b"[]", b"null", b'{"text": ""}', b'{"text": 5}', b"\xef\xbb\xbf{}"]),
)
_HTML_PIECE = st.one_of(
    st.sampled_from(["<html>", "</html>", "<head>", "<body>", "</body>", "<p>", "</p>", "<article>", "<div>",
                     "<script>var a='£9m';</script>", "<iframe src='http://x'>", "<!--", "-->", "<![CDATA[",
                     "<!DOCTYPE html>", "<?xml version='1.0'?>", "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
                     "&e;", "&amp;", "&#0;", "&#xD800;", "<title>", "</title>", "<meta charset='utf-16'>",
                     "<link rel='canonical' href='file:///etc/passwd'>", "<nav>", "<style>", "<table><tr><td>",
                     "<p onclick='x()'>", "NHS Leeds CCG must save £4m in 2015/16. ", "Deficit of £12.5m. "]),
    _TEXTY,
)
_FILE_BYTES = st.one_of(
    st.binary(max_size=2000),
    st.tuples(_TEXTY, st.sampled_from(_ENCODINGS)).map(lambda t: t[0].encode(t[1], errors="replace")),
    st.lists(_JSON_LINE, max_size=6).map(lambda lines: b"\n".join(lines)),
    st.lists(_JSON_LINE, max_size=4).map(lambda lines: b"\r\n".join(lines) + b"\r\n"),
    st.lists(_HTML_PIECE, max_size=25).map(lambda parts: "".join(parts).encode("utf-8", "replace")),
)
_SUFFIXES = [".txt", ".html", ".jsonl", ".htm", ".ndjson", ".TXT", ".JSONL", ".bin", ""]
_FILES = st.lists(
    st.tuples(st.sampled_from(["", "2025-06/", "b#%20 ü/", "deep/er/"]), st.sampled_from(_SUFFIXES), _FILE_BYTES),
    min_size=1, max_size=5,
)


def _assert_storable(item: Article | Rejection) -> None:
    """Every text a row holds must be valid UTF-8, or writing its Parquet partition fails the run."""
    for name in type(item).__slots__:
        value = getattr(item, name)
        if isinstance(value, str):
            value.encode("utf-8")  # raises on a lone surrogate


@settings(FUZZ, max_examples=300)
@given(files=_FILES)
def test_random_files_never_stop_the_reader_and_every_file_is_accounted_for(files):
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw"
        for index, (folder, suffix, data) in enumerate(files):
            path = raw / f"{folder}f{index}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        listed = list_raw_files(raw)
        assert len(listed) == len(files)
        articles, rejections = read_batch(listed)
        seen = [item.source_path for item in (*articles, *rejections)]
        assert len(seen) == len(set(seen)), "an input accounted for twice"
        assert len(articles) + len(rejections) >= len(listed)
        for raw_file in listed:
            assert raw_file.source_path in seen or any(s.startswith(raw_file.source_path + "#") for s in seen), \
                f"{raw_file.source_path} ({raw_file.size_bytes} bytes) is neither an article nor a rejection"
        for item in (*articles, *rejections):
            _assert_storable(item)
        for article in articles:
            assert article.body_text.strip()
            _assert_extraction_keeps_the_contract(article.body_text)


def _read_one_folder(tmp_path: Path, files: dict[str, bytes]) -> tuple[list[Article], list[Rejection]]:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return read_batch(list_raw_files(tmp_path))


def test_an_empty_or_blank_jsonl_file_is_a_rejection(tmp_path):
    """Found by the fuzzer: a JSON Lines file with no record left no trace in either table."""
    articles, rejections = _read_one_folder(tmp_path, {"empty.jsonl": b"", "blank.jsonl": b"\n  \r\n\n"})
    assert articles == []
    assert sorted(r.source_path for r in rejections) == ["blank.jsonl", "empty.jsonl"]


def test_a_jsonl_record_with_a_lone_surrogate_escape_is_rejected_not_raised(tmp_path):
    """Found by the fuzzer: JSON may escape a lone surrogate ("\\ud800"), which Python holds in a str but no UTF-8
    file can; read_batch raised UnicodeEncodeError and the whole build failed."""
    lines = [b'{"text": "NHS Leeds CCG must save \\ud800 \xc2\xa33m in 2016/17."}',
             b'{"text": "NHS Leeds CCG must save \xc2\xa33m in 2016/17.", "title": "\\udc80", "url": "https://x.org/\\ud800"}']
    articles, rejections = _read_one_folder(tmp_path, {"feed.jsonl": b"\n".join(lines)})
    assert [r.source_path for r in rejections] == ["feed.jsonl#1"]
    assert [a.source_path for a in articles] == ["feed.jsonl#2"]
    for item in (*articles, *rejections):
        _assert_storable(item)


# ------------------------------------------------------------------------------------------ mutated articles

_JUNK = ("0123456789£££$€%.,/-–—()[]:;'\"!? \n\n\t\r\u00a0\u2009\u202f\u200b\u200c\u200d\u2060\ufeff\u202e\u2028"
         "\u0301\u0308é¼½²³mbnkKM\U0001f4b7\x00\x0b\x1f")
_TOKENS = [
    "£", "£1", "£1.2m", "£3bn", "£450,000", "£7.58 million", "£2.5-£3m", "£2m to £4m", "between £1m and £2m",
    "more than £5m", "£12m-a-year", "£1.5 billion", "five million pounds", "£0", "£0.0m", "£00", "£.5m",
    "£1,,000", "£1e9", "£99999999999999999999999999bn", "£1.2.3m", "£5 m", "£-5m", "-£5m", "£5m-£", "£m",
    "£1,000,000,000,000,000,000,000,000,000,000", "2014/15", "2014-15", "2014/2015", "20013/14", "2099/00",
    "by 2020", "over the next three years", "between 2015/16 and 2019/20", "NHS Salford CCG", "Salford CCG",
    "the trust", "the CCG", "it", "we", "NHS England said", "deficit", "savings", "save", "QIPP", "shortfall",
    "target", "forecast", "overspend", "in the red", "per patient", "a year", "(", ")", " – ", "\n\n", ". ",
    "€5m", "$3m", "US$4m", "£5m)", "m", "bn", "k", "million", "NHS Bournemouth and Poole", "95 CCGs",
]
_PAYLOAD = st.one_of(
    st.text(alphabet=_JUNK, max_size=30),
    st.sampled_from(_TOKENS),
    st.lists(st.sampled_from(_TOKENS), max_size=8).map(" ".join),
)
_OPERATION = st.tuples(st.sampled_from(["insert", "delete", "duplicate", "replace", "swap"]),
                       st.floats(0, 1), st.integers(0, 400), _PAYLOAD)


def mutate(text: str, operations: list[tuple[str, float, int, str]]) -> str:
    for kind, where, length, payload in operations:
        start = int(where * len(text))
        end = min(len(text), start + length)
        if kind == "insert":
            text = text[:start] + payload + text[start:]
        elif kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif kind == "replace":
            text = text[:start] + payload + text[end:]
        else:  # swap the span with what follows it
            text = text[:start] + text[end:end + length] + text[start:end] + text[end + length:]
    return text


def _positive(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and value > 0)


def _assert_extraction_keeps_the_contract(text: str) -> None:
    result = extract_article("fuzz0000fuzz0000", text)
    fact_ids = [f["fact_id"] for f in result.facts]
    assert len(fact_ids) == len(set(fact_ids)), "duplicate fact ids"
    mention_ids = [m["mention_id"] for m in result.mentions]
    assert len(mention_ids) == len(set(mention_ids)), "duplicate mention ids"
    for mention in result.mentions:
        assert 0 <= mention["char_start"] < mention["char_end"] <= len(text)
        assert text[mention["char_start"]:mention["char_end"]] == mention["surface"], mention
    for fact in result.facts:
        assert 0 <= fact["char_start"] < fact["char_end"] <= len(text), fact
        assert text[fact["char_start"]:fact["char_end"]] == fact["evidence"], fact
        amount, low, high = fact["amount_gbp"], fact["amount_low_gbp"], fact["amount_high_gbp"]
        assert amount is not None or (low is not None and high is not None), fact
        assert _positive(amount) and _positive(low) and _positive(high), fact
        assert low is None or high is None or low <= high, fact
        assert fact["fy_start"] is None or fact["fy_end"] is None or fact["fy_start"] <= fact["fy_end"], fact
        assert fact["parent_fact_id"] is None or fact["parent_fact_id"] in fact_ids, fact
        assert fact["amount_text"] and fact["amount_text"] in fact["evidence"], fact
    key = REGISTRY["fact_evidence"].primary_key
    keys = set()
    for statement in result.statements:
        assert statement["fact_id"] in fact_ids, statement
        assert text[statement["char_start"]:statement["char_end"]] == statement["evidence"], statement
        if "amount_char_start" in statement:
            assert text[statement["amount_char_start"]:statement["amount_char_end"]] == statement["amount_text"]
        keys.add(tuple(statement[column] for column in key))
    assert len(keys) == len(result.statements), f"duplicate {key} in fact_evidence"


@cache
def _texts_of(folder: Path) -> tuple[str, ...]:
    """The articles of a raw folder as the extractor sees them (read and cleaned), and the raw .txt pages."""
    articles, _ = read_batch(list_raw_files(folder))
    pages = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*.txt"))]
    return tuple([a.body_text for a in articles] + pages)


def test_the_real_articles_themselves_keep_the_contract():
    texts = _texts_of(SAMPLE)
    assert len(texts) >= 8
    for text in texts:
        _assert_extraction_keeps_the_contract(text)


@settings(FUZZ, max_examples=600)
@given(data=st.data())
def test_mutated_sample_articles_never_break_the_extractor(data):
    text = data.draw(st.sampled_from(_texts_of(SAMPLE)), label="article")
    operations = data.draw(st.lists(_OPERATION, min_size=1, max_size=8), label="mutations")
    _assert_extraction_keeps_the_contract(mutate(text, operations))


@pytest.fixture(scope="module")
def devset_texts(shared_dir) -> tuple[str, ...]:
    folder = shared_dir / "devset" / "articles"
    if not folder.is_dir() or not any(folder.glob("*.txt")):
        pytest.skip("no devset articles")
    return _texts_of(folder)


def test_mutated_devset_articles_never_break_the_extractor(devset_texts):
    # Hypothesis cannot take a pytest fixture through @given alone; the inner test closes over it.
    @settings(FUZZ, max_examples=500)
    @given(data=st.data())
    def check(data):
        text = data.draw(st.sampled_from(devset_texts), label="article")
        operations = data.draw(st.lists(_OPERATION, min_size=1, max_size=8), label="mutations")
        _assert_extraction_keeps_the_contract(mutate(text, operations))

    for text in devset_texts:
        _assert_extraction_keeps_the_contract(text)
    check()
