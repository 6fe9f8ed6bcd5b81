"""The release's `README.md`: what is in it, how to check and open it, and a data dictionary.

The dictionary is generated from the same table definitions as `datapackage.json`
(so from `schemas/`): every table with what one row is, every column with its
type, nullability, unit, description and allowed values. The prose around it
(financial years, the measures, scope, the press caveat) restates the
annotation guidelines for a reader who has never seen the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.release.datapackage import LICENCE_NOTE, LICENSE
from schemas.registry import Field, Table
from schemas.types import TYPES

SCORE_COLUMNS = (("precision", "precision"), ("recall", "recall"), ("f1", "F1"),
                 ("measure_accuracy", "measure accuracy"), ("period_accuracy", "period accuracy"),
                 ("scope_accuracy", "scope accuracy"))


@dataclass(frozen=True)
class ReadmeInputs:
    version: str
    created: str | None  # ISO timestamp of the newest run in the warehouse
    code_version: str  # the code that built the data (from the runs)
    scores_code_version: str  # the code that cut the release and scored the devset
    tables: list[tuple[Table, str, int]]  # (released table, path, rows), in package order
    previous_version: str | None
    change_counts: dict[str, dict[str, int]]  # table -> change kind -> rows
    scores: dict | None
    scores_note: str  # why there are no scores, when there are none
    include_body_text: bool
    tarball_name: str
    match_rates: dict[str, dict[str, float]] = field(default_factory=dict)  # from pipeline.register.report
    # The release's other files for people to open (the SQLite edition, the report): (path, what it is).
    editions: list[tuple[str, str]] = field(default_factory=list)


def render_readme(inputs: ReadmeInputs) -> str:
    sections = [
        _title(inputs), _contents(inputs), _verify(inputs), _open(inputs), _row_counts(inputs),
        _concepts(), _scores(inputs), _register(inputs), _changes(inputs), _dictionary(inputs), _licence(),
    ]
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _title(inputs: ReadmeInputs) -> str:
    created = f", built from warehouse runs up to {inputs.created}" if inputs.created else ""
    return f"""# NHS Ledger {inputs.version}

NHS savings plans, savings achieved or missed, and deficits, as reported in UK news articles: which NHS
body (or group of bodies) plans to save how much, which are heading for or carrying a deficit, with the
organisations they belong to and, for every figure, the sentence that states it and the article it is in.

Release {inputs.version}{created}; NHS Ledger code {inputs.code_version}.

**Figures are as reported by the press, not audited accounts.** A figure may be a plan, a forecast or a
journalist's summary, may be superseded by a later article, and may be wrong where the article is wrong.
Every fact row carries its `evidence` sentence and its article's `url` and `title`, so each figure can be
checked at its source before it is relied on."""


def _contents(inputs: ReadmeInputs) -> str:
    lines = ["## What is in this release", "", "| file | what it is |", "| --- | --- |"]
    for table, path, _ in inputs.tables:
        lines.append(f"| `{path}` | {_cell(table.description)} |")
    lines += [f"| `{path}` | {_cell(what)} |" for path, what in inputs.editions]
    lines += [
        "| `datapackage.json` | Frictionless Data Package: every resource's schema, keys, checksum and size |",
        "| `CHANGES.md` | what changed since the previous release |",
    ]
    if inputs.scores is not None:
        lines.append("| `scores.json` | the extractor's scores on the project's hand-annotated devset |")
    lines += ["| `SHA256SUMS` | SHA-256 of every other file |", "| `README.md` | this file |", ""]
    if not inputs.include_body_text:
        lines.append("The articles' full text (`articles.body_text`) is **not** in this release: the articles "
                     "belong to their publishers. Each article keeps its URL, title, publication date and the "
                     "SHA-256 of the page as collected; each fact keeps the sentence that states it, and "
                     "`char_start`/`char_end` locate that sentence in the article's cleaned text.")
    else:
        lines.append("This release includes the articles' full cleaned text (`articles.body_text`); the "
                     "articles belong to their publishers, see the licence below.")
    return "\n".join(lines)


def _verify(inputs: ReadmeInputs) -> str:
    return f"""## Checking the files

```sh
sha256sum -c SHA256SUMS            # Linux; on macOS: shasum -a 256 -c SHA256SUMS
```

Every line must say `OK`. The archive `{inputs.tarball_name}` is published with its own checksum beside it
(`{inputs.tarball_name}.sha256`); it unpacks to this folder, and the same release always gives the same
archive bytes.

`datapackage.json` (a [Frictionless Data Package](https://datapackage.org/)) repeats each data file's size
and SHA-256 and describes every column: type, constraints, primary and foreign keys. Before a release is
published, the `frictionless` library validates the descriptor, and every data file is checked against it a
column at a time with pyarrow: sizes and checksums, types, every constraint, the primary and foreign keys.
To have frictionless itself read every row, run `python -m pipeline.release.validate <release folder>` in the
NHS Ledger project; it reads Parquet through a small plugin, because frictionless 5's own Parquet reader goes
through pandas, which fails on list columns such as `organisations.aliases` and checks no checksum."""


def _open(inputs: ReadmeInputs) -> str:
    views = "\n".join(f"CREATE VIEW {table.name} AS FROM 'data/{table.name}.parquet';" for table, _, _ in inputs.tables)
    return f"""## Opening the data

DuckDB, from this folder:

```sql
{views}

SELECT o.name, s.measure, s.amount_gbp, s.fy_start, s.fy_end, s.evidence, a.url
FROM savings s JOIN organisations o USING (org_id) JOIN articles a USING (article_id)
ORDER BY s.amount_gbp DESC NULLS LAST;
```

polars:

```python
import polars as pl

savings = pl.read_parquet("data/savings.parquet")
organisations = pl.read_parquet("data/organisations.parquet")
savings.join(organisations.select("org_id", "name"), on="org_id").group_by("name").agg(pl.len())
```

pandas reads the same files with `pandas.read_parquet`. Rows in every file are sorted by the table's
primary key.{_browse(inputs)}"""


def _browse(inputs: ReadmeInputs) -> str:
    paths = {path for path, _ in inputs.editions}
    text = ""
    if "data/nhs_ledger.sqlite" in paths:
        text += """

In a web page, with [Datasette](https://datasette.io/) (`pip install datasette`), from this folder:

```sh
datasette serve --immutable data/nhs_ledger.sqlite --metadata datasette.json   # http://127.0.0.1:8001/
```

`figures` is the place to start; the cookbook's queries are on the database page. Any SQLite client reads the
file too."""
    if "report/index.html" in paths:
        text += """

`report/index.html` is a static report (charts, and a page per body with every claim and its source) that opens
in a browser with no network."""
    return text


def _row_counts(inputs: ReadmeInputs) -> str:
    lines = ["## Rows per table", "", "| table | rows |", "| --- | ---: |"]
    lines += [f"| `{table.name}` | {rows} |" for table, _, rows in inputs.tables]
    return "\n".join(lines)


def _concepts() -> str:
    return """## What the figures mean

**UK financial year.** NHS bodies account from 1 April to 31 March. A financial year is written `YYYY/YY`:
`2016/17` runs from 1 April 2016 to 31 March 2017. `fy_start` and `fy_end` are the first and last
financial years a figure covers; "in 2014/15" sets both, "by 2020/21" sets only `fy_end`, "between 2011/12
and 2014/15" sets the two ends. A horizon stated in years ("over the next three years") is `horizon_years`.
A figure with no stated or inferable period leaves all three empty: "this year" is only filled in when the
article fixes which year it means.

**Amounts** are in pounds as stated, not adjusted for inflation: £7.6m is 7600000. A range ("£34-37m") has
`amount_low_gbp` and `amount_high_gbp` and no `amount_gbp`. A hedge ("more than", "nearly", "up to") is in
`qualifier`; the amount stays the number stated. A figure stated several times with different rounding is
one fact carrying the most precise amount; `fact_evidence` keeps every statement of it.

**Savings** (`savings`) are sums a named body, or a named group of bodies, plans, is required, hopes or
claims to save, cut or recover from its spending, and the parts of such sums delivered or missed. A
component of a plan ("£7.6m from emergency admissions") is its own row, pointing at the plan's total
through `parent_saving_id`. `measure` says which kind of figure it is:

| measure | meaning |
| --- | --- |
| `target` | a saving the body must make, plans, aims for or has agreed to: the plan or the requirement |
| `potential` | a saving found to be possible but not committed ("could save £2.9m"), including what a programme is forecast to deliver and savings identified against a requirement |
| `achieved` | a saving already delivered, or spending already cut |
| `shortfall` | the gap to a savings target: savings missed, behind plan, or not yet identified. "£5.8m behind on its £14m target" is two rows, a £5.8m `shortfall` and a £14m `target` |

**Deficits** (`deficits`) are sums by which a named body's spending exceeds, or is expected to exceed, its
income or allocation, overall: an overspend on one budget line, or a variance against plan, is not a
deficit of the body.

| measure | meaning |
| --- | --- |
| `forecast` | a deficit predicted, projected or expected for a period |
| `actual` | a deficit reported as the outturn or as already existing, including year-to-date and underlying deficits |
| `planned` | a deficit the body has agreed to run: its own financial plan, or a control total agreed with a regulator |

A forecast that is later revised is two rows, one per article statement; nothing here says which figure
superseded which, beyond the articles' dates.

**Scope.** `org`: the figure belongs to one body, or to a named list of bodies that share it (then an
`organisations` row of type `group` whose `member_org_ids` are the members). `aggregate`: the figure is for
a collective, such as "PCTs across the East Midlands SHA area", "95 CCGs", a region or the NHS as a whole;
it is attached to an organisation of type `group`, `region` or `national` standing for that collective.
Do not add `aggregate` figures to the `org` figures of the bodies they cover: they overlap.

**Lineage.** Every fact points to its article (`article_id`) and the characters that state it
(`char_start`, `char_end`, `evidence`), to the extraction rule (`rule_id`, `extractor_version`) and to the
run that produced it (`run_id`, a row of `runs`)."""


def _scores(inputs: ReadmeInputs) -> str:
    if inputs.scores is None:
        return f"## Extraction quality\n\nNo devset scores in this release: {inputs.scores_note}"
    scores = inputs.scores
    header = "| table | " + " | ".join(label for _, label in SCORE_COLUMNS) + " | TP | FP | FN |"
    lines = [
        "## Extraction quality",
        "",
        f"NHS Ledger code {inputs.scores_code_version}"
        + ("" if inputs.scores_code_version == inputs.code_version
           else f" (the data were built by {inputs.code_version})")
        + f", run on the project's devset ({scores.get('n_gold_articles')} "
        "articles annotated by hand under the project's guidelines) and scored fact by fact: a fact matches "
        "when its table, organisation and amount (within 1%) agree; measure, period and scope accuracy are "
        "over the matched facts. Details per article are in `scores.json`.",
        "",
        header,
        "|" + " --- |" * (len(SCORE_COLUMNS) + 1) + " ---: | ---: | ---: |",
    ]
    rows = [*scores.get("tables", {}).items(), ("overall", scores.get("overall", {}))]
    for name, table_scores in rows:
        values = " | ".join(_ratio(table_scores.get(key)) for key, _ in SCORE_COLUMNS)
        counts = " | ".join(str(table_scores.get(key, "")) for key in ("tp", "fp", "fn"))
        lines.append(f"| {name} | {values} | {counts} |")
    recall = scores.get("org_recall", {})
    lines += ["", f"Organisation recall: {_ratio(recall.get('recall'))} ({recall.get('found')} of "
                  f"{recall.get('total')} bodies the annotators listed). Expect lower scores on publications "
                  "the devset does not cover."]
    return "\n".join(lines)


def _register(inputs: ReadmeInputs) -> str:
    """How many NHS bodies carry an ODS code, per type: users joining on `ods_code` need the unmatched rate."""
    rates = inputs.match_rates
    if not rates.get("all", {}).get("bodies"):
        return "## Organisation register\n\nNo NHS bodies (CCG, PCT, SHA, ICB, trust) in this release."
    lines = [
        "## Organisation register",
        "",
        "Share of the NHS bodies named in the articles that carry an ODS code (join on `organisations.ods_code`). "
        "Bodies without one keep the reason in `match_status` and `match_reason`; the register is matched to ODS "
        "only when reference extracts were loaded for the build.",
        "",
        "| type | bodies | with ODS code | rate |",
        "| --- | --- | --- | --- |",
    ]
    for org_type, rate in rates.items():
        label = "all NHS types" if org_type == "all" else org_type
        lines.append(f"| {label} | {rate['bodies']} | {rate['with_ods_code']} | {rate['rate']:.0%} |")
    return "\n".join(lines)


def _changes(inputs: ReadmeInputs) -> str:
    if inputs.previous_version is None:
        return "## Changes\n\nThe first release: there is no previous release to compare with (see `CHANGES.md`)."
    parts = []
    for table, counts in inputs.change_counts.items():
        parts.append(f"`{table}` {counts.get('added', 0)} added, {counts.get('removed', 0)} removed, "
                     f"{counts.get('changed', 0)} changed")
    return (f"## Changes\n\nSince {inputs.previous_version}: " + "; ".join(parts)
            + ". Details, and how rows are matched, in `CHANGES.md`.")


def _dictionary(inputs: ReadmeInputs) -> str:
    lines = ["## Data dictionary"]
    for table, path, _ in inputs.tables:
        lines += ["", f"### `{table.name}`", "", table.description, "",
                  f"File `{path}`; primary key " + ", ".join(f"`{c}`" for c in table.primary_key) + "."]
        for fk in table.foreign_keys:
            lines.append(f"`{', '.join(fk.fields)}` refers to `{fk.table}.{', '.join(fk.reference_fields)}`.")
        lines += ["", "| column | type | nullable | unit | description | allowed values |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [_column_row(f) for f in table.fields]
    return "\n".join(lines)


def _column_row(field: Field) -> str:
    return (f"| `{field.name}` | {TYPES[field.type].described} | {'yes' if field.nullable else 'no'} | "
            f"{field.unit or ''} | {_cell(field.description)} | {_cell(_allowed(field))} |")


def _allowed(field: Field) -> str:
    rules = []
    if field.enum:
        rules.append(", ".join(f"`{value}`" for value in field.enum))
    if field.pattern:
        rules.append(f"matches `{field.pattern}`")
    if field.minimum is not None:
        bound = int(field.minimum) if float(field.minimum).is_integer() else field.minimum
        rules.append(f"{'>' if field.exclusive_minimum else '>='} {bound}")
    if field.unique:
        rules.append("unique")
    return "; ".join(rules)


def _licence() -> str:
    return f"""## Licence

Data: [{LICENSE['title']}]({LICENSE['path']}) (`{LICENSE['name']}`). Credit "NHS Ledger" and link to the
release you used. {LICENCE_NOTE}"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _ratio(value: object) -> str:
    return "-" if value is None else f"{value:.3f}"
