"""Successions between bodies: who became whom, when, and on what evidence.

What belongs here: the links of the `org_successions` table, from the
reference data, as ODS codes:

- `ods successor`: a row of ODS's successor file (trust mergers and
  acquisitions, CCG mergers, the PCT mergers of 2006, ICB mergers).
- `ccg to icb`: a CCG that ODS keeps as a sub-ICB location passed to that
  ICB the day after CCGs were abolished (`org_type_eras.csv`).
- `pct to ccg (inferred from names)`: ODS records no PCT-to-CCG
  succession. A PCT alive at the PCTs' abolition is linked to the CCG that
  opened the next day with the same name, once type words and the words a
  name may drop ("teaching", "city") are set aside: Salford PCT -> NHS
  Salford CCG, Hull Teaching PCT -> NHS Hull CCG. Where a PCT's area went to
  several CCGs (Leeds PCT to three Leeds CCGs) no name matches, and no link
  is made rather than a guessed one.

And the part of the graph the register publishes: the bodies named in the
articles and every named body they became, following links forward (not
back: a trust's predecessors can run to dozens of bodies nobody wrote
about).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from pipeline.register.names import core, tokens
from pipeline.register.reference import ReferenceData
from pipeline.register.vocabulary import eras

ODS_SUCCESSOR = "ods successor"
CCG_TO_ICB = "ccg to icb"
PCT_TO_CCG = "pct to ccg (inferred from names)"
KINDS = (ODS_SUCCESSOR, CCG_TO_ICB, PCT_TO_CCG)
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Link:
    predecessor: str    # ODS codes
    successor: str
    effective_on: dt.date
    kind: str
    basis: str          # what the link rests on, for a person to check


def reference_links(data: ReferenceData) -> list[Link]:
    """Every succession the reference data gives or implies, one per (predecessor, successor, date)."""
    links: dict[tuple[str, str, dt.date], Link] = {}

    def add(link: Link) -> None:
        links.setdefault((link.predecessor, link.successor, link.effective_on), link)

    for s in data.successions:
        add(Link(s.predecessor, s.successor, s.effective_on, ODS_SUCCESSOR, f"ODS successor file {s.source}"))
    ccg_era = eras()["CCG"]
    for body in data.bodies.values():
        if body.org_type == "CCG" and body.icb_code and ccg_era.ended:
            add(Link(body.code, body.icb_code, ccg_era.ended + _DAY, CCG_TO_ICB,
                     f"ODS keeps {body.code} as a sub-ICB location of {body.icb_code}"))
    for link in _pct_to_ccg(data):
        add(link)
    return sorted(links.values(), key=lambda k: (k.predecessor, k.successor, k.effective_on))


def _pct_to_ccg(data: ReferenceData) -> list[Link]:
    pct_era = eras()["PCT"]
    if pct_era.ended is None:
        return []
    transition = pct_era.ended + _DAY
    ccgs: dict[tuple[str, ...], set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for body in data.bodies.values():
        opened_then = body.valid_from in (None, transition)
        if body.org_type == "CCG" and opened_then and (body.valid_to is None or body.valid_to >= transition):
            for n in body.names:
                if not n.inferred:
                    ccgs[tokens(core("CCG", n.name), "CCG")].add(body.code)
                    names.setdefault(body.code, n.name)
    links = []
    for body in data.bodies.values():
        if body.org_type != "PCT" or (body.valid_to is not None and body.valid_to < pct_era.ended):
            continue
        hits = set().union(*(ccgs.get(tokens(core("PCT", n.name), "PCT"), set()) for n in body.names))
        if len(hits) == 1:
            ccg = hits.pop()
            links.append(Link(body.code, ccg, transition, PCT_TO_CCG,
                              f"{body.name} and {names[ccg]} name the same place; ODS records no PCT successors"))
    return links


def reachable(links: list[Link], start: set[str], known: set[str]) -> tuple[set[str], list[Link], int]:
    """Bodies reached forward from `start` through bodies in `known` (named ones), the links among
    them, and how many links were dropped because their successor has no name in the reference data."""
    forward: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        forward[link.predecessor].append(link)
    seen = set(start)
    queue = sorted(start)
    unnamed = 0
    while queue:
        code = queue.pop()
        for link in forward.get(code, []):
            if link.successor not in known:
                unnamed += 1
            elif link.successor not in seen:
                seen.add(link.successor)
                queue.append(link.successor)
    kept = [k for k in links if k.predecessor in seen and k.successor in seen]
    return seen, kept, unnamed
