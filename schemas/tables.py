"""Every table of NHS Ledger, field by field: the code form of CONTRACT.md.

Public tables are the contract; columns may be added but never renamed,
retyped or dropped without a new major version. Staging tables are the
extract layer's per-batch output, internal to the pipeline.
"""

from __future__ import annotations

from schemas.registry import FY_PATTERN, HEX16_PATTERN, Field, ForeignKey, OneOf, Registry, Table

ORG_TYPES = (
    "CCG", "PCT", "SHA", "ICB", "trust", "local authority",
    "national", "professional", "region", "group",
)
SCOPES = ("org", "aggregate")
# How a body of the register was joined to the reference data (ODS), see pipeline/register/matching.py.
MATCH_STATUSES = (
    "matched", "no candidate", "ambiguous", "not an NHS type", "no reference data", "reference only", "collective",
)
SUCCESSION_KINDS = ("ods successor", "ccg to icb", "pct to ccg (inferred from names)")
SAVING_MEASURES = ("target", "potential", "achieved", "shortfall")
DEFICIT_MEASURES = ("forecast", "actual", "planned")
SOURCE_FORMATS = ("txt", "html", "jsonl", "warc")
# Where an article's publication date came from, in the order the reader trusts them (pipeline/ingest/readers.py).
PUBLISHED_ON_SOURCES = ("jsonl", "html_meta", "dateline", "url", "warc_date")
FACT_TABLES = ("savings", "deficits")
# What became of a web archive's record, in the order `warc_records` counts them (pipeline.ingest.warc).
WARC_OUTCOMES = ("read", "off topic", "outside domains", "not html", "redirect", "error status", "other status",
                 "not http", "not a response", "broken")
REJECTION_REASONS = (
    "empty", "binary", "undecodable", "unsupported format", "too large",
    "unreadable record", "duplicate", "outside raw folder", "no text",
)

REGISTRY = Registry()


def _batch() -> Field:
    return Field(
        "batch", "string",
        "The batch folder under the raw directory that the input arrived in (`_root` for files "
        "directly in it; a web archive file is a batch of its own, named by its path); the Parquet "
        "partition key.",
        example="2024-03-week-1",
    )


def _lineage(kind: str) -> tuple[Field, ...]:
    return (
        Field("rule_id", "string", f"Which extraction rule produced this {kind}; see `nhs-ledger rules`.",
              example="saving.plan_to_save"),
        Field("extractor_version", "string", "Version of the extractor that produced it.", example="0.1.0"),
        Field("run_id", "string",
              "The pipeline run that produced it: one batch processed by one code version, "
              "so a rebuild of the same inputs gives the same id; see the `runs` table.",
              pattern=r"^run_[0-9a-f]{16}$"),
    )


def _span(what: str) -> tuple[Field, ...]:
    return (
        Field("char_start", "integer", f"Start of the {what} in the article's `body_text` (0-based, Python slicing).",
              unit="characters", minimum=0),
        Field("char_end", "integer", f"End of the {what} in `body_text` (exclusive).", unit="characters", minimum=0),
    )


def _fact_fields(id_name: str, measures: tuple[str, ...], kind: str) -> tuple[Field, ...]:
    fields: list[Field] = [
        Field(id_name, "string", f"Stable key of the {kind}: the same raw input gives the same key on every build.",
              unique=True, pattern=r"^(sav|def)_[0-9a-f]{16}$"),
        Field("article_id", "string", "The source article.", pattern=HEX16_PATTERN),
        Field("org_id", "string", "The body, or group of bodies, the figure belongs to.", pattern=r"^org_[0-9a-f]{16}$"),
        Field("scope", "string", "`org` for one body or a named list of bodies; `aggregate` for a collective "
              "(a region, a count of bodies, the NHS as a whole).", enum=SCOPES),
        Field("measure", "string", f"What kind of {kind} the figure is; see the data dictionary.", enum=measures),
        Field("amount_gbp", "number", "The stated sum in pounds; null when the text gives a range.",
              nullable=True, unit="GBP", minimum=0, exclusive_minimum=True),
        Field("amount_low_gbp", "number", "Lower bound of a stated range.", nullable=True, unit="GBP",
              minimum=0, exclusive_minimum=True),
        Field("amount_high_gbp", "number", "Upper bound of a stated range.", nullable=True, unit="GBP",
              minimum=0, exclusive_minimum=True),
        Field("qualifier", "string", "A hedge on the amount as written: `more than`, `nearly`, `up to`, ...",
              nullable=True),
        Field("fy_start", "string", "First UK financial year (April to March) the figure covers, `YYYY/YY`.",
              nullable=True, pattern=FY_PATTERN),
        Field("fy_end", "string", "Last UK financial year the figure covers, `YYYY/YY`.",
              nullable=True, pattern=FY_PATTERN),
        Field("horizon_years", "integer", "A horizon stated in years: \"over the next three years\" gives 3.",
              nullable=True, unit="years", minimum=1),
    ]
    if id_name == "saving_id":
        fields.append(Field("parent_saving_id", "string",
                            "The plan total this saving is a component of, when the article states one.",
                            nullable=True, pattern=r"^sav_[0-9a-f]{16}$"))
    fields += [
        Field("evidence", "string", "The sentence, or part of it, that states the figure: "
              "`body_text[char_start:char_end]`."),
        *_span("evidence"),
        Field("amount_text", "string", "The amount as written, e.g. `more than £35m`."),
        Field("period_text", "string", "The period phrase as written, e.g. `by 2020/21`.", nullable=True),
        *_lineage(kind),
        _batch(),
    ]
    return tuple(fields)


REGISTRY.add(Table(
    name="articles",
    description="One row per ingested article: the cleaned text every character offset points into.",
    primary_key=("article_id",),
    key_check="article_id",
    partition_by="batch",
    fields=(
        Field("article_id", "string", "First 16 hex digits of the SHA-256 of the article's raw bytes; stable across runs.",
              unique=True, pattern=HEX16_PATTERN),
        Field("source_path", "string", "Path relative to the raw directory; `#N` appended for the N-th record "
              "(1-based) of a multi-article file.", example="2024-03/pulse.jsonl#2"),
        Field("source_format", "string", "The input's format.", enum=SOURCE_FORMATS),
        Field("url", "string", "The article's URL, when the input carries one.", nullable=True),
        Field("title", "string", "The headline."),
        Field("published_on", "date", "Publication date, when the input carries one: in its metadata, in a date "
              "line at the top of its text or in its URL (see `published_on_source`).", nullable=True),
        Field("body_text", "string", "The cleaned article: headline and body, without reader comments and page "
              "furniture. Every character offset in the dataset points into this."),
        Field("content_sha256", "string", "Full SHA-256 of the raw bytes.", pattern=r"^[0-9a-f]{64}$"),
        Field("n_removed_chars", "integer", "Characters dropped as comments and page furniture.",
              unit="characters", minimum=0),
        Field("run_id", "string", "The run that ingested it.", pattern=r"^run_[0-9a-f]{16}$"),
        # Added after the first release: at the end, so that no column moves.
        Field("published_on_source", "string", "Where `published_on` came from: `jsonl` (the record's `published` "
              "field), `html_meta` (the page's metadata, or a date in its URL as the HTML date finder reads it), "
              "`dateline` (a date line at the top of the text, \"Last Updated: 27 January 2006\", \"Published 14 "
              "March 2016\", a lone date under the headline), `url` (a date the article's URL is built on, "
              "`/2016/mar/14/`), `warc_date` (for a page of a web archive that gives none of these, the date it was "
              "archived); null when no date was found.", nullable=True, enum=PUBLISHED_ON_SOURCES),
        _batch(),
    ),
))

REGISTRY.add(Table(
    name="rejected_inputs",
    description="One row per raw input that could not be read as an article, with the reason.",
    primary_key=("source_path",),
    partition_by="batch",
    fields=(
        Field("source_path", "string", "Path relative to the raw directory (`#N` for the N-th record of a file).",
              unique=True),
        Field("reason", "string", "Why the input was rejected.", enum=REJECTION_REASONS),
        Field("detail", "string", "What exactly was wrong, for a person to act on."),
        Field("content_sha256", "string", "SHA-256 of the raw bytes, when they could be read.", nullable=True,
              pattern=r"^[0-9a-f]{64}$"),
        Field("run_id", "string", "The run that rejected it.", pattern=r"^run_[0-9a-f]{16}$"),
        _batch(),
    ),
))

REGISTRY.add(Table(
    name="warc_records",
    description="One row per web archive file and outcome: how many of the file's records were read as pages "
                "(each an article or a rejected input) and how many were passed over, and why. Every record "
                "of every WARC file is counted in exactly one row.",
    primary_key=("source_path", "outcome"),
    partition_by="batch",
    fields=(
        Field("source_path", "string", "The WARC file, relative to the raw directory.",
              example="cc-news/CC-NEWS-20261101000000-00001.warc.gz"),
        Field("outcome", "string", "What became of the records: `read` (an HTML page with status 200 on an "
              "allowed host that passed the topic test: one row of `articles` or `rejected_inputs` each, with "
              "`source_path` `<file>#<byte offset>`), `off topic` (no pound figure or no NHS word), `outside "
              "domains` (a host not on the allow-list), `not html`, `redirect` (3xx), `error status` (4xx, "
              "5xx), `other status`, `not http` (a response of another protocol), `not a response` (warcinfo, "
              "request, metadata, revisit and resource records), `broken` (the record where the file stopped "
              "being readable: also a row of `rejected_inputs`).", enum=WARC_OUTCOMES),
        Field("n_records", "integer", "How many records had this outcome.", unit="records", minimum=1),
        Field("n_bytes", "big integer", "Their content lengths as the records declare them, summed.", unit="bytes",
              minimum=0),
        Field("run_id", "string", "The run that read the file.", pattern=r"^run_[0-9a-f]{16}$"),
        _batch(),
    ),
))

REGISTRY.add(Table(
    name="organisations",
    description="One row per real-world body (or group of bodies sharing a figure) named in the articles, and "
                "per body they became (see `org_successions`).",
    primary_key=("org_id",),
    key_check="org_id",
    fields=(
        Field("org_id", "string", "Stable key of the body.", unique=True, pattern=r"^org_[0-9a-f]{16}$"),
        Field("name", "string", "Canonical name, e.g. `NHS Salford CCG`."),
        Field("org_type", "string", "What kind of body it is.", enum=ORG_TYPES),
        Field("ods_code", "string", "NHS Organisation Data Service code, where known.", nullable=True),
        Field("aliases", "list[string]", "Every surface form seen for it in the articles."),
        Field("member_org_ids", "list[string]", "For a `group` (bodies that share a figure), its members; "
              "empty otherwise."),
        Field("n_articles", "integer", "Articles that mention it (0 for a body present only as the successor "
              "of one they mention).", minimum=0),
        Field("valid_from", "date", "First day the body existed, from the reference data (ODS open date); "
              "null when the reference data does not say.", nullable=True),
        Field("valid_to", "date", "Last day the body existed: its ODS close date, or the day its kind of body "
              "was abolished (2013-03-31 for PCTs and SHAs, 2022-06-30 for CCGs); null while it exists or when "
              "not known.", nullable=True),
        Field("match_status", "string", "How the body was joined to the reference data: `matched` (it has its "
              "`ods_code`), `no candidate` (no body of its type and name there), `ambiguous` (several, and the "
              "articles' dates could not choose), `not an NHS type` (no ODS codes for it), `no reference data` "
              "(the build loaded none), `reference only` (named in no article: a successor of a body that is), "
              "`collective` (named only as a count or kind of bodies, \"30 trusts\": no one code stands for it).",
              enum=MATCH_STATUSES),
        Field("match_score", "number", "Similarity of the article's name to the reference name matched, 0 to "
              "100: 100 for the same name, the fuzzy score otherwise; for `ambiguous`, the candidates' score.",
              nullable=True, minimum=0),
        Field("match_reason", "string", "The judgement in words: which rule matched which reference name, the "
              "candidates of an ambiguous match, the nearest name of an unmatched one.", nullable=True),
    ),
))

REGISTRY.add(Table(
    name="org_successions",
    description="One row per succession between two bodies of the register: a merger, an acquisition or a "
                "reorganisation, from the reference data, so a body can be followed from PCT to CCG to ICB.",
    primary_key=("predecessor_org_id", "successor_org_id", "effective_on"),
    key_check="(predecessor, successor, effective_on)",
    foreign_keys=(
        ForeignKey(("predecessor_org_id",), "organisations", ("org_id",)),
        ForeignKey(("successor_org_id",), "organisations", ("org_id",)),
    ),
    fields=(
        Field("predecessor_org_id", "string", "The body that ended or passed on its functions.",
              pattern=r"^org_[0-9a-f]{16}$"),
        Field("successor_org_id", "string", "The body that took them over.", pattern=r"^org_[0-9a-f]{16}$"),
        Field("effective_on", "date", "The day the successor took over."),
        Field("kind", "string", "Where the link comes from: `ods successor` (ODS successor file: mergers, "
              "acquisitions), `ccg to icb` (a CCG that ODS keeps as a sub-ICB location of the ICB), `pct to ccg "
              "(inferred from names)` (ODS has no PCT successors: the CCG of the same place that opened the day "
              "after PCTs were abolished).", enum=SUCCESSION_KINDS),
        Field("basis", "string", "What the link rests on, for a person to check."),
    ),
))

REGISTRY.add(Table(
    name="org_mentions",
    description="One row per mention of a body in an article.",
    primary_key=("mention_id",),
    partition_by="batch",
    spans="surface",
    foreign_keys=(
        ForeignKey(("article_id",), "articles", ("article_id",)),
        ForeignKey(("org_id",), "organisations", ("org_id",)),
    ),
    fields=(
        Field("mention_id", "string", "Stable key of the mention.", unique=True, pattern=r"^men_[0-9a-f]{16}$"),
        Field("article_id", "string", "The article it is in.", pattern=HEX16_PATTERN),
        Field("org_id", "string", "The body mentioned.", pattern=r"^org_[0-9a-f]{16}$"),
        Field("surface", "string", "The text as written: `body_text[char_start:char_end]`."),
        *_span("mention"),
        *_lineage("mention"),
        _batch(),
    ),
))

for _name, _id, _measures, _kind in (
    ("savings", "saving_id", SAVING_MEASURES, "saving"),
    ("deficits", "deficit_id", DEFICIT_MEASURES, "deficit"),
):
    REGISTRY.add(Table(
        name=_name,
        description=f"One row per {_kind} fact: a sum a named body (or group) "
                    + ("plans, is set, achieves or misses in savings." if _kind == "saving"
                       else "expects, reports or plans to overspend."),
        primary_key=(_id,),
        key_check=_id,
        partition_by="batch",
        spans="evidence",
        foreign_keys=(
            ForeignKey(("article_id",), "articles", ("article_id",)),
            ForeignKey(("org_id",), "organisations", ("org_id",)),
        ) + ((ForeignKey(("parent_saving_id",), "savings", ("saving_id",)),) if _kind == "saving" else ()),
        fields=_fact_fields(_id, _measures, _kind),
    ))

REGISTRY.add(Table(
    name="fact_evidence",
    description="One row per statement of a fact: a fact stated again (even rounded differently) is one row of "
                "`savings` or `deficits` and one row here for each statement, so lineage loses nothing.",
    primary_key=("fact_id", "amount_char_start"),
    partition_by="batch",
    spans="evidence",
    foreign_keys=(ForeignKey(("article_id",), "articles", ("article_id",)),),
    checked_references=(OneOf("fact_id", FACT_TABLES, "facts"),),
    fields=(
        Field("fact_id", "string", "The fact stated: a `saving_id` or a `deficit_id`.",
              pattern=r"^(sav|def)_[0-9a-f]{16}$"),
        Field("fact_table", "string", "`savings` or `deficits`.", enum=FACT_TABLES),
        Field("article_id", "string", "The article the statement is in.", pattern=HEX16_PATTERN),
        Field("evidence", "string", "The statement: `body_text[char_start:char_end]`."),
        *_span("statement"),
        Field("amount_text", "string", "The amount as this statement writes it."),
        Field("amount_char_start", "integer", "Where the amount starts in `body_text` (one sentence can state a "
              "figure twice).", unit="characters", minimum=0),
        Field("amount_char_end", "integer", "Where the amount ends in `body_text` (exclusive).", unit="characters",
              minimum=0),
        Field("is_primary", "boolean", "True for the statement the fact's row carries (its most precise)."),
        _batch(),
    ),
))

REGISTRY.add(Table(
    name="figures",
    description="One row per body, financial year, fact table and measure: the figure the press reported, "
                "reconciled from every claim of it (a deficit repeated by five articles is one figure with five "
                "claims). Claims with no financial year and components of a savings plan are not figures; they "
                "stay in `savings` and `deficits`. How the best value is chosen: `nhs-ledger rules` (layer "
                "`figure`) and the README.",
    primary_key=("figure_id",),
    key_check="figure_id",
    foreign_keys=(ForeignKey(("org_id",), "organisations", ("org_id",)),),
    checked_references=(OneOf("best_fact_id", FACT_TABLES, "facts"),),
    fields=(
        Field("figure_id", "string", "Stable key: from the body, table, measure, years and scope, so the same "
              "figure keeps its id on every build.", unique=True, pattern=r"^fig_[0-9a-f]{16}$"),
        Field("org_id", "string", "The body, or group of bodies, the figure belongs to.",
              pattern=r"^org_[0-9a-f]{16}$"),
        Field("org_name", "string", "The body's name, as in `organisations` (here to read and filter the "
              "figures without a join)."),
        Field("org_type", "string", "The body's type, as in `organisations`.", enum=ORG_TYPES),
        Field("fact_table", "string", "Where its claims are: `savings` or `deficits`.", enum=FACT_TABLES),
        Field("measure", "string", "The claims' measure (see `savings` and `deficits`).",
              enum=SAVING_MEASURES + DEFICIT_MEASURES),
        Field("fy_start", "string", "First financial year, `YYYY/YY`, as the claims give it.", nullable=True,
              pattern=FY_PATTERN),
        Field("fy_end", "string", "Last financial year, `YYYY/YY` (at least one of the two is set).",
              nullable=True, pattern=FY_PATTERN),
        Field("scope", "string", "`org` or `aggregate`, as in the fact tables.", enum=SCOPES),
        Field("amount_gbp", "number", "The best value: the amount of the claim `best_fact_id` (see `rule_id`); "
              "null when that claim states a range.", nullable=True, unit="GBP", minimum=0,
              exclusive_minimum=True),
        Field("amount_low_gbp", "number", "Lower bound, when the best claim states a range.", nullable=True,
              unit="GBP", minimum=0, exclusive_minimum=True),
        Field("amount_high_gbp", "number", "Upper bound, when the best claim states a range.", nullable=True,
              unit="GBP", minimum=0, exclusive_minimum=True),
        Field("qualifier", "string", "The best claim's hedge (`more than`, `nearly`, ...).", nullable=True),
        Field("n_reports", "integer", "Claims behind the figure: the length of `fact_ids`.", minimum=1),
        Field("n_articles", "integer", "Articles those claims come from.", minimum=1),
        Field("min_gbp", "number", "Smallest amount any claim states (a range counts at its lower bound).",
              unit="GBP", minimum=0, exclusive_minimum=True),
        Field("max_gbp", "number", "Largest amount any claim states (a range counts at its upper bound).",
              unit="GBP", minimum=0, exclusive_minimum=True),
        Field("first_reported_on", "date", "Publication date of the earliest dated claim; null when no claim's "
              "article is dated.", nullable=True),
        Field("last_reported_on", "date", "Publication date of the latest dated claim.", nullable=True),
        Field("disagreement", "number", "How far the claims disagree: `(max_gbp - min_gbp) / max_gbp`, 0 when "
              "they all state one amount.", minimum=0),
        Field("disputed", "boolean", "True when `disagreement` is over 0.1: the claims differ by more than a "
              "tenth, which rounding does not explain (a revised forecast, a different basis, or a misreport); "
              "read them (`fact_ids`) before using the figure."),
        Field("best_fact_id", "string", "The claim the best value comes from: a `saving_id` or `deficit_id`.",
              pattern=r"^(sav|def)_[0-9a-f]{16}$"),
        Field("fact_ids", "list[string]", "Every claim behind the figure, sorted: `saving_id`s or `deficit_id`s, "
              "each with its sentence, article and run."),
        Field("rule_id", "string", "The rule that chose the best value; see `nhs-ledger rules`.",
              example="figure.latest_report"),
    ),
))

REGISTRY.add(Table(
    name="runs",
    description="One row per pipeline run: one batch of inputs processed by one code version.",
    primary_key=("run_id",),
    key_check="run_id",
    fields=(
        Field("run_id", "string", "Derived from the code version and the batch's inputs, so the same inputs "
              "give the same id.", unique=True, pattern=r"^run_[0-9a-f]{16}$"),
        Field("batch", "string", "The batch folder processed."),
        Field("dagster_run_id", "string", "The Dagster run that executed it last.", nullable=True),
        Field("started_at", "datetime", "When processing of the batch started (UTC)."),
        Field("finished_at", "datetime", "When the run's tables were written (UTC)."),
        Field("code_version", "string", "Version of NHS Ledger."),
        Field("extractor_version", "string", "Version of the extractor."),
        Field("inputs_seen", "integer", "Raw inputs (files and records of multi-article files) in the batch.",
              minimum=0),
        Field("articles_written", "integer", "Rows written to `articles`.", minimum=0),
        Field("rejected_written", "integer", "Rows written to `rejected_inputs`.", minimum=0),
        Field("org_mentions_written", "integer", "Rows written to `org_mentions`.", minimum=0),
        Field("savings_written", "integer", "Rows written to `savings`.", minimum=0),
        Field("deficits_written", "integer", "Rows written to `deficits`.", minimum=0),
    ),
))

# ---- staging: the extract layer's output, before bodies are resolved to org_ids ----

REGISTRY.add(Table(
    name="mention_candidates",
    description="One row per organisation mention found by the extractor, keyed by an article-independent "
                "org key that the resolve step maps to an org_id.",
    primary_key=("mention_id",),
    partition_by="batch",
    public=False,
    fields=(
        Field("mention_id", "string", "Stable key of the mention.", unique=True, pattern=r"^men_[0-9a-f]{16}$"),
        Field("article_id", "string", "The article it is in.", pattern=HEX16_PATTERN),
        Field("org_key", "string", "Normalised key of the body: `<org_type>:<normalised name>`."),
        Field("org_name", "string", "The fullest name of the body seen in the article."),
        Field("org_type", "string", "What kind of body it is.", enum=ORG_TYPES),
        Field("surface", "string", "The text as written."),
        *_span("mention"),
        *_lineage("mention"),
        _batch(),
    ),
))

REGISTRY.add(Table(
    name="fact_candidates",
    description="One row per saving or deficit fact found by the extractor, before its body is resolved.",
    primary_key=("fact_id",),
    partition_by="batch",
    public=False,
    fields=(
        Field("fact_id", "string", "Stable key; becomes `saving_id` or `deficit_id`.", unique=True,
              pattern=r"^(sav|def)_[0-9a-f]{16}$"),
        Field("fact_table", "string", "Which table the fact belongs to.", enum=FACT_TABLES),
        Field("article_id", "string", "The source article.", pattern=HEX16_PATTERN),
        Field("org_key", "string", "Normalised key of the body or group the figure belongs to."),
        Field("org_name", "string", "Its name as the article gives it."),
        Field("org_type", "string", "Its type.", enum=ORG_TYPES),
        Field("member_org_keys", "list[string]", "For a group, the keys of its members."),
        Field("member_names", "list[string]", "For a group, its members' names, in the same order."),
        Field("member_types", "list[string]", "For a group, its members' types, in the same order."),
        Field("scope", "string", "`org` or `aggregate`.", enum=SCOPES),
        Field("measure", "string", "The measure.", enum=SAVING_MEASURES + DEFICIT_MEASURES),
        Field("amount_gbp", "number", "The stated sum.", nullable=True, unit="GBP", minimum=0, exclusive_minimum=True),
        Field("amount_low_gbp", "number", "Range low.", nullable=True, unit="GBP", minimum=0, exclusive_minimum=True),
        Field("amount_high_gbp", "number", "Range high.", nullable=True, unit="GBP", minimum=0, exclusive_minimum=True),
        Field("qualifier", "string", "Hedge on the amount.", nullable=True),
        Field("fy_start", "string", "First financial year.", nullable=True, pattern=FY_PATTERN),
        Field("fy_end", "string", "Last financial year.", nullable=True, pattern=FY_PATTERN),
        Field("horizon_years", "integer", "Horizon in years.", nullable=True, minimum=1),
        Field("parent_fact_id", "string", "The plan total this is a component of.", nullable=True),
        Field("evidence", "string", "`body_text[char_start:char_end]`."),
        *_span("evidence"),
        Field("amount_text", "string", "The amount as written."),
        Field("period_text", "string", "The period as written.", nullable=True),
        *_lineage("fact"),
        _batch(),
    ),
))

REGISTRY.add(Table(
    name="org_keys",
    description="One row per normalised org key seen by the extractor, with the org_id the register gave it.",
    primary_key=("org_key",),
    public=False,
    fields=(
        Field("org_key", "string", "Normalised key of a body as the extractor names it.", unique=True),
        Field("org_id", "string", "The body in `organisations`.", pattern=r"^org_[0-9a-f]{16}$"),
    ),
))

REGISTRY.add(Table(
    name="reference_organisations",
    description="One row per name of a body in the reference data the build loaded (ODS extracts the user "
                "supplied): what the register matched against. Internal: releases never ship third-party data.",
    primary_key=("ods_code", "name_rank"),
    public=False,
    fields=(
        Field("ods_code", "string", "The body's ODS code."),
        Field("name", "string", "One of its names, title-cased, with the type word a short ONS name leaves out."),
        Field("org_type", "string", "Its type.", enum=ORG_TYPES),
        Field("valid_from", "date", "First day it existed, when the files say.", nullable=True),
        Field("valid_to", "date", "Last day it existed, when known.", nullable=True),
        Field("icb_code", "string", "For a CCG kept as a sub-ICB location, its ICB.", nullable=True),
        Field("source_file", "string", "The file the name comes from."),
        Field("name_inferred", "boolean", "True for a name the files imply but do not write (see "
              "pipeline/register/reference.py)."),
        Field("name_rank", "integer", "0 for the name shown first (ODS's own, latest), then the others.",
              minimum=0),
    ),
))

# The id column of each fact table (its primary key), for the code that handles savings and deficits alike.
FACT_ID_COLUMNS = {name: REGISTRY[name].primary_key[0] for name in FACT_TABLES}
