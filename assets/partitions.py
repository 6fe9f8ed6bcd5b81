"""The `batches` partitions kept in step with the raw folder: one way for `nhs-ledger build` and the sensor.

Both plan with the engine (`pipeline.batches.plan_batches`) and then need the same three things: the partition
keys to add (new batch folders), those to delete (folders gone), and the gone batches' rows dropped from the
warehouse. The CLI applies the keys to its instance directly; a sensor must return them as requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.batches import Plan
from pipeline.build import remove_gone_batches


@dataclass(frozen=True)
class PartitionChanges:
    added: list[str]  # keys of new batch folders, in the plan's order
    deleted: list[str]  # keys whose folder is gone
    order: list[str]  # the partitions' order once the changes are applied


def sync_partitions(registered: list[str], plan: Plan, warehouse: Path) -> PartitionChanges:
    """What the registered partition keys need to match the plan's batches; drops the gone batches' rows."""
    wanted = [b.key for b in plan.batches]
    known, kept = set(registered), set(wanted)
    added = [k for k in wanted if k not in known]
    deleted = [k for k in registered if k not in kept]
    remove_gone_batches(warehouse, plan)
    return PartitionChanges(added, deleted, [k for k in registered if k in kept] + added)
