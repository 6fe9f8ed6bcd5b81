"""The rule catalogue: every rule the extractor can name in a `rule_id`, with what it does and an example.

Rules live in the data files of `pipeline/data/` (cue words, references, collectives, organisation naming);
`rules.csv` documents the ones implemented in code. `nhs-ledger rules` prints this catalogue, and a test runs
every rule on its own example.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.data import read_rows

SOURCES = {
    "fact_cues.csv": "fact",
    "measure_cues.csv": "measure",
    "references.csv": "reference",
    "collectives.csv": "collective",
    "figure_rules.csv": "figure",
    "rules.csv": None,  # layer given per row
}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    layer: str
    kind: str
    description: str
    example: str
    source: str


def catalogue() -> list[Rule]:
    rules: list[Rule] = []
    for filename, layer in SOURCES.items():
        for row in read_rows(filename):
            kind = row.get("kind") or row.get("measure") or row.get("org_type") or row.get("layer") or ""
            rules.append(Rule(row["rule_id"], layer or row["layer"], kind, row["description"], row["example"], filename))
    return sorted(rules, key=lambda r: (r.layer, r.rule_id))


def documented(rule_id: str, known: set[str]) -> bool:
    """Whether an emitted rule id is in the catalogue, allowing the documented families:
    `list.<cue>`, `<org rule>.split`, and `org.nhs_x_...` forms of `org.x_...` rules."""
    if rule_id in known:
        return True
    if rule_id.startswith("list."):
        return "list." in known and documented(rule_id.removeprefix("list."), known)
    if rule_id.endswith(".split"):
        return documented(rule_id.removesuffix(".split"), known)
    if rule_id.startswith("org.nhs_x_as_"):
        return "org.nhs_x" in known
    if rule_id.startswith("org.nhs_x_"):
        return "org.x_" + rule_id.removeprefix("org.nhs_x_") in known
    return False


def render(rules: list[Rule]) -> str:
    lines = []
    for layer in dict.fromkeys(r.layer for r in rules):
        lines.append(f"== {layer} rules")
        for rule in (r for r in rules if r.layer == layer):
            lines.append(f"{rule.rule_id}  [{rule.kind}]  {rule.description}")
            lines.append(f"    e.g. {' / '.join(rule.example.splitlines())}")
    return "\n".join(lines)
