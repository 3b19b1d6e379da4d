"""A leader whose Lease renewal does not finish (a busy API server asking it to wait, again and again) stops
leading at the renew deadline, as client-go's elector does, instead of writing on past its Lease, which
another replica may meanwhile take."""

import asyncio
from typing import Any

import pytest

from training_operator.unified.leadership import Elector, LostLeadership


class RenewalNeverAnswered:
    """The Lease reads as ours; writing it back never finishes."""

    def __init__(self) -> None:
        self.writes = 0

    async def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        if method == "GET":
            return {"metadata": {"name": "l", "namespace": "ns"}, "spec": {"holderIdentity": "me"}}
        self.writes += 1
        await asyncio.Event().wait()  # retrying after the server's Retry-After, forever
        raise AssertionError("unreachable")


async def test_a_renewal_that_never_finishes_ends_leadership_at_the_deadline():
    client = RenewalNeverAnswered()
    elector = Elector(
        client,  # type: ignore[arg-type]
        name="l",
        namespace="ns",
        identity="me",
        renew_deadline=0.2,
        retry_period=0.05,
    )
    with pytest.raises(LostLeadership, match=r"not renewed for 0\.2s"):
        await asyncio.wait_for(elector.keep(), 10)
    assert client.writes >= 1  # it did try to renew: the deadline, not a refusal, ended it
