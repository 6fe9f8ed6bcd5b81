"""Which hosts' pages a WARC file is read for: an allow-list of domains that keeps a national crawl focused.

A crawl such as CC-NEWS holds every page of thousands of news sites the world over; the allow-list keeps
the UK news and NHS sites (`pipeline/data/news_domains.csv` by default). A host is allowed when it is a
listed domain or under one (`www.bbc.co.uk` under `bbc.co.uk`, any trust's site under `nhs.uk`).

The list in force is named by NHS_LEDGER_DOMAINS, which `nhs-ledger build --domains` sets for the whole
build and which every worker process (multiprocess, Celery, Kubernetes) inherits: a file (one domain a
line, `#` comments, or a CSV with a `domain` column), `all` to read every host, unset for the default.
Its fingerprint is part of the run id of every batch with a WARC file, so a changed list reads them again.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from pipeline.data import data_path, read_rows

DOMAINS_ENV = "NHS_LEDGER_DOMAINS"
DEFAULT_FILE = "news_domains.csv"
EVERY_HOST = "all"


class DomainListError(ValueError):
    """An allow-list that cannot be read: the build stops before it starts, with this one line."""


def allowed(host: str) -> bool:
    domains = _domains(os.environ.get(DOMAINS_ENV, "").strip())
    if domains is None:
        return True
    labels = host.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))


def fingerprint() -> str:
    """What the list in force reads as, for run ids: `all`, or a hash of its sorted domains."""
    domains = _domains(os.environ.get(DOMAINS_ENV, "").strip())
    if domains is None:
        return EVERY_HOST
    return hashlib.sha256("\n".join(sorted(domains)).encode()).hexdigest()[:16]


def check(setting: str) -> None:
    """Raise DomainListError when `setting` (a --domains value) names no readable list."""
    _domains(setting.strip())


@functools.lru_cache(maxsize=8)
def _domains(setting: str) -> frozenset[str] | None:
    if setting.lower() == EVERY_HOST:
        return None
    path = Path(setting) if setting else data_path(DEFAULT_FILE)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainListError(f"cannot read the list of domains {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    lines = text.splitlines()
    if lines and lines[0].split(",")[0].strip().lower() == "domain":
        names = [row["domain"] for row in read_rows(path, strip=True)]
    else:
        names = [line.split("#", 1)[0] for line in lines]
    domains = frozenset(n.strip().lower().lstrip("*.").rstrip(".") for n in names if n.strip())
    if not domains:
        raise DomainListError(f"the list of domains {path} names no domain")
    return domains
