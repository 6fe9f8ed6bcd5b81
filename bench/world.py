"""The NHS bodies of one seed's archive, and how an article names them.

Here: `Body` (the forms a name takes in copy), `World` (the PCTs, CCGs, ICBs, SHAs, trusts and councils of
one seed, about as many as England had), the era a publication date falls in, and the picks of a commissioner,
trust, council or national body an article makes from its world.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass

from bench.vocabulary import COMPASS, COUNTIES, PLACES, _pick


@dataclass(frozen=True)
class Body:
    full: str     # first mention: "NHS Ashford CCG"
    short: str    # headline form: "Ashford CCG"
    generic: str  # later mentions: "the CCG"


# How many bodies the archive's world holds: about what England had (PCTs 2006-13, CCGs 2013-22, ICBs from
# 2022, trusts, councils), so the organisation register of a 100,000-article archive is as big as a real one.
N_COMMISSIONER_PLACES = 210
N_PCTS, N_CCGS, N_ICBS, N_SHAS, N_TRUSTS, N_COUNCILS = 150, 210, 42, 10, 230, 150


@dataclass(frozen=True)
class World:
    """The bodies of one seed's archive. An article names bodies of this world, in the forms the press uses."""
    pct_places: tuple[str, ...]
    ccg_places: tuple[str, ...]
    icb_places: tuple[str, ...]
    shas: tuple[str, ...]
    trusts: tuple[Body, ...]
    councils: tuple[str, ...]


@functools.lru_cache(maxsize=8)
def world(seed: int) -> World:
    rng = random.Random(f"{seed}:world")
    towns = rng.sample(PLACES, len(PLACES))
    places = []
    for i in range(N_COMMISSIONER_PLACES):
        roll = rng.random()
        if roll < 0.1:
            places.append(f"{_pick(rng, COMPASS)} {towns[i]}")
        elif roll < 0.22:
            places.append(f"{towns[i]} and {towns[-1 - i]}")
        else:
            places.append(towns[i])
    icbs = [f"{county} and {_pick(rng, PLACES)}" if rng.random() < 0.5 else county
            for county in rng.sample(COUNTIES, len(COUNTIES))]
    icbs += [f"{_pick(rng, COMPASS)} {_pick(rng, COUNTIES)}" for _ in range(N_ICBS - len(icbs))]
    shas = sorted({f"{c} {county}" for c in COMPASS for county in COUNTIES})
    trusts = []
    for i in range(N_TRUSTS):
        place = towns[(i * 7) % len(towns)]
        roll = rng.random()
        if roll < 0.3:
            full = f"{place} Hospitals NHS Foundation Trust"
        elif roll < 0.45:
            full = f"{place} Teaching Hospitals NHS Foundation Trust"
        elif roll < 0.6:
            full = f"{place} NHS Foundation Trust"
        elif roll < 0.72:
            full = f"{place} Hospitals NHS Trust"
        elif roll < 0.82:
            full = f"{place} and {_pick(rng, PLACES)} NHS Foundation Trust"
        elif roll < 0.9:
            full = f"{place} Community Healthcare NHS Trust"
        else:
            full = f"{_pick(rng, COUNTIES)} Partnership NHS Foundation Trust"
        trusts.append(Body(full, f"{place} hospitals trust", "the trust"))
    councils = [f"{county} County Council" for county in COUNTIES]
    for i in range(N_COUNCILS - len(councils)):
        town, roll = towns[(i * 3 + 1) % len(towns)], rng.random()
        councils.append(f"{town} City Council" if roll < 0.35 else f"{town} Borough Council" if roll < 0.7 else
                        f"{town} Council" if roll < 0.9 else f"London Borough of {town}")
    return World(tuple(places[:N_PCTS]), tuple(places[:N_CCGS]), tuple(icbs[:N_ICBS]),
                 tuple(rng.sample(shas, N_SHAS)), tuple(trusts), tuple(councils))


def commissioner(rng: random.Random, era: str, w: World) -> Body:
    roll = rng.random()
    if era == "PCT":
        place = _pick(rng, w.pct_places)
        full = (f"NHS {place}" if roll < 0.4 else f"{place} PCT" if roll < 0.7 else
                f"{place} Teaching PCT" if roll < 0.8 else f"{place} Primary Care Trust")
        return Body(full, f"{place} PCT", "the PCT")
    if era == "CCG":
        place = _pick(rng, w.ccg_places)
        full = (f"NHS {place} CCG" if roll < 0.5 else f"{place} CCG" if roll < 0.8 else
                f"NHS {place} Clinical Commissioning Group")
        return Body(full, f"{place} CCG", "the CCG")
    place = _pick(rng, w.icb_places)
    full = (f"NHS {place} ICB" if roll < 0.5 else f"{place} Integrated Care Board" if roll < 0.75 else
            f"NHS {place} Integrated Care Board")
    return Body(full, f"{place} ICB", "the ICB")


def trust(rng: random.Random, w: World) -> Body:
    return _pick(rng, w.trusts)


def council(rng: random.Random, w: World) -> Body:
    full = _pick(rng, w.councils)
    return Body(full, full, "the council")


def era_of(day: dt.date) -> str:
    if day < dt.date(2013, 4, 1):
        return "PCT"
    if day < dt.date(2022, 7, 1):
        return "CCG"
    return "ICB"


def national(rng: random.Random, day: dt.date, w: World) -> str:
    era = era_of(day)
    if era == "PCT":
        return _pick(rng, ("the Department of Health", "Monitor", f"{_pick(rng, w.shas)} SHA"))
    if day.year < 2016:
        return _pick(rng, ("NHS England", "Monitor", "the NHS Trust Development Authority"))
    if era == "CCG":
        return _pick(rng, ("NHS England", "NHS Improvement"))
    return "NHS England"
