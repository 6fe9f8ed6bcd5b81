"""The hand-annotated gold files: one JSON article per line, in the format of devset/GUIDELINES.md.

What belongs here: the gold dataclasses and `load_gold`, which checks each line
and names the file and line of anything wrong. What does not: scoring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from pipeline.evaluate.errors import GoldFileError, GoldFormatError
from pipeline.evaluate.names import normalise_org_name
from schemas.tables import FACT_TABLES


@dataclass(frozen=True)
class GoldOrg:
    name: str
    aliases: tuple[str, ...]
    org_type: str | None


@dataclass(frozen=True)
class GoldFact:
    table: str
    orgs: tuple[str, ...]
    org_type: str | None
    scope: str | None
    measure: str | None
    amount_gbp: float | None
    amount_low: float | None
    amount_high: float | None
    qualifier: str | None
    alternates: tuple[float, ...]
    fy_start: str | None
    fy_end: str | None
    horizon_years: int | None
    parent_amount_gbp: float | None
    evidence: str | None


@dataclass(frozen=True)
class GoldArticle:
    article: str
    orgs: tuple[GoldOrg, ...]
    facts: tuple[GoldFact, ...]
    source: str = ""  # "file:line", for messages

    def aliases_of(self, name: str) -> set[str]:
        """The name plus the aliases the article's `orgs` list gives for it."""
        key = normalise_org_name(name)
        names = {name}
        for org in self.orgs:
            if org.name == name or (key and normalise_org_name(org.name) == key):
                names.update(org.aliases)
        return names


def load_gold(paths: Sequence[Path]) -> list[GoldArticle]:
    """Read gold files: one JSON object per line, blank lines skipped.

    Raises GoldFileError when a file is missing or unreadable, and
    GoldFormatError (a ValueError) naming the file and line for a bad line or
    an article given twice.
    """
    articles: list[GoldArticle] = []
    first_seen: dict[str, str] = {}
    for path in paths:
        for line_no, line in _read_gold_lines(Path(path)):
            where = f"{path}:{line_no}"
            article = _parse_gold_line(line, where)
            if article.article in first_seen:
                raise GoldFormatError(
                    f"{where}: article {article.article!r} is already given at {first_seen[article.article]}")
            first_seen[article.article] = where
            articles.append(article)
    return articles


def _read_gold_lines(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        raise GoldFileError(f"gold file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFileError(f"cannot read gold file {path}: {exc}") from exc
    return [(no, line) for no, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _parse_gold_line(line: str, where: str) -> GoldArticle:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(raw, dict):
        raise GoldFormatError(f"{where}: expected a JSON object, found {type(raw).__name__}")
    article = raw.get("article")
    if not isinstance(article, str) or not article:
        raise GoldFormatError(f"{where}: missing \"article\" (the article's file name)")
    orgs = tuple(_parse_gold_org(org, where) for org in _list_field(raw, "orgs", where))
    facts = tuple(_parse_gold_fact(fact, f"{where} fact {i}")
                  for i, fact in enumerate(_list_field(raw, "facts", where), start=1))
    return GoldArticle(article=article, orgs=orgs, facts=facts, source=where)


def _list_field(raw: dict, key: str, where: str) -> list:
    value = raw.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise GoldFormatError(f"{where}: \"{key}\" must be a list")
    return value


def _parse_gold_org(raw: Any, where: str) -> GoldOrg:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise GoldFormatError(f"{where}: each entry of \"orgs\" needs a \"name\"")
    return GoldOrg(name=raw["name"], aliases=tuple(_list_field(raw, "aliases", where)),
                   org_type=raw.get("org_type"))


def _parse_gold_fact(raw: Any, where: str) -> GoldFact:
    if not isinstance(raw, dict):
        raise GoldFormatError(f"{where}: expected a JSON object")
    table = raw.get("table")
    if table not in FACT_TABLES:
        raise GoldFormatError(f"{where}: \"table\" must be one of {', '.join(FACT_TABLES)}, found {table!r}")
    names = raw.get("orgs")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise GoldFormatError(f"{where}: \"orgs\" must be a list of names")
    amount, low, high = (_number(raw, key, where) for key in ("amount_gbp", "amount_low", "amount_high"))
    if amount is None and (low is None or high is None):
        raise GoldFormatError(f"{where}: needs \"amount_gbp\" or both \"amount_low\" and \"amount_high\"")
    alternates = tuple(_number({"alternate": a}, "alternate", where)
                       for a in _list_field(raw, "alternates", where))
    horizon = _number(raw, "horizon_years", where)
    return GoldFact(
        table=table, orgs=tuple(names), org_type=raw.get("org_type"), scope=raw.get("scope"),
        measure=raw.get("measure"), amount_gbp=amount, amount_low=low, amount_high=high,
        qualifier=raw.get("qualifier"), alternates=tuple(a for a in alternates if a is not None),
        fy_start=raw.get("fy_start"), fy_end=raw.get("fy_end"),
        horizon_years=None if horizon is None else int(horizon),
        parent_amount_gbp=_number(raw, "parent_amount_gbp", where), evidence=raw.get("evidence"),
    )


def _number(raw: dict, key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    # bool is an int in Python, but `true` is never an amount.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GoldFormatError(f"{where}: \"{key}\" must be a number, found {value!r}")
    return float(value)
