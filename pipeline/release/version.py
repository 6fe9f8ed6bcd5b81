"""Release version strings: what is allowed, how versions order, where each release lives.

A version is semantic (`1.2.0`, no leading zeros) or a date (`2026.11.22`,
zero-padded, a real day). Both are three numbers and order the same way,
number by number, which is what finding "the previous release" needs.
Anything else, in particular a path separator or `..`, is refused: the
version becomes a folder name.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from pipeline.warehouse.layout import Warehouse

SEMANTIC_PATTERN = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
DATE_PATTERN = re.compile(r"^([0-9]{4})\.([0-9]{2})\.([0-9]{2})$")
DATA_PACKAGE = "datapackage.json"
VERSION_ENV = "NHS_LEDGER_RELEASE_VERSION"


class ReleaseError(Exception):
    """A release cannot be made as asked; the message says what to change."""


def is_version(text: str) -> bool:
    if SEMANTIC_PATTERN.match(text):
        return True
    match = DATE_PATTERN.match(text)
    if not match:
        return False
    try:
        dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def validate_version(version: str) -> str:
    if not isinstance(version, str) or not is_version(version):
        raise ReleaseError(
            f"invalid release version {version!r}: use a semantic version like 1.2.0 (no leading zeros) "
            "or a date like 2026.11.22"
        )
    return version


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in validate_version(version).split("."))


def date_version(day: dt.date) -> str:
    return day.strftime("%Y.%m.%d")


def releases_dir(warehouse: Path) -> Path:
    return Warehouse.at(warehouse).releases_dir


def existing_releases(warehouse: Path) -> dict[str, Path]:
    """Complete releases under the warehouse: folders named by a valid version that hold a data package.

    Half-built folders (dot-prefixed) and strays never count.
    """
    root = releases_dir(warehouse)
    if not root.is_dir():
        return {}
    found = {}
    for child in root.iterdir():
        if child.is_dir() and is_version(child.name) and (child / DATA_PACKAGE).is_file():
            found[child.name] = child
    return dict(sorted(found.items(), key=lambda item: version_key(item[0])))


def previous_release(warehouse: Path, version: str) -> Path | None:
    """The latest release older than `version`: a hotfix 1.0.1 made after 1.1.0 is compared with 1.0.0."""
    key = version_key(version)
    older = [path for name, path in existing_releases(warehouse).items() if version_key(name) < key]
    return older[-1] if older else None


def resolve_version(requested: str | None, *, today: dt.date | None = None) -> str:
    """The version asked for; else $NHS_LEDGER_RELEASE_VERSION; else today's date (UTC) as `YYYY.MM.DD`.

    Resolved when the release is made, not when the code is loaded, so a long-running UI server does not
    keep offering the day it started.
    """
    chosen = (requested or "").strip() or os.environ.get(VERSION_ENV, "").strip()
    if not chosen:
        chosen = date_version(today or dt.datetime.now(dt.timezone.utc).date())
    return validate_version(chosen)
