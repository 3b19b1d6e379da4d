"""kopf storages that store nothing: with only event handlers kopf needs no handler progress or diff base,
and these make sure it never writes `kopf.zalando.org/*` annotations into users' jobs, whatever handlers a
later change adds (a user-visible write would also go through our own admission webhook).
"""

from __future__ import annotations

import copy
from typing import Any

import kopf


class NoProgressStorage(kopf.ProgressStorage):
    """Handler progress is never persisted (event handlers have none)."""

    def fetch(self, **_: Any) -> None:
        return None

    def store(self, **_: Any) -> None:
        return None

    def purge(self, **_: Any) -> None:
        return None

    def touch(self, **_: Any) -> None:
        return None

    def clear(self, *, essence: Any) -> Any:
        return copy.deepcopy(essence)


class NoDiffBaseStorage(kopf.DiffBaseStorage):
    """No last-handled state is kept on the object, and none is extracted from it: kopf compares essences
    only for change-detecting handlers (on.create/update/resume), which this operator does not use; building
    one deep-copied the whole job body twice per job event (a tenth of kopf's CPU per event). A change
    handler added later would need kopf's own `build` back."""

    def build(self, **_: Any) -> kopf.BodyEssence:
        return kopf.BodyEssence()

    def fetch(self, **_: Any) -> None:
        return None

    def store(self, **_: Any) -> None:
        return None
