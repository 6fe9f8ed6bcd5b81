"""The README's SQL cookbook as Datasette canned queries, in SQLite's dialect.

Each has the title of its cookbook entry (tests/test_browse.py holds the two lists together); where DuckDB's
SQL has no SQLite form (QUALIFY, ILIKE, list functions, `IS NOT DISTINCT FROM`), the query says the same in
SQLite's words. A `:name` in the SQL is a parameter Datasette asks for in a form. The cookbook's question about
the last release reads the release's files, which no SQLite query can; it has no canned query.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CannedQuery:
    name: str  # its address: /nhs_ledger/<name>
    title: str  # the cookbook entry's title, less its number
    sql: str
    description: str = ""


CANNED_QUERIES = (
    CannedQuery("largest_deficits_by_year", "The largest deficits of each financial year", """
SELECT financial_year, org_name, measure, deficit_gbp_m, title
FROM (
  SELECT fy_end AS financial_year, org_name, measure, round(amount_gbp / 1e6, 1) AS deficit_gbp_m, title,
         row_number() OVER (PARTITION BY fy_end ORDER BY amount_gbp DESC NULLS LAST) AS rank
  FROM facts
  WHERE fact_table = 'deficits' AND fy_end IS NOT NULL
)
WHERE rank <= 3
ORDER BY financial_year, deficit_gbp_m DESC"""),
    CannedQuery("figures_for_one_body", "Every figure for one body, with its sources", """
SELECT f.fact_table, f.measure, f.amount_gbp, f.fy_start, f.fy_end, f.evidence, f.title, f.url
FROM facts f JOIN organisations o USING (org_id)
WHERE o.name LIKE '%' || :body || '%'
   OR EXISTS (SELECT 1 FROM json_each(o.aliases) WHERE value LIKE '%' || :body || '%')
ORDER BY f.fy_end, f.fact_table, f.amount_gbp DESC""", "Part of a body's name or of a name the press uses, "
                "e.g. Stockport."),
    CannedQuery("shortfalls_with_targets", "Savings targets missed: shortfalls, with the target they were "
                "measured against", """
SELECT o.name, s.fy_end, s.amount_gbp AS shortfall_gbp, t.amount_gbp AS target_gbp, s.evidence
FROM savings s
JOIN organisations o USING (org_id)
LEFT JOIN savings t ON t.article_id = s.article_id AND t.org_id = s.org_id AND t.measure = 'target'
                   AND t.fy_end IS s.fy_end AND t.parent_saving_id IS NULL
WHERE s.measure = 'shortfall'
ORDER BY shortfall_gbp DESC"""),
    CannedQuery("bodies_by_type", "Bodies by type", """
SELECT org_type, count(*) AS bodies, sum(n_articles) AS article_mentions, count(ods_code) AS with_ods_code
FROM organisations
GROUP BY org_type
ORDER BY bodies DESC"""),
    CannedQuery("fact_lineage", "From a fact back to its sentence, article, raw file and run", """
SELECT d.deficit_id, d.evidence, d.char_start, d.char_end, a.title, a.url, a.source_path, a.content_sha256,
       r.batch, r.started_at, r.code_version, d.rule_id
FROM deficits d JOIN articles a USING (article_id) JOIN runs r ON r.run_id = d.run_id
ORDER BY d.amount_gbp DESC
LIMIT 5"""),
    CannedQuery("finances_by_year", "Each body's finances by year", """
SELECT org_name, fy, savings_target_gbp, savings_achieved_gbp, savings_shortfall_gbp,
       latest_deficit_gbp, latest_deficit_measure
FROM org_finances
WHERE fy IS NOT NULL
ORDER BY org_name, fy"""),
    CannedQuery("plan_components", "Plans and their components", """
SELECT o.name, p.amount_gbp AS plan_total_gbp, c.amount_gbp AS component_gbp, c.evidence AS component
FROM savings c
JOIN savings p ON p.saving_id = c.parent_saving_id
JOIN organisations o ON o.org_id = p.org_id
ORDER BY o.name, component_gbp DESC"""),
    CannedQuery("rejected_inputs", "Inputs that could not be read, and why", """
SELECT batch, source_path, reason, detail FROM rejected_inputs ORDER BY batch, source_path"""),
    CannedQuery("successions", "Follow a body through the reorganisations: PCT to CCG to ICB", """
WITH RECURSIVE chain(start_name, org_id, depth, effective_on, kind) AS (
    SELECT name, org_id, 0, NULL, NULL FROM organisations
    WHERE name LIKE '%' || :body || '%' AND org_type IN ('PCT', 'CCG', 'ICB', 'SHA', 'trust')
  UNION ALL
    SELECT c.start_name, s.successor_org_id, c.depth + 1, s.effective_on, s.kind
    FROM chain c JOIN org_successions s ON s.predecessor_org_id = c.org_id
    WHERE c.depth < 10
)
SELECT c.start_name, c.depth, o.name, o.org_type, o.ods_code, o.valid_from, o.valid_to, c.effective_on, c.kind
FROM chain c JOIN organisations o USING (org_id)
ORDER BY c.start_name, c.depth""", "Part of a body's name, e.g. Salford."),
    CannedQuery("bodies_without_ods_code", "NHS bodies without an ODS code, and why", """
SELECT org_type, name, match_status, match_reason, n_articles
FROM organisations
WHERE org_type IN ('CCG', 'PCT', 'SHA', 'ICB', 'trust') AND ods_code IS NULL AND n_articles > 0
ORDER BY org_type, name"""),
    CannedQuery("figure_for_body_and_year", "One figure per body and year: what a body reported", """
SELECT org_name, fy_end AS financial_year, fact_table, measure, amount_gbp, n_reports, n_articles, min_gbp,
       max_gbp, disputed, rule_id, last_reported_on
FROM figures
WHERE org_name LIKE '%' || :body || '%'
ORDER BY financial_year, fact_table, measure""", "Part of a body's name, e.g. Bedfordshire."),
    CannedQuery("how_a_figure_moved", "How a figure moved: every claim of it, oldest first", """
SELECT g.org_name, g.fy_end AS financial_year, g.measure, f.amount_gbp, f.qualifier, f.published_on, f.title,
       f.evidence, f.fact_id = g.best_fact_id AS is_best
FROM figures g, json_each(g.fact_ids) j JOIN facts f ON f.fact_id = j.value
ORDER BY g.n_reports DESC, g.org_name, g.fy_end, g.measure, f.published_on"""),
    CannedQuery("figures_that_disagree", "Figures whose claims disagree most", """
SELECT org_name, fy_end AS financial_year, fact_table, measure, min_gbp, max_gbp, round(disagreement, 2) AS
       disagreement, disputed, n_reports, amount_gbp AS best_gbp, rule_id
FROM figures
ORDER BY disagreement DESC, org_name
LIMIT 50""", "A figure is `disputed` when its claims differ by more than a tenth of the largest."),
)
