"""The organisations register: one row per real body, from every mention and fact the extractor found.

The extractor names each body with an org key (`<type>:<normalised name>`,
one per form after within-article merging). The register decides which
keys are one body, across articles:

1. Each key of an NHS type (CCG, PCT, SHA, ICB, trust) is matched to the
   reference data when the build has some (`pipeline.register`): keys
   matched to one ODS code are one body, named and dated as the reference
   names it ("NHS Salford CCG" and "Salford clinical commissioning group"
   both -> 01G, "NHS South Gloucester" -> 5A3).
2. Keys left unmatched (or all of them, without reference data) are
   matched to each other by the same rules, so a shortening or a slip in
   one article joins the body another article names in full.
3. Every other key is a body of its own, as before.

A key only aggregate facts name ("CCGs", "30 trusts": a collective) is
matched to nothing and marked `collective`: no one ODS code stands for it,
and the match rates leave it out. A bare "NHS <place>" the recogniser typed
by the article's era alone (no type word in any of its names) that no body
of its type matches may be the body of the neighbouring era of that name
("NHS Vale of York" in an article about PCTs is the CCG, none of the PCTs
having that name): the types of `org_type_eras.csv` that follow each other.

Each body's `org_id` is a stable hash of `ods:<code>` when it has an ODS
code, else of its representative key (its fullest form). Adding or changing
reference data therefore changes the `org_id` of the bodies it newly
matches: a release diff shows them as removed and added.

The register also publishes `org_successions` (from `pipeline.register.
history`), with the reference bodies the named ones became, and keeps the
loaded reference rows in the staging table `reference_organisations`.
Reference data comes from `resolve(..., reference_dir=)`, else from the
folder named by the environment variable NHS_LEDGER_REFERENCE.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.warehouse import batch_state, store
from pipeline.extract.extractor import stable_id
from pipeline.register import history
from pipeline.register.observations import KeyEvidence as _Key
from pipeline.register.observations import FORMAT as OBSERVATIONS_FORMAT
from pipeline.register.observations import merge, merged_dates, observe
from pipeline.register.matching import AMBIGUOUS, MATCHED, NO_CANDIDATE, Entry, Match, Matcher
from pipeline.register.reference import ReferenceData, bodies_frame, load_reference
from pipeline.register.report import match_rates
from pipeline.register.names import has_type_word
from pipeline.register.vocabulary import NHS_TYPES, eras
from schemas import REGISTRY
from schemas.polars_types import polars_schema

REFERENCE_ENV = "NHS_LEDGER_REFERENCE"
NOT_NHS = "not an NHS type"
NO_REFERENCE = "no reference data"
REFERENCE_ONLY = "reference only"
COLLECTIVE = "collective"


def org_id_for(key: str) -> str:
    return stable_id("org", key)


def org_id_for_code(ods_code: str) -> str:
    return stable_id("org", f"ods:{ods_code}")


@dataclass
class Register:
    """Everything the resolve stage produces, for the asset's metadata and the tests."""
    organisations: pl.DataFrame
    org_keys: pl.DataFrame
    org_successions: pl.DataFrame
    reference: ReferenceData
    match_rates: dict[str, dict[str, float]]
    unnamed_successors: int = 0


def build_register(mentions: pl.DataFrame, facts: pl.DataFrame, reference: ReferenceData | None = None,
                   article_dates: dict[str, dt.date] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(organisations, org_keys) from the staging candidates of every batch."""
    result = register(mentions, facts, reference, article_dates)
    return result.organisations, result.org_keys


def register(mentions: pl.DataFrame, facts: pl.DataFrame, reference: ReferenceData | None = None,
             article_dates: dict[str, dt.date] | None = None) -> Register:
    return register_from_keys(_collect_keys(mentions, facts), reference, article_dates)


def register_from_keys(keys: dict[str, _Key], reference: ReferenceData | None = None,
                       article_dates: dict[str, dt.date] | None = None) -> Register:
    """The register from what the articles say about each key (`observations.merge`)."""
    reference = reference or ReferenceData()
    article_dates = article_dates or {}
    _match_to_reference(keys, reference, article_dates)
    groups = _group(keys, reference)
    key_to_id = {k: _group_id(group, keys) for group in groups for k in group}
    rows = [_body_row(group, keys, key_to_id, reference) for group in groups]

    links = history.reference_links(reference) if reference.loaded else []
    named_codes = {row["ods_code"] for row in rows if row["ods_code"]}
    reached, kept, unnamed = history.reachable(links, named_codes, set(reference.bodies))
    rows += [_reference_only_row(reference, code) for code in sorted(reached - named_codes)]

    organisations = pl.DataFrame(rows, schema=polars_schema(REGISTRY["organisations"])).sort("org_id")
    org_keys = pl.DataFrame({"org_key": sorted(key_to_id), "org_id": [key_to_id[k] for k in sorted(key_to_id)]},
                            schema=polars_schema(REGISTRY["org_keys"]))
    successions = pl.DataFrame(
        [{"predecessor_org_id": org_id_for_code(k.predecessor), "successor_org_id": org_id_for_code(k.successor),
          "effective_on": k.effective_on, "kind": k.kind, "basis": k.basis} for k in kept],
        schema=polars_schema(REGISTRY["org_successions"]))
    return Register(organisations, org_keys, successions, reference, match_rates(organisations), unnamed)


# ---------------------------------------------------------------- the articles' keys

def _collect_keys(mentions: pl.DataFrame, facts: pl.DataFrame) -> dict[str, _Key]:
    return merge([observe(mentions, facts)])


def _match_to_reference(keys: dict[str, _Key], reference: ReferenceData, article_dates: dict[str, dt.date]) -> None:
    if not reference.loaded:
        return
    matcher = Matcher(_reference_entries(reference))
    for entry in keys.values():
        if entry.org_type in NHS_TYPES and not entry.collective:
            dates = [article_dates[a] for a in entry.articles if article_dates.get(a)]
            entry.match = matcher.match(entry.org_type, entry.names, dates)
            if entry.match.status == NO_CANDIDATE and _typed_by_era(entry):
                entry.match = _neighbouring_era(matcher, entry, dates) or entry.match


def _typed_by_era(entry: _Key) -> bool:
    """Is the key's type the recogniser's reading of a bare "NHS <place>", with no type word to go on?"""
    return entry.org_type in _neighbours() and all(
        n.startswith("NHS ") and not has_type_word(entry.org_type, n) and not any(
            has_type_word(other, n) for other in _neighbours()) for n in entry.names)


def _neighbours() -> dict[str, tuple[str, ...]]:
    """The types of the eras before and after each type's: PCT -> (CCG,), CCG -> (PCT, ICB), ICB -> (CCG,)."""
    out: dict[str, list[str]] = defaultdict(list)
    for era in eras().values():
        if era.successor_type:
            out[era.org_type].append(era.successor_type)
            out[era.successor_type].append(era.org_type)
    return {t: tuple(sorted(ts)) for t, ts in out.items()}


def _neighbouring_era(matcher: Matcher, entry: _Key, dates: list[dt.date]) -> Match | None:
    found = [(t, m) for t in _neighbours()[entry.org_type]
             if (m := matcher.match(t, entry.names, dates, nearest=False)).status == MATCHED]
    if len(found) != 1:
        return None
    org_type, m = found[0]
    return Match(m.status, m.code, m.name, m.score,
                 f"{m.reason}, a {org_type}: no {entry.org_type} has the name, and the article's era alone "
                 f"typed it {entry.org_type}", rule=m.rule)


def _reference_entries(reference: ReferenceData) -> list[Entry]:
    return [Entry(b.code, b.org_type, tuple(n.name for n in b.names), b.valid_from, b.valid_to, b.closed,
                  frozenset(n.name for n in b.names if n.inferred))
            for b in reference.bodies.values()]


# ---------------------------------------------------------------- keys -> bodies

def _group(keys: dict[str, _Key], reference: ReferenceData) -> list[list[str]]:
    """Keys that are one body: those matched to one ODS code, and unmatched ones that match each other."""
    by_code: dict[str, list[str]] = defaultdict(list)
    loose: list[_Key] = []
    for key in sorted(keys):
        entry = keys[key]
        if entry.match is not None and entry.match.status == MATCHED:
            by_code[entry.match.code].append(key)
        elif entry.org_type in NHS_TYPES and (entry.match is None or entry.match.status == NO_CANDIDATE):
            loose.append(entry)
    parent = {k: k for k in keys}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    # The other bodies' names (and the reference's) are real words: a slip must be none of them.
    loose_keys = {e.key for e in loose}
    other_names = [(keys[k].org_type, n) for k in keys if k not in loose_keys for n in keys[k].names]
    other_names += [(e.org_type, n) for e in _reference_entries(reference) for n in e.names]
    matcher = Matcher([Entry(e.key, e.org_type, tuple(e.names)) for e in loose], other_names)
    for entry in loose:
        m = matcher.match(entry.org_type, entry.names, exclude=frozenset({entry.key}), nearest=False)
        if m.status == MATCHED:
            parent[root(entry.key)] = root(m.code)
            entry.match = Match(entry.match.status if entry.match else NO_REFERENCE, None, None, None,
                                _joined_reason(entry, m))
    groups: dict[str, list[str]] = defaultdict(list)
    coded = {k for ks in by_code.values() for k in ks}
    for key in sorted(keys):
        if key not in coded:
            groups[root(key)].append(key)
    return sorted(list(by_code.values()) + list(groups.values()), key=lambda g: g[0])


def _joined_reason(entry: _Key, m: Match) -> str:
    before = f"{entry.match.reason}; " if entry.match and entry.match.reason else ""
    return f"{before}one body with {m.name!r} of another article ({m.rule})"


def _representative(group: list[str], keys: dict[str, _Key]) -> str:
    # The fullest form names the body ("south gloucestershire" over "south gloucester"), then the commonest.
    return max(group, key=lambda k: (len(keys[k].core), len(keys[k].articles), k))


def _group_id(group: list[str], keys: dict[str, _Key]) -> str:
    match = keys[group[0]].match
    if match is not None and match.status == MATCHED:
        return org_id_for_code(match.code)
    return org_id_for(_representative(group, keys))


def _body_row(group: list[str], keys: dict[str, _Key], key_to_id: dict[str, str],
              reference: ReferenceData) -> dict:
    entries = [keys[k] for k in group]
    rep = keys[_representative(group, keys)]
    names: Counter = sum((e.names for e in entries), Counter())
    matches = [e.match for e in entries if e.match is not None]
    best = max(matches, key=lambda m: (m.status == MATCHED, m.score or 0, m.reason)) if matches else None
    body = reference.bodies.get(best.code) if best is not None and best.status == MATCHED else None
    if body is not None:
        matched = Counter(m.name for m in matches if m.status == MATCHED)
        name = max(matched, key=lambda n: (matched[n], -_rank(body, n)))
        status, score, reason = MATCHED, best.score, best.reason
    elif all(e.collective for e in entries) and rep.org_type in NHS_TYPES:
        name = _canonical_name(names)
        status, score = COLLECTIVE, None
        reason = "named only as a collective of bodies (a count or a kind of them): no one ODS code stands for it"
        if best is not None and best.reason:
            reason = f"{reason}; {best.reason}"
    else:
        name = _canonical_name(names)
        status = best.status if best is not None else (NOT_NHS if rep.org_type not in NHS_TYPES else NO_REFERENCE)
        score = best.score if best is not None and best.status == AMBIGUOUS else None
        reason = best.reason if best is not None else None
    if len(group) > 1:
        joined = "; ".join(sorted(k for k in group))
        reason = f"{reason + '; ' if reason else ''}org keys joined: {joined}"
    return {
        "org_id": key_to_id[group[0]],
        "name": name,
        "org_type": body.org_type if body else rep.org_type,
        "ods_code": body.code if body else None,
        "aliases": sorted(set().union(*(e.aliases for e in entries))),
        "member_org_ids": [key_to_id[m] for m in rep.members if m in key_to_id],
        "n_articles": len(set().union(*(e.articles for e in entries))),
        "valid_from": body.valid_from if body else None,
        "valid_to": body.valid_to if body else None,
        "match_status": status,
        "match_score": score,
        "match_reason": reason,
    }


def _rank(body, name: str) -> int:
    return next((i for i, n in enumerate(body.names) if n.name == name), len(body.names))


def _reference_only_row(reference: ReferenceData, code: str) -> dict:
    body = reference.bodies[code]
    return {
        "org_id": org_id_for_code(code), "name": body.name, "org_type": body.org_type, "ods_code": code,
        "aliases": [], "member_org_ids": [], "n_articles": 0, "valid_from": body.valid_from,
        "valid_to": body.valid_to, "match_status": REFERENCE_ONLY, "match_score": None,
        "match_reason": f"named in no article; a successor of a body that is ({body.names[0].source})",
    }


def _canonical_name(seen: Counter) -> str:
    # The fullest form is the most official one ("NHS Salford CCG" over "Salford CCG"); ties go to the commonest.
    return max(seen.items(), key=lambda item: (len(item[0]), item[1], item[0]))[0]


# ---------------------------------------------------------------- the stage

def reference_dir_from_env() -> Path | None:
    value = os.environ.get(REFERENCE_ENV, "").strip()
    return Path(value) if value else None


def reference_folder(raw_dir: Path, explicit: Path | str | None = None) -> Path | None:
    """The reference folder a build of `raw_dir` reads: the one given, else NHS_LEDGER_REFERENCE's, else
    RAW/reference when it exists. One answer for the register, the gazetteer and the run ids."""
    chosen = Path(explicit) if explicit else reference_dir_from_env()
    if chosen is not None:
        return chosen.resolve()
    default = Path(raw_dir) / "reference"
    return default.resolve() if default.is_dir() else None


def resolve_register(warehouse: Path, reference_dir: Path | None = None) -> Register:
    """Build the register from the warehouse's staging candidates and write its tables."""
    reference = load_reference(reference_dir or reference_dir_from_env())
    observations = [batch_observation(warehouse, batch) for batch in _register_batches(warehouse)]
    dates = {a: dt.date.fromisoformat(d) for a, d in merged_dates(observations).items()} if reference.loaded else {}
    result = register_from_keys(merge(observations), reference, dates)
    store.write_table(warehouse, "organisations", result.organisations)
    store.write_table(warehouse, "org_keys", result.org_keys)
    store.write_table(warehouse, "org_successions", result.org_successions)
    store.write_table(warehouse, "reference_organisations", bodies_frame(reference))
    return result


OBSERVATIONS = store.REGISTER_INPUTS  # the sidecar kind: one per batch, what its candidates say about each key
_OBSERVED_TABLES = ("articles", "mention_candidates", "fact_candidates")


def _register_batches(warehouse: Path) -> list[str]:
    """The batches the register reads, in order; sidecars of batches gone are dropped."""
    names = sorted({b for table in _OBSERVED_TABLES for b in store.list_partitions(warehouse, table)})
    for stale in set(store.list_sidecars(warehouse, OBSERVATIONS)) - set(names):
        store.drop_sidecar(warehouse, OBSERVATIONS, stale)
    return names


def observation_basis(warehouse: Path, batch: str) -> dict | None:
    """What a batch's observations are derived from: its recorded state (the run and the earlier copies its
    articles were read with, which fix their bytes) and the footers of its partitions. None while the batch
    has no state (its reading was interrupted): then nothing derived from it is kept."""
    state = batch_state.batch_state_digest(warehouse, batch)
    if state is None:
        return None
    footers = {t: store.partition_footer(warehouse, t, batch) for t in _OBSERVED_TABLES}
    return {"format": OBSERVATIONS_FORMAT, "state": state,
            **{t: f.as_json() if f else None for t, f in footers.items()}}


def batch_observation(warehouse: Path, batch: str) -> dict:
    """What a batch's candidates say about each key: from its sidecar when current, else read and stored."""
    basis = observation_basis(warehouse, batch)
    stored = _stored_observation(warehouse, batch, basis)
    if stored is not None:
        return stored
    observed = observe(store.read_partition(warehouse, "mention_candidates", batch),
                       store.read_partition(warehouse, "fact_candidates", batch),
                       store.read_partition(warehouse, "articles", batch, ["article_id", "published_on"]))
    if basis is None:
        store.drop_sidecar(warehouse, OBSERVATIONS, batch)
    else:
        store.write_sidecar(warehouse, OBSERVATIONS, batch, {"batch": batch, "basis": basis, "observed": observed})
    return observed


def _stored_observation(warehouse: Path, batch: str, basis: dict | None) -> dict | None:
    if basis is None:
        return None
    stored = store.read_sidecar(warehouse, OBSERVATIONS, batch)
    return stored["observed"] if stored is not None and stored.get("basis") == basis else None


def resolve(warehouse: Path, reference_dir: Path | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    result = resolve_register(warehouse, reference_dir)
    return result.organisations, result.org_keys
