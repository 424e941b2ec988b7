"""The student's side of out-of-process grading: a process that runs the submission's cells.

Started by :mod:`coursekit.autograde.sandbox` as ``python -S agent.py REQUEST_FD REPLY_FD``, with
the student build of coursekit (no references, no hidden tests) first on its path. It answers
requests, one JSON frame each (:mod:`coursekit.autograde.wire`):

* ``{"op": "setup", ...}``: paths, seeds, the folders it may write to and may not read;
* ``{"op": "run", "source": ...}``: run one notebook cell in an IPython shell;
* ``{"op": "lookup", "name": ...}``: a name of the notebook as plain data, or a handle to call;
* ``{"op": "prepare", "qid": ..., "name": ...}``: the same after the question's adapter;
* ``{"op": "call", "handle": ..., "args": ..., "kwargs": ...}``: call a handle on plain data.

It never decides whether an answer is right: it only sends outputs back. Whatever student code
does to this process (patching NumPy, the checks, this module) changes only those outputs. An
audit hook refuses processes, signals, network access, native code through ctypes, writes outside
the work folder and reads outside the Python installation and the work folder, and reports every
refusal to the grader. The hook is Python code in a process the student controls, so behind it a
seccomp filter (Linux x86-64) has the kernel refuse new processes, signals to other processes and
sockets whatever the student's code does; a forbidden call that gets past the hook ends the
process (SIGSYS), which the grader reports as tampering.
"""

import builtins
import copy
import os
import sys
import warnings

# The agent's functions look names up in a private copy of the builtins: a cell that replaces
# builtins.isinstance or builtins.__import__ changes its own code, not the agent's.
__builtins__ = dict(vars(builtins))

_STATE = {
    "violations": [],
    "write_roots": (),
    "deny_read": (),
    "allow_read": (),
    "read_roots": (),
    "lib_roots": (),
    "in_hook": False,
}
# native functions student code may look up with ctypes: thread-pool controls of the numerical
# libraries (threadpoolctl uses them); any other name (fork, system, umount2, ...) is refused
_SAFE_SYMBOLS = ("omp_", "kmp_", "openblas_", "scipy_openblas", "mkl_", "MKL_", "bli_", "flexiblas_", "goto_")
_HANDLES: dict[int, object] = {}
_NS: dict = {}

_PROCESS_EVENTS = {
    "subprocess.Popen": "started a process",
    "os.system": "started a process",
    "os.exec": "replaced the process",
    "os.posix_spawn": "started a process",
    "os.spawn": "started a process",
    "os.fork": "forked the process",
    "os.forkpty": "forked the process",
    "os.kill": "sent a signal",
    "os.killpg": "sent a signal",
    "signal.pthread_kill": "sent a signal",
    "resource.setrlimit": "changed a resource limit",
    "resource.prlimit": "changed a resource limit",
    "socket.__new__": "opened a network socket",
    "socket.connect": "opened a network connection",
    "socket.bind": "opened a network socket",
    "socket.sendto": "sent network data",
    "socket.getaddrinfo": "looked up a network address",
    "socket.gethostbyname": "looked up a network address",
    "socket.gethostbyaddr": "looked up a network address",
}
_PATH_WRITE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.link",
    "os.symlink",
    "os.truncate",
    "os.utime",
    "shutil.rmtree",
    "shutil.move",
    "os.chflags",
    "os.mkfifo",
    "os.mknod",
}
_PATH_READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.walk"}


def _refuse(what: str) -> None:
    _STATE["violations"].append(what[:300])
    raise PermissionError(f"not allowed while grading: {what}")


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _real(path: object) -> str | None:
    if not isinstance(path, str | bytes | int) and hasattr(type(path), "__fspath__"):
        try:  # a path object (os functions audit it before turning it into a string)
            path = os.fspath(path)
        except Exception:  # noqa: BLE001
            return "/"  # a path that will not say where it is: refused like one outside the folder
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return None  # a file descriptor
    return os.path.realpath(os.path.abspath(path))


def _check_read(path: str) -> None:
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "proc" and parts[2].isdigit() and int(parts[2]) != os.getpid():
        _refuse(f"read another process's {path}")
    if _under(path, _STATE["deny_read"]) and not _under(path, _STATE["allow_read"]):
        _refuse(f"read {path}")
    if _STATE["read_roots"] and not _under(path, _STATE["read_roots"]):
        _refuse(f"read {path}, outside the Python installation and its own folder")


def _check_write(path: str) -> None:
    if not _under(path, _STATE["write_roots"]):
        _refuse(f"wrote to {path}")


def _hook(event: str, args: tuple) -> None:
    if _STATE["in_hook"]:
        return
    _STATE["in_hook"] = True
    try:
        _audit(event, args)
    finally:
        _STATE["in_hook"] = False


def _audit(event: str, args: tuple) -> None:
    if event in _PROCESS_EVENTS:
        if (
            event == "socket.connect"
            and args
            and getattr(args[0], "family", None) == getattr(__import__("socket"), "AF_UNIX", -1)
        ):
            _refuse("connected to a local socket")
        _refuse(_PROCESS_EVENTS[event])
    elif event == "open":
        path = _real(args[0])
        if path is None:
            return
        mode, flags = (args[1] if len(args) > 1 else None), (args[2] if len(args) > 2 else 0)
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC)
        )
        if writing:
            _check_write(path)
        else:
            _check_read(path)
    elif event in ("sqlite3.connect", "dbm.open"):
        # these open their files in C, without an "open" event: a database is written where it is
        target = args[0] if args else None
        if target is not None and not isinstance(target, str | bytes):  # a path object can lie about itself
            _refuse(f"opened a database at a {type(target).__name__} (pass the path as a string)")
        if isinstance(target, bytes):
            target = os.fsdecode(target)
        if isinstance(target, str) and target.startswith("file:"):
            target = target[5:].split("?", 1)[0]
        path = _real(target) if target not in (None, "", ":memory:") else None
        if path is not None:
            _check_write(path)
    elif event in ("sqlite3.enable_load_extension", "sqlite3.load_extension") or event.startswith("syslog."):
        _refuse(f"used {event}")
    elif event in _PATH_WRITE_EVENTS:
        for arg in args[:2]:
            path = _real(arg)
            if path is not None:
                _check_write(path)
    elif event in _PATH_READ_EVENTS:
        path = _real(args[0]) if args else None
        if path is not None:
            _check_read(path)
    elif event == "ctypes.dlopen":
        # only libraries of the installed packages (numerical libraries, by path); never the C
        # library or the process itself, which hold fork, system, kill, umount2, ...
        name = args[0] if args else None
        path = _real(name) if isinstance(name, str | bytes) and os.path.isabs(os.fsdecode(name)) else None
        if path is None or not _under(path, _STATE["lib_roots"]):
            _refuse(f"used ctypes to load the C library {name!r}")
    elif event in ("ctypes.dlsym", "ctypes.dlsym/handle"):
        name = args[1] if len(args) > 1 else None
        if not (isinstance(name, str) and name.startswith(_SAFE_SYMBOLS)):
            _refuse(f"used ctypes to reach the C function {name!r}")
    elif event == "ctypes.cdata":
        _refuse("read or wrote raw memory with ctypes")
    elif event in ("gc.get_objects", "gc.get_referrers", "gc.get_referents"):
        _refuse(f"searched the interpreter's objects ({event})")


# x86-64 system calls refused by the kernel once setup is done (seccomp), whatever Python-level
# trick (ctypes, a patched audit hook) reaches them. Those that start programs, change what the
# process can see or trace others end the process (SIGSYS); the others fail with EPERM.
_SYS_KILL = {
    "fork": 57,
    "vfork": 58,
    "execve": 59,
    "execveat": 322,
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "mount": 165,
    "umount2": 166,
    "chroot": 161,
    "pivot_root": 155,
    "unshare": 272,
    "setns": 308,
    "bpf": 321,
    "io_uring_setup": 425,
    "perf_event_open": 298,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "userfaultfd": 323,
    "kexec_load": 246,
    "init_module": 175,
    "finit_module": 313,
    "tkill": 200,
    "pidfd_send_signal": 424,
    "setrlimit": 160,
}
_SYS_EPERM = {"socket": 41, "socketpair": 53}
_SYS_OWN_PID = {"kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297}  # arg 0 = a pid
_SYS_CLONE, _SYS_CLONE3, _SYS_PRLIMIT64, _SYS_SECCOMP = 56, 435, 302, 317


def _seccomp_program() -> bytes:
    """The classic-BPF seccomp filter described above, for this process's pid (x86-64)."""
    import struct

    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JSET|K, BPF_RET|K
    allow, kill, eperm, enosys = 0x7FFF0000, 0x80000000, 0x00050001, 0x00050026
    pid = os.getpid()
    prog: list[tuple[int, int, int, int]] = [
        (ld, 0, 0, 4),
        (jeq, 1, 0, 0xC000003E),
        (ret, 0, 0, kill),  # only the x86-64 ABI
        (ld, 0, 0, 0),
        (0x35, 0, 1, 0x40000000),
        (ret, 0, 0, kill),  # BPF_JGE: no x32 calls
    ]

    def rule(nr: int, *body: tuple[int, int, int, int]) -> None:
        prog.append((jeq, 0, len(body), nr))
        prog.extend(body)

    for nr in _SYS_KILL.values():
        rule(nr, (ret, 0, 0, kill))
    for nr in _SYS_EPERM.values():
        rule(nr, (ret, 0, 0, eperm))
    for nr in _SYS_OWN_PID.values():  # only to this process itself
        rule(nr, (ld, 0, 0, 16), (jeq, 0, 1, pid), (ret, 0, 0, allow), (ret, 0, 0, eperm))
    rule(_SYS_CLONE, (ld, 0, 0, 16), (jset, 0, 1, 0x00010000), (ret, 0, 0, allow), (ret, 0, 0, kill))  # threads only
    rule(_SYS_CLONE3, (ret, 0, 0, enosys))  # the C library then falls back to clone
    rule(
        _SYS_PRLIMIT64,
        (ld, 0, 0, 32),
        (jeq, 0, 3, 0),
        (ld, 0, 0, 36),
        (jeq, 0, 1, 0),  # new limit NULL: a read
        (ret, 0, 0, allow),
        (ret, 0, 0, eperm),
    )
    prog.append((ret, 0, 0, allow))
    return b"".join(struct.pack("HBBI", *ins) for ins in prog)


def _lock_down() -> str | None:
    """Install the seccomp filter on every thread of this process; the reason when it cannot
    be (another architecture or operating system), else None."""
    import ctypes
    import platform

    if sys.platform != "linux" or platform.machine() != "x86_64":
        return f"no system-call filter on {sys.platform}/{platform.machine()}"
    libc = ctypes.CDLL(None, use_errno=True)
    code = _seccomp_program()
    filt = ctypes.create_string_buffer(code, len(code))

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Prog(len(code) // 8, ctypes.addressof(filt))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return f"no_new_privs refused (errno {ctypes.get_errno()})"
    # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog): all threads at once
    if libc.syscall(_SYS_SECCOMP, 1, 1, ctypes.byref(prog)) != 0:
        return f"seccomp refused (errno {ctypes.get_errno()})"
    return None


def _setup(msg: dict) -> dict:
    for path in reversed(msg["paths"]):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.chdir(msg["workdir"])
    import random

    import numpy as np

    random.seed(msg["seed"])
    np.random.seed(msg["seed"])
    try:
        import torch

        torch.manual_seed(msg["seed"])
        torch.set_num_threads(1)
    except ImportError:
        pass
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (imported before the hook: it reads its caches)
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    import coursekit
    import coursekit.grading.answer_forms  # noqa: F401
    import coursekit.grading.runner  # noqa: F401

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"  # tracebacks are read as plain text in feedback
    config.InteractiveShell.xmode = "Plain"  # quick to format, even for a recursion 3000 calls deep
    shell = InteractiveShell.instance(config=config)
    shell.user_ns["__name__"] = "__main__"
    _NS["shell"] = shell
    _STATE["write_roots"] = tuple(msg["write_roots"])
    _STATE["deny_read"] = tuple(msg["deny_read"])
    _STATE["allow_read"] = tuple(msg["allow_read"])
    own = f"/proc/{os.getpid()}"
    _STATE["read_roots"] = (*msg.get("read_roots", ()), own) if msg.get("read_roots") else ()
    _STATE["lib_roots"] = tuple(msg.get("lib_roots", ()))
    unfiltered = _lock_down()
    sys.addaudithook(_hook)
    return {"ok": True, "coursekit": os.path.dirname(coursekit.__file__), "pid": os.getpid(), "unfiltered": unfiltered}


def _run(msg: dict) -> dict:
    shell = _NS["shell"]
    result = shell.run_cell(msg["source"], store_history=False)
    sys.stdout.flush()
    sys.stderr.flush()
    error = result.error_before_exec or result.error_in_exec
    return {
        "ok": error is None,
        "error": None if error is None else _describe(error),
        "memory_error": isinstance(error, MemoryError),
    }


def _offer(value: object) -> dict:
    from coursekit.autograde.wire import encode

    if callable(value):
        handle = len(_HANDLES) + 1
        _HANDLES[handle] = value
        return {"ok": True, "kind": "callable", "handle": handle, "name": _name(value)}
    encoded = encode(value)
    if isinstance(encoded, dict) and "__opaque__" in encoded:
        return {"ok": True, "kind": "value", "value": encoded, "opaque": True}
    return {"ok": True, "kind": "value", "value": encoded}


def _lookup(msg: dict) -> dict:
    name = msg["name"]
    user_ns = _NS["shell"].user_ns
    if name not in user_ns:
        return {"ok": False, "type": "NameError", "message": f"name {name!r} is not defined", "missing": True}
    return _offer(user_ns[name])


def _prepare(msg: dict) -> dict:
    from coursekit.grading.answer_forms import adapter_for
    from coursekit.grading.registry import get
    from coursekit.grading.runner import _is_reference

    found = _lookup(msg)
    if not found["ok"]:
        return found
    answer = _NS["shell"].user_ns[msg["name"]]
    q = get(msg["qid"])
    if callable(answer) and _is_reference(answer, q.reference):
        return _failed(f"{q.func_name}: this answer is the coursekit reference itself, not your own code.")
    adapter = adapter_for(msg["qid"])
    try:
        reply = _offer(answer if adapter is None else adapter.prepare(answer))
    except BaseException as exc:  # noqa: BLE001  (the adapter's CheckFailed, or the student's error)
        return _error(exc)
    return reply


def _call(msg: dict) -> dict:
    import numpy as np

    from coursekit.autograde.wire import decode, encode

    func = _HANDLES.get(msg["handle"])
    if func is None:
        return _failed("the grader asked for an unknown function")
    args, kwargs = decode(msg["args"], _callback), decode(msg["kwargs"], _callback)
    before = copy.deepcopy(args)
    peak = None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if msg.get("peak"):
                import tracemalloc

                tracemalloc.start()
                tracemalloc.reset_peak()
                try:
                    out = func(*args, **kwargs)
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
            else:
                out = func(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001  (everything the student's code raises is reported)
        return _error(exc)
    for i, (old, new) in enumerate(zip(before, args, strict=False)):
        if isinstance(old, np.ndarray) and not np.array_equal(old, new, equal_nan=True):
            name = _name(func)
            return _failed(
                f"{name} changed its input (argument {i + 1}) in place; compute a new array instead "
                f"(e.g. z = z - m, not z -= m)."
            )
    try:
        value = encode(out)
    except BaseException as exc:  # noqa: BLE001
        return _failed(f"{_name(func)} returned a value that cannot be read: {_describe(exc)}")
    return {"ok": True, "value": value, "peak": peak}


def _callback(index: int) -> object:
    """A function of the grader's (e.g. a model the student's beam search queries): calling it
    asks the grader and waits for its answer."""
    from coursekit.autograde import wire

    def call(*args: object, **kwargs: object) -> object:
        wire.write_frame(
            _NS["reply_fd"],
            {"op": "callback", "index": index, "args": wire.encode(args), "kwargs": wire.encode(kwargs)},
        )
        answer = wire.read_frame(_NS["request_fd"])
        if not answer.get("ok"):
            raise RuntimeError(str(answer.get("message", "the grader's function failed")))
        return wire.decode(answer.get("value"))

    return call


def _name(value: object) -> str:
    try:
        return str(getattr(value, "__name__", type(value).__name__))[:100]
    except BaseException:  # noqa: BLE001
        return "the answer"


def _describe(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:2000]
    except BaseException:  # noqa: BLE001
        return type(exc).__name__


def _failed(message: str) -> dict:
    return {"ok": False, "type": "CheckFailed", "message": message, "check_failed": True}


def _error(exc: BaseException) -> dict:
    try:
        message = str(exc)[:4000]
    except BaseException:  # noqa: BLE001
        message = ""
    check_failed = type(exc).__name__ == "CheckFailed"
    return {
        "ok": False,
        "type": type(exc).__name__,
        "message": message,
        "check_failed": check_failed,
        "memory_error": isinstance(exc, MemoryError),
    }


_OPS = {"setup": _setup, "run": _run, "lookup": _lookup, "prepare": _prepare, "call": _call}


def _on_interrupt(signum: int, frame: object) -> None:
    """The grader interrupts a request past its time limit; between requests, nothing runs."""
    if _STATE.get("busy"):
        raise KeyboardInterrupt


def main(request_fd: int, reply_fd: int) -> None:
    import signal

    signal.signal(signal.SIGINT, _on_interrupt)
    _NS["request_fd"], _NS["reply_fd"] = request_fd, reply_fd
    wire = None
    while True:
        if wire is None:
            msg = _read_first(request_fd)
        else:
            msg = wire.read_frame(request_fd)
        op = msg.get("op")
        if op == "exit":
            os._exit(0)
        _STATE["busy"] = True
        try:
            reply = _OPS[op](msg)
        except BaseException as exc:  # noqa: BLE001  (a request the student's code broke)
            reply = _error(exc)
        finally:
            _STATE["busy"] = False
        if wire is None:
            from coursekit.autograde import wire
        reply["violations"] = list(_STATE["violations"])
        reply["nonce"] = msg.get("nonce")
        try:
            data = wire.dumps(reply)
        except BaseException as exc:  # noqa: BLE001  (a value too large, or a patched encoder)
            data = _plain_frame(
                {
                    "ok": False,
                    "type": "CheckFailed",
                    "check_failed": True,
                    "nonce": msg.get("nonce"),
                    "violations": [str(v) for v in _STATE["violations"]],
                    "message": f"the answer could not be sent to the grader: {_describe(exc)}",
                }
            )
        view = memoryview(data)
        while view:
            view = view[os.write(reply_fd, view) :]


def _plain_frame(message: dict) -> bytes:
    """A frame of JSON strings, lists of strings and bools, built by hand: the json module may
    be what the student's code broke (e.g. by replacing builtins.isinstance)."""

    def text(value: object) -> str:
        if value is True or value is False:
            return "true" if value else "false"
        if type(value) is list:
            return "[" + ",".join(text(v) for v in value) + "]"
        chars = (("\\" + c) if c in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 32 else c for c in str(value))
        return '"' + "".join(chars) + '"'

    body = ("{" + ",".join(f"{text(k)}:{text(v)}" for k, v in message.items()) + "}").encode("utf-8", "replace")
    return len(body).to_bytes(8, "big") + body


def _read_first(fd: int) -> dict:
    """The setup request, read before coursekit is on the path (plain JSON, no tags)."""
    import json
    import struct

    header = os.read(fd, 8)
    (size,) = struct.unpack(">Q", header)
    body = b""
    while len(body) < size:
        chunk = os.read(fd, size - len(body))
        if not chunk:
            raise EOFError
        body += chunk
    return json.loads(body)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
