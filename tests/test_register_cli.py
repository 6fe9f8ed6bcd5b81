"""The register on the command line: `build --reference`, `reference fetch`, the match rate in the summary."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from pipeline.warehouse import store
from cli.main import main

from tests.test_reference import efile_row, ods_server, write  # noqa: F401 - ods_server is a fixture


@pytest.fixture()
def seeds_raw(shared_dir, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for source in (shared_dir / "seeds").glob("*.txt"):
        shutil.copy(source, raw / source.name)
    return raw


def test_build_with_reference_gives_ods_codes_and_prints_the_match_rate(seeds_raw, shared_dir, tmp_path, capsys):
    warehouse = tmp_path / "w"
    assert main(["build", "--raw", str(seeds_raw), "--warehouse", str(warehouse),
                 "--reference", str(shared_dir / "reference")]) == 0
    assert "ODS codes:" in capsys.readouterr().out
    organisations = store.read_table(warehouse, "organisations")
    salford = organisations.filter(pl.col("ods_code") == "01G").row(0, named=True)
    assert salford["name"] == "NHS Salford CCG" and set(salford["aliases"]) >= {"Salford CCG"}
    assert store.read_table(warehouse, "org_successions").height > 0


def test_build_reads_raw_reference_by_default(seeds_raw, tmp_path):
    write(seeds_raw / "reference" / "eccg.csv", efile_row("01G", "NHS SALFORD CCG") + "\n")
    warehouse = tmp_path / "w"
    assert main(["build", "--raw", str(seeds_raw), "--warehouse", str(warehouse)]) == 0
    assert "01G" in store.read_table(warehouse, "organisations")["ods_code"].to_list()
    assert store.read_table(warehouse, "rejected_inputs").height == 0  # the reference folder is no input


def test_build_rejects_a_missing_reference_folder(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    assert main(["build", "--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "w"),
                 "--reference", str(tmp_path / "nowhere")]) == 2
    assert "reference folder not found" in capsys.readouterr().err


def test_reference_fetch_from_a_local_server(ods_server, tmp_path, capsys):  # noqa: F811
    dest = tmp_path / "ref"
    code = main(["reference", "fetch", "--dest", str(dest), "--base-url", ods_server, "--only", "etr,succ"])
    assert code == 0 and (dest / "etr.csv").is_file()
    assert "etr" in capsys.readouterr().out
    assert main(["reference", "fetch", "--dest", str(dest), "--base-url", ods_server, "--only", "eauth"]) == 2
