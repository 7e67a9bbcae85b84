"""End to end through the Prefect UI: `greencomm up` for real, progress recorded, a phase triggered, Chromium reads it.

No mocks: a `greencomm up` subprocess (Prefect server and UI, SMTP sink, served deployments) in a temporary var
folder on free ports; `greencomm record` and `greencomm trigger` against it; headless Chromium (Debian's, run
`make browser` to install it) through Playwright. Screenshots land in test-output/browser/.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.ports import free_ports
from tests.upkit import PREFECT_AUTH, clean_environment, greencomm_command, output_tail, prefect_api, start_up, stop

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "test-output" / "browser"
CAMPAIGN = "qingyang-green-2022"
PHASE_DEPLOYMENTS = ["pilot-phase", "promotion-phase", "consolidation-phase"]
ARTIFACT_KINDS = ["summary", "targets", "standards", "notices", "overdue"]
STANDARDS_KEY = f"{CAMPAIGN}-pilot-standards"
MET, UNMET, UNASSESSED = "✅ 达标", "❌ 未达标", "— 未评估"
START_SECONDS = 120  # server up and the first pilot run completed
UI_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Running:
    """A `greencomm up` that has served one pilot run, then a triggered one after progress was recorded."""

    ui: str
    api: str
    env: dict[str, str]
    first_run: str
    triggered_run: str


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium) and run the test again")


def completed_pilot_runs(api: str) -> list[dict[str, Any]]:
    body = {
        "flows": {"name": {"any_": ["pilot-phase"]}},
        "deployments": {"name": {"any_": [CAMPAIGN]}},
        "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
        "sort": "EXPECTED_START_TIME_DESC",
    }
    response = prefect_api(api).post("flow_runs/filter", json=body)
    response.raise_for_status()
    runs: list[dict[str, Any]] = response.json()
    return runs


def wait_until_ready(api: str, up: subprocess.Popen[bytes], describe: Callable[[], str]) -> str:
    """The id of the first completed pilot run, once the API answers; fails after START_SECONDS."""
    deadline = time.monotonic() + START_SECONDS
    healthy = False
    while time.monotonic() < deadline:
        if up.poll() is not None:
            pytest.fail(f"`greencomm up` exited ({up.returncode}) before serving\n{describe()}")
        try:
            healthy = healthy or httpx.get(f"{api}/health", timeout=2).status_code == 200
            runs = completed_pilot_runs(api) if healthy else []
        except httpx.HTTPError:
            runs = []
        if runs:
            return str(runs[0]["id"])
        time.sleep(1)
    stage = "no completed pilot-phase run" if healthy else "no answer from /api/health"
    pytest.fail(f"`greencomm up`: {stage} within {START_SECONDS} s\n{describe()}")


def run_cli(env: dict[str, str], *args: str, timeout: float) -> str:
    """A greencomm command with the same environment as up; its output, after checking it exited 0."""
    done = subprocess.run(
        [str(greencomm_command()), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"greencomm {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    # up's API, not one of Prefect's own: a command that read Prefect's settings before ours started a temporary
    # server (20 s, and a timeout on a loaded machine)
    assert "temporary server" not in done.stderr, done.stderr
    return done.stdout


def progress_rows(folder: Path) -> Path:
    """Today's assessments (plan time): c01 meets all 16 (standard 12 measured at 0.42 ≥ 0.30), c02 fails 3."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    lines = ["date,action,assignee,target,value"]
    lines += [f"{today},assess,community:c01,{s},{'0.42' if s == 12 else 'met'}" for s in range(1, 17)]
    lines.append(f"{today},assess,community:c02,3,unmet")
    path = folder / "progress.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def greencomm_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("greencomm-up")
    var_dir = tmp / "var"
    prefect_port, sink_port = free_ports(2)
    env = clean_environment(var_dir, prefect_port, sink_port)
    api = f"http://127.0.0.1:{prefect_port}/api"
    log = tmp / "up.log"
    up = start_up(env, log)
    try:
        first = wait_until_ready(api, up, lambda: output_tail(log, var_dir))
        recorded = run_cli(env, "record", str(progress_rows(tmp)), timeout=60)
        assert f"17 rows recorded for {CAMPAIGN}" in recorded
        triggered = run_cli(env, "trigger", "pilot", timeout=120)
        assert ": Completed" in triggered
        new = [r["id"] for r in completed_pilot_runs(api) if r["id"] != first]
        assert len(new) == 1, f"expected one new completed pilot run after the trigger, got {new}"
        yield Running(api.removesuffix("/api"), api, env, first, str(new[0]))
    finally:
        problems = stop(up, var_dir)
        assert not problems, "\n".join([*problems, output_tail(log, var_dir)])
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{api}/health", timeout=2)  # the Prefect server stopped with it


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=UI_TIMEOUT_MS)  # assertions too, not only actions (5 s is short on a busy machine)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(UI_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def open_ui(request: pytest.FixtureRequest) -> tuple[Page, Running]:
    """Chromium checked first (a clear failure, not a skip), then the running `up` and a fresh page, logged in."""
    require_chromium()
    running: Running = request.getfixturevalue("greencomm_up")
    page: Page = request.getfixturevalue("page")
    log_in(page, running.ui)
    return page, running


def log_in(page: Page, ui: str, auth: str = PREFECT_AUTH) -> None:
    """As README tells a supervisor: the UI asks for the auth string (the one in var/prefect-auth)."""
    page.goto(ui)
    password = page.get_by_placeholder("admin:pass")
    password.fill(auth)
    page.get_by_role("button", name="Login").click()
    expect(password).to_have_count(0)


def test_the_ui_asks_for_the_auth_string(request: pytest.FixtureRequest) -> None:
    require_chromium()
    running: Running = request.getfixturevalue("greencomm_up")
    page: Page = request.getfixturevalue("page")
    page.goto(f"{running.ui}/deployments")
    password = page.get_by_placeholder("admin:pass")
    expect(password).to_be_visible()
    expect(page.get_by_text("pilot-phase", exact=True)).to_have_count(0)
    password.fill("greencomm:a-guess")
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_text("Authentication failed.").first).to_be_visible()
    screenshot(page, "00-login-refused.png")
    log_in(page, f"{running.ui}/deployments")
    expect(page.get_by_text("pilot-phase", exact=True)).to_be_visible()


def screenshot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=True)


def test_deployments_page_lists_the_phases(request: pytest.FixtureRequest) -> None:
    page, running = open_ui(request)
    page.goto(f"{running.ui}/deployments")
    for name in PHASE_DEPLOYMENTS:
        expect(page.get_by_text(name, exact=True)).to_be_visible()
    expect(page.get_by_text(CAMPAIGN, exact=True).first).to_be_visible()
    screenshot(page, "01-deployments.png")


def test_triggered_run_shows_its_artifacts(request: pytest.FixtureRequest) -> None:
    page, running = open_ui(request)
    page.goto(f"{running.ui}/runs/flow-run/{running.triggered_run}")
    expect(page.get_by_text("Completed", exact=True).first).to_be_visible()
    page.get_by_role("tablist").get_by_text("Artifacts", exact=True).click()
    expect(page).to_have_url(f"{running.ui}/runs/flow-run/{running.triggered_run}?tab=Artifacts")
    for kind in ARTIFACT_KINDS:
        expect(page.get_by_text(f"{CAMPAIGN}-pilot-{kind}", exact=True).last).to_be_visible()
    expect(page.get_by_text("社区 × 16 项创建标准").first).to_be_visible()
    screenshot(page, "02-pilot-run-artifacts.png")


def latest_standards(api: str) -> dict[str, Any]:
    body = {"artifacts": {"key": {"any_": [STANDARDS_KEY]}}}
    response = prefect_api(api).post("artifacts/latest/filter", json=body)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    assert len(found) == 1, f"expected one latest {STANDARDS_KEY} artifact, got {found}"
    return found[0]


def test_standards_artifact_shows_the_recorded_marks(request: pytest.FixtureRequest) -> None:
    page, running = open_ui(request)
    page.set_viewport_size({"width": 2400, "height": 1080})  # all 16 standard columns without scrolling
    latest = latest_standards(running.api)
    assert latest["flow_run_id"] == running.triggered_run, "the latest matrix comes from the triggered run"
    page.goto(f"{running.ui}/artifacts/artifact/{latest['latest_id']}")
    expect(page.get_by_text(STANDARDS_KEY).first).to_be_visible()
    expect(page.get_by_text("12 Items")).to_be_visible()  # the 12 sample communities, one row each
    c01 = page.locator("tr", has_text="示例社区01")
    c02 = page.locator("tr", has_text="示例社区02")
    c03 = page.locator("tr", has_text="示例社区03")
    expect(c01.locator("td")).to_have_count(17)
    expect(c01.locator("td", has_text=MET)).to_have_count(16)  # standard 12 at 0.42 meets its 0.30 minimum
    expect(c02.locator("td", has_text=UNMET)).to_have_count(1)
    expect(c02.locator("td", has_text=UNASSESSED)).to_have_count(15)
    expect(c02.locator("td").nth(3)).to_have_text(UNMET)  # 社区, 标准1, 标准2, 标准3
    expect(c03.locator("td", has_text=UNASSESSED)).to_have_count(16)
    screenshot(page, "03-pilot-standards-artifact.png")
    page.goto(f"{running.ui}/artifacts/key/{STANDARDS_KEY}")
    expect(page.get_by_text(latest["latest_id"][:8], exact=True)).to_be_visible()  # newest version listed
    screenshot(page, "04-pilot-standards-versions.png")
