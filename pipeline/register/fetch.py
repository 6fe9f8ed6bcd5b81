"""Download the current ODS extracts from NHS Digital: `nhs-ledger reference fetch`.

What belongs here: fetching each extract's zip (`<base URL>/<name>.zip`,
the names listed in `pipeline/data/ods_downloads.csv`), unpacking its CSV
files into the destination folder (by default the build's `raw/reference/`,
which the ingest inventory leaves alone), and a manifest of what came from
where (`.fetched.json`). Each file succeeds or fails on its own, so a
partial download still leaves usable data; nothing here runs during a build.

The base URL is NHS Digital's "current" ODS folder unless the environment
variable NHS_LEDGER_ODS_BASE_URL or the caller names another (a mirror, or
the local server of the tests). The project ships none of the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import urllib.error
import urllib.request
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from pipeline import __version__
from pipeline.data import data_path, read_rows
from pipeline.warehouse import atomic

DEFAULT_BASE_URL = "https://files.digital.nhs.uk/assets/ods/current"
BASE_URL_ENV = "NHS_LEDGER_ODS_BASE_URL"
DOWNLOADS_CSV = data_path("ods_downloads.csv")
MANIFEST = ".fetched.json"
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
TIMEOUT_SECONDS = 60


@dataclass
class FetchResult:
    name: str
    url: str
    ok: bool
    files: list[str] = field(default_factory=list)
    detail: str = ""
    sha256: str | None = None


def default_names() -> list[str]:
    return [row["name"] for row in read_rows(DOWNLOADS_CSV, strip=True) if row["name"]]


def base_url_from_env() -> str:
    return os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL


def fetch_reference(dest: Path, base_url: str | None = None, names: list[str] | None = None,
                    timeout: float = TIMEOUT_SECONDS) -> list[FetchResult]:
    """Fetch each extract into `dest`; one result per extract, failures included."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    base = (base_url or base_url_from_env()).rstrip("/")
    results = [_fetch_one(dest, name, f"{base}/{name}.zip", timeout) for name in (names or default_names())]
    _write_manifest(dest, results)
    return results


def _fetch_one(dest: Path, name: str, url: str, timeout: float) -> FetchResult:
    result = FetchResult(name, url, ok=False)
    request = urllib.request.Request(url, headers={"User-Agent": f"nhs-ledger/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) URL by design
            payload = response.read(MAX_DOWNLOAD_BYTES + 1)
        if len(payload) > MAX_DOWNLOAD_BYTES:
            raise ValueError(f"larger than {MAX_DOWNLOAD_BYTES // 2**20} MB")
        result.sha256 = hashlib.sha256(payload).hexdigest()
        result.files = _unpack(payload, dest)
        if not result.files:
            raise ValueError("the zip holds no CSV file")
        result.ok = True
    except urllib.error.HTTPError as exc:
        result.detail = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:
        result.detail = f"network: {getattr(exc, 'reason', exc)}"
    except (zipfile.BadZipFile, ValueError) as exc:
        result.detail = f"not an ODS zip: {exc}"
    return result


def _unpack(payload: bytes, dest: Path) -> list[str]:
    written = []
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        members = [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")]
        if sum(i.file_size for i in members) > MAX_DOWNLOAD_BYTES:
            raise ValueError(f"unpacks to more than {MAX_DOWNLOAD_BYTES // 2**20} MB")
        for info in members:
            # Only the file's own name: a member path can never write outside the destination.
            target = dest / PurePosixPath(info.filename.replace("\\", "/")).name
            atomic.write_bytes(target, archive.read(info))
            written.append(target.name)
    return written



def _write_manifest(dest: Path, results: list[FetchResult]) -> None:
    path = dest / MANIFEST
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    for r in results:
        if r.ok:  # a failed attempt keeps the record of the last good download
            previous[r.name] = {**asdict(r), "fetched_at": now}
    atomic.write_bytes(path, json.dumps(previous, indent=2, sort_keys=True).encode("utf-8"))


def render(results: list[FetchResult], dest: Path) -> str:
    lines = [f"ODS reference data into {dest}:"]
    for r in results:
        lines.append(f"  {r.name:<6} {'ok' if r.ok else 'FAILED'}  " + (", ".join(r.files) if r.ok else r.detail))
    return "\n".join(lines)
