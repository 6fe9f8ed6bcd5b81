"""The organisation register's engine: reference data, name matching, history.

What belongs here: reading the official ODS extracts a user supplies
(`reference`), fetching them (`fetch`), comparing names of bodies
(`names`, `matching`, with the threshold measured in `calibrate`),
successions between bodies (`history`) and the per-type match report
(`report`). `stage.py` puts these together into the
`organisations`, `org_keys` and `org_successions` tables.

What does not: Dagster, and any third-party reference data: the project
ships none; the word lists the matcher relies on live in
`pipeline/data/ods_vocabulary.csv`, `org_type_eras.csv` and
`curated_aliases.csv`.
"""
