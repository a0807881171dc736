"""Run an embedded ArcadeDB server with the Bolt plugin until standard input closes.

Started by the test suite (tests/backends.py) in its own process, on loopback:
``python tests/servers/arcadedb_server.py ROOT BOLT_PORT HTTP_PORT PASSWORD DATABASE...``.
It prints ``RUNIC-ARCADEDB-READY`` once the database exists.
"""

from __future__ import annotations

import sys


def main() -> None:
    root, bolt_port, http_port, password, *databases = sys.argv[1:]
    from arcadedb_embedded.server import ArcadeDBServer

    server = ArcadeDBServer(
        root_path=root,
        root_password=password,
        config={
            "host": "127.0.0.1",
            "http_port": int(http_port),
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": int(bolt_port),
        },
    )
    server.start()
    for database in databases:
        server.create_database(database)
    print("\nRUNIC-ARCADEDB-READY", flush=True)
    sys.stdin.read()  # the test run closes it when done
    server.stop()


if __name__ == "__main__":
    main()
