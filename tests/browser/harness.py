"""Drive JupyterLab in headless Chromium: start a student-view server, open a notebook, run it,
move every explorer's controls and measure how the picture changes.

Adding a notebook with explorers needs nothing here: every notebook with a cell tagged
``widget`` is tested by ``test_widgets.py``.
"""

import io
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

CHROMIUM = Path(os.environ.get("COURSEKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on screen, not other open tabs
IDLE_JS = (
    """() => {
  const PANEL = '"""
    + PANEL
    + """';
  const prompts = Array.from(document.querySelectorAll(PANEL + ' .jp-CodeCell .jp-InputPrompt'));
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""
)


def completed_release(source: Path, release: Path, out: Path) -> Path:
    """The release notebook with each answer cell filled in from the source notebook: what a
    student who finished the exercises has (no hidden tests, student build of coursekit)."""
    src = nbformat.read(source, as_version=4)
    rel = nbformat.read(release, as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in src.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }
    for cell in rel.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            cell.source = "\n".join(line for line in answers[meta["grade_id"]].splitlines() if "SOLUTION" not in line)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(rel, str(out))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def lab_server(bundle: Path, state: Path):
    """JupyterLab (student view) on ``bundle``; yields ``(base_url, token)``; stops it after."""
    from coursekit.lab import student_lab

    port, token = free_port(), secrets.token_hex(16)
    argv, env = student_lab(bundle, state, port=port, token=token, open_browser=False)
    # every cell rendered (no virtual scrolling), so the tests can see every output
    settings = state / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(state / "settings")
    env["MPLBACKEND"] = "Agg"
    log = (state / "lab.log").open("w")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start:\n{(state / 'lab.log').read_text()[-3000:]}"
                    ) from None
                time.sleep(0.3)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def changed(before: bytes, after: bytes) -> float:
    """Mean absolute pixel difference (0 when identical) of two PNG screenshots."""
    a, b = pixels(before), pixels(after)
    if a.shape != b.shape:
        return 1.0
    return float(np.abs(a - b).mean())


@dataclass
class ExplorerReport:
    index: int
    redraw_ms: list[float] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


# The notebook's toolbar reads "Kernel status: Idle" before any kernel exists (and a "Run All" sent
# then opens JupyterLab's "Select Kernel" dialog); the status bar names the notebook's kernel only
# once its session is connected.
KERNEL_READY_JS = """(name) => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
  .some(e => e.getAttribute('title') === 'Change kernel for ' + name && /\\|\\s*Idle\\s*$/.test(e.textContent))"""

STARTED_JS = (
    """() => Array.from(document.querySelectorAll('"""
    + PANEL
    + """ .jp-CodeCell .jp-InputPrompt'))
  .some(p => /\\[(\\d+|\\*)\\]/.test(p.textContent))"""
)


def open_and_run(page, base: str, token: str, rel_path: str, timeout_s: float = 180) -> None:
    """Open a notebook and run all its cells, waiting until every code cell has run."""
    page.goto(f"{base}/lab/tree/{rel_path}?token={token}&reset")  # reset: no tabs left from earlier tests
    page.wait_for_selector(f"{PANEL} .jp-CodeCell", timeout=90_000)
    page.wait_for_function(KERNEL_READY_JS, arg=rel_path.rsplit("/", 1)[-1], timeout=90_000, polling=250)
    dialogs = page.locator(".jp-Dialog")
    if dialogs.count():
        raise AssertionError(f"a dialog covers the notebook: {dialogs.first.inner_text()[:500]!r}")
    # a "Run All" sent while the kernel connection is still settling can be dropped: retry
    for _attempt in range(6):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        try:
            page.wait_for_function(STARTED_JS, timeout=5_000, polling=200)
            break
        except Exception:
            if page.locator(".jp-Dialog").count():
                raise AssertionError(
                    f"a dialog covers the notebook: {page.locator('.jp-Dialog').first.inner_text()[:500]!r}"
                ) from None
            continue
    page.wait_for_function(IDLE_JS, timeout=timeout_s * 1000, polling=250)


def cell_errors(page) -> list[str]:
    """Text of every error output in the notebook (tracebacks), empty when none."""
    texts = page.eval_on_selector_all(
        f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        "els => els.map(e => e.textContent)",
    )
    return [t for t in texts if "Traceback" in t or "Error" in t.split("\n")[0]]


def exercise_explorers(page, shots: Path, name: str, steps: int = 3) -> list[ExplorerReport]:
    """Move every slider and dropdown of every explorer; record redraw times and unchanged plots."""
    explorers = page.locator(f"{PANEL} .coursekit-explorer")
    reports = []
    for i in range(explorers.count()):
        box = explorers.nth(i)
        box.scroll_into_view_if_needed()
        img = box.locator("img").first
        img.wait_for(state="visible", timeout=30_000)
        report = ExplorerReport(i)
        box.screenshot(path=str(shots / f"{name}-explorer{i}-before.png"))
        handles = box.locator(".noUi-handle")
        selects = box.locator("select")
        for j in range(selects.count()):
            label = f"dropdown {j}"
            report.controls.append(label)
            options = selects.nth(j).locator("option").evaluate_all("os => os.map(o => o.value)")
            current = selects.nth(j).input_value()
            for value in [o for o in options if o != current][:3]:
                before_png, src = img.screenshot(), img.get_attribute("src")
                selects.nth(j).select_option(value)
                try:
                    page.wait_for_function(
                        "([el, old]) => el.getAttribute('src') !== old",
                        arg=[img.element_handle(), src],
                        timeout=5_000,
                        polling="raf",
                    )
                except Exception:
                    report.unchanged.append(f"{label}={value}")
                    continue
                if changed(before_png, img.screenshot()) < 1e-4:
                    report.unchanged.append(f"{label}={value}")
        for j in range(handles.count()):
            label = f"slider {j}"
            if handles.nth(j).evaluate("h => !!h.closest('[disabled], .mod-disabled')"):
                continue  # a control that does not apply to the current choice
            report.controls.append(label)
            for step in range(steps):
                before_png, src = img.screenshot(), img.get_attribute("src")
                handle = handles.nth(j)
                handle.focus()
                at_max = handle.evaluate(
                    "h => Number(h.getAttribute('aria-valuenow')) >= Number(h.getAttribute('aria-valuemax'))"
                )
                key = "ArrowLeft" if at_max or step % 2 else "ArrowRight"  # a slider at its maximum moves left
                start = time.perf_counter()
                handle.press(key)
                try:
                    page.wait_for_function(
                        "([el, old]) => el.getAttribute('src') !== old",
                        arg=[img.element_handle(), src],
                        timeout=5_000,
                        polling="raf",
                    )
                except Exception:
                    report.unchanged.append(label)
                    break
                report.redraw_ms.append(1000 * (time.perf_counter() - start))
                if changed(before_png, img.screenshot()) < 1e-4:
                    report.unchanged.append(label)
                    break
        box.screenshot(path=str(shots / f"{name}-explorer{i}-after.png"))
        reports.append(report)
    return reports


def copy_bundle(student: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(student, dest)
    return dest
