"""One generated article: its date, format and paragraphs, drawn from its own seeded random stream.

Here: `Article`, the `_Writer` that builds the paragraphs around an article's bodies (figures, quotes, context),
`make_article` (the whole article for one index) and `month_name`, which names the batch an index falls in.
How an article is laid out on a page lives in `bench.formats`; writing folders in `bench.raw_folder`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import re
from dataclasses import dataclass

from bench.vocabulary import (DOCUMENTS, FIRST_NAMES, MONTH_WORDS, NEW_SERVICES, PLACES, SERVICES, SURNAMES,
                              _cap, _chance, _millions, _one, _pick, _rng, fy, money)
from bench.world import World, commissioner, council, era_of, national, trust, world

FORMAT_SHARES = (("txt", 0.70), ("html", 0.15), ("jsonl", 0.15))

# ---------------------------------------------------------------- one article

@dataclass
class Article:
    index: int
    batch: str
    published: dt.date
    fmt: str
    title: str
    paragraphs: list[str]   # the article itself, headline first
    comments: list[str]     # reader comments (txt and html pages)
    related: list[str]      # "related articles" links (furniture)
    slug: str

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


class _Writer:
    """Builds the paragraphs of one article around its main commissioner, provider and council."""

    def __init__(self, rng: random.Random, day: dt.date, w: World):
        self.rng, self.day = rng, day
        self.era = era_of(day)
        self.fy = day.year if day.month >= 4 else day.year - 1
        self.main = commissioner(rng, self.era, w)
        self.neighbour = commissioner(rng, self.era, w)
        for _ in range(3):  # a neighbour is another body
            if self.neighbour.short != self.main.short:
                break
            self.neighbour = commissioner(rng, self.era, w)
        self.provider = trust(rng, w)
        self.council = council(rng, w)
        self.national = national(rng, day, w)
        scale = {"PCT": (4, 45), "CCG": (5, 60), "ICB": (40, 320)}[self.era]
        self.target = _millions(rng, *scale)
        self.budget = round(rng.uniform(250, 1400) * (5 if self.era == "ICB" else 1))
        self.services = rng.sample(SERVICES, 6)
        self.quoted: set[str] = set()

    def m(self, millions: float) -> str:
        return money(self.rng, millions)

    def year(self, offset: int = 0) -> str:
        return fy(self.fy + offset, self.rng)

    def person(self) -> str:
        return f"{_pick(self.rng, FIRST_NAMES)} {_pick(self.rng, SURNAMES)}"

    # -- paragraphs with figures: (text, number of £ signs)

    def headline(self) -> str:
        r, main = self.rng, self.main
        return _one(r, (
            lambda: f"{main.short} sets out {self.m(self.target)} savings plan for {self.year()}",
            lambda: f"{main.short} must save {self.m(self.target)} as {self.provider.short} heads for deficit",
            lambda: f"Savings of {self.m(self.target)} needed in {main.short.rsplit(' ', 1)[0]} as finances tighten",
            lambda: f"{main.short} agrees {self.m(self.target)} QIPP programme for {self.year()}",
            lambda: f"{main.short} warns of {self.m(self.target)} gap in {self.year()}",
        ))

    def lead(self) -> str:
        r, main, s = self.rng, self.main, self.services
        return _one(r, (
            lambda: f"{main.full} plans to save {self.m(self.target)} in {self.year()}, with {s[0]} and {s[1]} bearing "
            f"the brunt of the cuts, according to its {_pick(r, DOCUMENTS)}.",
            lambda: f"{main.full} must find savings of {self.m(self.target)} in {self.year()} to meet the plan agreed "
            f"with {self.national}, {_pick(r, DOCUMENTS)} published this week show.",
            lambda: f"{main.full} has set a QIPP programme of {self.m(self.target)} for {self.year()}, the largest in its "
            f"history, after a year in which spending on {s[0]} rose faster than its allocation.",
            lambda: f"{main.full} will have to save {self.m(self.target)} over the next three years, mainly from {s[0]}, "
            f"{s[1]} and a review of community contracts, according to its {_pick(r, DOCUMENTS)}.",
        ))

    def components(self) -> tuple[str, int]:
        parts = [round(self.target * share, 1) for share in (0.28, 0.17, 0.09)]
        n = 3 if _chance(self.rng, 0.6) else 2
        listed = [f"{self.m(max(p, 0.2))} from {svc}" for p, svc in zip(parts[:n], self.services[2:5])]
        joined = ", ".join(listed[:-1]) + " and " + listed[-1]
        return (f"The plan, presented to the {self.main.generic[4:]}'s governing body last week, says savings "
                f"include {joined}. The rest is expected to come from {self.services[5]} and a review of "
                f"management costs."), n

    def budget_para(self) -> tuple[str, int]:
        g = self.main.generic
        return _one(self.rng, (
            lambda: f"{_cap(g)}, which has an annual budget of around {self.m(self.budget)}, said it would protect "
            f"core general practice funding and mental health spending.",
            lambda: f"Board members noted that {g}’s {self.m(self.budget)} allocation for the year had risen by less than "
            f"the cost of rising demand, particularly in {self.services[0]}.",
        )), 1

    def provider_para(self) -> tuple[str, int]:
        p, d = self.provider, _millions(self.rng, 2, 80)
        options = [
            lambda: (f"Its main hospital provider, {p.full}, is forecasting a deficit of {self.m(d)} for {self.year()} "
             f"and has been asked by {self.national} to submit a recovery plan.", 1),
            lambda: (f"{p.full}, the largest provider in the area, ended {self.year(-1)} with a deficit of {self.m(d)}, "
             f"the papers add. {_cap(p.generic)} said agency spending had fallen but that the cost of "
             f"tackling waiting lists had been higher than expected.", 1),
            lambda: (f"{p.full} ran up a deficit of {self.m(d)} in {self.year(-1)} and expects to end {self.year()} "
             f"around {self.m(round(d * 0.7, 1))} in the red, despite a cost improvement programme worth "
             f"{self.m(round(d * 0.4, 1))}.", 3),
        ]
        return _one(self.rng, options)

    def last_year(self) -> tuple[str, int]:
        target = _millions(self.rng, 3, self.target * 1.2 + 3)
        achieved = round(target * self.rng.uniform(0.6, 0.9), 1)
        g = self.main.generic
        return _one(self.rng, (
            lambda: (f"Last year {g} delivered savings of {self.m(achieved)} against a target of {self.m(target)}, "
             f"leaving a shortfall of {self.m(round(target - achieved, 1))} that has been carried into this "
             f"year’s plan.", 3),
            lambda: (f"{_cap(g)} said it was {self.m(round(target - achieved, 1))} behind on its QIPP savings at "
             f"month {_pick(self.rng, MONTH_WORDS)} of {self.year(-1)}, and that the gap would be closed from "
             f"reserves.", 1),
            lambda: (f"In {self.year(-1)} {g} saved {self.m(achieved)}, short of the {self.m(target)} it had planned, "
             f"because schemes in {self.services[1]} started late.", 2),
        ))

    def range_para(self) -> tuple[str, int]:
        low = _millions(self.rng, 1, 8)
        high = round(low + self.rng.uniform(1, 6))
        r, svc = self.rng, _pick(self.rng, SERVICES)
        return _one(r, (
            lambda: f"A review of {svc} could save between {self.m(low)} and {self.m(high)} over the next three years, "
            f"the papers estimate, although the schemes have not yet been agreed with clinicians.",
            lambda: f"Managers believe more than {self.m(low)} could be saved from {svc} by {self.year(2)}, if "
            f"practices in the area sign up to the new formulary.",
            lambda: f"The {_pick(r, DOCUMENTS)} identifies up to {self.m(high)} of further savings in {svc}, but warns "
            f"that around {self.m(low)} of that depends on decisions by neighbouring commissioners.",
        )), 0

    def investment(self) -> tuple[str, int]:
        return (f"Despite the pressure, {self.main.generic} will invest {self.m(_millions(self.rng, 0.4, 6))} in "
                f"{_pick(self.rng, NEW_SERVICES)}, which it says will reduce pressure on emergency departments."), 1

    def salary(self) -> tuple[str, int]:
        low = self.rng.randrange(150, 230, 5)
        return (f"{_cap(self.main.generic)}’s chief executive, who is paid between £{low},000 and "
                f"£{low + 5},000 a year according to the annual report, told the board that the position was "
                f"‘serious but recoverable’."), 2

    def per_head(self) -> tuple[str, int]:
        return (f"It will keep paying practices £{self.rng.randrange(2, 9)} per head for "
                f"{_pick(self.rng, ('a care homes enhanced service', 'anticoagulation monitoring', 'phlebotomy'))}"
                f", a scheme the local medical committee had feared would be cut."), 1

    def council_para(self) -> tuple[str, int]:
        c = self.council
        if _chance(self.rng, 0.5):
            return (f"{c.full}, which shares a pooled budget of {self.m(_millions(self.rng, 20, 140))} with "
                    f"{self.main.generic} for older people’s services, said it supported the direction of the "
                    f"plan but wanted more detail on {self.services[2]}."), 1
        return (f"{c.full} said it had been asked to find {self.m(_millions(self.rng, 1, 12))} of savings from its "
                f"public health budget in {self.year()}, on top of cuts to adult social care."), 1

    def neighbour_para(self) -> tuple[str, int]:
        n = self.neighbour
        return _one(self.rng, (
            lambda: f"Its neighbour, {n.full}, is in a tougher position and expects a deficit of "
            f"{self.m(_millions(self.rng, 2, 40))} in {self.year()}.",
            lambda: f"{n.full} has agreed a planned deficit of {self.m(_millions(self.rng, 2, 40))} for {self.year()} "
            f"with {self.national}, board papers published on the same day show.",
        )), 1

    # -- paragraphs without figures

    def quote(self) -> str:
        r = self.rng
        speaker = _one(r, (
            lambda: f"A spokesperson for {self.main.generic} said",
            lambda: f"Dr {self.person()}, a GP in {_pick(r, PLACES)}, said",
            lambda: f"{self.person()}, chief finance officer, told the board",
            lambda: f"{self.person()}, secretary of the local medical committee, said",
            lambda: f"{self.person()}, chair of Healthwatch {_pick(r, PLACES)}, said",
        ))
        said = _pick(r, (
            "We have to live within our means, and that means doing fewer things in hospital that could be done "
            "better and more cheaply in the community. We are not asking practices to carry the cost.",
            "Practices have already made the easy switches. Finding that much again means going through repeat "
            "lists patient by patient, and that takes time nobody has funded.",
            "This is not a position anyone would choose. The alternative was a set of service reductions that "
            "the board was not prepared to support, so we will be working through the year to close the gap.",
            "Patients will rightly ask what these plans mean for them. We want to see the detail before any "
            "service changes, and we want a proper consultation rather than a decision taken behind closed doors.",
            "What worries us is the locally commissioned work, the services that keep patients out of hospital, "
            "because that is always the first place people look when the money runs short.",
            "We have been open with our partners about the scale of the challenge. Nobody should be under any "
            "illusion that this will be easy, but the plan is realistic and it protects the front line.",
        ))
        if said in self.quoted:  # one voice says a thing once
            return self.filler()
        self.quoted.add(said)
        return f"{speaker}: ‘{said}’"

    def filler(self) -> str:
        r, g = self.rng, self.main.generic
        return _one(r, (
            lambda: f"Local GPs said the prescribing target would be hard to meet, and several practices have asked "
            f"{g} to explain how the savings were calculated.",
            lambda: f"{_cap(g)} said it would publish a detailed breakdown of its schemes next month, and that "
            f"practices would be consulted before any changes to local enhanced services.",
            lambda: f"Waiting lists for planned operations have grown in each of the last three years, and the area’s "
            f"emergency departments have missed the four-hour standard every month since the autumn.",
            lambda: f"The plans will be discussed at a public meeting of the health and wellbeing board next month, "
            f"where councillors are expected to press for assurances about community services.",
            lambda: f"{_cap(self.national)} said "
            f"organisations with deficit plans would be subject to enhanced oversight during the year.",
            lambda: f"Finance directors across the region have warned that demand for {self.services[0]} is rising "
            f"faster than funding, and that the savings schemes of previous years cannot simply be repeated.",
            lambda: f"Board members asked for monthly reports on progress against each scheme, and for an independent "
            f"review of the assumptions behind the plan before the end of the first quarter.",
            lambda: f"Patient groups have raised concerns about longer journeys to appointments if outpatient clinics "
            f"are brought together on fewer sites, and have called for a full equality impact assessment.",
            lambda: f"The chief executive said staff vacancies remained the biggest risk to the plan, with more than one "
            f"in ten nursing posts unfilled and recruitment from overseas slower than hoped.",
            lambda: f"Union representatives said they would resist any attempt to balance the books by cutting staff, "
            f"and called for a meeting with the board before the plan is finalised.",
            lambda: f"The local medical committee said it would ask practices to record the extra workload created by "
            f"the changes, so that the effect on general practice can be measured.",
            lambda: f"{self.council.full} said it had not been consulted on the proposals and would ask {g} to "
            f"explain how they would affect adult social care.",
            lambda: f"{self.neighbour.full} is consulting on similar changes, and the two commissioners have been asked to "
            f"agree a joint approach to {self.services[3]} by the end of the year.",
            lambda: f"{self.provider.full} said it was working closely with commissioners and that patient safety would "
            f"not be compromised.",
        ))

    def standfirst(self) -> str:
        return _pick(self.rng, (
            "The board says the local NHS cannot break even this year without cuts that would harm patients.",
            "Managers say the plan protects front-line services, but GPs warn that the targets are unrealistic.",
            "Board papers show the scale of the financial challenge facing the local health economy.",
            "Commissioners and providers are under pressure to agree a joint plan before the new financial year.",
        ))


def make_article(seed: int, index: int, batch_size: int, first_month: str) -> Article:
    rng = _rng(seed, index)
    batch_no = index // batch_size
    batch = month_name(first_month, batch_no)
    year, month = (int(x) for x in batch.split("-"))
    day = dt.date(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))
    roll, fmt = rng.random(), "txt"
    cumulative = 0.0
    for name, share in FORMAT_SHARES:
        cumulative += share
        if roll < cumulative:
            fmt = name
            break
    w = _Writer(rng, day, world(seed))
    title = w.headline()
    paragraphs = [title, f"By {w.person()}", w.standfirst(), w.lead()]
    n_figures = title.count("£") + paragraphs[-1].count("£")
    want = rng.randint(6, 10)
    optional = [w.components, w.budget_para, w.provider_para, w.last_year, w.range_para, w.council_para,
                w.neighbour_para, w.investment, w.salary, w.per_head]
    first = optional[:4]  # the usual shape of a finance story: plan, budget, provider, last year
    rest = optional[4:]
    rng.shuffle(rest)
    for make in first + rest:
        if n_figures >= want:
            break
        text, _ = make()
        n = text.count("£")
        if n_figures + n > 10:
            continue
        paragraphs.append(text)
        n_figures += n
    # Quotes and context up to about 600 words, placed among the figure paragraphs (never before the lead).
    target_words = int(rng.gauss(600, 45))
    words = sum(len(p.split()) for p in paragraphs)
    used: set[str] = set()
    attempts = 0
    while words < target_words - 25 and attempts < 40:
        attempts += 1
        text = w.quote() if _chance(rng, 0.35) else w.filler()
        if text in used:
            continue
        used.add(text)
        paragraphs.insert(rng.randint(5, len(paragraphs)), text)
        words += len(text.split())
    comments = []
    if fmt != "jsonl":
        for _ in range(rng.randint(1, 4)):
            comments.append(_pick(rng, (
                f"Our practice was told to find £{rng.randrange(20, 90)}k of prescribing savings last year. We did, "
                f"and the reward was another target.",
                f"A {money(rng, w.budget)} budget and they still spend £{rng.randrange(1, 4)}m a year on "
                f"management consultants.",
                "Same plan as last year with the numbers changed.",
                f"Locum rates of £{rng.randrange(80, 120)}k a year are the real problem here, not the hubs.",
                f"They found £{rng.randrange(1, 9)}.{rng.randrange(1, 9)}m for a new digital team last year. Funny "
                f"how that never counts.",
            )))
    related = [f"{_pick(rng, PLACES)} {_pick(rng, ('CCG', 'trust', 'council', 'ICB'))} warns of "
               f"{money(rng, _millions(rng, 3, 60))} gap" for _ in range(rng.randint(2, 3))]
    slug = "-".join(re.sub(r"[^a-z0-9 ]", "", title.lower()).split()[:7]) + f"-{index:07d}"
    return Article(index, batch, day, fmt, title, paragraphs, comments, related, slug)


def month_name(first_month: str, offset: int) -> str:
    year, month = (int(x) for x in first_month.split("-"))
    total = year * 12 + (month - 1) + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"
