"""Run an embedded ArcadeDB server with the Bolt plugin until standard input closes.

Started by the test suite (tests/backends.py) in its own process, on loopback:
``python tests/servers/arcadedb_server.py ROOT BOLT_PORT HTTP_PORT PASSWORD DATABASE...``.
It prints ``RUNIC-ARCADEDB-READY`` once the databases exist.

Each database runs its transactions at ``REPEATABLE_READ``; ``NAME:READ_COMMITTED`` keeps
ArcadeDB's default for that one (the isolation probe in tests/live/test_arcadedb_facts.py
uses one). At ``READ_COMMITTED`` a ``MATCH ... WHERE n.version = $read SET ...`` whose
record another transaction commits between the match and the write overwrites that commit
and both succeed: optimistic locking loses updates. At ``REPEATABLE_READ`` the match pins
the record's page, so the commit is refused as a transient conflict ("Slot rebase not
possible"). Bolt cannot choose the isolation, and no server setting does: it is set on the
open database, here by the embedding process, and lasts until the database is closed.
"""

from __future__ import annotations

import sys

ISOLATIONS = ("READ_COMMITTED", "REPEATABLE_READ")


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
    import jpype  # started by ArcadeDBServer

    levels = jpype.JClass("com.arcadedb.database.Database$TRANSACTION_ISOLATION_LEVEL")
    for spec in databases:
        name, _, isolation = spec.partition(":")
        isolation = isolation or "REPEATABLE_READ"
        if isolation not in ISOLATIONS:
            raise SystemExit(f"{spec}: the isolation is one of {ISOLATIONS}")
        server.create_database(name)
        # The instance every Bolt connection to this database uses (ServerDatabase).
        database = server._java_server.getDatabase(name)
        database.setTransactionIsolationLevel(getattr(levels, isolation))
        print(f"\nRUNIC-ARCADEDB-DATABASE {name} {database.getTransactionIsolationLevel()}")
    print("\nRUNIC-ARCADEDB-READY", flush=True)
    sys.stdin.read()  # the test run closes it when done
    server.stop()


if __name__ == "__main__":
    main()
