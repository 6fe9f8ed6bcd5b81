"""Resolve layer: the organisations register and the successions between its bodies."""

import dagster as dg

from assets.metadata import definition_metadata, markdown_preview, table_metadata
from assets.resources import LedgerPaths
from pipeline import __version__
from pipeline.register.report import unmatched
from pipeline.resolve import resolve_register

_DEPS = ["articles", "mention_candidates", "fact_candidates"]


@dg.multi_asset(
    specs=[
        dg.AssetSpec("organisations", group_name="resolve", deps=_DEPS, code_version=__version__,
                     description="One row per real-world body (or group of bodies sharing a figure) named in the "
                                 "articles, joined to its ODS code when reference data is loaded, with every surface "
                                 "form seen for it and the number of articles that mention it.",
                     metadata=definition_metadata("organisations")),
        dg.AssetSpec("org_successions", group_name="resolve", deps=_DEPS, code_version=__version__,
                     description="One row per succession between bodies of the register (mergers, CCG to ICB, PCT "
                                 "to CCG), from the reference data.",
                     metadata=definition_metadata("org_successions")),
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
