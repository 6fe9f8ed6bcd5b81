"""How names of bodies are written and compared: display forms, cores and match tokens.

What belongs here: title-casing the upper-case names of ODS extracts ("NHS
SALFORD CCG" -> "NHS Salford CCG"), completing the short names of ONS
lookups ("Bassetlaw" -> "Bassetlaw PCT"), and the comparable forms of a
name: its *core* (the recogniser's own key core, so text and reference
names normalise alike: "NHS Salford CCG" and "NHS SALFORD CCG" both give
"salford") and its *tokens* (the core without the words a body may carry or
drop, such as "teaching" or "city"). Deciding whether two names are one
body is `matching`'s job.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.orgs import org_key
from pipeline.register.vocabulary import vocabulary

_EDGE_PUNCTUATION = re.compile(r"^(\W*)(.*?)(\W*)$")


def title_case(name: str) -> str:
    """A name written in capitals, as ODS writes them, in the case people write it.

    Names that already mix cases (ONS lookups) are kept as they are.
    """
    if any(ch.islower() for ch in name):
        return name
    return " ".join(_case_word(word, first=i == 0) for i, word in enumerate(name.split()))


def _case_word(word: str, *, first: bool) -> str:
    lead, body, tail = _EDGE_PUNCTUATION.match(word).groups()
    parts = body.split("-")
    cased = [_case_part(part, first=first and i == 0) for i, part in enumerate(parts)]
    return lead + "-".join(cased) + tail


def _case_part(part: str, *, first: bool) -> str:
    if not part:
        return part
    if part in vocabulary("keep_upper") or any(ch.isdigit() for ch in part):
        return part  # NHS, CCG; codes such as 01G keep their capitals
    lower = part.lower()
    if not first and lower in vocabulary("keep_lower"):
        return lower
    return part[0] + part[1:].lower()  # "KING'S" -> "King's", "ST." -> "St."


def has_type_word(org_type: str, name: str) -> bool:
    """Does the name already say what kind of body it is ("NHS Salford CCG", not "NHS Salford")?"""
    upper = " ".join(name.upper().replace("’", "'").split())
    if org_type == "SHA" and upper.startswith("NHS "):
        return True
    return any(upper.endswith(" " + suffix) or upper == suffix
               for suffix, means in vocabulary("name_suffix").items() if means == org_type)


def display_name(org_type: str, name: str) -> str:
    """The name a reader expects: title-cased, with the type word a short ONS name leaves out."""
    name = title_case(" ".join(name.split()))
    template = vocabulary("name_template").get(org_type)
    if template and not has_type_word(org_type, name):
        return template.format(name=name)
    return name


@lru_cache(maxsize=65536)
def core(org_type: str, name: str) -> str:
    """The comparable core of a name: what is left of it in the recogniser's org key."""
    return org_key(org_type, name).split(":", 1)[1]


def _optional_pattern() -> re.Pattern:
    phrases = sorted(vocabulary("optional_word"), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")


_OPTIONAL = _optional_pattern()


@lru_cache(maxsize=None)
def _type_optional(org_type: str) -> frozenset[str]:
    return frozenset(word for word, means in vocabulary("optional_word_for").items()
                     if org_type in means.split(";"))


@lru_cache(maxsize=65536)
def tokens(core_text: str, org_type: str = "") -> tuple[str, ...]:
    """The words of a core that identify the body: optional words set aside (those of every type, and those of
    `org_type`: a trust's "acute" or "hospitals"), and each word in one spelling of its variants ("hospitals"
    as "hospital", "northern" as "north").

    Never empty: a core made only of optional words ("city") keeps its words.
    """
    variant = vocabulary("word_variant")
    optional = _type_optional(org_type)
    words = [variant.get(w, w) for w in _OPTIONAL.sub(" ", core_text).split()]
    kept = tuple(w for w in words if w not in optional)
    return kept or tuple(words) or tuple(variant.get(w, w) for w in core_text.split())


def full_form(name: str) -> str:
    """The whole name, case, punctuation and spacing set aside: "South Tees Hospitals NHS Foundation
    Trust" and "SOUTH TEES HOSPITALS NHS FOUNDATION TRUST" are equal here, and differ from "...
    NHS Trust", which the core alone would not tell apart."""
    text = name.replace("’", "'").lower().replace("&", " and ").replace("'", "")
    text = " ".join(re.sub(r"[^\w\s]", " ", text).split())
    return text[4:] if text.startswith("the ") else text
