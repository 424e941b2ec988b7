"""A throwaway PostgreSQL server for the tests that need a real one (the ``postgres`` fixture).

It is started with ``initdb`` + ``pg_ctl`` from the Debian package ``postgresql`` (found under
``/usr/lib/postgresql/*/bin``) in a temporary directory, on a free loopback port, as an
unprivileged user when the tests run as root (the server refuses to run as root), with trust
authentication for the user ``coursekit``; :meth:`PostgresServer.create_database` makes a
database and returns its SQLAlchemy URL. :meth:`PostgresServer.stop` stops it and removes
everything.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class Unavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says what is missing."""


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PostgresServer:
    """A running server on ``127.0.0.1:port``; see the module docstring."""

    USER = "coursekit"

    def __init__(self) -> None:
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise Unavailable("psycopg2 is not installed (pip install psycopg2-binary)") from None
        self.bin_dir = _bin_dir()
        if self.bin_dir is None:
            raise Unavailable("PostgreSQL server binaries not found (install the Debian package `postgresql`)")
        self.os_user = None
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise Unavailable("running as root without `runuser` to start PostgreSQL as another user")
            self.os_user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
            if self.os_user is None:
                raise Unavailable("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL")
        self.base = Path(tempfile.mkdtemp(prefix="coursekit-pg-"))
        self.data = self.base / "data"
        if self.os_user is not None:
            entry = pwd.getpwnam(self.os_user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self.port = _free_port()
        self._run(["initdb", "-D", str(self.data), "-U", self.USER, "--auth=trust", "-E", "UTF8"])
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base}"
        self._run(["pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.base / "server.log"), "-w", "start"])

    def _run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / cmd[0]), *cmd[1:]]
        if self.os_user is not None:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd=self.base)

    def create_database(self, name: str) -> str:
        """Create database ``name``; its URL ``postgresql+psycopg2://coursekit@127.0.0.1:<port>/<name>``."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.USER, dbname="postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return f"postgresql+psycopg2://{self.USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"], check=False)
        shutil.rmtree(self.base, ignore_errors=True)
