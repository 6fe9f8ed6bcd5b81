"""The words and the random draws every generated article is made of.

Here: the invented word lists (places, counties, people, services, documents), the small helpers that draw from
a `random.Random` (pick one, build one option, a chance), and how the press spells pound figures and financial
years. Everything the generator writes is built from these, so a change here changes every article.
"""

from __future__ import annotations

import random

# ---------------------------------------------------------------- word lists (all invented)

_HEADS = ("Ash", "Bram", "Carr", "Dun", "Elder", "Fen", "Gar", "Hal", "Ives", "Kel", "Lang", "Mar", "Nor",
          "Oaken", "Pen", "Ravens", "Sel", "Thorn", "Wel", "Yar", "Brack", "Cold", "Hart", "Stan", "Whit",
          "Lark", "Moss", "Bex", "Quen", "Tarn")
_TAILS = ("ford", "ley", "wick", "mere", "borough", "field", "bury", "ton", "combe", "stead", "dale", "minster",
          "ham", "by", "worth")
PLACES = tuple(h + t for h in _HEADS for t in _TAILS)  # 450 towns
COUNTIES = tuple(h + "shire" for h in _HEADS)
COMPASS = ("North", "South", "East", "West", "Central")
FIRST_NAMES = ("Anna", "Ben", "Chloe", "David", "Esther", "Farid", "Grace", "Hamish", "Imran", "Joanna", "Kofi",
               "Laura", "Mark", "Nadia", "Owen", "Priya", "Rachel", "Simon", "Tariq", "Una", "Victor", "Wendy")
SURNAMES = ("Ashworth", "Bailey", "Chowdhury", "Dempsey", "Ellison", "Fraser", "Gill", "Hughes", "Iqbal",
            "Jennings", "Kaur", "Lowe", "Mensah", "Norris", "Okafor", "Patel", "Quinlan", "Reid", "Shaw", "Turner",
            "Varma", "Whitfield", "Young")
SERVICES = ("planned hospital care", "prescribing", "continuing healthcare", "urgent care", "mental health "
            "placements", "community nursing", "outpatient follow-ups", "diagnostic imaging", "patient transport",
            "wound care products", "agency staffing", "estates and facilities", "back-office functions",
            "musculoskeletal services", "out-of-area placements", "elective orthopaedics", "medicines waste")
NEW_SERVICES = ("extended access to GP appointments", "same-day access hubs", "a community frailty team",
                "virtual wards", "a new urgent treatment centre", "social prescribing link workers",
                "digital triage in general practice")
DOCUMENTS = ("operating plan", "board papers", "financial recovery plan", "medium-term financial plan",
             "annual report", "governing body papers", "QIPP plan")
MONTH_WORDS = ("three", "four", "five", "six", "seven", "eight", "nine")


def _rng(seed: int, index: int) -> random.Random:
    return random.Random(f"{seed}:{index}")


def _pick(rng: random.Random, items):
    return items[int(rng.random() * len(items))]


def _one(rng: random.Random, makers):
    """Build only the chosen option (each is a function): the others would spend random draws and time."""
    return makers[int(rng.random() * len(makers))]()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


# ---------------------------------------------------------------- money and years

def _millions(rng: random.Random, low: float, high: float) -> float:
    """An amount in millions, rounded as the press rounds it."""
    value = rng.uniform(low, high)
    return round(value) if value >= 20 and _chance(rng, 0.5) else round(value, 1)


def money(rng: random.Random, millions: float) -> str:
    """A pound figure in one of the spellings news copy uses."""
    if millions >= 1000:
        return f"£{millions / 1000:.1f}bn"
    if millions < 1:
        pounds = int(round(millions * 1000)) * 1000
        return f"£{pounds // 1000}k" if _chance(rng, 0.3) else f"£{pounds:,}"
    text = f"{millions:g}"
    return f"£{text} million" if _chance(rng, 0.3) else f"£{text}m"


def fy(start: int, rng: random.Random | None = None) -> str:
    style = rng.random() if rng is not None else 0.0
    if style < 0.75:
        return f"{start}/{(start + 1) % 100:02d}"
    if style < 0.92:
        return f"{start}-{(start + 1) % 100:02d}"
    return f"{start}/{start + 1}"
