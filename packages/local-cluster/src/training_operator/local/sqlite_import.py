"""Clusters before local 0.2 kept their objects in SQLite (`cluster.db`); the first start of a newer version
moves them into the journal, so `down` on the old version and `up` on the new keeps every object, as an
upgrade of a real cluster keeps etcd's data.
"""

import contextlib
import sqlite3
from pathlib import Path

from training_operator.local.journal import Journal, put_line, record


def import_once(database: Path, journal: Path) -> None:
    """Write `database`'s objects as a new journal and remove the database; nothing when there is no database
    or a journal exists already (the import finished before)."""
    if journal.exists() or not database.exists():
        return
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        counter = db.execute("SELECT value FROM counters WHERE name='rv'").fetchone()
        rows = db.execute("SELECT resource, namespace, name, body FROM objects").fetchall()
    lines = [record("rv", int(counter[0]) if counter else 1)]
    lines += [
        put_line(resource, namespace, name, body.encode() if isinstance(body, str) else body)
        for resource, namespace, name, body in rows
    ]
    aside = journal.with_name(journal.name + ".import")
    aside.unlink(missing_ok=True)
    fresh = Journal(aside)
    try:
        fresh.rewrite(lines)  # flushed to disk before the database goes
    finally:
        fresh.close()
    aside.replace(journal)
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
