"""Request counting and fault injection: the hook points benchmarks and fault-tolerance tests drive.

Every API request passes `Faults.check` after authentication and before the verb runs, and is counted by
(verb, resource). Rules fail the Nth matching request (and the following `times - 1`) with 409, 429, 500,
503, 504 or 410; the next watches can be answered with 410 (open ones are cut through `Watches.cut_all`).
Rules are set through this Python API or `/debug/faults`.

A rule's `mode` says when it strikes:

* `fail` (the default): instead of the verb, nothing is written;
* `after`: the verb runs and commits, then the client gets `code` instead of the answer, or (code 0) the
  connection is closed with no answer at all: what a client sees when a create succeeds on the server but its
  request times out, or the API server's own timeout filter answers 504 while storage finishes the write;
* `stall` (watches): the stream opens (200) and then says nothing, not even bookmarks, until the rules are
  cleared or watches are cut: a stuck proxy or half-open connection, which only a client-side deadline ends.
"""

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from training_operator.local import errors

Mode = Literal["fail", "after", "stall"]
MODES: tuple[Mode, ...] = ("fail", "after", "stall")
DROP = 0  # with mode "after": close the connection instead of answering

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(slots=True)
class FaultRule:
    """Fail matching requests number `nth` .. `nth + times - 1` (1-based) with `code`."""

    code: int
    verbs: frozenset[str] = WRITE_VERBS
    resource: str | None = None  # plural, optionally "plural/subresource"; None matches any
    nth: int = 1
    times: int = 1
    mode: Mode = "fail"
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
            "mode": self.mode,
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
    if code == 503:
        return errors.ApiError(
            503, "ServiceUnavailable", "the server is currently unable to handle the request"
        )
    if code == 504:
        # what the API server's timeout filter answers while storage may still complete the write
        return errors.ApiError(504, "Timeout", "Timeout: request did not complete within requested timeout")
    return errors.ApiError(code, "InternalError", "Internal error occurred: injected fault")


@dataclass
class Faults:
    """The switches, plus the counters they are judged by."""

    rules: list[FaultRule] = field(default_factory=list)
    counts: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    #: the same by who the server took the request to be from ("" for anonymous): impersonation tests
    by_user: collections.Counter[tuple[str, str, str]] = field(default_factory=collections.Counter)
    expire_next_watches: int = 0
    _stalled: set[asyncio.Event] = field(default_factory=set)

    def add(
        self,
        *,
        code: int = 500,
        verbs: frozenset[str] | set[str] | tuple[str, ...] = WRITE_VERBS,
        resource: str | None = None,
        nth: int = 1,
        times: int = 1,
        mode: Mode = "fail",
    ) -> FaultRule:
        """Install a rule; `nth` counts matching requests from now on."""
        if mode not in MODES:
            raise errors.bad_request(f"fault mode must be one of {', '.join(MODES)}, not {mode!r}")
        if mode == "stall" and set(verbs) != {"watch"}:
            raise errors.bad_request('a "stall" fault applies to watches only: verbs must be ["watch"]')
        rule = FaultRule(code, frozenset(verbs), resource, nth, times, mode)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule and pending watch fault; stalled watches end."""
        self.rules.clear()
        self.expire_next_watches = 0
        self.release_stalls()

    def release_stalls(self) -> None:
        """End every stalled watch stream (as a cut does)."""
        for event in self._stalled:
            event.set()

    def record(self, verb: str, resource: str, user: str | None = None) -> None:
        """Count one request (always, whether or not it then fails)."""
        self.counts[(verb, resource)] += 1
        self.by_user[(user or "", verb, resource)] += 1

    def check(self, verb: str, resource: str) -> FaultRule | None:
        """Raise the injected error if a "fail" rule fires; return an "after" or "stall" rule that fires."""
        if verb == "watch" and self.expire_next_watches > 0:
            self.expire_next_watches -= 1
            raise _error_for(410, resource)
        for rule in self.rules:
            if rule.matches(verb, resource):
                rule.seen += 1
                if rule.nth <= rule.seen < rule.nth + rule.times:
                    rule.fired += 1
                    if rule.mode != "fail":
                        return rule
                    raise _error_for(rule.code, resource)
        return None

    @staticmethod
    def answer_after(rule: FaultRule, resource: str, request: web.BaseRequest) -> None:
        """The verb has committed: raise the rule's error, or (code 0) close the connection unanswered."""
        if rule.code != DROP:
            raise _error_for(rule.code, resource)
        if request.transport is not None:
            request.transport.close()  # aiohttp then drops the response quietly (a premature disconnect)

    async def stall(self, request: web.BaseRequest) -> web.StreamResponse:
        """Open a watch stream and send nothing until the stall is released."""
        released = asyncio.Event()
        self._stalled.add(released)
        try:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            await released.wait()
            return response
        finally:
            self._stalled.discard(released)

    @property
    def stalled(self) -> int:
        """How many watch streams are stalled now."""
        return len(self._stalled)

    def snapshot(self) -> dict[str, Any]:
        """Counters as {"verb resource": n} plus the rules, for /debug/requests."""
        return {
            "requests": {f"{v} {r}": n for (v, r), n in sorted(self.counts.items())},
            "requestsByUser": {f"{u} {v} {r}": n for (u, v, r), n in sorted(self.by_user.items())},
            "rules": [r.to_dict() for r in self.rules],
            "stalledWatches": self.stalled,
        }
