"""The cache of passes: which partitions' row rules passed, by the identity of their files, kept in
`<warehouse>/.check-cache/` so that an incremental build runs the row rules on its new partitions only.

A cached pass is valid only under the rules it passed under (`rules_version`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandera
import polars as pl

import schemas
from pipeline.warehouse import atomic, store

CACHE_DIR = ".check-cache"  # a dot folder: readers and the warehouse's byte-for-byte comparisons skip it


@cache
def rules_version() -> str:
    """What a cached pass depends on besides the files: the rules (every module of this package, the schemas),
    how rows are read back (the store), and the validating libraries."""
    digest = hashlib.sha256(f"{pandera.__version__}\x1f{pl.__version__}".encode())
    package_dir = Path(__file__).resolve().parent
    schemas_dir = Path(schemas.__file__).resolve().parent
    for path in [*sorted(package_dir.glob("*.py")), Path(store.__file__).resolve(),
                 *sorted(schemas_dir.glob("*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class PassCache:
    """The partitions of one table whose row rules passed, by batch, with the identity they passed under.

    Only passes are kept: a failure is recomputed every time, so its report always describes the rows as they are.
    """
    path: Path | None
    rules: str = ""  # the `rules_version` the passes were, and will be saved, under
    passed: dict[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, warehouse: Path | None, table: str, rules: str) -> PassCache:
        if warehouse is None:
            return cls(None)
        path = warehouse / CACHE_DIR / f"{table}.json"
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            passed = saved["passed"] if saved.get("rules") == rules else {}
        except (OSError, ValueError, KeyError, TypeError):
            passed = {}
        return cls(path, rules, dict(passed))

    def has_passed(self, batch: str | None, identity: str | None) -> bool:
        return self.path is not None and identity is not None and self.passed.get(str(batch)) == identity

    def keep(self, batch: str | None, identity: str | None) -> None:
        if identity is not None:
            self.kept[str(batch)] = identity

    def save(self) -> None:
        """Keep the passes of this check, for the partitions that exist now; a warehouse that cannot be written
        to is checked in full next time."""
        if self.path is None or self.kept == self.passed:
            return
        try:
            atomic.write_bytes(self.path, json.dumps({"rules": self.rules, "passed": self.kept}, indent=1,
                                                     sort_keys=True).encode("utf-8"))
        except OSError:
            pass
