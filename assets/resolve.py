"""Resolve layer: the organisations register."""

import dagster as dg

from assets.metadata import definition_metadata, table_metadata
from assets.resources import LedgerPaths
from pipeline import __version__
from pipeline.resolve import resolve

@dg.asset(
    group_name="resolve",
    deps=["mention_candidates", "fact_candidates"],
    code_version=__version__,
    description="One row per real-world body (or group of bodies sharing a figure) named in the articles, "
                "with every surface form seen for it and the number of articles that mention it.",
    metadata=definition_metadata("organisations"),
)
def organisations(ledger: LedgerPaths) -> dg.MaterializeResult:
    frame, org_keys = resolve(ledger.warehouse)
    by_type = frame.group_by("org_type").len().sort("org_type")
    return dg.MaterializeResult(metadata=table_metadata(
        "organisations", frame,
        bodies_by_type=dg.MetadataValue.json(dict(zip(by_type["org_type"], by_type["len"]))),
        org_keys=dg.MetadataValue.int(org_keys.height)))
