"""The publish stage: the fact tables joined to the register's bodies, the figures reconciled from them, the runs
table, the DuckDB file, and the end-of-build summary. Its entry points: `stage.publish_tables`,
`figures.write_figures_table`, `run_table.write_runs_table`, `database.build_duckdb`."""
