"""The submission's process: its limits, and what it cannot reach.

Each test starts a real sandbox on the student kit and runs cells in it, as ``grade_one`` does.
With Linux namespaces (``isolate=True``) the kernel keeps the course, the network and other
processes out of reach; without them (``isolate=False``) the agent's audit hook and system-call
filter still refuse, and report, the attempts.
"""

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from coursekit.autograde import sandbox as sb
from coursekit.autograde.sandbox import RESOURCE_LIMIT, TAMPERING, TIMED_OUT, Limits, Sandbox, SandboxStopped
from tests.autograde.conftest import AID, session_members
from tests.autograde.hostile import FIND_AGENT_STATE

NAMESPACES = sb.namespaces_available()
needs_namespaces = pytest.mark.skipif(not NAMESPACES, reason="this machine has no user namespaces (unshare)")
BOTH = [pytest.param(True, id="namespaces", marks=needs_namespaces), pytest.param(False, id="audit-hook-only")]


def _box(kit: Path, course: Path, isolate: bool, **limits) -> Sandbox:
    return Sandbox(kit, (course,), Limits(**limits) if limits else Limits(), isolate=isolate)


def _run(box: Sandbox, source: str) -> dict:
    reply = box.run_cell(source)
    return reply


def _gone(box: Sandbox) -> None:
    """After ``close``: nothing of the sandbox is left running."""
    box.close()
    time.sleep(0.2)
    assert not session_members([box.proc.pid]), session_members([box.proc.pid])


def test_a_runaway_cell_is_stopped_within_its_limit_plus_5_seconds(kit, course02):
    box = _box(kit, course02, isolate=None, cell_seconds=2, notebook_seconds=60)
    with box:
        start = time.monotonic()
        with pytest.raises(SandboxStopped) as stop:
            box.run_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n")
        took = time.monotonic() - start
        assert stop.value.status == TIMED_OUT
        assert took <= 2 + 5, f"stopped after {took:.1f}s"
        with pytest.raises(SandboxStopped):  # a stopped sandbox stays stopped
            box.run_cell("1")
    _gone(box)


def test_the_notebook_limit_bounds_many_slow_cells(kit, course02):
    box = _box(kit, course02, isolate=None, cell_seconds=30, notebook_seconds=10, startup_seconds=60)
    with box:
        start = time.monotonic()
        with pytest.raises(SandboxStopped) as stop:
            for _ in range(20):
                box.run_cell("import time\ntime.sleep(1.0)\n")
        assert stop.value.status == TIMED_OUT
    assert time.monotonic() - start <= 10 + 5
    _gone(box)


@pytest.mark.parametrize("isolate", BOTH)
def test_memory_is_capped(kit, course02, isolate):
    with _box(kit, course02, isolate, memory_bytes=3 * 2**30) as box:
        reply = box.run_cell("import numpy as np\nbig = np.ones(2**29)\n")  # 4 GiB
        assert not reply["ok"] and reply["memory_error"], reply
        assert box.run_cell("small = list(range(1000))\n")["ok"], "the process survives a refused allocation"


def test_output_is_capped_and_a_flood_stops_the_process(kit, course02):
    box = _box(kit, course02, isolate=None, output_bytes=2**16)
    with box:
        assert box.run_cell("print('x' * 1000)\n")["ok"]
        with pytest.raises(SandboxStopped) as stop:
            box.run_cell("while True:\n    print('y' * 10000)\n")
        assert stop.value.status == RESOURCE_LIMIT
        assert len(box.output) <= 2**16
    _gone(box)


@pytest.mark.parametrize("isolate", BOTH)
def test_file_size_is_capped(kit, course02, isolate):
    with _box(kit, course02, isolate, file_bytes=2**20) as box:
        reply = box.run_cell("with open('big.bin', 'wb') as fh:\n    fh.write(b'0' * 2**21)\n")
        assert not reply["ok"] and "File too large" in reply["error"], reply


@pytest.mark.parametrize("isolate", BOTH)
def test_network_is_refused(kit, course02, isolate):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    knocked = []

    def watch() -> None:
        try:
            knocked.append(listener.accept())
        except OSError:
            pass

    waiter = threading.Thread(target=watch)
    waiter.start()
    try:
        with _box(kit, course02, isolate) as box:
            attempts = [
                f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n",
                "import socket\ns = socket.socket()\n",
                f"import urllib.request\nurllib.request.urlopen('http://localhost:{port}/', timeout=1)\n",
                "import socket\nsocket.getaddrinfo('localhost', 80)\n",
            ]
            for source in attempts:
                reply = box.run_cell(source)
                assert not reply["ok"], source
            assert any("network" in v for v in box.violations), box.violations
    finally:
        waiter.join()
        listener.close()
    assert not knocked, "a submission reached a socket of the grader's machine"


PROCESS_ATTEMPTS = [
    "import os\nos.fork()\n",
    "import subprocess\nsubprocess.run(['true'])\n",
    "import os\nos.system('true')\n",
    "import os\nos.posix_spawn('/bin/true', ['true'], {})\n",
    "import multiprocessing\nmultiprocessing.Process(target=print).start()\n",
    "import os, signal\nos.kill(os.getppid(), signal.SIGTERM)\n",
    "import ctypes\nctypes.CDLL('libc.so.6').fork()\n",
]


@pytest.mark.parametrize("isolate", BOTH)
def test_processes_and_signals_are_refused_and_reported(kit, course02, isolate):
    with _box(kit, course02, isolate) as box:
        for source in PROCESS_ATTEMPTS:
            reply = box.run_cell(source)
            assert not reply["ok"] and "PermissionError" in reply["error"], (source, reply)
        assert len(box.violations) >= len(PROCESS_ATTEMPTS), box.violations
        assert box.run_cell("x = 1 + 1\n")["ok"]
    time.sleep(0.2)
    assert not session_members([box.proc.pid])


BYPASS = FIND_AGENT_STATE + 'state["in_hook"] = True  # the audit hook now lets everything through\n'


@pytest.mark.parametrize("isolate", BOTH)
def test_the_kernel_refuses_processes_even_when_the_audit_hook_is_disabled(kit, course02, isolate):
    with _box(kit, course02, isolate) as box:
        assert box.run_cell(BYPASS)["ok"]
        reply = box.run_cell("import socket\ns = socket.socket()\n")
        assert not reply["ok"] and "PermissionError" in reply["error"], reply
        with pytest.raises(SandboxStopped) as stop:
            box.run_cell("import os\nos.fork()\nprint('forked')\n")
        assert stop.value.status == TAMPERING, stop.value.detail
        assert b"forked" not in box.output
    time.sleep(0.2)
    assert not session_members([box.proc.pid])


@needs_namespaces
def test_with_namespaces_the_course_and_the_machine_are_invisible(kit, course02, repo_root):
    here = [str(p) for p in (course02, repo_root / "coursekit", repo_root / "notebooks", Path.home() / ".bashrc",
                             Path("/etc/shadow"), Path("/var"), Path("/sys"), Path("/home")) if p.exists()]
    assert len(here) >= 3
    with _box(kit, course02, True) as box:
        probe = f"""
import os
seen = {{p: os.path.exists(p) for p in {here!r}}}
assert not any(seen.values()), seen
status = open("/proc/self/status").read()
assert "CapEff:\\t0000000000000000" in status and "NoNewPrivs:\\t1" in status and "Seccomp:\\t2" in status, status
assert not os.path.exists("/proc/{os.getpid()}"), "the grader's process is visible"
assert os.getppid() == 1, os.getppid()  # its own PID namespace, under the launcher
for target in ("/usr/forged", "/etc/forged", "/tmp/coursekit-grading/forged"):
    try:
        open(target, "w")
        raise AssertionError("wrote " + target)
    except OSError:
        pass
"""
        reply = box.run_cell(probe)
        assert reply["ok"], (reply, box.output[-2000:])


@pytest.mark.parametrize("isolate", BOTH)
def test_reads_of_the_course_and_writes_outside_are_refused(kit, course02, isolate):
    with _box(kit, course02, isolate) as box:
        for source in (
            f"open({str(course02 / 'notebooks' / AID / f'{AID}.ipynb')!r}).read()\n",
            f"import os\nos.listdir({str(course02)!r})\n",
            f"open({str(course02 / 'grades.csv')!r}, 'w')\n",
            "open('/tmp/coursekit-forged.txt', 'w')\n",
            "import os\nos.remove('/etc/hostname')\n",
            f"import pathlib\npathlib.Path({str(course02 / 'gradebook.db')!r}).unlink()\n",
            f"import sqlite3\nsqlite3.connect({str(course02 / 'gradebook.db')!r}).execute('create table forged (x)')\n",
            "open('/root/.profile').read()\n",
        ):
            reply = box.run_cell(source)
            assert not reply["ok"], source
        assert len(box.violations) >= 8, box.violations
        assert box.run_cell("open('mine.txt', 'w').write('ok')\n")["ok"], "its own folder is writable"
    assert not (course02 / "grades.csv").exists() and not Path("/tmp/coursekit-forged.txt").exists()
    assert (course02 / "gradebook.db").exists() and b"forged" not in (course02 / "gradebook.db").read_bytes()


def test_without_namespaces_a_warning_says_so(monkeypatch):
    assert (sb.isolation_warning() is None) == NAMESPACES
    monkeypatch.setattr(sb, "namespaces_available", lambda: False)
    warning = sb.isolation_warning()
    assert warning and "network" in warning and "audit hook" in warning


def test_folders_left_by_a_killed_grader_are_swept(kit, course02):
    import subprocess
    import tempfile

    base = Path(tempfile.gettempdir()) / "coursekit-grading"
    dead = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True).stdout.strip()
    orphan, alive = Path(tempfile.mkdtemp(prefix="sub-", dir=base)), Path(tempfile.mkdtemp(prefix="sub-", dir=base))
    orphan.with_suffix(".pid").write_text(dead)
    alive.with_suffix(".pid").write_text(str(os.getpid()))
    try:
        with _box(kit, course02, None) as box:
            assert box.workdir.is_dir() and box.workdir.with_suffix(".pid").is_file()
        assert not box.workdir.exists() and not box.workdir.with_suffix(".pid").exists()
        assert not orphan.exists() and not orphan.with_suffix(".pid").exists(), "the dead grader's folder is gone"
        assert alive.is_dir(), "a live grader's folder is kept"
    finally:
        alive.rmdir()
        alive.with_suffix(".pid").unlink()
