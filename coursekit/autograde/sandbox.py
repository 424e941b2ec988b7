"""A process for one submission's code, and the grader's handle on it.

The process (:mod:`coursekit.autograde.agent`) imports the student build of coursekit, so the
references and hidden tests are not in it. On Linux with user namespaces (``unshare``) it runs
without network, in its own PID namespace, in a file system of its own that holds only the
system's libraries, this Python and the student kit (read-only) and its work folder, with every
capability dropped: the course, other submissions and the rest of the machine do not exist there.
Everywhere, the agent's audit hook refuses and reports what student code attempts, and on Linux
x86-64 a seccomp filter makes the kernel refuse new processes, signals to other processes and
sockets; without namespaces only the audit hook keeps files out of reach, and
:func:`isolation_warning` says so. Resource limits apply everywhere: address space, file size,
CPU time; the grader enforces wall-clock deadlines per request and per notebook and caps output.

A :class:`RemoteFunction` stands for a function in that process: calling it sends the arguments
as plain data and returns the plain-data result, so the grader's checks run on the grader's side.
"""

import os
import resource
import secrets
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from coursekit.autograde import wire
from coursekit.grading.compare import CheckFailed

AGENT = Path(__file__).with_name("agent.py")

INTERRUPT_GRACE = 3.0  # seconds an interrupted cell gets to stop before its process is killed

# Statuses of a submission, from the most to the least serious.
TIMED_OUT = "timed out"
RESOURCE_LIMIT = "resource limit"
CRASHED = "crashed"
TAMPERING = "tampering detected"
GRADED = "graded"


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. ``cell_seconds`` bounds every cell and every grader request;
    ``notebook_seconds`` the whole submission; memory is address space of the process."""

    cell_seconds: float = 120.0
    notebook_seconds: float = 600.0
    startup_seconds: float = 120.0
    memory_bytes: int = 4 * 2**30
    output_bytes: int = 4 * 2**20
    file_bytes: int = 64 * 2**20


class SandboxStopped(BaseException):
    """The submission's process ended or was stopped; ``status`` says why.

    A ``BaseException``, like ``KeyboardInterrupt``: the checks catch ``Exception`` around each
    call of a student's function, and must not take a dead process for a wrong answer.
    """

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@cache
def namespaces_available() -> bool:
    """Whether this machine can run a command isolated as :func:`_isolated` does: user, mount,
    network and PID namespaces (``unshare``), its own file system (``mount``, ``chroot``) and
    dropped capabilities (``setpriv``). Tried once, for real."""
    if not sys.platform.startswith("linux") or not all(shutil.which(t) for t in ("unshare", "chroot", "setpriv")):
        return False
    with tempfile.TemporaryDirectory(prefix="coursekit-isolation-") as tmp:
        (Path(tmp) / "root").mkdir()
        (Path(tmp) / "work").mkdir()
        command = _isolated(
            [shutil.which("true") or "/bin/true"], Path(tmp) / "root", _read_only_roots([]), Path(tmp) / "work", []
        )
        try:
            done = subprocess.run(command, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0


def isolation_warning() -> str | None:
    """A warning for the instructor when student code cannot be cut off from the network and
    from this machine's files, else None."""
    if namespaces_available():
        return None
    return (
        "warning: this machine cannot isolate student code (Linux user namespaces via `unshare` "
        "are unavailable): only Python's audit hook keeps it from the course's files and the rest "
        "of this machine, and a determined submission can get past that hook. On Linux x86-64 a "
        "system-call filter still refuses network sockets and new processes; elsewhere the network "
        "is reachable. Scores are still computed by the grader, outside student code."
    )


_UNSHARE_FLAGS = ("--user", "--map-root-user", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc")


@dataclass
class Sandbox:
    """One submission's process. Use as a context manager; ``request`` talks to it.

    Args:
        kit: folder holding the student build ``coursekit/``.
        hide: folders student code may not see (the course folder, the full coursekit).
        limits: see :class:`Limits`.
        seed: seeds ``random``, NumPy and PyTorch in the process.
        fast: run the notebook in fast mode (``COURSEKIT_FAST=1``).
        isolate: use namespaces when available (``None``: when available).
    """

    kit: Path
    hide: tuple[Path, ...] = ()
    limits: Limits = field(default_factory=Limits)
    seed: int = 0
    fast: bool = True
    isolate: bool | None = None
    output: bytearray = field(default_factory=bytearray)
    violations: list[str] = field(default_factory=list)
    callbacks: list = field(default_factory=list)
    flood: bool = False
    stopped: SandboxStopped | None = None
    interrupted: list[str] = field(default_factory=list)
    _grace: float = 0.0
    isolated: bool = False  # whether it runs in namespaces (set when it starts)

    def __enter__(self) -> "Sandbox":
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ process
    def _start(self) -> None:
        base = Path(tempfile.gettempdir()) / "coursekit-grading"
        base.mkdir(exist_ok=True)
        _sweep(base)
        self.workdir = Path(tempfile.mkdtemp(prefix="sub-", dir=base))
        # who owns the folder, beside it (out of the submission's reach): see _sweep
        self.workdir.with_suffix(".pid").write_text(str(os.getpid()))
        (self.workdir / "home").mkdir()
        agent = self.workdir / "agent.py"
        shutil.copy2(AGENT, agent)
        req_r, self._req_w = os.pipe()
        self._rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        command = [sys.executable, "-S", "-B", str(agent), str(req_r), str(rep_w)]
        isolate = self.isolated = namespaces_available() if self.isolate is None else self.isolate
        hidden = [Path(p).resolve() for p in (*self.hide, *_grader_sources(), base)]
        if isolate:
            (self.workdir / ".root").mkdir()
            command = _isolated(
                command, self.workdir / ".root", _read_only_roots([Path(self.kit).resolve()]), self.workdir, hidden
            )
        self.deadline = time.monotonic() + self.limits.notebook_seconds
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=out_w,
            pass_fds=(req_r, rep_w),
            start_new_session=True,
            env=self._env(),
            cwd=self.workdir,
            preexec_fn=self._limit,  # noqa: PLW1509  (sets rlimits only; no locks taken)
        )
        for fd in (req_r, rep_w, out_w):
            os.close(fd)
        self._drain = threading.Thread(target=self._read_output, args=(out_r,), daemon=True)
        self._drain.start()
        site_packages = [p for p in sys.path if p.endswith("site-packages")]
        setup = {
            "op": "setup",
            "paths": [str(self.kit), *site_packages],
            "workdir": str(self.workdir),
            "seed": self.seed,
            "write_roots": [str(self.workdir), "/dev/null", "/dev/shm"],
            "deny_read": [str(p) for p in hidden],
            "allow_read": [str(Path(sys.prefix).resolve()), str(Path(self.kit).resolve()), str(self.workdir)],
            # reads anywhere else are refused too (in isolation those paths do not even exist)
            "read_roots": [*map(str, _read_only_roots([Path(self.kit).resolve()])), str(self.workdir), *_SYSTEM_READS],
            "lib_roots": sorted({str(Path(p).resolve()) for p in (sys.prefix, *site_packages)}),
        }
        self.request(setup, timeout=self.limits.startup_seconds)

    def _env(self) -> dict[str, str]:
        home = str(self.workdir / "home")
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "TMPDIR": home,
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": home,
            "IPYTHONDIR": home,
            "JUPYTER_CONFIG_DIR": home,
            "PYTHONHASHSEED": str(self.seed),
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "TQDM_DISABLE": "1",
            "COURSEKIT_DATA_DIR": str(self.workdir / "home" / "data"),
        }
        if self.fast:
            env["COURSEKIT_FAST"] = "1"
        return env

    def _limit(self) -> None:
        lim = self.limits
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_bytes, lim.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_bytes, lim.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        cpu = int(lim.notebook_seconds) + 10
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write raises OSError instead

    def _read_output(self, fd: int) -> None:
        total = 0
        try:
            while chunk := os.read(fd, 65536):
                total += len(chunk)
                room = self.limits.output_bytes - len(self.output)
                if room > 0:
                    self.output += chunk[:room]
                if total > 4 * self.limits.output_bytes and not self.flood:
                    self.flood = True
                    self.kill()
        finally:
            os.close(fd)

    def kill(self) -> None:
        """Stop the process and everything it started."""
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        """Stop the process, wait for it, and remove its folder."""
        self.kill()
        proc = getattr(self, "proc", None)
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for fd in ("_req_w", "_rep_r"):
            if getattr(self, fd, None) is not None:
                try:
                    os.close(getattr(self, fd))
                except OSError:
                    pass
                setattr(self, fd, None)
        if getattr(self, "_drain", None) is not None:
            self._drain.join(timeout=5)
        if getattr(self, "workdir", None) is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir.with_suffix(".pid").unlink(missing_ok=True)

    # ------------------------------------------------------------------ requests
    def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send ``message`` and return the reply; raises ``SandboxStopped`` when the process ends
        or misses its deadline (the request's, or the notebook's)."""
        if self.stopped is not None:
            raise self.stopped
        self._grace = 0.0
        timeout = self.limits.cell_seconds if timeout is None else timeout
        deadline = min(time.monotonic() + timeout, self.deadline)
        nonce = secrets.token_hex(8)  # echoed by the agent: a reply the student's code forged lacks it
        message = {**message, "nonce": nonce}
        try:
            if message.get("op") == "setup":
                body = wire.json.dumps(message).encode()
                data = struct.pack(">Q", len(body)) + body
            else:
                data = wire.dumps(message)
            self._send(data, deadline)
            reply = self._receive(deadline)
            while isinstance(reply, dict) and reply.get("op") == "callback":
                self._send(wire.dumps(self._answer_callback(reply)), deadline)
                reply = self._receive(deadline)
        except (BrokenPipeError, EOFError, OSError, wire.WireError) as exc:
            self.stopped = self._stopped(exc)
            raise self.stopped from None
        if not isinstance(reply, dict) or reply.pop("nonce", None) != nonce:
            problem = "a reply that is not an object" if not isinstance(reply, dict) else "a reply to no request"
            self.stopped = self._stopped(wire.WireError(problem))
            raise self.stopped
        if self._grace:
            self.interrupted.append(str(message.get("op")))
        seen = reply.pop("violations", None)
        if isinstance(seen, list):
            for v in seen[len(self.violations) :]:
                self.violations.append(str(v)[:300])
        return reply

    def _interrupt(self) -> bool:
        """Send the student's process a keyboard interrupt (as Jupyter's stop button does), so a
        cell past its time limit can end and the rest of the notebook still runs."""
        pid = self._agent_pid()
        if pid is None:
            return False
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            return False
        return True

    def _agent_pid(self) -> int | None:
        """The host pid of the agent: the process itself, or a descendant inside the namespaces."""
        todo, seen, found = [self.proc.pid], set(), None
        while todo:
            pid = todo.pop(0)
            if pid in seen:
                continue
            seen.add(pid)
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            args = cmdline.split(b"\0")
            if any(a.endswith(b"agent.py") for a in args[1:4]):  # python -S -B agent.py, not a shell
                found = pid
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo += [int(c) for c in task.read_text().split()]
                except (OSError, ValueError):
                    pass
        return found

    def _answer_callback(self, msg: dict) -> dict:
        """Run one of the grader's functions that the student's code called, on plain data."""
        index = msg.get("index")
        if not isinstance(index, int) or not 0 <= index < len(self.callbacks):
            raise wire.WireError("callback to an unknown function")
        try:
            args, kwargs = wire.decode(msg.get("args", {"__tuple__": []})), wire.decode(msg.get("kwargs", {}))
            value = self.callbacks[index](*args, **kwargs)
            return {"ok": True, "value": wire.encode(value)}
        except wire.WireError:
            raise
        except Exception as exc:  # noqa: BLE001  (reported to the student's code as an error)
            return {"ok": False, "message": f"{type(exc).__name__}: {exc}"[:2000]}

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self._req_w, deadline, write=True)
            n = os.write(self._req_w, view[: 2**16])
            view = view[n:]

    def _receive(self, deadline: float) -> Any:
        (size,) = struct.unpack(">Q", self._read(8, deadline))
        if size > wire.MAX_FRAME:
            raise wire.WireError(f"reply of {size} bytes exceeds the limit")
        return wire.parse(self._read(size, deadline))

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, left = [], n
        while left:
            self._wait(self._rep_r, deadline)
            chunk = os.read(self._rep_r, min(left, 2**20))
            if not chunk:
                raise EOFError("the submission's process closed its channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _wait(self, fd: int, deadline: float, write: bool = False) -> None:
        while True:
            left = max(deadline, self._grace) - time.monotonic()
            if left <= 0:
                if self._grace == 0.0 and deadline < self.deadline and self._interrupt():
                    self._grace = time.monotonic() + INTERRUPT_GRACE
                    continue
                self.kill()
                raise TimeoutError
            wait = min(left, 0.5)
            ready = select.select([], [fd], [], wait) if write else select.select([fd], [], [], wait)
            if ready[0] or ready[1]:
                return
            if self.proc.poll() is not None and not write:
                # the process is gone; whatever is buffered can still be read
                if not select.select([fd], [], [], 0)[0]:
                    raise EOFError("the submission's process ended")

    def _stopped(self, exc: BaseException) -> SandboxStopped:
        self.kill()
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        if isinstance(exc, TimeoutError):
            return SandboxStopped(TIMED_OUT, "a cell or check ran past its time limit and was stopped")
        if self.flood:
            return SandboxStopped(RESOURCE_LIMIT, "the notebook printed more output than allowed and was stopped")
        sig = _signal_of(code, self.isolated)
        if sig == signal.SIGXCPU or sig == signal.SIGKILL and time.monotonic() >= self.deadline:
            return SandboxStopped(TIMED_OUT, "the notebook used up its CPU time and was stopped")
        if sig == signal.SIGSYS:
            return SandboxStopped(
                TAMPERING,
                "the notebook's process made a forbidden system call (such as starting a process) and was stopped",
            )
        if isinstance(exc, wire.WireError):
            return SandboxStopped(TAMPERING, f"the notebook's process sent malformed data ({exc})")
        self._drain.join(timeout=2)
        tail = self.output[-600:].decode("utf-8", "replace").strip()
        how = f"signal {signal.Signals(sig).name}" if sig in set(signal.Signals) else f"exit status {code}"
        return SandboxStopped(
            CRASHED,
            f"the notebook's process ended unexpectedly ({how})" + (f"; its last output: {tail}" if tail else ""),
        )

    # ------------------------------------------------------------------ conveniences
    def run_cell(self, source: str) -> dict:
        """Run one cell; the reply says whether it raised (``error``) and ran out of memory."""
        return self.request({"op": "run", "source": source})

    def fetch(self, name: str, qid: str | None = None) -> Any:
        """The notebook's ``name`` for the grader: a ``RemoteFunction`` when it is callable,
        else its plain-data value. With ``qid``, the question's adapter is applied first (in
        the submission's process). Raises ``NameError`` or ``CheckFailed``."""
        msg = {"op": "lookup", "name": name} if qid is None else {"op": "prepare", "qid": qid, "name": name}
        reply = self.request(msg)
        if not reply.get("ok"):
            raise _exception(reply)
        if reply.get("kind") == "callable":
            return RemoteFunction(self, int(reply["handle"]), str(reply.get("name") or name))
        return wire.decode(reply.get("value"))


class RemoteFunction:
    """A function in the submission's process, called with plain data."""

    __module__ = "__main__"

    def __init__(self, sandbox: Sandbox, handle: int, name: str):
        self._sandbox, self._handle = sandbox, handle
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call_with_peak(*args, _peak=False, **kwargs)[0]

    def call_with_peak(self, *args: Any, _peak: bool = True, **kwargs: Any) -> tuple[Any, int | None]:
        """The result and the peak memory traced during the call (in the student's process)."""
        callbacks = self._sandbox.callbacks
        callbacks.clear()
        reply = self._sandbox.request(
            {
                "op": "call",
                "handle": self._handle,
                "args": wire.encode(args, callbacks),
                "kwargs": wire.encode(kwargs, callbacks),
                "peak": _peak,
            }
        )
        if not reply.get("ok"):
            raise _exception(reply)
        peak = reply.get("peak")
        return wire.decode(reply.get("value")), (int(peak) if isinstance(peak, int) else None)

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


_BUILTIN_ERRORS = {
    cls.__name__: cls
    for cls in (
        NotImplementedError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        NameError,
        ZeroDivisionError,
        OverflowError,
        RuntimeError,
        AssertionError,
        MemoryError,
        RecursionError,
        ArithmeticError,
        LookupError,
        FloatingPointError,
        UnboundLocalError,
        ImportError,
        ModuleNotFoundError,
        PermissionError,
        OSError,
        StopIteration,
    )
}


def _exception(reply: dict) -> BaseException:
    """The exception a failed reply stands for, as a grader-side object (no student classes)."""
    kind, message = str(reply.get("type") or "Error"), str(reply.get("message") or "")
    if reply.get("check_failed"):
        return CheckFailed(message)
    if kind in _BUILTIN_ERRORS:
        return _BUILTIN_ERRORS[kind](message)
    safe = kind if kind.isidentifier() else "Error"
    return type(safe, (RuntimeError,), {})(message)


def _sweep(base: Path) -> None:
    """Remove the folders of sandboxes whose grader was killed before it could clean up (each
    folder ``sub-*`` has a ``sub-*.pid`` beside it naming the grader's process)."""
    for marker in base.glob("sub-*.pid"):
        try:
            os.kill(int(marker.read_text()), 0)
            continue  # its grader is alive
        except ProcessLookupError:
            pass
        except (ValueError, OSError):
            continue  # unreadable, or another user's live process
        shutil.rmtree(marker.with_suffix(""), ignore_errors=True)
        marker.unlink(missing_ok=True)


def _signal_of(code: int | None, isolated: bool) -> int | None:
    """The signal that ended the process, from its exit status (a shell in front of it, as in
    isolation, reports signal N as 128 + N)."""
    if code is None:
        return None
    if code < 0:
        return -code
    return code - 128 if isolated and 128 < code < 128 + 65 else None


def _grader_sources() -> list[Path]:
    """The full coursekit this grader runs (references, hidden tests) and, when it is a
    checkout of the course, the checkout (its notebooks hold the hidden tests)."""
    import coursekit

    package = Path(coursekit.__file__).resolve().parent
    checkout = package.parent
    is_course = (checkout / "nbgrader_config.py").is_file() or (checkout / "notebooks").is_dir()
    return [package, checkout] if is_course else [package]


def _read_only_roots(extra: list[Path]) -> list[Path]:
    """What student code may read when isolated: the system's programs and libraries, this
    Python (its installation, the virtual environment, the site-packages folders) and ``extra``
    (the student kit). Nested entries are dropped."""
    import site  # noqa: F401  (sys.path already holds its folders)

    roots = [Path(p) for p in ("/usr", "/opt/conda")] + [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
        *(Path(p) for p in sys.path if p.endswith("site-packages")),
        *extra,
    ]
    out: list[Path] = []
    for r in sorted({Path(os.path.realpath(r)) for r in roots if os.path.isdir(r)}, key=lambda r: len(r.parts)):
        if r != Path("/") and not any(o == r or o in r.parents for o in out):
            out.append(r)
    return out


# what else student code may read: configuration, devices, this machine's CPU facts
_SYSTEM_READS = (
    "/etc",
    "/dev",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/stat",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
)
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "fonts",
    "ssl",
    "mime.types",
    "alternatives",
)
_DEVICES = ("null", "zero", "full", "random", "urandom")


def _isolated(command: list[str], root: Path, read_only: list[Path], writable: Path, hidden: list[Path]) -> list[str]:
    """``command`` inside new user, mount, network and PID namespaces, with a file system of its
    own mounted at ``root`` (an empty folder) and entered with ``chroot``: ``read_only``
    folders and a few files of ``/etc`` bound read-only, ``writable`` bound read-write, a fresh
    ``/proc``, a few devices and small ``/tmp`` and ``/dev/shm``; every other path of this
    machine (the course, other users' files, other submissions) does not exist there. ``hidden``
    folders that lie inside a read-only one (a full coursekit installed in site-packages) are
    covered by empty file systems. The command then runs with every capability dropped and
    ``no_new_privs`` set, so it can neither undo these mounts nor gain privileges."""
    q = shlex.quote
    r = q(str(root))
    lines = ["set -e", "mount --make-rprivate /", f"mount -t tmpfs -o size=4m,mode=755 tmpfs {r}"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.islink(f"/{top}"):
            lines.append(f"ln -s {q(os.readlink(f'/{top}'))} {r}/{top}")
        elif os.path.isdir(f"/{top}"):
            read_only = [*read_only, Path(f"/{top}")]
    lines += [
        f"mkdir -p {r}/etc {r}/proc {r}/dev/shm {r}/tmp",
        f"mount -t proc -o nosuid,nodev,noexec proc {r}/proc",
        f"mount -t tmpfs -o size=64m,nosuid,nodev tmpfs {r}/tmp",
        f"mount -t tmpfs -o size=64m,nosuid,nodev tmpfs {r}/dev/shm",
    ]
    for d in read_only:  # after /tmp: the kit and the work folder may lie inside it
        t = q(f"{root}{d}")
        lines += [f"mkdir -p {t}", f"mount --rbind {q(str(d))} {t}", f"mount -o remount,bind,ro {t}"]
    for name in _ETC:
        src, t = f"/etc/{name}", q(f"{root}/etc/{name}")
        if os.path.isdir(src) and not os.path.islink(src):
            lines += [f"mkdir -p {t}", f"mount --rbind {q(src)} {t}", f"mount -o remount,bind,ro {t}"]
        elif os.path.isfile(src):
            lines += [f"touch {t}", f"mount --bind {q(src)} {t}", f"mount -o remount,bind,ro {t}"]
    for name in _DEVICES:
        lines += [f"touch {r}/dev/{name}", f"mount --bind /dev/{name} {r}/dev/{name}"]
    w = q(f"{root}{writable}")
    lines += [f"mkdir -p {w}", f"mount --bind {q(str(writable))} {w}"]
    for h in hidden:
        if any(d == h or d in h.parents for d in read_only) and os.path.isdir(h):
            lines.append(f"mount -t tmpfs -o size=4k,mode=555 tmpfs {q(f'{root}{h}')}")
    lines.append(f"mount -o remount,ro {r}")
    drop = [
        shutil.which("setpriv") or "/usr/bin/setpriv",
        "--bounding-set=-all",
        "--inh-caps=-all",
        "--no-new-privs",
        "--",
    ]
    # not exec: the shell stays PID 1 of the namespace, so the agent dies of its own signals as
    # it would anywhere else (the namespace's first process ignores them), and its status is ours
    chroot = q(shutil.which("chroot") or "/usr/sbin/chroot")
    lines += ["set +e", f'{chroot} {r} {" ".join(map(q, drop))} "$@"', "exit $?"]
    return [shutil.which("unshare") or "unshare", *_UNSHARE_FLAGS, "/bin/sh", "-c", "\n".join(lines), "sh", *command]
