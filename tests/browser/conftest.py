"""Fixtures of the browser tests: a student bundle with completed notebooks, a JupyterLab server
in the student view, and headless Chromium driven by Playwright."""

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, copy_bundle, lab_server

SHOTS = None


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests skipped: no Chromium at {CHROMIUM}. Install Debian's `chromium` package "
            "(or set COURSEKIT_CHROMIUM to a Chromium binary) to run them."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser_bundle(course, tmp_path_factory):
    return copy_bundle(course / "dist" / "student", tmp_path_factory.mktemp("browser") / "student")


@pytest.fixture(scope="session")
def lab(browser_bundle, chromium, tmp_path_factory, repo_root):
    with lab_server(browser_bundle, tmp_path_factory.mktemp("lab-state")) as server:
        _warm_up(chromium, *server, repo_root / "build" / "screenshots")
        yield server


def _warm_up(browser, base, token, shots):
    """Load JupyterLab once before the tests, so that first-load work (building the settings,
    the workspace, the kernel specs) is not timed by the first test. A dialog seen on that
    first load is saved (text and screenshot) for a person to look at, then closed."""
    import time

    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/lab?token={token}&reset")
        page.wait_for_selector(".jp-LauncherCard, .jp-Launcher", timeout=90_000)
        time.sleep(2)
        dialogs = page.locator(".jp-Dialog")
        if dialogs.count():
            (shots / "first-load-dialog.txt").write_text(dialogs.first.inner_text())
            page.screenshot(path=str(shots / "first-load-dialog.png"))
            page.keyboard.press("Escape")
    finally:
        page.close()


@pytest.fixture(scope="session")
def screenshots(repo_root):
    path = repo_root / "build" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
