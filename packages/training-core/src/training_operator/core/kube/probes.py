"""Re-reading the objects that block a job but that no watch shows, with exponential back-off.

The operator's watches select on its own labels, so an object of someone else's that holds one of a job's
child names is only learnt from the 409 its create got (`Index.learn`). Nothing would tell us when it goes
away or changes hands, so each such object is read again — one GET — after 2 s, 4 s, 8 s … up to 5 minutes:
a blocked job costs a handful of requests in its first minute and about one every 5 minutes after, however
long it stays blocked. A 404 frees the name (the next plan creates the child); anything else is learnt
again, and the engine decides (adopt, still blocked, ours after all). The schedule lives in memory only:
after a restart the first create's 409 learns the object again, and the job's `Blocked` condition, which is
in the API, keeps the report from being repeated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from training_operator.core.engine import naming
from training_operator.core.kube import resources
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.index import Index, JobKey

log = logging.getLogger(__name__)
FIRST_SECONDS = 2.0
MAX_SECONDS = 300.0
Item = tuple[str, str, str]  # apiVersion, kind, name


def delay(reads: int) -> float:
    """Seconds before read number `reads + 1` of a blocking object: 2 s doubling, capped at 5 minutes."""
    return min(MAX_SECONDS, FIRST_SECONDS * 2.0 ** min(reads, 20))


@dataclass(slots=True)
class _Schedule:
    reads: int
    due: datetime


class Probes:
    """When to read each learnt object again, and the reads themselves."""

    def __init__(self, client: ApiClient, index: Index) -> None:
        self.client = client
        self.index = index
        self._jobs: dict[JobKey, dict[Item, _Schedule]] = {}

    async def refresh(self, key: JobKey, now: datetime) -> None:
        """Read again every learnt object of this job whose time has come; drop the ones that are gone."""
        schedule = self._jobs.get(key, {})
        for item in [i for i, s in schedule.items() if s.due <= now]:
            api_version, kind, name = item
            path = resources.of_type(api_version, kind).path(key.namespace, name)
            try:
                found = await self.client.request("GET", path)
            except ApiError as error:
                if error.not_found:
                    self.index.forget(key, api_version=api_version, kind=kind, name=name)
                    del schedule[item]
                    continue
                log.warning("%s: re-reading %s %s failed: %s", key, kind, name, error)
            else:
                self.index.learn(key, {"apiVersion": api_version, "kind": kind, **found})
            schedule[item].reads += 1
            schedule[item].due = _after(now, delay(schedule[item].reads))

    def track(self, key: JobKey, now: datetime) -> float | None:
        """Follow the job's learnt objects (new ones are read after the first delay); seconds to the next
        read, or None when nothing of this job needs reading."""
        current = set(self.index.probes(key))
        schedule = self._jobs.setdefault(key, {})
        for item in list(schedule):
            if item not in current:
                del schedule[item]  # a watch, a relist or a write took over
        for item in current - schedule.keys():
            schedule[item] = _Schedule(0, _after(now, delay(0)))
        if not schedule:
            self._jobs.pop(key, None)
            return None
        return max(0.0, min(naming.seconds_between(now, s.due) for s in schedule.values()))

    def forget(self, key: JobKey) -> None:
        """The job is gone."""
        self._jobs.pop(key, None)


def _after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
