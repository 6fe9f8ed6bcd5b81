"""The Dagster UI end to end: the CLI's run shows in the webserver, and the asset graph renders in a browser.

The CLI builds the sample into a temporary warehouse, recording the run in a temporary Dagster instance; then
`dagster-webserver` serves the project's workspace over that instance (on 127.0.0.1 and a free port). The GraphQL
API must show every asset in its group with its description and dependencies, pointed at the same warehouse, and
the latest materialisation of each table with row count, column schema and preview. Headless Chromium then loads
the global asset lineage with every group expanded: the screenshot must be a real page and the rendered DOM must
name the assets. The browser part skips where Chromium is not installed (CI installs it in `.ci/run`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import polars as pl
import pytest

from assets.charts import deficits_by_year_markdown
from pipeline.warehouse import store
from cli.main import main
from tests.support.browser import browse, require_chromium
from assets.definitions import defs

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "raw"
WORKSPACE = ROOT / "workspace.yaml"
LOCATION = "nhs_ledger"
GROUPS = {"ingest", "extract", "resolve", "publish"}
TABLES = ("articles", "savings", "deficits", "organisations")
# Tall enough for the whole graph: the lineage view zooms to fit the width, and the expanded groups stack.
WINDOW = (1600, 1800)
SERVER_START_TIMEOUT = 90
BROWSER_TIMEOUT = 90

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------------------------------------- the webserver

class Webserver:
    def __init__(self, url: str, home: Path, warehouse: Path, log: Path):
        self.url, self.home, self.warehouse, self.log = url, home, warehouse, log

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        assert not payload.get("errors"), payload["errors"]
        return payload["data"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group (webserver and its code server), then SIGKILL whatever is left of it."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        break
    try:  # the leader has exited; a child of it may not have
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture(scope="module")
def webserver(tmp_path_factory) -> Webserver:
    tmp = tmp_path_factory.mktemp("ui")
    home, warehouse = tmp / "dagster_home", tmp / "warehouse"
    home.mkdir()
    # No telemetry, and no "join the community" dialog over the page on a fresh instance.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    env = {"DAGSTER_HOME": str(home), "NHS_LEDGER_RAW": str(SAMPLE), "NHS_LEDGER_WAREHOUSE": str(warehouse)}

    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        assert main(["build", "--raw", str(SAMPLE), "--warehouse", str(warehouse)]) == 0

    port = _free_port()
    log = tmp / "webserver.log"
    webserver_bin = Path(sys.executable).with_name("dagster-webserver")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(webserver_bin), "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches the code server too
        )
    try:
        server = Webserver(f"http://127.0.0.1:{port}", home, warehouse, log)
        _wait_until_serving(server, process)
        yield server
    finally:
        _stop(process)


def _wait_until_serving(server: Webserver, process: subprocess.Popen) -> None:
    """Until /server_info answers and the code location has loaded, within SERVER_START_TIMEOUT."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    status = "not answering"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {process.returncode}:\n{_tail(server.log)}")
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5) as response:
                json.load(response)
            entries = server.graphql(
                "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
            )["workspaceOrError"]["locationEntries"]
            entry = next((e for e in entries if e["name"] == LOCATION), None)
            status = "no location" if entry is None else entry["loadStatus"]
            if entry and entry["loadStatus"] == "LOADED":
                error = entry["locationOrLoadError"]
                assert error["__typename"] == "RepositoryLocation", f"code location failed to load: {error}"
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"dagster-webserver not ready after {SERVER_START_TIMEOUT}s ({status}):\n{_tail(server.log)}")


# ---------------------------------------------------------------------------------------------- GraphQL

ASSET_NODES = """
{ assetNodes {
    assetKey { path }
    groupName
    description
    isAutoCreatedStub
    dependencyKeys { path }
    assetMaterializations(limit: 1) {
      runId
      metadataEntries {
        label
        __typename
        ... on IntMetadataEntry { intValue }
        ... on TableSchemaMetadataEntry { schema { columns { name type } } }
        ... on MarkdownMetadataEntry { mdStr }
      }
    }
} }
"""


@pytest.fixture(scope="module")
def asset_nodes(webserver) -> dict[str, dict]:
    nodes = webserver.graphql(ASSET_NODES)["assetNodes"]
    return {"/".join(node["assetKey"]["path"]): node for node in nodes}


def _expected_graph() -> dict[str, tuple[str, str, set[str]]]:
    """key -> (group, description, upstream keys), from the definitions the CLI ran."""
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): (node.group_name, node.description or "",
                               {parent.to_user_string() for parent in node.parent_keys})
        for key in graph.get_all_asset_keys() for node in [graph.get(key)]
    }


def test_the_ui_shows_every_asset_in_its_group_with_description_and_lineage(asset_nodes):
    expected = _expected_graph()
    assert set(asset_nodes) == set(expected)
    # A check or dependency naming an undefined asset makes Dagster invent a stub in group "default".
    stubs = sorted(key for key, node in asset_nodes.items() if node["isAutoCreatedStub"])
    assert not stubs, f"referenced but not defined as assets (auto-created stubs): {stubs}"
    strays = sorted(f"{key} ({node['groupName']})" for key, node in asset_nodes.items()
                    if node["groupName"] not in GROUPS)
    assert not strays, f"assets outside the groups {sorted(GROUPS)}: {strays}"
    assert {node["groupName"] for node in asset_nodes.values()} == GROUPS
    for key, (group, description, upstream) in expected.items():
        node = asset_nodes[key]
        assert node["groupName"] == group, key
        assert node["description"] and node["description"] == description, key
        assert {"/".join(k["path"]) for k in node["dependencyKeys"]} == upstream, key
    # The lineage the README promises, at table level.
    for child, parent in (("articles", "raw_files"), ("fact_candidates", "articles"),
                          ("organisations", "mention_candidates"), ("deficits", "organisations"),
                          ("runs", "deficits"), ("nhs_ledger_duckdb", "runs")):
        assert {"path": [parent]} in asset_nodes[child]["dependencyKeys"], (child, parent)


def test_the_ui_reads_the_warehouse_the_cli_built(webserver):
    data = webserver.graphql(
        """query($location: String!) {
          repositoryOrError(repositorySelector: {repositoryLocationName: $location, repositoryName: "__repository__"}) {
            __typename
            ... on Repository { allTopLevelResourceDetails { name configuredValues { key value } } }
          }
          runsOrError { ... on Runs { results { jobName status } } }
        }""", {"location": LOCATION})
    repository = data["repositoryOrError"]
    assert repository["__typename"] == "Repository", repository
    ledger = next(r for r in repository["allTopLevelResourceDetails"] if r["name"] == "ledger")
    values = {v["key"]: json.loads(v["value"]) for v in ledger["configuredValues"]}
    assert values["warehouse_dir"] == str(webserver.warehouse)
    assert values["raw_dir"] == str(SAMPLE)
    assert data["runsOrError"]["results"] == [{"jobName": "build", "status": "SUCCESS"}]


@pytest.mark.parametrize("table", TABLES)
def test_the_latest_materialisation_has_row_count_schema_and_preview(asset_nodes, webserver, table):
    materialisations = asset_nodes[table]["assetMaterializations"]
    assert materialisations, f"{table}: no materialisation recorded"
    entries = {e["label"]: e for e in materialisations[0]["metadataEntries"]}
    frame = store.read_table(webserver.warehouse, table)

    assert entries["dagster/row_count"]["__typename"] == "IntMetadataEntry"
    assert entries["dagster/row_count"]["intValue"] == frame.height > 0

    columns = [c["name"] for c in entries["dagster/column_schema"]["schema"]["columns"]]
    assert columns and set(columns) >= set(frame.columns) - {"body_text"}

    preview = entries["preview"]
    assert preview["__typename"] == "MarkdownMetadataEntry"
    header = preview["mdStr"].splitlines()[0]
    assert header.startswith("| ") and columns[0] in header


def test_the_deficits_materialisation_charts_deficits_by_year(asset_nodes, webserver):
    entries = {e["label"]: e for e in asset_nodes["deficits"]["assetMaterializations"][0]["metadataEntries"]}
    assert "deficits_by_year" in entries, "published_facts should attach the deficits_by_year chart (assets/charts.py)"
    chart = entries["deficits_by_year"]
    assert chart["__typename"] == "MarkdownMetadataEntry"
    assert chart["mdStr"] == deficits_by_year_markdown(store.read_table(webserver.warehouse, "deficits"))


# ---------------------------------------------------------------------------------------------- the browser

@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


def _browse(chromium: str, url: str, *args: str) -> bytes:
    """Headless Chromium on `url` with a throwaway profile (tests/support/browser.py); its stdout."""
    return browse(url, *args, window=WINDOW, budget_ms=20000, timeout=BROWSER_TIMEOUT)


def _lineage_url(webserver: Webserver, asset_nodes: dict) -> str:
    # The global lineage collapses a multi-group graph to one box per group; its `expanded` query parameter
    # (the state the UI's "Expand all groups" writes) opens them. A group's id is `global@global:<group>`, or
    # `<repository>@<location>:<group>` under the UI's per-code-location grouping flag: name both.
    groups = sorted({node["groupName"] for node in asset_nodes.values() if not node["isAutoCreatedStub"]})
    ids = [f"{prefix}:{g}" for g in groups for prefix in ("global@global", f"__repository__@{LOCATION}")]
    return f"{webserver.url}/asset-groups?expanded=" + ",".join(ids)


def test_the_asset_graph_renders_in_a_browser(chromium, webserver, asset_nodes, tmp_path):
    url = _lineage_url(webserver, asset_nodes)

    screenshot = tmp_path / "asset_graph.png"
    _browse(chromium, url, f"--screenshot={screenshot}")
    assert screenshot.is_file(), "Chromium wrote no screenshot"
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == WINDOW
    # Measured at this size: a blank page is a few KB, the UI's shell with an empty page about 57 KB, the lineage
    # canvas (dotted grid) at least 130 KB and the expanded graph about 240 KB. Which nodes show is the DOM's job.
    assert len(png) > 100_000, f"screenshot is only {len(png)} bytes: the page is probably blank"
    if keep := os.environ.get("NHS_LEDGER_UI_SCREENSHOT"):
        shutil.copyfile(screenshot, keep)

    dom = _browse(chromium, url, "--dump-dom").decode("utf-8", errors="replace")
    assert "Global asset lineage" in dom
    missing = [key for key, node in asset_nodes.items() if not node["isAutoCreatedStub"] and key not in dom]
    assert not missing, f"asset graph page does not show {missing}"
    # Expanded groups show asset nodes; a collapsed graph would show only the four group names.
    for name in ("articles", "fact_candidates", "organisations", "savings", "deficits", "nhs_ledger_duckdb"):
        assert name in dom


# ---------------------------------------------------------------------------------------------- the chart itself

def test_deficits_by_year_chart_totals_measures_and_scales_bars():
    frame = pl.DataFrame({
        "measure": ["forecast", "actual", "planned", "forecast", "forecast"],
        "amount_gbp": [10e6, 30e6, 5e6, None, 2.5e6],
        "amount_low_gbp": [None, None, None, 4e6, None],
        "fy_end": ["2016/17", "2015/16", "2016/17", "2016/17", None],
    })
    lines = deficits_by_year_markdown(frame).splitlines()
    assert lines[0].split("|")[1:-1] == [" financial year ", " facts ", " total £m ", "  ",
                                         " forecast £m ", " actual £m ", " planned £m "]
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in lines[2:5]]
    assert rows[0] == ["2015/16", "1", "30.0", "█" * 20, "–", "30.0", "–"]
    assert rows[1][:3] == ["2016/17", "3", "19.0"] and rows[1][4:] == ["14.0", "–", "5.0"]  # a range at its low end
    assert rows[1][3].startswith("█" * 12) and len(rows[1][3]) == 13  # 19/30 of 20 cells
    assert rows[2][:3] == ["no year", "1", "2.5"]
    assert "5 deficit facts" in lines[-1]
    assert deficits_by_year_markdown(frame.head(0)) == "_(no deficits)_"
