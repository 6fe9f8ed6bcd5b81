"""Read the official reference data a user supplies: ODS extracts and equivalent CSVs.

What belongs here: finding the reference files in a folder (CSV files, and
the CSV members of the zips NHS Digital publishes), telling their layout
apart, and turning their rows into reference bodies (one per ODS code, with
every name the files give it, its type and its dates) and ODS successions.
Layouts read:

- NHS Digital's "e-files" (etr, eccg, eauth, epct, ...): no header, 27
  columns; column 1 code, 2 name, 4 parent (area team, local office or ICB),
  11 open date, 12 close date (YYYYMMDD), 14 role. The file's name gives its
  type (etr -> trust); a row named with a type word takes that type.
- succ: predecessor code, successor code, blank, effective date.
- CSVs with a header naming code, name and optionally type, open and close
  columns (`ods_vocabulary.csv` lists the accepted headers), including ONS
  lookups (`PCO12CDO`, `PCO12NM`: one body per column prefix).
- JSON objects of records keyed by ONS code, each naming an ODS code and a
  name with the same column names (ONS's names files as postcodes.io
  publishes them: `{"E38000143": {"ccg19cdh": "01G", "name": "NHS
  Salford"}}`); records not keyed by an English ONS code are left out. JSON without
  ODS codes (ONS code history, `{ONS code: name}`) is reported and skipped.

Files are decoded as UTF-8, else cp1252 (older ONS files); CR-only line
endings are read as line ends. A file that cannot be read is recorded in
`ReferenceData.files` with the reason and never stops a build.

What does not belong here: matching names (`matching`), successions between
bodies of the register (`history`), downloading (`fetch`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.register.names import display_name
from pipeline.register.vocabulary import eras, vocabulary

MAX_FILE_BYTES = 512 * 1024 * 1024  # the whole ODS succ file is tens of MB; anything far larger is not one
SUB_ICB = "sub-ICB location"
_ODS_CODE = re.compile(r"^[A-Z0-9]{1,10}$")
_ONS_CODE = re.compile(r"^[A-Z]\d{8}$")
_ONS_COLUMN = re.compile(r"^([a-z]+)\d{2}(cdo|cdh|nm|cd)$")
_EFILE_MIN_COLUMNS = 12


@dataclass(frozen=True)
class ReferenceRow:
    code: str
    name: str                 # as the file writes it
    org_type: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    closed: bool              # a close date, or a status of Closed
    parent_code: str | None   # the ICB of a sub-ICB location
    role: str | None          # SUB_ICB, or None for a body in its own right
    source: str               # the file (and zip member) the row came from
    line: int
    official: bool            # an ODS e-file row (its names are ODS's own)


@dataclass(frozen=True)
class Succession:
    predecessor: str
    successor: str
    effective_on: dt.date
    source: str


@dataclass(frozen=True)
class FileReport:
    file: str
    layout: str               # efile, succ, header, json, ignored, unreadable
    org_type: str | None
    rows: int
    problem: str | None = None


@dataclass(frozen=True)
class ReferenceName:
    name: str                 # display form: "NHS Salford CCG"
    source: str
    inferred: bool = False    # made up from another name (see _infer_names), not written in any file


@dataclass
class ReferenceBody:
    code: str
    org_type: str
    names: list[ReferenceName]
    valid_from: dt.date | None
    valid_to: dt.date | None
    closed: bool
    icb_code: str | None = None   # the ICB it became part of, for a CCG that lived on as a sub-ICB location

    @property
    def name(self) -> str:
        return self.names[0].name


@dataclass
class ReferenceData:
    rows: list[ReferenceRow] = field(default_factory=list)
    successions: list[Succession] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)
    bodies: dict[str, ReferenceBody] = field(default_factory=dict)

    @property
    def loaded(self) -> bool:
        return bool(self.bodies)

    def files_frame(self) -> pl.DataFrame:
        return pl.DataFrame([vars(f) for f in self.files],
                            schema={"file": pl.Utf8, "layout": pl.Utf8, "org_type": pl.Utf8, "rows": pl.Int64,
                                    "problem": pl.Utf8})


# ---------------------------------------------------------------- the folder

def load_reference(directory: Path | None) -> ReferenceData:
    """Every reference file under `directory` (recursively); an absent folder gives empty data."""
    data = ReferenceData()
    if directory is None or not Path(directory).is_dir():
        return data
    root = Path(directory)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        label = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".zip", ".json"):
            data.files.append(FileReport(label, "ignored", None, 0, "not a CSV or JSON file or a zip of them"))
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError(f"larger than {MAX_FILE_BYTES // 2**20} MB")
            raw = path.read_bytes()
            members = _zip_members(raw) if suffix == ".zip" else [("", raw)]
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            data.files.append(FileReport(label, "unreadable", None, 0, f"{type(exc).__name__}: {exc}"))
            continue
        if suffix == ".zip" and not members:
            data.files.append(FileReport(label, "ignored", None, 0, "the zip holds no CSV file"))
        if suffix == ".json":
            _read_json(data, label, path.stem, raw)
            continue
        for member, content in members:
            _read_file(data, f"{label}!{member}" if member else label, Path(member or path.name).stem, content)
    data.bodies = build_bodies(data.rows)
    return data


def _zip_members(raw: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")]
        if sum(i.file_size for i in infos) > MAX_FILE_BYTES:
            raise ValueError(f"unpacks to more than {MAX_FILE_BYTES // 2**20} MB")
        return [(i.filename, archive.read(i)) for i in sorted(infos, key=lambda i: i.filename)]


def decode(content: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else cp1252, else Latin-1, which reads any byte."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def parse_csv(text: str) -> list[list[str]]:
    # The csv module ends a record at \n, \r\n or a lone \r, so old Mac files read as rows too.
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline="")) if any(row)]


def _read_file(data: ReferenceData, label: str, stem: str, content: bytes) -> None:
    if not content.strip():
        data.files.append(FileReport(label, "unreadable", None, 0, "empty file"))
        return
    try:
        rows = parse_csv(decode(content))
    except csv.Error as exc:
        data.files.append(FileReport(label, "unreadable", None, 0, f"not a readable CSV: {exc}"))
        return
    file_types = file_types_for(stem)
    first = rows[0]
    if _is_header(first):
        _read_header_csv(data, label, file_types, rows)
    elif "successions" in file_types or _looks_like_succ(first):
        _read_succ(data, label, rows)
    elif len(first) >= _EFILE_MIN_COLUMNS and _ODS_CODE.match(first[0]):
        _read_efile(data, label, file_types, rows)
    else:
        data.files.append(FileReport(label, "unreadable", None, 0,
                                     f"unrecognised layout: {len(first)} columns, first row {first[:3]}"))


def file_types_for(stem: str) -> list[str]:
    """What a file holds, from its name: "ods_eccg_2025-12" -> ["CCG"]; several when it names several."""
    lowered = stem.lower()
    words = set(re.split(r"[^a-z0-9]+", lowered))
    joined = "_" + "_".join(re.split(r"[^a-z0-9]+", lowered)) + "_"
    found = []
    for value, means in vocabulary("file").items():
        hit = f"_{value}_" in joined if "_" in value else value in words
        if hit and means not in found:
            found.append(means)
    return found


def _looks_like_succ(row: list[str]) -> bool:
    return 4 <= len(row) <= 6 and bool(_ODS_CODE.match(row[0])) and bool(_ODS_CODE.match(row[1])) \
        and _parse_date(row[3]) is not None


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _type_from_name(name: str) -> str | None:
    upper = " ".join(name.upper().split())
    for suffix, org_type in vocabulary("name_suffix").items():
        if upper.endswith(" " + suffix) or upper == suffix:
            return org_type
    return None


def _role(text: str) -> str | None:
    """SUB_ICB, "skip", or None for a body in its own right; "RO319|RO326" holds two roles."""
    meanings = {vocabulary("role").get(part.strip()) for part in text.split("|")}
    if SUB_ICB in meanings:
        return SUB_ICB
    return "skip" if "skip" in meanings else None


# ---------------------------------------------------------------- layouts

def _read_efile(data: ReferenceData, label: str, file_types: list[str], rows: list[list[str]]) -> None:
    file_type = next((t for t in file_types if t != "successions"), None)
    kept = untyped = 0
    for line, row in enumerate(rows, start=1):
        if len(row) < _EFILE_MIN_COLUMNS or not _ODS_CODE.match(row[0]) or not row[1]:
            continue
        role = _role(row[13]) if len(row) > 13 else None
        if role == "skip":
            continue
        named_type = _type_from_name(row[1])
        org_type = "CCG" if role == SUB_ICB else (named_type or file_type)
        if org_type is None:
            untyped += 1
            continue
        closed_on = _parse_date(row[11])
        data.rows.append(ReferenceRow(
            code=row[0], name=row[1], org_type=org_type, valid_from=_parse_date(row[10]), valid_to=closed_on,
            closed=closed_on is not None, parent_code=(row[3] or None) if role == SUB_ICB else None,
            role=role, source=label, line=line, official=True))
        kept += 1
    problem = f"{untyped} rows of unknown type (name the file etr, eccg, ... or give it a type column)" \
        if untyped else None
    data.files.append(FileReport(label, "efile", file_type, kept, problem))


def _read_succ(data: ReferenceData, label: str, rows: list[list[str]]) -> None:
    kept = 0
    for row in rows:
        if len(row) < 4 or not (_ODS_CODE.match(row[0]) and _ODS_CODE.match(row[1])):
            continue
        effective = _parse_date(row[3])
        if effective is None or row[0] == row[1]:
            continue
        data.successions.append(Succession(row[0], row[1], effective, label))
        kept += 1
    data.files.append(FileReport(label, "succ", None, kept, None if kept else "no succession rows"))


def _column_roles(header: list[str]) -> dict[str, dict[str, int]]:
    """{entity: {role: column index}}: "" for the generic columns, an ONS prefix ("pco") for lookups."""
    generic = vocabulary("column")
    ons = vocabulary("ons_column")
    roles: dict[str, dict[str, int]] = defaultdict(dict)
    for i, cell in enumerate(header):
        key = " ".join(cell.lower().replace("\ufeff", "").split())
        if key in generic or key.replace(" ", "_") in generic:
            roles[""].setdefault(generic.get(key) or generic[key.replace(" ", "_")], i)
            continue
        m = _ONS_COLUMN.match(key.replace(" ", ""))
        if m and m.group(2) in ons:
            roles[m.group(1)].setdefault(ons[m.group(2)], i)
    return roles


def _is_header(row: list[str]) -> bool:
    """A first row that names columns: a known column name, or an ONS column such as CCG13CD."""
    return bool(_column_roles(row)) or any(_ONS_COLUMN.match(cell.lower().replace(" ", "")) for cell in row)


def _read_header_csv(data: ReferenceData, label: str, file_types: list[str], rows: list[list[str]]) -> None:
    file_type = next((t for t in file_types if t not in ("successions",)), None) if len(file_types) == 1 else None
    type_values = vocabulary("type_value")
    kept = untyped = 0
    entities = {e: r for e, r in _column_roles(rows[0]).items() if "code" in r and "name" in r}
    for entity, cols in entities.items():
        entity_type = vocabulary("ons_prefix").get(entity) if entity else None
        if entity and entity_type is None:
            untyped += len(rows) - 1
            continue
        for line, row in enumerate(rows[1:], start=2):
            cell = lambda role: row[cols[role]] if role in cols and cols[role] < len(row) else ""  # noqa: E731
            code, name = cell("code").upper(), cell("name")
            if not _ODS_CODE.match(code) or not name:
                continue
            org_type = entity_type or type_values.get(" ".join(cell("type").lower().split())) \
                or _type_from_name(name) or file_type
            if org_type is None:
                untyped += 1
                continue
            closed_on = _parse_date(cell("close"))
            data.rows.append(ReferenceRow(
                code=code, name=name, org_type=org_type, valid_from=_parse_date(cell("open")), valid_to=closed_on,
                closed=closed_on is not None or cell("status").lower() == "closed",
                parent_code=None, role=None, source=label, line=line, official=False))
            kept += 1
    problem = None
    if not entities:
        problem = "no ODS code and name columns"
    elif untyped:
        problem = f"{untyped} rows of unknown type (add a type column, or name the file for its type)"
    data.files.append(FileReport(label, "header", file_type, kept, problem))


def _read_json(data: ReferenceData, label: str, stem: str, content: bytes) -> None:
    try:
        parsed = json.loads(decode(content))
    except ValueError as exc:
        data.files.append(FileReport(label, "unreadable", None, 0, f"not readable JSON: {exc}"))
        return
    records = parsed if isinstance(parsed, dict) else {}
    fields = sorted({k for r in records.values() if isinstance(r, dict) for k in r})
    roles: dict[str, int] = {}
    for columns in _column_roles(fields).values():  # "name", and "ccg19cdh" (an ONS column of ODS codes)
        for role, i in columns.items():
            roles.setdefault(role, i)
    if not records or "code" not in roles or "name" not in roles:
        data.files.append(FileReport(label, "ignored", None, 0, "JSON without records of ODS codes and names"))
        return
    code_field, name_field = fields[roles["code"]], fields[roles["name"]]
    file_types = [t for t in file_types_for(stem) if t != "successions"]
    file_type = file_types[0] if len(file_types) == 1 else None
    english = tuple(vocabulary("ons_country"))
    kept = untyped = 0
    for line, (key, record) in enumerate(records.items(), start=1):
        if not isinstance(record, dict):
            continue
        if not (_ONS_CODE.match(key) and key.startswith(english)):
            continue  # a record of Wales, Scotland or Northern Ireland, or a header row written as a record
        code, name = str(record.get(code_field) or "").strip().upper(), str(record.get(name_field) or "").strip()
        if not _ODS_CODE.match(code) or not name:
            continue
        org_type = _type_from_name(name) or file_type
        if org_type is None:
            untyped += 1
            continue
        data.rows.append(ReferenceRow(code=code, name=name, org_type=org_type, valid_from=None, valid_to=None,
                                      closed=False, parent_code=None, role=None, source=label, line=line,
                                      official=False))
        kept += 1
    problem = f"{untyped} records of unknown type (name the file for its type)" if untyped else None
    data.files.append(FileReport(label, "json", file_type, kept, problem))


# ---------------------------------------------------------------- bodies

def build_bodies(rows: list[ReferenceRow]) -> dict[str, ReferenceBody]:
    """One body per ODS code: its type, every name the files give it, its dates.

    ODS names come first (e-files before header CSVs; within each, files
    sorted by name descending, so a dated file name such as eccg_2025 comes
    before eccg_2016 and the latest name leads).
    """
    by_code: dict[str, list[ReferenceRow]] = defaultdict(list)
    for row in rows:
        by_code[row.code].append(row)
    bodies: dict[str, ReferenceBody] = {}
    for code, code_rows in sorted(by_code.items()):
        code_rows.sort(key=lambda r: (not r.official, _descending(r.source), r.line))
        own = [r for r in code_rows if r.role != SUB_ICB]
        org_type = Counter(r.org_type for r in own).most_common(1)[0][0] if own else "CCG"
        names: list[ReferenceName] = []
        for r in own:
            if r.org_type == org_type:
                shown = display_name(org_type, r.name)
                if all(n.name != shown for n in names):
                    names.append(ReferenceName(shown, r.source))
        opened = [r.valid_from for r in code_rows if r.valid_from]
        closes = [r.valid_to for r in code_rows if r.valid_to]
        valid_to = max(closes) if closes else None
        era = eras().get(org_type)
        if era and era.ended and (valid_to is None or valid_to > era.ended):
            valid_to = era.ended  # every body of the type ended then; a sub-ICB location is not the CCG
        sub_icb = next((r for r in code_rows if r.role == SUB_ICB), None)
        bodies[code] = ReferenceBody(
            code=code, org_type=org_type, names=names, valid_from=min(opened) if opened else None,
            valid_to=valid_to, closed=any(r.closed for r in code_rows) or valid_to is not None,
            icb_code=sub_icb.parent_code if sub_icb else None)
    _infer_names(bodies, by_code)
    return {code: body for code, body in bodies.items() if body.names}


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)


_SUB_ICB_NAME = re.compile(next(iter(vocabulary("sub_icb_name"))))


def _infer_names(bodies: dict[str, ReferenceBody], by_code: dict[str, list[ReferenceRow]]) -> None:
    """Names the files imply but do not write, marked as inferred.

    Since 2022 ODS writes a former CCG under its ICB's name ("NHS DEVON ICB -
    15N"). That gives the ICB's name when no file names the ICB; and where an
    ICB took over exactly one CCG (Devon, Somerset, Kent and Medway), that
    CCG's area was the ICB's and its name was the ICB's with CCG for ICB
    ("NHS Devon CCG"): used only when no file names the CCG.
    """
    sub_icb_rows = [r for rows in by_code.values() for r in rows if r.role == SUB_ICB and r.parent_code]
    by_icb: dict[str, list[ReferenceRow]] = defaultdict(list)
    for row in sub_icb_rows:
        by_icb[row.parent_code].append(row)
    for icb_code, icb_rows in sorted(by_icb.items()):
        m = _SUB_ICB_NAME.match(" ".join(icb_rows[0].name.split()))
        if m is None:
            continue
        icb_name = display_name("ICB", m.group("icb"))
        if icb_code not in bodies or not bodies[icb_code].names:
            bodies[icb_code] = ReferenceBody(icb_code, "ICB", [ReferenceName(icb_name, icb_rows[0].source, True)],
                                             None, None, False)
        codes = {r.code for r in icb_rows}
        if len(codes) == 1:
            body = bodies[icb_rows[0].code]
            if not body.names:
                body.names.append(ReferenceName(re.sub(r" ICB$", " CCG", icb_name), icb_rows[0].source, True))


def bodies_frame(data: ReferenceData) -> pl.DataFrame:
    """The loaded bodies, one row per ODS code and name, for the staging table `reference_organisations`."""
    rows = [{"ods_code": b.code, "name": n.name, "org_type": b.org_type, "valid_from": b.valid_from,
             "valid_to": b.valid_to, "icb_code": b.icb_code, "source_file": n.source, "name_inferred": n.inferred,
             "name_rank": rank}
            for b in data.bodies.values() for rank, n in enumerate(b.names)]
    return pl.DataFrame(rows, schema={
        "ods_code": pl.Utf8, "name": pl.Utf8, "org_type": pl.Utf8, "valid_from": pl.Date, "valid_to": pl.Date,
        "icb_code": pl.Utf8, "source_file": pl.Utf8, "name_inferred": pl.Boolean, "name_rank": pl.Int32})
