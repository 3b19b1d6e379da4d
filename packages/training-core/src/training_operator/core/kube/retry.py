"""When an answer asks to be sent again: client-go's rule, shared by the operator's client and the SDK's.

An API server that sheds load answers 429 Too Many Requests with `Retry-After: N` (API Priority and
Fairness, the max-in-flight filter), and some 5xx answers carry the header too. client-go waits N seconds
and sends the same request again, up to ten times, for every verb: such a request was refused before any
work was done, and our writes are safe to repeat anyway (a create that did land answers 409 and is
recognised as ours). Without this, a busy cluster turned each 429 into a failed reconcile, a Warning event
and a back-off, where Kubeflow's operator, through client-go, just waits and goes on.

No Retry-After, or one that is not a whole number of seconds (client-go ignores an HTTP date too): no retry
here; the caller's own back-off applies. A server asking for longer than `MAX_WAIT` is waited on that long:
a retry must never hold a reconcile (or a user's command) for minutes on one server's word.
"""

from __future__ import annotations

#: client-go's default number of retries of one request
MAX_RETRIES = 10
#: seconds waited at most before one retry, whatever the server asked
MAX_WAIT = 10.0


def retry_after(status: int, value: str | None) -> float | None:
    """Seconds to wait before sending the request again, or None when this answer is final."""
    if status != 429 and status < 500:
        return None
    text = (value or "").strip()
    if not text.isdigit():
        return None
    return min(float(text), MAX_WAIT)


class Attempts:
    """What one request's answers ask for next, for every client alike: the first 401 is sent once more
    with fresh credentials, a Retry-After answer up to `MAX_RETRIES` more times; anything else stands."""

    def __init__(self) -> None:
        self.refreshed = False
        self.retries = 0

    def refresh(self, status: int) -> bool:
        """True for the first 401: fetch fresh credentials and send the request again."""
        if status != 401 or self.refreshed:
            return False
        self.refreshed = True
        return True

    def wait(self, status: int, value: str | None) -> float | None:
        """Seconds to wait before sending the request again (one retry spent), or None: the answer stands."""
        wait = retry_after(status, value)
        if wait is None or self.retries >= MAX_RETRIES:
            return None
        self.retries += 1
        return wait
