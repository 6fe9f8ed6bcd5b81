"""Scoring a warehouse against the hand-annotated gold files.

What belongs here: reading gold JSONL files, reading the predicted facts and
organisations out of a built warehouse (DuckDB), matching predictions to gold
facts as devset/GUIDELINES.md ("How a prediction is scored") defines, and
turning the result into a report (plain text for the terminal, a dict for
releases and the benchmark). The organisation-name normaliser used for the
matching lives here too and is public, so that other steps compare names the
same way the scorer does.

What does not belong here: Dagster (this is an engine module), extraction,
and the CLI (it calls `evaluate_warehouse` and `render_report`, prints the
one-line message of an `EvaluationError` and exits non-zero).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb

WAREHOUSE_DB_NAME = "nhs_ledger.duckdb"
FACT_TABLES = ("savings", "deficits")
AMOUNT_TOLERANCE = 0.01  # "within 1%" of the gold amount
# Guards the exact 1% edge against binary floating point (35e6 * 1.01 is not exact).
_FLOAT_SLACK = 1e-9


# ---------------------------------------------------------------- errors


class EvaluationError(Exception):
    """A user error: the CLI prints the one-line message and exits non-zero."""


class GoldFileError(EvaluationError):
    """A gold file is missing or cannot be read."""


class GoldFormatError(EvaluationError, ValueError):
    """A gold line is not valid JSON or not a gold article; names the file and line."""


class WarehouseError(EvaluationError):
    """The warehouse folder, its DuckDB file or one of its tables is missing or unreadable."""


class NoGoldArticlesError(EvaluationError):
    """None of the gold articles is in the warehouse, so there is nothing to score."""


# ---------------------------------------------------------------- name normalisation

_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'",
                        "\u201c": '"', "\u201d": '"', "\u201f": '"'})
_POSSESSIVE = re.compile(r"'s\b")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_DESIGNATORS = (
    "ccg", "pct", "icb", "sha", "trust", "nhs trust", "nhs foundation trust", "foundation trust",
    "clinical commissioning group", "primary care trust", "integrated care board",
    "strategic health authority",
)
# Longest first, so "nhs foundation trust" goes as a whole before "trust" could split it.
_DESIGNATOR_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(d) for d in sorted(_DESIGNATORS, key=len, reverse=True)) + r")\b"
)


def _strip_leading_word(text: str, word: str) -> str:
    if text == word:
        return ""
    if text.startswith(word + " "):
        return text[len(word) + 1:]
    return text


def normalise_org_name(name: str | None) -> str:
    """The comparison key of an organisation name, as GUIDELINES.md scores names.

    "NHS Salford CCG", "Salford clinical commissioning group" and "the Salford
    CCG's" all give "salford". A name made only of set-aside words ("NHS", "the
    trust") keeps its cleaned form ("nhs", "trust") rather than becoming empty:
    gold uses "NHS" for the NHS as a whole, and an empty key could never match.
    """
    if not name:
        return ""
    text = name.translate(_CURLY).lower()
    text = _POSSESSIVE.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    cleaned = _strip_leading_word(text, "the")
    stripped = _strip_leading_word(cleaned, "nhs")
    stripped = _SPACES.sub(" ", _DESIGNATOR_RE.sub(" ", stripped)).strip()
    return stripped or cleaned


def _normalised_names(names: Iterable[str | None]) -> set[str]:
    return {key for key in map(normalise_org_name, names) if key}


# ---------------------------------------------------------------- gold


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


# ---------------------------------------------------------------- predictions


@dataclass(frozen=True)
class PredictedArticle:
    article_id: str
    source_path: str

    @property
    def gold_key(self) -> str:
        return gold_key_of_source_path(self.source_path)


@dataclass(frozen=True)
class PredictedOrg:
    org_id: str
    name: str
    org_type: str | None = None
    aliases: tuple[str, ...] = ()
    member_org_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PredictedFact:
    fact_id: str
    table: str
    article_id: str
    org_id: str
    scope: str | None
    measure: str | None
    amount_gbp: float | None
    amount_low_gbp: float | None = None
    amount_high_gbp: float | None = None
    fy_start: str | None = None
    fy_end: str | None = None
    horizon_years: int | None = None
    evidence: str | None = None


@dataclass
class Predictions:
    """What the scorer needs from a warehouse, as plain Python values."""

    articles: list[PredictedArticle]
    orgs: dict[str, PredictedOrg]
    mentions: dict[str, set[str]]  # article_id -> org_ids mentioned in it
    facts: list[PredictedFact]

    def names_of(self, org_id: str) -> set[str]:
        """Name and aliases of an org, and for a group those of every member too."""
        org = self.orgs.get(org_id)
        if org is None:
            return set()
        names = {org.name, *org.aliases}
        for member_id in org.member_org_ids:
            member = self.orgs.get(member_id)
            if member is not None:
                names.update({member.name, *member.aliases})
        return names

    def label_of(self, org_id: str) -> str:
        org = self.orgs.get(org_id)
        if org is None:
            return f"<unknown org {org_id}>"
        members = [self.orgs[m].name for m in org.member_org_ids if m in self.orgs]
        return f"{org.name} [{' + '.join(members)}]" if members else org.name


_RECORD_SUFFIX = re.compile(r"#\d+$")


def gold_key_of_source_path(source_path: str) -> str:
    """The gold `article` value a source path stands for: its basename without any `#N`."""
    without_record = _RECORD_SUFFIX.sub("", source_path)
    return re.split(r"[\\/]", without_record)[-1]


_FACT_COLUMNS = ("article_id, org_id, scope, measure, amount_gbp, amount_low_gbp, amount_high_gbp, "
                 "fy_start, fy_end, horizon_years, evidence")


def load_predictions(warehouse: Path) -> Predictions:
    """Read articles, organisations, mentions and facts from <warehouse>/nhs_ledger.duckdb (read-only)."""
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise WarehouseError(f"warehouse folder not found: {warehouse}")
    if not warehouse.is_dir():
        raise WarehouseError(f"warehouse must be a folder holding {WAREHOUSE_DB_NAME}: {warehouse}")
    db_path = warehouse / WAREHOUSE_DB_NAME
    if not db_path.exists():
        raise WarehouseError(f"no {WAREHOUSE_DB_NAME} in {warehouse}; build the warehouse first")
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        # Most often a build still holds the write lock.
        raise WarehouseError(f"cannot open {db_path}: {_first_line(exc)}") from exc
    try:
        return Predictions(
            articles=[PredictedArticle(*row) for row in _query(
                con, "articles", "SELECT article_id, source_path FROM articles ORDER BY article_id")],
            orgs={row[0]: PredictedOrg(row[0], row[1], row[2], tuple(row[3] or ()), tuple(row[4] or ()))
                  for row in _query(con, "organisations",
                                    "SELECT org_id, name, org_type, aliases, member_org_ids FROM organisations")},
            mentions=_mentions_by_article(_query(
                con, "org_mentions", "SELECT DISTINCT article_id, org_id FROM org_mentions")),
            facts=[fact for table, id_column in (("savings", "saving_id"), ("deficits", "deficit_id"))
                   for fact in _load_facts(con, table, id_column)],
        )
    finally:
        con.close()


def _query(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> list[tuple]:
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read table {table} of the warehouse: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _mentions_by_article(rows: list[tuple]) -> dict[str, set[str]]:
    mentions: dict[str, set[str]] = defaultdict(set)
    for article_id, org_id in rows:
        mentions[article_id].add(org_id)
    return dict(mentions)


def _load_facts(con: duckdb.DuckDBPyConnection, table: str, id_column: str) -> list[PredictedFact]:
    rows = _query(con, table, f"SELECT {id_column}, {_FACT_COLUMNS} FROM {table} ORDER BY {id_column}")
    return [
        PredictedFact(
            fact_id=fact_id, table=table, article_id=article_id, org_id=org_id, scope=scope,
            measure=measure, amount_gbp=_float_or_none(amount), amount_low_gbp=_float_or_none(low),
            amount_high_gbp=_float_or_none(high), fy_start=fy_start, fy_end=fy_end,
            horizon_years=None if horizon is None else int(horizon), evidence=evidence,
        )
        for fact_id, article_id, org_id, scope, measure, amount, low, high, fy_start, fy_end, horizon, evidence
        in rows
    ]


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------- report


@dataclass
class TableScores:
    """Counts for one fact table (or both, for `overall`); ratios are None when undefined (0/0)."""

    table: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    duplicates: int = 0  # false positives that match a gold fact another prediction already took
    measure_correct: int = 0
    period_correct: int = 0
    scope_correct: int = 0

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def measure_accuracy(self) -> float | None:
        return _ratio(self.measure_correct, self.tp)

    @property
    def period_accuracy(self) -> float | None:
        return _ratio(self.period_correct, self.tp)

    @property
    def scope_accuracy(self) -> float | None:
        return _ratio(self.scope_correct, self.tp)

    def add(self, other: TableScores) -> None:
        for name in ("tp", "fp", "fn", "duplicates", "measure_correct", "period_correct", "scope_correct"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "precision": self.precision, "recall": self.recall, "f1": self.f1,
            "measure_accuracy": self.measure_accuracy, "period_accuracy": self.period_accuracy,
            "scope_accuracy": self.scope_accuracy,
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class OrgRecall:
    found: int = 0
    total: int = 0

    @property
    def recall(self) -> float | None:
        return _ratio(self.found, self.total)

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "total": self.total, "recall": self.recall}


@dataclass(frozen=True)
class FactView:
    """One gold or predicted fact, as the details view shows it."""

    table: str
    org: str
    measure: str | None
    scope: str | None
    amount_gbp: float | None
    amount_low_gbp: float | None
    amount_high_gbp: float | None
    fy_start: str | None
    fy_end: str | None
    horizon_years: int | None
    evidence: str | None
    fact_id: str | None = None  # predictions only
    duplicate: bool = False  # a false positive that matches an already-matched gold fact


@dataclass(frozen=True)
class Mismatch:
    """A matched pair whose measure, period or scope differ."""

    gold: FactView
    predicted: FactView
    fields: tuple[str, ...]


@dataclass
class ArticleResult:
    article: str
    article_ids: list[str]
    false_negatives: list[FactView] = field(default_factory=list)
    false_positives: list[FactView] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    orgs_not_found: list[str] = field(default_factory=list)

    @property
    def in_warehouse(self) -> bool:
        return bool(self.article_ids)

    @property
    def is_clean(self) -> bool:
        return not (self.false_negatives or self.false_positives or self.mismatches or self.orgs_not_found)


@dataclass
class EvaluationReport:
    tables: dict[str, TableScores]
    overall: TableScores
    org_recall: OrgRecall
    n_gold_articles: int
    missing_articles: list[str]  # gold articles not in the warehouse; their facts count as FN
    unscored_facts: int  # predicted facts in warehouse articles that no gold file covers
    unscored_articles: int
    articles: list[ArticleResult]
    # Gold articles that more than one warehouse article claims (same basename, different content):
    # their predictions are pooled, so a repeated fact counts as a duplicate.
    ambiguous_articles: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, for releases and the benchmark."""
        return {
            "tables": {name: scores.to_dict() for name, scores in self.tables.items()},
            "overall": self.overall.to_dict(),
            "org_recall": self.org_recall.to_dict(),
            "n_gold_articles": self.n_gold_articles,
            "missing_articles": list(self.missing_articles),
            "unscored_facts": self.unscored_facts,
            "unscored_articles": self.unscored_articles,
            "ambiguous_articles": {k: list(v) for k, v in self.ambiguous_articles.items()},
            "articles": [asdict(result) for result in self.articles],
        }


# ---------------------------------------------------------------- matching


def amounts_match(gold: GoldFact, predicted: PredictedFact) -> bool:
    """Within 1% of amount_gbp or an alternate, or both range bounds within 1%."""
    singles = [a for a in (gold.amount_gbp, *gold.alternates) if a is not None]
    if predicted.amount_gbp is not None and any(_close(predicted.amount_gbp, a) for a in singles):
        return True
    return (gold.amount_low is not None and gold.amount_high is not None
            and predicted.amount_low_gbp is not None and predicted.amount_high_gbp is not None
            and _close(predicted.amount_low_gbp, gold.amount_low)
            and _close(predicted.amount_high_gbp, gold.amount_high))


def _close(predicted: float, gold: float) -> bool:
    # The tolerance is relative to the gold figure: gold is the reference.
    return abs(predicted - gold) <= abs(gold) * AMOUNT_TOLERANCE * (1 + _FLOAT_SLACK)


def _period(fact: GoldFact | PredictedFact) -> tuple:
    return (fact.fy_start, fact.fy_end, fact.horizon_years)


def _max_weight_assignment(weights: list[list[int]]) -> list[tuple[int, int]]:
    """Row/column pairs of a maximum-weight assignment; zero weight means "no edge" and is dropped.

    The Hungarian algorithm (O(n^2 m)); articles hold a few dozen facts at most.
    """
    if not weights or not weights[0]:
        return []
    # The algorithm needs no more rows than columns.
    transposed = len(weights) > len(weights[0])
    oriented = [list(column) for column in zip(*weights)] if transposed else weights
    n, m = len(oriented), len(oriented[0])
    cost = [[-w for w in row] for row in oriented]
    u, v = [0] * (n + 1), [0] * (m + 1)
    row_of_column, way = [0] * (m + 1), [0] * (m + 1)
    for row in range(1, n + 1):
        row_of_column[0] = row
        column = 0
        min_slack = [float("inf")] * (m + 1)
        used = [False] * (m + 1)
        while row_of_column[column]:
            used[column] = True
            current_row, delta, next_column = row_of_column[column], float("inf"), 0
            for j in range(1, m + 1):
                if used[j]:
                    continue
                slack = cost[current_row - 1][j - 1] - u[current_row] - v[j]
                if slack < min_slack[j]:
                    min_slack[j], way[j] = slack, column
                if min_slack[j] < delta:
                    delta, next_column = min_slack[j], j
            for j in range(m + 1):
                if used[j]:
                    u[row_of_column[j]] += delta
                    v[j] -= delta
                else:
                    min_slack[j] -= delta
            column = next_column
        while column:
            previous = way[column]
            row_of_column[column] = row_of_column[previous]
            column = previous
    pairs = [(row_of_column[j] - 1, j - 1) for j in range(1, m + 1) if row_of_column[j]]
    pairs = [(j, i) if transposed else (i, j) for i, j in pairs]
    return sorted((i, j) for i, j in pairs if weights[i][j] > 0)


@dataclass
class _BlockResult:
    """The outcome of matching one article's facts of one table."""

    pairs: list[tuple[GoldFact, PredictedFact]]
    unmatched_gold: list[GoldFact]
    unmatched_predicted: list[tuple[PredictedFact, bool]]  # (prediction, is a duplicate)


def _match_block(gold: list[GoldFact], predicted: list[PredictedFact],
                 gold_names: list[set[str]], predicted_names: list[set[str]]) -> _BlockResult:
    """One-to-one matching that maximises matches, then same-measure pairs, then same-period pairs."""
    n = min(len(gold), len(predicted))
    measure_bonus = n + 1  # one more same-measure pair outweighs every same-period pair
    match_base = n * (measure_bonus + 1) + 1  # one more match outweighs every bonus
    edges = [[(g_names & p_names and amounts_match(g, p)) for p, p_names in zip(predicted, predicted_names)]
             for g, g_names in zip(gold, gold_names)]
    weights = [[(match_base + measure_bonus * (g.measure == p.measure) + (_period(g) == _period(p)))
                if edges[i][j] else 0
                for j, p in enumerate(predicted)] for i, g in enumerate(gold)]
    pairs = _max_weight_assignment(weights)
    matched_gold = {i for i, _ in pairs}
    matched_predicted = {j for _, j in pairs}
    return _BlockResult(
        pairs=[(gold[i], predicted[j]) for i, j in pairs],
        unmatched_gold=[g for i, g in enumerate(gold) if i not in matched_gold],
        # In a maximum matching an unmatched prediction can only have edges to matched gold facts.
        unmatched_predicted=[(p, any(edges[i][j] for i in range(len(gold))))
                             for j, p in enumerate(predicted) if j not in matched_predicted],
    )


# ---------------------------------------------------------------- scoring


def score(gold: list[GoldArticle], predictions: Predictions) -> EvaluationReport:
    """Score predictions against gold as GUIDELINES.md "How a prediction is scored" defines."""
    if not gold:
        raise NoGoldArticlesError("the gold files hold no articles")
    ids_by_gold_key = _article_ids_by_gold_key(predictions)
    if not any(article.article in ids_by_gold_key for article in gold):
        raise NoGoldArticlesError(
            f"none of the {len(gold)} gold articles is in the warehouse "
            f"({len(predictions.articles)} articles); were the gold articles ingested?")
    facts_by_article: dict[str, list[PredictedFact]] = defaultdict(list)
    for fact in sorted(predictions.facts, key=lambda f: (f.table, f.fact_id)):
        facts_by_article[fact.article_id].append(fact)

    tables = {table: TableScores(table) for table in FACT_TABLES}
    org_recall = OrgRecall()
    results = []
    scored_ids: set[str] = set()
    for article in gold:
        article_ids = ids_by_gold_key.get(article.article, [])
        scored_ids.update(article_ids)
        predicted = [fact for article_id in article_ids for fact in facts_by_article.get(article_id, [])]
        result = ArticleResult(article=article.article, article_ids=list(article_ids))
        _score_article_facts(article, predicted, predictions, tables, result)
        _score_article_orgs(article, article_ids, predicted, predictions, org_recall, result)
        results.append(result)

    overall = TableScores("overall")
    for scores in tables.values():
        overall.add(scores)
    unscored_ids = {a.article_id for a in predictions.articles} - scored_ids
    return EvaluationReport(
        tables=tables, overall=overall, org_recall=org_recall, n_gold_articles=len(gold),
        missing_articles=[r.article for r in results if not r.in_warehouse],
        unscored_facts=sum(1 for f in predictions.facts if f.article_id not in scored_ids),
        unscored_articles=len(unscored_ids),
        articles=results,
        ambiguous_articles={a.article: ids_by_gold_key[a.article] for a in gold
                            if len(ids_by_gold_key.get(a.article, [])) > 1},
    )


def _article_ids_by_gold_key(predictions: Predictions) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = defaultdict(list)
    for article in sorted(predictions.articles, key=lambda a: a.source_path):
        ids[article.gold_key].append(article.article_id)
    return dict(ids)


def _score_article_facts(article: GoldArticle, predicted: list[PredictedFact], predictions: Predictions,
                         tables: dict[str, TableScores], result: ArticleResult) -> None:
    for table in FACT_TABLES:
        gold_facts = [f for f in article.facts if f.table == table]
        predicted_facts = [f for f in predicted if f.table == table]
        block = _match_block(
            gold_facts, predicted_facts,
            gold_names=[_normalised_names(n for name in f.orgs for n in article.aliases_of(name))
                        for f in gold_facts],
            predicted_names=[_normalised_names(predictions.names_of(f.org_id)) for f in predicted_facts],
        )
        scores = tables[table]
        scores.tp += len(block.pairs)
        scores.fn += len(block.unmatched_gold)
        scores.fp += len(block.unmatched_predicted)
        scores.duplicates += sum(is_duplicate for _, is_duplicate in block.unmatched_predicted)
        for gold_fact, predicted_fact in block.pairs:
            differing = _differing_fields(gold_fact, predicted_fact)
            scores.measure_correct += "measure" not in differing
            scores.period_correct += "period" not in differing
            scores.scope_correct += "scope" not in differing
            if differing:
                result.mismatches.append(Mismatch(
                    _gold_view(gold_fact), _predicted_view(predicted_fact, predictions), differing))
        result.false_negatives += [_gold_view(f) for f in block.unmatched_gold]
        result.false_positives += [_predicted_view(f, predictions, duplicate=d)
                                   for f, d in block.unmatched_predicted]


def _differing_fields(gold: GoldFact, predicted: PredictedFact) -> tuple[str, ...]:
    return tuple(name for name, same in (
        ("measure", gold.measure == predicted.measure),
        ("period", _period(gold) == _period(predicted)),
        ("scope", gold.scope == predicted.scope),
    ) if not same)


def _score_article_orgs(article: GoldArticle, article_ids: list[str], predicted: list[PredictedFact],
                        predictions: Predictions, org_recall: OrgRecall, result: ArticleResult) -> None:
    """Count the article's listed bodies found among the bodies the warehouse says it mentions."""
    mentioned_ids = {org_id for article_id in article_ids for org_id in predictions.mentions.get(article_id, ())}
    mentioned_ids |= {fact.org_id for fact in predicted}
    # names_of includes group members, so a body named only inside a group still counts.
    mentioned = _normalised_names(name for org_id in mentioned_ids for name in predictions.names_of(org_id))
    for org in article.orgs:
        org_recall.total += 1
        if _normalised_names((org.name, *org.aliases)) & mentioned:
            org_recall.found += 1
        else:
            result.orgs_not_found.append(org.name)


def _gold_view(fact: GoldFact) -> FactView:
    return FactView(
        table=fact.table, org=" + ".join(fact.orgs), measure=fact.measure, scope=fact.scope,
        amount_gbp=fact.amount_gbp, amount_low_gbp=fact.amount_low, amount_high_gbp=fact.amount_high,
        fy_start=fact.fy_start, fy_end=fact.fy_end, horizon_years=fact.horizon_years, evidence=fact.evidence,
    )


def _predicted_view(fact: PredictedFact, predictions: Predictions, *, duplicate: bool = False) -> FactView:
    return FactView(
        table=fact.table, org=predictions.label_of(fact.org_id), measure=fact.measure, scope=fact.scope,
        amount_gbp=fact.amount_gbp, amount_low_gbp=fact.amount_low_gbp, amount_high_gbp=fact.amount_high_gbp,
        fy_start=fact.fy_start, fy_end=fact.fy_end, horizon_years=fact.horizon_years, evidence=fact.evidence,
        fact_id=fact.fact_id, duplicate=duplicate,
    )


def evaluate_warehouse(warehouse: Path, gold_paths: Sequence[Path]) -> EvaluationReport:
    """Load the gold files and the warehouse, and score one against the other."""
    gold = load_gold(gold_paths)
    return score(gold, load_predictions(warehouse))


# ---------------------------------------------------------------- rendering

_COLUMNS = ("TP", "FP", "FN", "dup", "precision", "recall", "F1", "measure", "period", "scope")


def render_report(report: EvaluationReport, *, details: bool = False) -> str:
    """A plain-text summary table; with details, per-article errors for debugging the extractor."""
    n_found = report.n_gold_articles - len(report.missing_articles)
    lines = [f"Evaluation against {report.n_gold_articles} gold articles ({n_found} in the warehouse)", ""]
    lines += _score_table(report)
    lines.append("")
    recall = report.org_recall
    lines.append(f"organisation recall: {_fmt_ratio(recall.recall)} "
                 f"({recall.found}/{recall.total} listed bodies found)")
    lines.append(f"not scored: {report.unscored_facts} predicted facts in {report.unscored_articles} "
                 f"warehouse articles that no gold file covers")
    if report.missing_articles:
        lines.append(f"gold articles missing from the warehouse (their facts count as FN): "
                     f"{', '.join(report.missing_articles)}")
    for article, ids in report.ambiguous_articles.items():
        lines.append(f"warning: {article} matches {len(ids)} warehouse articles ({', '.join(ids)}); "
                     f"their predictions are pooled")
    if details:
        lines += _details(report)
    return "\n".join(lines) + "\n"


def _score_table(report: EvaluationReport) -> list[str]:
    header = f"{'table':<10}" + "".join(f"{c:>10}" for c in _COLUMNS)
    rows = [header, "-" * len(header)]
    for scores in (*report.tables.values(), report.overall):
        counts = (scores.tp, scores.fp, scores.fn, scores.duplicates)
        ratios = (scores.precision, scores.recall, scores.f1,
                  scores.measure_accuracy, scores.period_accuracy, scores.scope_accuracy)
        rows.append(f"{scores.table:<10}" + "".join(f"{c:>10}" for c in counts)
                    + "".join(f"{_fmt_ratio(r):>10}" for r in ratios))
    return rows


def _details(report: EvaluationReport) -> list[str]:
    lines: list[str] = []
    for result in report.articles:
        if result.is_clean:
            continue
        where = "NOT IN WAREHOUSE" if not result.in_warehouse else ", ".join(result.article_ids)
        lines += ["", f"== {result.article} ({where})"]
        if result.false_negatives:
            lines.append(f"  missed (FN): {len(result.false_negatives)}")
            lines += [line for fact in result.false_negatives for line in _fact_lines(fact, "-")]
        if result.false_positives:
            lines.append(f"  spurious (FP): {len(result.false_positives)}")
            lines += [line for fact in result.false_positives for line in _fact_lines(fact, "+")]
        if result.mismatches:
            lines.append(f"  matched, but wrong: {len(result.mismatches)}")
            for mismatch in result.mismatches:
                lines += _mismatch_lines(mismatch)
        if result.orgs_not_found:
            lines.append(f"  bodies not found: {'; '.join(result.orgs_not_found)}")
    if not lines:
        lines = ["", "No errors: every gold fact matched, with the right measure, period and scope."]
    return lines


def _fact_lines(fact: FactView, marker: str) -> list[str]:
    note = "  (duplicate of a matched gold fact)" if fact.duplicate else ""
    head = (f"    {marker} {fact.table:<8} {_fmt_amount(fact):>16}  {fact.measure or '?':<9} "
            f"{_fmt_period(fact):<20} {fact.org}{note}")
    return [head, f"        \u201c{fact.evidence or ''}\u201d"]


def _mismatch_lines(mismatch: Mismatch) -> list[str]:
    gold, predicted = mismatch.gold, mismatch.predicted
    parts = []
    if "measure" in mismatch.fields:
        parts.append(f"measure {gold.measure} -> {predicted.measure}")
    if "period" in mismatch.fields:
        parts.append(f"period {_fmt_period(gold)} -> {_fmt_period(predicted)}")
    if "scope" in mismatch.fields:
        parts.append(f"scope {gold.scope} -> {predicted.scope}")
    return [f"    ~ {gold.table:<8} {_fmt_amount(gold):>16}  {gold.org}: {'; '.join(parts)}  (gold -> predicted)",
            f"        \u201c{gold.evidence or ''}\u201d"]


def _fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _fmt_amount(fact: FactView) -> str:
    if fact.amount_gbp is not None:
        return format_gbp(fact.amount_gbp)
    if fact.amount_low_gbp is not None and fact.amount_high_gbp is not None:
        return f"{format_gbp(fact.amount_low_gbp)}-{format_gbp(fact.amount_high_gbp)}"
    return "£?"


def format_gbp(amount: float) -> str:
    """£35m, £7.6m, £6bn, £400,000: the way the articles write sums."""
    for unit, size in (("bn", 1e9), ("m", 1e6)):
        if abs(amount) >= size:
            return f"£{amount / size:.3f}".rstrip("0").rstrip(".") + unit
    return f"£{amount:,.0f}"


def _fmt_period(fact: FactView) -> str:
    if fact.fy_start and fact.fy_end:
        years = fact.fy_start if fact.fy_start == fact.fy_end else f"{fact.fy_start} to {fact.fy_end}"
    elif fact.fy_end:
        years = f"by {fact.fy_end}"
    elif fact.fy_start:
        years = f"from {fact.fy_start}"
    else:
        years = ""
    horizon = f"over {fact.horizon_years} yrs" if fact.horizon_years is not None else ""
    return ", ".join(p for p in (years, horizon) if p) or "no period"
