"""Reading reference data (ODS e-files, succ, header CSVs, zips) and fetching it from a local server."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from pipeline.register import fetch
from pipeline.register.names import display_name, title_case
from pipeline.register.reference import file_types_for, load_reference


def efile_row(code: str, name: str, *, parent: str = "", opened: str = "20130401", closed: str = "",
              role: str = "") -> str:
    cells = [code, name, "Y62", parent, "", "", "", "", "", "M1 1AA", opened, closed, "", role] + [""] * 13
    return ",".join(f'"{c}"' for c in cells)


def write(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("raw, cased", [
    ("NHS SALFORD CCG", "NHS Salford CCG"),
    ("THE QUEEN ELIZABETH HOSPITAL, KING'S LYNN, NHS FOUNDATION TRUST",
     "The Queen Elizabeth Hospital, King's Lynn, NHS Foundation Trust"),
    ("NHS STOKE-ON-TRENT CCG", "NHS Stoke-on-Trent CCG"),
    ("NHS GREATER MANCHESTER ICB - 01G", "NHS Greater Manchester ICB - 01G"),
    ("NHS ENGLAND NORTH (CUMBRIA AND NORTH EAST)", "NHS England North (Cumbria and North East)"),
    ("ST. HELENS AND KNOWSLEY TEACHING HOSPITALS NHS TRUST", "St. Helens and Knowsley Teaching Hospitals NHS Trust"),
    ("NHS Airedale, Wharfedale and Craven", "NHS Airedale, Wharfedale and Craven"),  # mixed case is kept
])
def test_upper_case_ods_names_are_title_cased(raw, cased):
    assert title_case(raw) == cased


@pytest.mark.parametrize("org_type, raw, shown", [
    ("PCT", "Bassetlaw", "Bassetlaw PCT"),
    ("SHA", "London", "NHS London"),
    ("CCG", "NHS Salford", "NHS Salford CCG"),
    ("CCG", "NHS SALFORD CCG", "NHS Salford CCG"),
    ("ICB", "NHS Kent and Medway Integrated Care Board", "NHS Kent and Medway Integrated Care Board"),
    ("trust", "SALFORD ROYAL NHS FOUNDATION TRUST", "Salford Royal NHS Foundation Trust"),
])
def test_short_ons_names_get_their_type_word(org_type, raw, shown):
    assert display_name(org_type, raw) == shown


@pytest.mark.parametrize("stem, types", [
    ("etr", ["trust"]), ("ods_eccg_2025-12", ["CCG"]), ("succ", ["successions"]),
    ("trusts_ods_portal_2020-12_open_closed", ["trust"]), ("pct_to_sha_2012_lookup", ["PCT", "SHA"]),
    ("area_team_2013_ons_ods", ["region"]), ("notes", []),
])
def test_a_files_type_comes_from_its_name(stem, types):
    assert file_types_for(stem) == types


# ---------------------------------------------------------------- layouts

def test_efiles_give_bodies_with_dates_and_sub_icb_locations_their_icb(tmp_path):
    write(tmp_path / "eccg.csv", "\n".join([
        efile_row("01G", "NHS GREATER MANCHESTER ICB - 01G", parent="QOP", role="RO319"),
        efile_row("00W", "NHS CENTRAL MANCHESTER CCG", parent="QOP", closed="20170331"),
        efile_row("13Q", "NATIONAL COMMISSIONING HUB 1", role="RO218"),
        efile_row("12J", "GREATER MANCHESTER COMMISSIONING HUB", role="H"),
    ]) + "\n")
    write(tmp_path / "old" / "eccg.csv", efile_row("01G", "NHS SALFORD CCG", parent="Q46", role="C") + "\n")
    data = load_reference(tmp_path)
    salford = data.bodies["01G"]
    assert (salford.org_type, salford.name, salford.icb_code) == ("CCG", "NHS Salford CCG", "QOP")
    assert salford.valid_from == dt.date(2013, 4, 1)
    assert salford.valid_to == dt.date(2022, 6, 30)  # CCGs were abolished then, though ODS keeps the code
    assert data.bodies["00W"].valid_to == dt.date(2017, 3, 31)
    assert "13Q" not in data.bodies and "12J" not in data.bodies  # hubs are not bodies
    # The ICB is named from its sub-ICB location when no file names it.
    assert data.bodies["QOP"].name == "NHS Greater Manchester ICB" and data.bodies["QOP"].names[0].inferred


def test_a_ccg_known_only_as_the_single_sub_icb_location_of_an_icb_gets_the_icbs_name(tmp_path):
    write(tmp_path / "eccg.csv", efile_row("15N", "NHS DEVON ICB - 15N", parent="QJK", opened="20190401",
                                           role="RO319") + "\n")
    body = load_reference(tmp_path).bodies["15N"]
    assert body.name == "NHS Devon CCG" and body.names[0].inferred


def test_rows_named_with_a_type_word_take_that_type(tmp_path):
    write(tmp_path / "eauth.csv", "\n".join([
        efile_row("Q70", "NHS ENGLAND SOUTH (WESSEX)"),
        efile_row("QKS", "NHS KENT AND MEDWAY INTEGRATED CARE BOARD", opened="20220701"),
    ]) + "\n")
    bodies = load_reference(tmp_path).bodies
    assert bodies["Q70"].org_type == "region"
    assert bodies["QKS"].org_type == "ICB"


def test_succ_rows_are_successions(tmp_path):
    write(tmp_path / "succ.csv", '"06F","M1J4Y","","20210401","1"\n"001","001","","19960401","0"\n')
    data = load_reference(tmp_path)
    assert [(s.predecessor, s.successor, s.effective_on) for s in data.successions] == [
        ("06F", "M1J4Y", dt.date(2021, 4, 1))]


def test_header_csvs_with_code_name_type_and_dates(tmp_path):
    write(tmp_path / "my_bodies.csv", "Code,Name,Type,Open date,Close date\n"
          "RM3,SALFORD ROYAL NHS FOUNDATION TRUST,NHS foundation trust,19940401,\n"
          "5F5,Salford,Primary care trust,,2013-03-31\n"
          "X99,Something,unknown kind,,\n")
    data = load_reference(tmp_path)
    assert data.bodies["RM3"].org_type == "trust" and data.bodies["RM3"].valid_from == dt.date(1994, 4, 1)
    assert data.bodies["5F5"].name == "Salford PCT" and data.bodies["5F5"].valid_to == dt.date(2013, 3, 31)
    assert "X99" not in data.bodies
    assert "1 rows of unknown type" in data.files[0].problem


def test_ons_lookups_give_one_body_per_column_prefix(tmp_path):
    write(tmp_path / "pct_to_sha_lookup.csv", '"PCO12CD","PCO12CDO","PCO12NM","SHA12CD","SHA12CDO","SHA12NM"\n'
          '"E16000001","5A3","South Gloucestershire","E18000010","Q39","South West"\n')
    bodies = load_reference(tmp_path).bodies
    assert bodies["5A3"].name == "South Gloucestershire PCT"
    assert bodies["Q39"].name == "NHS South West"


def test_cp1252_and_cr_only_files_are_read(tmp_path):
    write(tmp_path / "ccg.csv", "CCG13CD,CCG13CDH,CCG13NM\nE38000999,99X,NHS St Mary\u2019s Isle\n",
          encoding="cp1252", newline="\r")
    data = load_reference(tmp_path)
    assert data.bodies["99X"].name == "NHS St Mary\u2019s Isle CCG"


def test_zips_of_csvs_are_read(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("etr.csv", efile_row("RTR", "SOUTH TEES HOSPITALS NHS FOUNDATION TRUST") + "\n")
        archive.writestr("etr.pdf", b"%PDF")
    (tmp_path / "etr.zip").write_bytes(buffer.getvalue())
    assert load_reference(tmp_path).bodies["RTR"].org_type == "trust"


def test_unreadable_files_are_recorded_and_never_fatal(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    write(tmp_path / "odd.csv", "just,some,words\n")
    write(tmp_path / "README.md", "notes\n")
    write(tmp_path / "etr.csv", efile_row("RTR", "SOUTH TEES HOSPITALS NHS FOUNDATION TRUST") + "\n")
    data = load_reference(tmp_path)
    problems = {f.file: (f.layout, f.problem) for f in data.files}
    assert problems["empty.csv"] == ("unreadable", "empty file")
    assert problems["broken.zip"][0] == "unreadable"
    assert problems["odd.csv"][0] == "unreadable" and "unrecognised layout" in problems["odd.csv"][1]
    assert problems["README.md"][0] == "ignored"
    assert "RTR" in data.bodies


def test_no_folder_means_no_reference_data(tmp_path):
    assert not load_reference(None).loaded
    assert not load_reference(tmp_path / "absent").loaded


# ---------------------------------------------------------------- the shared extracts (tests only)

@pytest.fixture(scope="module")
def shared_reference(shared_dir):
    folder = shared_dir / "reference"
    if not folder.is_dir():
        pytest.skip("../shared/reference is not present")
    return load_reference(folder)


def test_the_shared_extracts_load_with_their_quirks(shared_reference):
    data = shared_reference
    by_file = {f.file: f for f in data.files}
    assert by_file["area_team_2013_ons_ods.csv"].rows == 25          # CR-only line endings
    assert by_file["ccg_2013_ons_ods.csv"].rows == 211               # cp1252
    assert by_file["ods_succ_2026.csv"].rows > 10_000
    counts = {}
    for body in data.bodies.values():
        counts[body.org_type] = counts.get(body.org_type, 0) + 1
    assert counts["PCT"] >= 151 and counts["SHA"] == 10 and counts["ICB"] == 42 and counts["CCG"] >= 230
    assert data.bodies["01G"].name == "NHS Salford CCG" and data.bodies["01G"].icb_code == "QOP"
    assert data.bodies["5F5"].name == "Salford PCT"
    assert data.bodies["Q36"].name == "NHS London"
    assert {n.name for n in data.bodies["RM3"].names} >= {"Salford Royal NHS Foundation Trust",
                                                          "Northern Care Alliance NHS Foundation Trust"}


# ---------------------------------------------------------------- fetch, against a local server only

def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture()
def ods_server(tmp_path):
    """A local HTTP server playing NHS Digital's ODS folder: etr and succ are there, eccg is broken, eauth absent."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "etr.zip").write_bytes(_zip({"etr.csv": efile_row("RTR", "SOUTH TEES HOSPITALS NHS FOUNDATION TRUST")
                                                    + "\n", "etr.pdf": "x"}))
    (site / "succ.zip").write_bytes(_zip({"../../succ.csv": '"RCJ","RTR","","20020401","1"\n'}))
    (site / "eccg.zip").write_bytes(b"<html>maintenance</html>")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


def test_fetch_downloads_unpacks_and_records_each_extract(ods_server, tmp_path):
    dest = tmp_path / "raw" / "reference"
    results = {r.name: r for r in fetch.fetch_reference(dest, ods_server, ["etr", "succ", "eccg", "eauth"], timeout=5)}
    assert results["etr"].ok and results["etr"].files == ["etr.csv"]
    assert results["succ"].ok and (dest / "succ.csv").is_file()  # a member path never escapes the folder
    assert not results["eccg"].ok and "not an ODS zip" in results["eccg"].detail
    assert not results["eauth"].ok and "404" in results["eauth"].detail
    assert not (tmp_path / "succ.csv").exists()
    manifest = (dest / fetch.MANIFEST).read_text()
    assert "etr" in manifest and "eauth" not in manifest
    # What was fetched is what a build reads.
    data = load_reference(dest)
    assert "RTR" in data.bodies and data.successions[0].predecessor == "RCJ"
    assert fetch.MANIFEST not in {f.file for f in data.files}


def test_fetch_reads_its_base_url_from_the_environment(ods_server, tmp_path, monkeypatch):
    monkeypatch.setenv(fetch.BASE_URL_ENV, ods_server)
    results = fetch.fetch_reference(tmp_path / "ref", names=["etr"], timeout=5)
    assert results[0].ok and results[0].url == f"{ods_server}/etr.zip"


def test_fetch_without_a_network_fails_per_file(tmp_path):
    # Port 9 on localhost: nothing listens, so the connection is refused at once, without the internet.
    results = fetch.fetch_reference(tmp_path / "ref", "http://127.0.0.1:9", ["etr"], timeout=2)
    assert not results[0].ok and results[0].detail.startswith("network")
    assert "FAILED" in fetch.render(results, tmp_path / "ref")


def test_the_default_list_names_the_ods_extracts():
    assert {"etr", "eccg", "succ"} <= set(fetch.default_names())
    assert fetch.DEFAULT_BASE_URL.startswith("https://files.digital.nhs.uk/")
