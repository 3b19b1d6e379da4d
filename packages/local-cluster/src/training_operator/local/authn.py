"""Who a request comes from, decided the way a real API server with RBAC decides it.

- The state dir's admin token is `local-admin` (system:masters), the kubeconfig `local up` writes.
- Tokens issued through `issue()` (and `POST /debug/tokens`) belong to a named user and expire: a request
  with an expired or unknown token is 401, as a real server answers a rotated-out service-account token or
  an exec plug-in's stale one. With `require_issued`, the admin token opens only /debug: clients must get
  their tokens the way EKS or GKE users do, through an exec plug-in.
- No token at all is `system:anonymous`, answered 403 with Kubernetes' message, as a server with anonymous
  auth on and no RBAC rule for it answers.
- `forbid(user, resources)` withholds resources from one user, for tests of RBAC that omits an optional
  feature (HPAs, PodGroups, PriorityClasses).
"""

import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from training_operator.local import errors

ADMIN = "local-admin"
ANONYMOUS = "system:anonymous"


@dataclass(frozen=True, slots=True)
class Issued:
    """A token handed out for `user`, valid until `expires` (epoch seconds)."""

    user: str
    expires: float


@dataclass
class Authenticator:
    """Maps the Authorization header to a user name (None: anonymous), or raises 401."""

    admin_token: str
    require_issued: bool = False
    clock: Callable[[], float] = time.time
    tokens: dict[str, Issued] = field(default_factory=dict)
    denied: dict[str, set[str]] = field(default_factory=dict)
    issued_count: dict[str, int] = field(default_factory=dict)

    def issue(self, user: str, ttl: float) -> tuple[str, float]:
        """A new token for `user` that stops working `ttl` seconds from now; (token, expiry epoch)."""
        token = secrets.token_urlsafe(24)
        expires = self.clock() + ttl
        self.tokens = {t: i for t, i in self.tokens.items() if i.expires > self.clock() - 3600}
        self.tokens[token] = Issued(user, expires)
        self.issued_count[user] = self.issued_count.get(user, 0) + 1
        return token, expires

    def authenticate(self, header: str, *, debug: bool = False) -> str | None:
        """The user of a request; 401 for a token that is wrong or expired (never anonymous then)."""
        if not header:
            return None
        scheme, _, presented = header.partition(" ")
        presented = presented.strip()
        if scheme.lower() != "bearer" or not presented:
            raise errors.unauthorized()
        if hmac.compare_digest(presented, self.admin_token):
            if self.require_issued and not debug:
                raise errors.unauthorized()
            return ADMIN
        issued = self.tokens.get(presented)
        if issued is None or issued.expires <= self.clock():
            raise errors.unauthorized()
        return issued.user

    def revoke(self, user: str, *, keep: str | None = None) -> None:
        """Every token of `user` but `keep` stops working now (expired, or its pod deleted)."""
        now = self.clock()
        for token, issued in list(self.tokens.items()):
            if issued.user == user and token != keep:
                self.tokens[token] = Issued(user, min(issued.expires, now))

    def forbid(self, user: str, resources: Iterable[str]) -> None:
        """`user` may not touch these resources (plural names) from now on."""
        self.denied.setdefault(user, set()).update(resources)

    def allowed(self, user: str | None, resource: str) -> bool:
        """Whether `user` may use `resource` (anonymous may use nothing)."""
        if user is None:
            return False
        return resource.split("/")[0] not in self.denied.get(user, ())


def impersonated(user: str | None, headers: Mapping[str, str]) -> str | None:
    """The user a request acts as: the one `Impersonate-User` names when its sender may impersonate.

    As on a server whose RBAC grants `impersonate` to cluster admins only: the admin may act as anyone (the
    groups, uid and extras it names are accepted and, with no groups in this server's rules, change
    nothing); anyone else is refused with Kubernetes' message; groups or extras without a user are refused
    as the API server refuses them.
    """
    wanted = headers.get("Impersonate-User")
    if wanted is None:
        if any(name.lower().startswith("impersonate-") for name in headers):
            raise errors.bad_request("impersonating groups, a uid or extra fields needs Impersonate-User")
        return user
    if user != ADMIN:
        raise errors.forbidden(
            f'users "{wanted}" is forbidden: User "{user or ANONYMOUS}" cannot impersonate resource "users" '
            'in API group "" at the cluster scope',
            group="",
            plural="users",
            name=wanted,
        )
    return wanted


def forbidden_resource(
    user: str | None, verb: str, plural: str, group: str, namespace: str | None
) -> errors.ApiError:
    """Kubernetes' RBAC refusal, word for word: the user, the verb, the resource and the scope."""
    who = user or ANONYMOUS
    qualified = f"{plural}.{group}" if group else plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{qualified} is forbidden: User "{who}" cannot {verb} resource "{plural}" in API group "{group}" '
        f"{scope}"
    )
    return errors.forbidden(message, group=group, plural=plural)


def forbidden_path(user: str | None, path: str) -> errors.ApiError:
    """The refusal of a non-resource URL (discovery, openapi, debug)."""
    return errors.forbidden(f'forbidden: User "{user or ANONYMOUS}" cannot get path "{path}"')
