"""List-then-watch of one collection, or of one named object, as steps: what every SDK watch is built on.

A `Watcher` reads first (a paged LIST, or a GET of the one object), then watches from the version it read.
It survives what a real API server does to long watches, as client-go's reflector does:

* bookmarks move its resourceVersion on without an event for the caller;
* a watch the server ends (timeoutSeconds) resumes at once from the last version seen;
* `410 Gone` (the version fell out of the server's history, as an answer or an ERROR event) relists and
  reports the difference (objects added, changed or deleted during the gap), so nothing is missed or doubled;
* a dropped stream, a 5xx, a 429 or an unreachable server back off (0.2 s doubling to 30 s) and resume;
* a stream silent for longer than the server promised to keep it open is restarted.

Several watchers (and log streams) share one plan: the plan asks `Next` on all of them and hands each arrival
to `dispatch`, which finds its watcher. Each method is a sub-plan (`yield from`) that returns the changes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from training_operator.unified.sdk import calls, errors, steps

#: how long the server keeps one watch open before we resume it (client-go uses 5-10 min; kopf ~290 s)
WATCH_SECONDS = 290
#: seconds past that after which a silent stream counts as stalled
SILENCE_GRACE = 30.0
RETRY_FIRST, RETRY_MAX = 0.2, 30.0
SubPlan = Generator[steps.Step, Any, "list[Change]"]


@dataclass(frozen=True, slots=True)
class Change:
    """One watch event: `type` ADDED, MODIFIED or DELETED, `body` the object, `source` the watcher's key."""

    source: Hashable
    type: str
    body: dict[str, Any]


def transient(error: errors.TrainingError) -> bool:
    """Failures worth retrying: no answer, the server overloaded or failing (not: forbidden, not found)."""
    return error.status is None or error.status == 429 or error.status >= 500


class Watcher:
    """One watched collection (or object) and what it currently holds."""

    def __init__(
        self,
        key: Hashable,
        *,
        path: str,
        what: str,
        name: str | None = None,
        label_selector: str | None = None,
        resource_version: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.key, self.path, self.what, self.name = key, path, what, name
        fields = f"metadata.name={name}" if name else None
        self.selectors: dict[str, str | None] = {"labelSelector": label_selector, "fieldSelector": fields}
        self.version = resource_version
        self.timeout = timeout  # per request, for the reads
        self.known: dict[str, dict[str, Any]] = {}  # namespace/name → last body: what a relist compares to
        self.delay = RETRY_FIRST
        self.silent_after = float("inf")

    # --- sub-plans -------------------------------------------------------------------------------------

    def start(self) -> SubPlan:
        """Read (unless resuming from a version) and open the watch; the changes the read revealed."""
        found = []
        if not self.version:
            found = yield from self._relist()
        call = calls.watch(
            self.path, self.what, self.selectors, resource_version=self.version or "", seconds=WATCH_SECONDS
        )
        yield steps.Open(self.key, call)
        self.silent_after = time.monotonic() + WATCH_SECONDS + SILENCE_GRACE
        return found

    def arrived(self, arrival: steps.Line | steps.Ended) -> SubPlan:
        """One line or the end of this watcher's stream: the changes it carries."""
        if isinstance(arrival, steps.Ended):
            return (yield from self._recover(arrival.error))
        self.silent_after = time.monotonic() + WATCH_SECONDS + SILENCE_GRACE
        if not arrival.text.strip():
            return []
        try:
            event = json.loads(arrival.text)
            kind, body = str(event["type"]), dict(event["object"])
        except (ValueError, KeyError, TypeError) as error:  # a garbled line: start over from the last version
            return (yield from self._recover(errors.TrainingError(f"{self.what}: bad watch line: {error}")))
        if kind == "ERROR":
            status = int(body.get("code") or 500)
            return (yield from self._recover(errors.TrainingError(str(body.get("message")), status=status)))
        self.version = str((body.get("metadata") or {}).get("resourceVersion") or self.version)
        self.delay = RETRY_FIRST
        if kind == "BOOKMARK":
            return []
        key = _object_key(body)
        if kind == "DELETED":
            self.known.pop(key, None)
        else:
            self.known[key] = body
        return [Change(self.key, kind, body)]

    def restart_if_stalled(self, now: float) -> SubPlan:
        """A stream silent past its deadline is reopened from the last version."""
        if now < self.silent_after:
            return []
        yield steps.Close(self.key)
        return (yield from self.start())

    # --- internals -------------------------------------------------------------------------------------

    def _recover(self, error: errors.TrainingError | None) -> SubPlan:
        if error is not None and error.status == 410:  # our version is too old: read everything again
            self.version = None
        elif error is not None:
            if not transient(error):
                raise error
            yield steps.Pause(self.delay)
            self.delay = min(self.delay * 2, RETRY_MAX)
        return (yield from self.start())

    def _relist(self) -> SubPlan:
        while True:
            try:
                items, version = yield from self._read()
                break
            except errors.TrainingError as error:
                if not transient(error):
                    raise
                yield steps.Pause(self.delay)
                self.delay = min(self.delay * 2, RETRY_MAX)
        self.version = version
        return self._replace(items)

    def _read(self) -> Generator[steps.Step, Any, tuple[list[dict[str, Any]], str]]:
        if self.name:  # one object: GET it (its own version is where the watch starts)
            try:
                body = yield steps.Send(
                    calls.Call("GET", f"{self.path}/{self.name}", self.what), self.timeout
                )
            except errors.JobNotFound:
                if not self.known:
                    raise  # it never existed: the caller's name is wrong
                return [], ""  # it went away while we were not watching: report it deleted
            return [body], str(body["metadata"]["resourceVersion"])
        items: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            call = calls.list_page(self.path, self.what, self.selectors, continue_from=page)
            listing = yield steps.Send(call, self.timeout)
            items += _typed(listing)
            meta = listing.get("metadata") or {}
            if not (page := meta.get("continue")):
                return items, str(meta.get("resourceVersion") or "")

    def _replace(self, items: Sequence[dict[str, Any]]) -> list[Change]:
        fresh = {_object_key(item): item for item in items}
        found = []
        for key, item in fresh.items():
            old = self.known.get(key)
            if old is None:
                found.append(Change(self.key, "ADDED", item))
            elif _version(old) != _version(item):
                found.append(Change(self.key, "MODIFIED", item))
        found += [Change(self.key, "DELETED", old) for key, old in self.known.items() if key not in fresh]
        self.known = fresh
        return found


def patience(watchers: Sequence[Watcher], deadline: float | None = None) -> float | None:
    """How long the next `Next` may wait: until the first watcher would count as stalled, or the deadline."""
    limits = [w.silent_after for w in watchers] + ([deadline] if deadline is not None else [])
    soonest = min(limits, default=float("inf"))
    return None if soonest == float("inf") else max(soonest - time.monotonic(), 0.0)


def dispatch(watchers: Sequence[Watcher], arrival: steps.Arrival) -> Generator[Any, Any, list[Change] | None]:
    """Hand an arrival to its watcher (None: a quiet spell, check for stalls); None when the arrival is not a
    watcher's (a log line, say: the caller's business)."""
    if arrival is None:
        now = time.monotonic()
        found: list[Change] = []
        for watcher in watchers:
            found += yield from watcher.restart_if_stalled(now)
        return found
    for watcher in watchers:
        if watcher.key == arrival.key:
            return (yield from watcher.arrived(arrival))
    return None


def _object_key(body: Mapping[str, Any]) -> str:
    meta = body.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _version(body: Mapping[str, Any]) -> str:
    return str((body.get("metadata") or {}).get("resourceVersion", ""))


def _typed(listing: Mapping[str, Any]) -> list[dict[str, Any]]:
    """List items come without kind and apiVersion; parsing a job needs them."""
    kind = str(listing.get("kind") or "").removesuffix("List")
    api_version = listing.get("apiVersion")
    return [{"kind": kind, "apiVersion": api_version, **item} for item in listing.get("items") or []]
