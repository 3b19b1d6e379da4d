"""The local cluster's journal: every committed write appended to one file as a JSON line, replayed at start.

A commit to SQLite (what the cluster used before local 0.2) cost a quarter of a pod create's server CPU; an
append to a file costs one `write` call. Durability is what SQLite's WAL with `synchronous=NORMAL` gave: a
write acknowledged to a client is in the kernel's page cache, so it survives the process being killed at any
instant (not a power loss of the machine, which a test double does not need to survive).

Records are JSON arrays, one per line (JSON never holds a raw line break), so `jq` and `grep` read the file:

    ["put", resource, namespace, name, object]
    ["delete", resource, namespace, name, resourceVersion]
    ["rv", resourceVersion]          (first line of a compacted journal)

A kill in the middle of an append leaves a last line without its line break: replay drops it, since its
write was never acknowledged, and cuts the file back so the next append starts on a line of its own. Any
other line that does not parse is damage, and the cluster refuses to start rather than lose objects
silently. The owner rewrites the journal with only the live objects when garbage dominates (`rewrite`): a
new file, flushed to disk and renamed over the old, so a kill at any point leaves one whole journal.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from training_operator.local import wire


class JournalDamaged(Exception):
    """A line in the middle of the journal is not a record: the file was changed by something else."""


class Journal:
    """Appends records to one file and reads them back; callers build the lines (`record`, `put_line`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        #: bytes in the file, so a failed append can be cut back to the last whole record
        self.size = os.fstat(self._fd).st_size

    def close(self) -> None:
        """Close the file (every append is already in the kernel's hands)."""
        os.close(self._fd)

    def replay(self) -> Iterator[tuple[int, list[Any]]]:
        """Every record in order with its line's length; a torn last line is dropped and cut off the file."""
        good = 0
        with open(self._fd, "rb", closefd=False) as file:
            file.seek(0)
            for number, line in enumerate(file, start=1):
                if not line.endswith(b"\n"):
                    break  # the append a kill interrupted: never acknowledged
                try:
                    record = wire.decode(line)
                except ValueError:
                    record = None
                if not _well_formed(record):
                    raise JournalDamaged(
                        f"{self.path}: line {number} is not a journal record; restore the file, or move it "
                        "away to start the cluster empty (its objects are then lost)"
                    )
                good += len(line)
                yield len(line), record
        if good != self.size:
            os.ftruncate(self._fd, good)
            self.size = good

    def append(self, line: bytes) -> None:
        """Write one whole line; on failure (a full disk) the file is cut back and the error raised."""
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.size)
            raise
        self.size += len(line)

    def rewrite(self, lines: Iterable[bytes]) -> None:
        """Replace the whole journal with `lines`: written aside, flushed, renamed over it."""
        aside = self.path.with_name(self.path.name + ".new")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            with open(fd, "wb", closefd=False) as file:
                for line in lines:
                    file.write(line)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(aside, self.path)
        with contextlib.suppress(OSError):  # make the rename itself durable where the system allows
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        self.size = os.fstat(self._fd).st_size


def _well_formed(record: Any) -> bool:
    """One of the three record shapes, with the types replay relies on."""
    if not isinstance(record, list) or not record:
        return False
    kind = record[0]
    if kind == "rv":
        return len(record) == 2 and isinstance(record[1], int)
    if kind not in ("put", "delete") or len(record) != 5 or not all(isinstance(f, str) for f in record[1:4]):
        return False
    if kind == "delete":
        return isinstance(record[4], int)
    obj = record[4]
    return isinstance(obj, dict) and isinstance(obj.get("metadata"), dict)


def record(*fields: Any) -> bytes:
    """A whole line holding a record made of small fields (a delete, the counter)."""
    return wire.encode(list(fields)) + b"\n"


def put_line(resource: str, namespace: str, name: str, body: bytes) -> bytes:
    """A put record around an object already encoded once (the same bytes go to watchers and the client)."""
    return wire.encode(["put", resource, namespace, name])[:-1] + b"," + body + b"]\n"
