"""Resolve layer: the organisations register and the successions between its bodies."""

import dagster as dg

from assets.metadata import markdown_preview, table_metadata, table_spec
from assets.resources import LedgerPaths
from pipeline import __version__
from pipeline.register.report import unmatched
from pipeline.register.stage import resolve_register

_DEPS = ["articles", "mention_candidates", "fact_candidates"]


@dg.multi_asset(
    specs=[
        table_spec("organisations", group_name="resolve", deps=_DEPS, code_version=__version__),
        table_spec("org_successions", group_name="resolve", deps=_DEPS, code_version=__version__),
    ],
)
def organisations(ledger: LedgerPaths):
    result = resolve_register(ledger.warehouse, ledger.reference)
    frame = result.organisations
    by_type = frame.group_by("org_type").len().sort("org_type")
    yield dg.MaterializeResult(asset_key="organisations", metadata=table_metadata(
        "organisations", frame,
        bodies_by_type=dg.MetadataValue.json(dict(zip(by_type["org_type"], by_type["len"]))),
        org_keys=dg.MetadataValue.int(result.org_keys.height),
        ods_match_rate=dg.MetadataValue.json(result.match_rates),
        unmatched_nhs_bodies=dg.MetadataValue.md(markdown_preview(unmatched(frame), 50)),
        reference_files=dg.MetadataValue.md(markdown_preview(result.reference.files_frame(), 50))))
    yield dg.MaterializeResult(asset_key="org_successions", metadata=table_metadata(
        "org_successions", result.org_successions,
        successors_without_a_name=dg.MetadataValue.int(result.unnamed_successors)))
