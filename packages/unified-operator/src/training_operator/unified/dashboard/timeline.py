"""Every replica's pods over time, for the job page's chart: phase segments, restarts and failures.

A pod object tells only its present and one earlier attempt (`lastState`), and a deleted pod tells nothing.
The dashboard sees each version while it watches, so `PodHistory` keeps every attempt of every pod
incarnation and folds incarnations of one replica (a pod deleted and re-created under the same replica type
and index) into one row. Pure: times come in as arguments (seconds since the epoch); nothing here reads a
clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from training_operator.core import labels

PENDING, RUNNING, RESTARTING, SUCCEEDED, FAILED = "Pending", "Running", "Restarting", "Succeeded", "Failed"
#: rows drawn at most; a 1,000-replica job shows its first rows and says how many more there are
MAX_ROWS = 200
#: pod incarnations remembered per job, so a crash-looping job cannot grow the dashboard's memory
MAX_TRACKS = 2000
#: replica types drawn first, in this order (the ones whose fate decides the job's)
LEADING_TYPES = ("master", "chief", "launcher", "scheduler", "ps")


def stamp(text: object) -> float | None:
    """An RFC 3339 time from the API as seconds since the epoch; None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One run of the pod's main container."""

    started: float
    finished: float | None
    exit_code: int | None
    reason: str


@dataclass(slots=True)
class Track:
    """One pod incarnation (one uid) and what was seen of it."""

    name: str
    replica: tuple[str, int]
    created: float
    phase: str = PENDING
    phase_since: float = 0.0
    attempts: dict[float, Attempt] = field(default_factory=dict)
    gone: float | None = None
    #: runs that ended before the pod was first seen (a pod shows only its last two): drawn as one span
    unseen: int = 0
    #: when the kubelet started the pod, where those unseen runs began
    started: float | None = None


def replica_of(pod: Mapping[str, Any]) -> tuple[str, int]:
    """(replica type, index) from the operator's labels; MPIJob v2beta1 labels only the role."""
    found = (pod.get("metadata") or {}).get("labels") or {}
    kind = str(found.get(labels.REPLICA_TYPE) or found.get(labels.JOB_ROLE) or "pod").lower()
    index = str(found.get(labels.REPLICA_INDEX, "0"))
    return kind, int(index) if index.isdigit() else 0


def row_name(replica: tuple[str, int]) -> str:
    """`worker-1`, as the pod names spell a replica."""
    return f"{replica[0]}-{replica[1]}"


def main_status(pod: Mapping[str, Any], main_containers: Collection[str]) -> Mapping[str, Any]:
    """The status of the container whose runs the chart shows: the kind's main one (`pytorch`, …), else the
    first."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    chosen = next((s for s in statuses if s.get("name") in main_containers), None)
    return chosen or (statuses[0] if statuses else {})


def attempts_of(status: Mapping[str, Any]) -> list[Attempt]:
    """The runs one container status reveals: its current state and the one before."""
    found = []
    for state in (status.get("lastState") or {}, status.get("state") or {}):
        if running := state.get("running"):
            if (started := stamp(running.get("startedAt"))) is not None:
                found.append(Attempt(started, None, None, ""))
        elif ended := state.get("terminated"):
            finished = stamp(ended.get("finishedAt"))
            started = stamp(ended.get("startedAt")) or finished
            if started is not None:
                code = ended.get("exitCode")
                reason = str(ended.get("reason") or "")
                found.append(Attempt(started, finished, code if isinstance(code, int) else None, reason))
    return found


class PodHistory:
    """The pods of one job as seen over time; feed it every version with `observe`."""

    def __init__(self, main_containers: Collection[str] = ()) -> None:
        self.main_containers = main_containers
        self.tracks: dict[str, Track] = {}

    def observe(self, pods: Iterable[Mapping[str, Any]], now: float) -> None:
        """Record the job's pods as they are now; a pod seen before and missing now went away at `now`."""
        present = set()
        for pod in pods:
            meta = pod.get("metadata") or {}
            uid = str(meta.get("uid") or meta.get("name"))
            present.add(uid)
            track = self.tracks.get(uid)
            if track is None:
                if len(self.tracks) >= MAX_TRACKS:
                    continue
                track = self._first_sight(pod, now)
                self.tracks[uid] = track
            self._update(track, pod, now)
        for uid, track in self.tracks.items():
            if uid not in present and track.gone is None:
                track.gone = now

    def _first_sight(self, pod: Mapping[str, Any], now: float) -> Track:
        meta = pod.get("metadata") or {}
        created = stamp(meta.get("creationTimestamp")) or now
        track = Track(str(meta.get("name")), replica_of(pod), created, phase_since=created)
        status = main_status(pod, self.main_containers)
        if known := len(attempts_of(status)):
            track.unseen = max(0, int(status.get("restartCount") or 0) + 1 - known)
        return track

    def _update(self, track: Track, pod: Mapping[str, Any], now: float) -> None:
        phase = str((pod.get("status") or {}).get("phase") or PENDING)
        if phase != track.phase:
            track.phase, track.phase_since = phase, now
        status = main_status(pod, self.main_containers)
        for attempt in attempts_of(status):
            track.attempts[attempt.started] = attempt
        track.started = track.started or stamp((pod.get("status") or {}).get("startTime"))
        deleted = stamp((pod.get("metadata") or {}).get("deletionTimestamp"))
        if deleted is not None and track.gone is None and phase in (SUCCEEDED, FAILED):
            track.gone = deleted

    def chart(self, *, start: float, end: float, limit: int = MAX_ROWS) -> dict[str, Any]:
        """`{"rows": [...], "hidden": n}`: one row per replica, its segments and marks within [start, end]."""
        by_replica: dict[tuple[str, int], list[Track]] = {}
        for track in self.tracks.values():
            by_replica.setdefault(track.replica, []).append(track)
        ordered = sorted(by_replica, key=replica_order)
        rows = [_row(replica, by_replica[replica], start, end) for replica in ordered]
        rows = [row for row in rows if row["segments"] or row["marks"]]  # pods of an older job of that name
        return {"rows": rows[:limit], "hidden": max(0, len(rows) - limit)}


def replica_order(replica: tuple[str, int]) -> tuple[int, str, int]:
    """Master/chief/launcher rows first, then by type and index."""
    kind, index = replica
    rank = LEADING_TYPES.index(kind) if kind in LEADING_TYPES else len(LEADING_TYPES)
    return rank, kind, index


def _row(replica: tuple[str, int], tracks: list[Track], start: float, end: float) -> dict[str, Any]:
    segments: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    tracks = sorted(tracks, key=lambda t: t.created)
    for number, track in enumerate(tracks):
        if number:
            marks.append(_mark("restart", track.created, f"pod {track.name} re-created"))
        _draw(track, segments, marks, stop=min(end, track.gone if track.gone is not None else end))
    return {
        "replica": row_name(replica),
        "pod": tracks[-1].name,
        "segments": [s for s in (_clip(s, start, end) for s in segments) if s is not None],
        "marks": [m for m in marks if start <= m["at"] <= end],
    }


def _draw(track: Track, segments: list[dict[str, Any]], marks: list[dict[str, Any]], *, stop: float) -> None:
    runs = sorted(track.attempts.values(), key=lambda a: a.started)
    if not runs:
        if track.phase in (SUCCEEDED, FAILED):  # ended without a container run we saw (evicted, rejected)
            segments += [_segment(PENDING, track.created, track.phase_since)]
            segments += [_segment(track.phase, track.phase_since, stop)]
            if track.phase == FAILED:
                marks.append(_mark("failure", track.phase_since, f"pod {track.name} failed"))
        else:
            segments.append(_segment(PENDING, track.created, stop))
        return
    if unseen := track.unseen:
        first = min(track.started or runs[0].started, runs[0].started)
        segments += [_segment(PENDING, track.created, first), _segment(RESTARTING, first, runs[0].started)]
        marks.append(_mark("restart", runs[0].started, f"{unseen} earlier run(s) ended before this view"))
    else:
        segments.append(_segment(PENDING, track.created, runs[0].started))
    for number, run in enumerate(runs):
        segments.append(_segment(RUNNING, run.started, run.finished if run.finished is not None else stop))
        if number:
            marks.append(_mark("restart", run.started, f"container restarted (run {number + 1})"))
        if run.finished is None:
            continue
        if run.exit_code:
            detail = f"exit code {run.exit_code}" + (f" ({run.reason})" if run.reason else "")
            marks.append(_mark("failure", run.finished, detail))
        after = runs[number + 1].started if number + 1 < len(runs) else stop
        tail = track.phase if number + 1 == len(runs) and track.phase in (SUCCEEDED, FAILED) else RESTARTING
        segments.append(_segment(tail, run.finished, after))


def _segment(phase: str, start: float, end: float) -> dict[str, Any]:
    return {"phase": phase, "start": start, "end": end}


def _mark(kind: str, at: float, detail: str) -> dict[str, Any]:
    return {"kind": kind, "at": at, "detail": detail}


def _clip(segment: dict[str, Any], start: float, end: float) -> dict[str, Any] | None:
    low, high = max(segment["start"], start), min(segment["end"], end)
    return {**segment, "start": low, "end": high} if high > low else None
