"""Request counting and fault injection: the hook points benchmarks and fault-tolerance tests drive.

Every API request passes `Faults.check` after authentication and before the verb runs, and is counted by
(verb, resource). Rules fail the Nth matching request (and the following `times - 1`) with 409, 429, 500 or
410; the next watches can be answered with 410 (open ones are cut through `Watches.cut_all`). Rules are set
through this Python API or `/debug/faults`."""

import collections
from dataclasses import dataclass, field
from typing import Any

from training_operator.local import errors

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(slots=True)
class FaultRule:
    """Fail matching requests number `nth` .. `nth + times - 1` (1-based) with `code`."""

    code: int
    verbs: frozenset[str] = WRITE_VERBS
    resource: str | None = None  # plural, optionally "plural/subresource"; None matches any
    nth: int = 1
    times: int = 1
    seen: int = 0
    fired: int = 0

    def matches(self, verb: str, resource: str) -> bool:
        """Does this request count towards the rule?"""
        if verb not in self.verbs:
            return False
        return self.resource is None or self.resource in (resource, resource.partition("/")[0])

    def to_dict(self) -> dict[str, Any]:
        """JSON form for /debug/faults."""
        return {
            "code": self.code,
            "verbs": sorted(self.verbs),
            "resource": self.resource,
            "nth": self.nth,
            "times": self.times,
            "seen": self.seen,
            "fired": self.fired,
        }


def _error_for(code: int, resource: str) -> errors.ApiError:
    if code == 409:
        return errors.conflict(
            "",
            resource,
            "injected",
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    if code == 429:
        return errors.too_many_requests()
    if code == 410:
        return errors.expired("too old resource version: injected")
    return errors.ApiError(code, "InternalError", "Internal error occurred: injected fault")


@dataclass
class Faults:
    """The switches, plus the counters they are judged by."""

    rules: list[FaultRule] = field(default_factory=list)
    counts: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    expire_next_watches: int = 0

    def add(
        self,
        *,
        code: int,
        verbs: frozenset[str] | set[str] | tuple[str, ...] = WRITE_VERBS,
        resource: str | None = None,
        nth: int = 1,
        times: int = 1,
    ) -> FaultRule:
        """Install a rule; `nth` counts matching requests from now on."""
        rule = FaultRule(code, frozenset(verbs), resource, nth, times)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule and pending watch fault."""
        self.rules.clear()
        self.expire_next_watches = 0

    def record(self, verb: str, resource: str) -> None:
        """Count one request (always, whether or not it then fails)."""
        self.counts[(verb, resource)] += 1

    def check(self, verb: str, resource: str) -> None:
        """Raise the injected error if a rule fires for this request."""
        if verb == "watch" and self.expire_next_watches > 0:
            self.expire_next_watches -= 1
            raise _error_for(410, resource)
        for rule in self.rules:
            if rule.matches(verb, resource):
                rule.seen += 1
                if rule.nth <= rule.seen < rule.nth + rule.times:
                    rule.fired += 1
                    raise _error_for(rule.code, resource)

    def snapshot(self) -> dict[str, Any]:
        """Counters as {"verb resource": n} plus the rules, for /debug/requests."""
        return {
            "requests": {f"{v} {r}": n for (v, r), n in sorted(self.counts.items())},
            "rules": [r.to_dict() for r in self.rules],
        }
