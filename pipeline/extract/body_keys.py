"""Keys: the article-independent "<org_type>:<normalised core name>" that all the forms of one body share.

What belongs here: normalising a name, setting aside its type words, leading "NHS" and key prefixes, and
the curated aliases (`org_aliases.csv`, and known bodies' other spellings) that map one core to another.
What does not: merging forms within one article (`short_forms`), which starts from these keys.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.name_data import _KNOWN, _NHS_PREFIXED, _PLACE_ALIASES_RAW, _SUFFIXES, _values


# ---------------------------------------------------------------- keys

_TAILS: dict[str, tuple[re.Pattern, dict[str, str]]] = {}
_KEY_PREFIXES: dict[str, re.Pattern] = {}


def _normal(name: str) -> str:
    """Lower case, no punctuation, no possessive, no leading "the"."""
    s = name.replace("’", "'").replace("‘", "'").lower().replace("&", " and ")
    s = re.sub(r"'s$", "", s.strip())
    # "Northumberland's CCG" is Northumberland CCG: a possessive place right before the last (type) word.
    s = re.sub(r"'s (?=\w+$)", " ", s)
    s = s.replace("'", "")
    s = " ".join(re.sub(r"[^\w\s]", " ", s).split())
    return s[4:] if s.startswith("the ") else s


def _build_key_tables() -> None:
    by_type: dict[str, dict[str, str]] = {}
    for s in _SUFFIXES:
        by_type.setdefault(s.org_type, {})[_normal(s.phrase)] = s.key_suffix
    for org_type, tails in by_type.items():
        alternation = "|".join(re.escape(t) for t in sorted(tails, key=len, reverse=True))
        _TAILS[org_type] = (re.compile(rf"(?:^| )({alternation})$"), tails)
    prefixes: dict[str, list[str]] = {}
    for row in _values("key_prefix"):
        prefixes.setdefault(row["org_type"], []).append(_normal(row["value"]))
    for org_type, words in prefixes.items():
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        _KEY_PREFIXES[org_type] = re.compile(rf"^(?:{alternation}) ")


_build_key_tables()


def _bare_core(org_type: str, name: str) -> str:
    """The key's core before curated aliases: type words and a leading NHS set aside."""
    s = _normal(name)
    if org_type in _NHS_PREFIXED and s.startswith("nhs "):
        s = s[4:]
    tail = _TAILS.get(org_type)
    if tail is not None:
        m = tail[0].search(s)
        if m and m.start(1) > 0:
            s = (s[: m.start()] + " " + tail[1][m.group(1)]).strip()
    prefix = _KEY_PREFIXES.get(org_type)
    if prefix is not None:
        s = prefix.sub("", s, count=1)
    return s


def _place_aliases() -> dict[tuple[str, str], str]:
    """Curated aliases as (org_type or "*", alias core) -> canonical core."""
    table: dict[tuple[str, str], str] = {}
    for (org_type, alias), canonical in _PLACE_ALIASES_RAW.items():
        table[(org_type, _normal(alias))] = _normal(canonical)
    for folded, body in _KNOWN.items():
        if not body.excluded:
            core = _bare_core(body.org_type, folded)
            canonical = _bare_core(body.org_type, body.canonical)
            if core != canonical:
                table[(body.org_type, core)] = canonical
    return table


_ALIAS_CORE = _place_aliases()


@lru_cache(maxsize=65536)
def org_key(org_type: str, name: str) -> str:
    """Article-independent key of a body: "<org_type>:<normalised core name>".

    All the forms one body takes share it ("NHS Salford CCG", "Salford CCG"
    -> "CCG:salford"; "DoH", "Department of Health and Social Care" ->
    "national:department of health"); different bodies never do, because the
    type is part of the key ("PCT:salford" is not "CCG:salford").
    """
    core = _bare_core(org_type, name)
    core = _ALIAS_CORE.get((org_type, core)) or _ALIAS_CORE.get(("*", core)) or core
    return f"{org_type}:{core}"
