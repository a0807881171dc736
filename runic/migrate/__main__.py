"""``python -m runic.migrate``: the ``runic-migrate`` command."""

from runic.migrate.cli import main

raise SystemExit(main())
