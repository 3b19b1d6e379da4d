"""The store's journal: a killed cluster keeps every write it acknowledged, a torn last line is dropped,
damage is refused by name, a full disk loses nothing, garbage is compacted away, and a pre-0.2 SQLite store is
imported on the first start."""

import errno
import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest
import requests

from training_operator.local import daemon, journal
from training_operator.local.journal import JournalDamaged
from training_operator.local.storage import Storage


def a_configmap(name: str, rv: int, value: str = "1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "resourceVersion": str(rv)},
        "data": {"value": value},
    }


def put(storage: Storage, name: str, value: str = "1") -> dict:
    obj = a_configmap(name, storage.next_rv(), value)
    storage.put("/configmaps", obj, event="ADDED")
    return obj


def test_a_killed_cluster_keeps_what_it_acknowledged(tmp_path):
    state = tmp_path / "state"
    kubeconfig = daemon.ensure_running(state, extra_args=("--network", "loopback"))
    token = (state / "token").read_text().strip()
    found = daemon.is_running(state)
    assert found is not None
    assert kubeconfig.exists()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    # Per request: REQUESTS_CA_BUNDLE in the environment would override a session default.
    session.request = functools.partial(session.request, verify=str(state / "ca.crt"), timeout=30)  # type: ignore[method-assign]
    url = f"{found.url}/api/v1/namespaces/default/configmaps"
    try:
        for index in range(20):
            created = session.post(url, json={"metadata": {"name": f"cm-{index}"}, "data": {"i": str(index)}})
            assert created.status_code == 201, created.text
        gone = session.delete(f"{url}/cm-0")
        assert gone.status_code == 200, gone.text
        deleted_rv = int(gone.json()["metadata"]["resourceVersion"])
        os.kill(found.pid, signal.SIGKILL)  # no chance to flush or close anything
        daemon.ensure_running(state, extra_args=("--network", "loopback"))
        again = daemon.is_running(state)
        assert again is not None
        assert again.pid != found.pid
        url = f"{again.url}/api/v1/namespaces/default/configmaps"
        names = {item["metadata"]["name"] for item in session.get(url).json()["items"]}
        assert names == {f"cm-{index}" for index in range(1, 20)}
        assert session.get(f"{url}/cm-19").json()["data"] == {"i": "19"}
        fresh = session.post(url, json={"metadata": {"name": "after"}}).json()
        assert int(fresh["metadata"]["resourceVersion"]) > deleted_rv  # the counter never goes back
    finally:
        daemon.stop(state)


def test_a_torn_last_line_is_dropped_and_cut_off(tmp_path):
    path = tmp_path / "journal.jsonl"
    storage = Storage(path)
    put(storage, "kept")
    storage.close()
    whole = path.read_bytes()
    with open(path, "ab") as file:  # a kill in the middle of an append
        file.write(b'["put","/configmaps","default","torn",{"metadata":')
    storage = Storage(path)
    assert storage.get("/configmaps", "default", "kept") is not None
    assert storage.get("/configmaps", "default", "torn") is None
    assert path.read_bytes() == whole
    put(storage, "next")
    storage.close()
    storage = Storage(path)
    assert storage.get("/configmaps", "default", "next") is not None
    storage.close()


def test_a_damaged_line_is_refused_by_name_and_left_alone(tmp_path):
    path = tmp_path / "journal.jsonl"
    storage = Storage(path)
    put(storage, "first")
    put(storage, "second")
    storage.close()
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = lines[0] + b"not json at all\n" + lines[1]
    path.write_bytes(damaged)
    with pytest.raises(JournalDamaged, match=r"journal\.jsonl: line 2 is not a journal record"):
        Storage(path)
    assert path.read_bytes() == damaged


@pytest.mark.parametrize(
    "line",
    [b'["put","/configmaps","default","x"]', b'["delete","/configmaps","default","x","7"]', b'["rv"]', b"[]"],
)
def test_a_record_of_the_wrong_shape_is_damage_too(tmp_path, line):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(line + b"\n" + b'["rv",3]\n')
    with pytest.raises(JournalDamaged, match="line 1 is not a journal record"):
        Storage(path)


def test_a_damaged_journal_stops_the_cluster_with_one_line(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.jsonl").write_bytes(b'{"not": "a record"}\n')
    up = ["up", "--state-dir", str(state), "--network", "loopback"]
    result = subprocess.run(
        [sys.executable, "-m", "training_operator.local", *up],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "journal.jsonl: line 1 is not a journal record" in result.stderr


def test_a_full_disk_fails_the_write_and_loses_nothing(tmp_path, monkeypatch):
    path = tmp_path / "journal.jsonl"
    storage = Storage(path)
    before = put(storage, "cm", "before")
    size = path.stat().st_size
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        if len(data) > 40:
            real_write(fd, bytes(data[:40]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(journal.os, "write", half_then_full)
    with pytest.raises(OSError, match="No space left"):
        put(storage, "cm", "after")
    monkeypatch.setattr(journal.os, "write", real_write)
    assert storage.get("/configmaps", "default", "cm") == before
    assert path.stat().st_size == size
    put(storage, "cm", "later")
    storage.close()
    storage = Storage(path)
    assert storage.get("/configmaps", "default", "cm")["data"] == {"value": "later"}
    storage.close()


def test_garbage_is_compacted_away_and_the_counter_survives_it(tmp_path):
    path = tmp_path / "journal.jsonl"
    storage = Storage(path, compaction_slack=20_000)
    for index in range(2_000):
        put(storage, f"cm-{index % 10}", str(index))
    victim = storage.get("/configmaps", "default", "cm-0")
    assert victim is not None
    storage.remove("/configmaps", victim)
    live = sum(len(line) for line in path.read_bytes().splitlines(keepends=True) if b'"put"' in line[:8])
    assert path.stat().st_size <= 2 * live + 20_000 + 200  # 2,000 updates of ~130 bytes each would be ~260 KB
    storage.close()
    storage = Storage(path, compaction_slack=20_000)
    assert storage.get("/configmaps", "default", "cm-0") is None
    assert storage.get("/configmaps", "default", "cm-9")["data"] == {"value": "1999"}
    storage.close()
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert all(isinstance(r, list) and r[0] in ("put", "delete", "rv") for r in records)


def test_a_sqlite_store_from_before_is_imported_once(tmp_path):
    database = tmp_path / "cluster.db"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TABLE objects (resource TEXT, namespace TEXT, name TEXT, body TEXT, "
            "PRIMARY KEY (resource, namespace, name))"
        )
        db.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER)")
        db.execute(
            "INSERT INTO objects VALUES (?, ?, ?, ?)",
            ("/configmaps", "default", "old", json.dumps(a_configmap("old", 7)).encode()),
        )
        db.execute("INSERT INTO counters VALUES ('rv', 41)")  # a deletion after the last write
    db.close()
    storage = Storage(tmp_path / "journal.jsonl")
    assert storage.get("/configmaps", "default", "old")["metadata"]["resourceVersion"] == "7"
    assert storage.next_rv() == 42
    storage.close()
    assert not database.exists()
    assert not list(tmp_path.glob("*.import*"))
    assert not list(tmp_path.glob("*.new"))


def test_the_counter_outlives_a_compaction_that_drops_the_last_deletion(tmp_path):
    path = tmp_path / "journal.jsonl"
    storage = Storage(path, compaction_slack=0)  # rewrite as soon as the file is over twice the live bytes
    put(storage, "kept")
    victim = put(storage, "victim")
    deleted_rv = storage.remove("/configmaps", victim).rv
    assert b"victim" not in path.read_bytes()  # the deletion's write compacted the journal
    storage.close()
    storage = Storage(path, compaction_slack=0)
    assert storage.next_rv() == deleted_rv + 1  # a resourceVersion is never handed out twice
    storage.close()
