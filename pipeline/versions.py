"""Versions and the code fingerprint that make run ids content-addressed.

A batch's run id is derived from the code that processes it and the bytes of its
inputs, so a rebuild of the same inputs with the same code gives the same ids
(and the same bytes), while any change to the engine or its word lists marks
every batch for reprocessing on the next incremental build.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from pipeline import __version__ as CODE_VERSION
from pipeline.extract.extractor import EXTRACTOR_VERSION

_ENGINE = Path(__file__).resolve().parent
_FINGERPRINTED = ("ingest", "extract", "data")
# Engine modules outside those folders that the extractor imports: a change to them changes facts too.
_FINGERPRINTED_MODULES = ("plausibility.py",)

# Pins the fingerprint, so that builds by two checkouts of the same engine laid out differently (a refactoring)
# can be compared byte for byte: run ids, and the Parquet files that carry them, would otherwise differ.
FINGERPRINT_ENV = "NHS_LEDGER_CODE_FINGERPRINT"

__all__ = ["CODE_VERSION", "EXTRACTOR_VERSION", "FINGERPRINT_ENV", "code_fingerprint"]


@cache
def code_fingerprint() -> str:
    pinned = os.environ.get(FINGERPRINT_ENV, "").strip()
    if pinned:
        return pinned
    digest = hashlib.sha256(f"{CODE_VERSION}\x1f{EXTRACTOR_VERSION}".encode())
    for folder in _FINGERPRINTED:
        for path in sorted((_ENGINE / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".csv", ".txt"}:
                digest.update(path.relative_to(_ENGINE).as_posix().encode())
                digest.update(path.read_bytes())
    for name in _FINGERPRINTED_MODULES:
        digest.update(name.encode())
        digest.update((_ENGINE / name).read_bytes())
    return digest.hexdigest()[:16]
