"""Pure ObjectMeta rules: names from generateName, timestamps, and what a write may change.

Kept apart from the registry so each rule (immutable fields, generation bumps, status-subresource splits)
is a small function that can be read against the upstream strategy code it mirrors.
"""

import copy
import datetime
import secrets
from typing import Any

# Upstream's utilrand alphabet: no vowels, no confusable digits, so generated names never spell words.
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
IMMUTABLE_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "namespace",
    "name",
)


def random_suffix(length: int = 5) -> str:
    """Five characters from upstream's alphabet, as `names.SimpleNameGenerator` appends."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def generated_name(prefix: str) -> str:
    """A name from `generateName`: the prefix cut to leave room for the suffix within 63 characters."""
    return prefix[: 63 - 5] + random_suffix()


def timestamp(now: datetime.datetime) -> str:
    """RFC 3339 in UTC with seconds precision, as metav1.Time serialises (formatted once per second: every
    write stamps the same few seconds)."""
    utc = now.astimezone(datetime.UTC).replace(microsecond=0)
    if _STAMP[0] != utc:
        _STAMP[:] = [utc, utc.strftime("%Y-%m-%dT%H:%M:%SZ")]
    return str(_STAMP[1])


_STAMP: list[object] = [None, ""]


def parse_timestamp(text: str) -> datetime.datetime:
    """The inverse of `timestamp`, tolerant of fractional seconds and offsets."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def spec_part(obj: dict[str, Any], *, has_status: bool) -> dict[str, Any]:
    """What counts as 'spec' for generation bumps: everything but metadata (and status when split)."""
    skip = {"metadata", "status"} if has_status else {"metadata"}
    return {k: v for k, v in obj.items() if k not in skip}


def carry_immutable(new: dict[str, Any], old: dict[str, Any]) -> None:
    """Keep the fields a client may not change on update (upstream silently resets them)."""
    meta = new.setdefault("metadata", {})
    for key in IMMUTABLE_META:
        if key in old["metadata"]:
            meta[key] = old["metadata"][key]
        else:
            meta.pop(key, None)


def split_status_write(new: dict[str, Any], old: dict[str, Any], *, to_status: bool) -> dict[str, Any]:
    """Status subresource rules: a main write keeps the old status, a /status write keeps all but status."""
    if to_status:
        result = copy.deepcopy(old)
        if "status" in new:
            result["status"] = copy.deepcopy(new["status"])
        else:
            result.pop("status", None)
        result["metadata"]["resourceVersion"] = new.get("metadata", {}).get("resourceVersion", "")
        return result
    result = dict(new)
    if "status" in old:
        result["status"] = copy.deepcopy(old["status"])
    else:
        result.pop("status", None)
    return result


def same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two versions differ at most in resourceVersion (a no-op write)."""

    def strip(obj: dict[str, Any]) -> dict[str, Any]:
        meta = {
            k: v for k, v in obj.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")
        }
        return {**obj, "metadata": meta}

    return strip(a) == strip(b)
