"""What the articles say about each org key, batch by batch: the register's inputs, in a form that merges.

The register reads every mention and fact of the warehouse once per build. Most
batches are the same as last time, so what one batch says (`observe`) is kept
as plain JSON-able data, which `pipeline.register.stage` stores beside the batch's
partitions, and the build merges the batches' observations (`merge`) instead of
reading every row again.

The merge gives exactly what one pass over all the rows gives (the rows of every
batch's mentions in batch order, then every batch's facts): per key, the org
type first seen, the names counted in the order they first appear (the matcher
reads them in that order), every alias, every article, and the members of the
last fact that names some; and whether the key only ever names a collective (the
body of aggregate facts only: "CCGs", "30 trusts"), which no one ODS code stands for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

MENTIONS, FACTS = "mentions", "facts"
FORMAT = 4  # of what `observe` returns: stored observations of another format are derived again


@dataclass
class KeyEvidence:
    """What the articles say about one org key."""
    key: str
    org_type: str
    names: Counter = field(default_factory=Counter)
    aliases: set[str] = field(default_factory=set)
    articles: set[str] = field(default_factory=set)
    members: list[str] = field(default_factory=list)
    match: object = None  # the register's `Match`, once matched
    collective: bool = False  # named only by aggregate facts, in every batch that names it

    @property
    def core(self) -> str:
        return self.key.split(":", 1)[1]


@dataclass
class _Seen:
    """One key within one phase of one batch."""
    org_type: str
    names: Counter = field(default_factory=Counter)
    aliases: set[str] = field(default_factory=set)
    articles: set[str] = field(default_factory=set)
    members: list[str] | None = None

    def as_json(self, key: str, article_index: dict[str, int]) -> list:
        return [key, self.org_type, [[n, c] for n, c in self.names.items()], sorted(self.aliases),
                sorted(article_index[a] for a in self.articles), self.members]


def observe(mentions: pl.DataFrame, facts: pl.DataFrame, articles: pl.DataFrame | None = None) -> dict:
    """What one batch's candidates say about each key (JSON-able), with the publication date of each of its
    articles that has one."""
    mention_phase: dict[str, _Seen] = {}
    columns = ["org_key", "org_name", "org_type", "article_id", "surface"]
    for key, name, org_type, article_id, surface in mentions.select(columns).iter_rows():
        _see(mention_phase, key, name, org_type, article_id, surface)
    fact_phase: dict[str, _Seen] = {}
    aggregate: set[str] = set()
    as_body: set[str] = set(mention_phase)
    columns = ["org_key", "org_name", "org_type", "article_id", "member_org_keys", "member_names", "member_types",
               "scope"]
    for key, name, org_type, article_id, member_keys, member_names, member_types, scope in \
            facts.select(columns).iter_rows():
        _see(fact_phase, key, name, org_type, article_id)
        (aggregate if scope == "aggregate" else as_body).add(key)
        if member_keys:
            fact_phase[key].members = list(member_keys)
            for member, member_name, member_type in zip(member_keys, member_names, member_types):
                _see(fact_phase, member, member_name, member_type, article_id)
                as_body.add(member)
    dates = {} if articles is None else {
        a: d.isoformat() for a, d in articles.select(["article_id", "published_on"]).iter_rows() if d is not None}
    # Each key's articles as positions in the batch's list of them: a third of the size, and as fast to merge.
    article_ids = sorted({a for phase in (mention_phase, fact_phase) for seen in phase.values()
                          for a in seen.articles})
    positions = {a: i for i, a in enumerate(article_ids)}
    return {
        MENTIONS: [seen.as_json(key, positions) for key, seen in mention_phase.items()],
        FACTS: [seen.as_json(key, positions) for key, seen in fact_phase.items()],
        "articles": article_ids,
        "dates": dates,
        "collectives": sorted(aggregate - as_body),
    }


def _see(phase: dict[str, _Seen], key: str, name: str, org_type: str, article_id: str,
         surface: str | None = None) -> None:
    seen = phase.setdefault(key, _Seen(org_type))
    seen.names[name] += 1
    # Every form the articles write stays an alias, whatever name the reference gives the body.
    seen.aliases.update(s for s in (name, surface) if s)
    seen.articles.add(article_id)


def merge(observations: list[dict]) -> dict[str, KeyEvidence]:
    """The evidence for every key, from the observations of the batches in batch order."""
    keys: dict[str, KeyEvidence] = {}
    collective: dict[str, bool] = {}
    for observed in observations:
        only_aggregate = set(observed["collectives"])
        for phase in (MENTIONS, FACTS):
            for key, *_ in observed[phase]:
                collective[key] = collective.get(key, True) and key in only_aggregate
    for phase in (MENTIONS, FACTS):
        for observed in observations:
            article_ids = observed["articles"]
            for key, org_type, names, aliases, articles, members in observed[phase]:
                entry = keys.setdefault(key, KeyEvidence(key, org_type))
                for name, count in names:
                    entry.names[name] += count
                entry.aliases.update(aliases)
                entry.articles.update(map(article_ids.__getitem__, articles))
                if members is not None:
                    entry.members = list(members)
    for key, entry in keys.items():
        entry.collective = collective.get(key, False)
    return keys


def merged_dates(observations: list[dict]) -> dict[str, str]:
    """article_id -> publication date (ISO), the later batch winning as a read of every batch in order would."""
    dates: dict[str, str] = {}
    for observed in observations:
        dates.update(observed["dates"])
    return dates
