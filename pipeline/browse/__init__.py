"""The Datasette edition: the published tables as one SQLite file, with Datasette metadata generated from the
registry, for people who browse and query data in a web page rather than in SQL.

`sqlite.write_sqlite` writes the file from tables given as frames (a release's, or a warehouse's DuckDB file
read by `edition.write_edition`); `metadata.datasette_metadata` renders the registry's descriptions, the
licence and the caveat, with `queries.CANNED_QUERIES` (the README's SQL cookbook in SQLite's dialect) and the
facets users filter by. `nhs-ledger browse` (`make browse`) writes the warehouse's edition and serves it.
"""
