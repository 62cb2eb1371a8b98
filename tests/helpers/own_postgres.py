"""A PostgreSQL server of a test's own: its own data directory and port, started and
stopped by the test (never the machine's shared server), for catalog-restart tests.

PostgreSQL refuses to run as root; as root the server runs as the `postgres` account,
in a folder under the system temp directory that account can reach.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ACCOUNT = "postgres"


def _bindir() -> Path | None:
    """Where initdb and pg_ctl live: beside `pg_config --bindir`, or on PATH."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and (Path(found.stdout.strip()) / "pg_ctl").exists():
            return Path(found.stdout.strip())
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnPostgres:
    """One server: `start()`, `stop(mode)`, `conninfo(dbname)`, `createdb(name)`."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir, self.root = bindir, root
        self.data, self.socket_dir = root / "data", root / "sockets"
        self.port = _free_port()

    def _run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", ACCOUNT, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root)

    def init(self) -> None:
        done = self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                         "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=40")
        done = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                         str(self.root / "server.log"), "-w", "-t", "60", "start")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} "
                               f"{(self.root / 'server.log').read_text()[-2000:]}")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session with "terminating connection due to administrator
        command"; `immediate` drops them as a crash would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_up(self) -> bool:
        ready = subprocess.run([str(self.bindir / "pg_isready"), "-h", "127.0.0.1",
                                "-p", str(self.port)], capture_output=True)
        return ready.returncode == 0

    def createdb(self, name: str) -> None:
        done = self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                         "postgres", name)
        if done.returncode != 0:
            raise RuntimeError(f"createdb failed: {done.stderr.strip()}")

    def conninfo(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=postgres"


def unavailable() -> str | None:
    bindir = _bindir()
    if bindir is None or not (bindir / "initdb").exists():
        return "PostgreSQL's initdb is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as another account"
    return None


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A started server of this test's own, stopped and removed after."""
    why = unavailable()
    if why is not None:
        if os.environ.get("PRICEWATCH_LAKE_REQUIRED") == "1":
            pytest.fail(f"a PostgreSQL of the test's own is required here: {why}")
        pytest.skip(why)
    bindir = _bindir()
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="pricewatch-pg-"))
    (root / "sockets").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, ACCOUNT)
        shutil.chown(root / "sockets", ACCOUNT)
    server = OwnPostgres(bindir, root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop("immediate")
        deadline = time.monotonic() + 10
        while server.is_up() and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(root, ignore_errors=True)
