"""Kubernetes write semantics over `Storage`: the part of the API server that decides what a write does.

Both the HTTP layer and the in-process controllers call this, so a controller's write is validated, versioned
and watched exactly like a client's. Every method does its synchronous work without awaiting between the
read of the current object and the write, which keeps each write atomic on the single event loop; only
admission webhooks await, and a write whose base changed meanwhile answers 409 Conflict.
"""

import base64
import contextvars
import copy
import datetime
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from training_operator.local import applying, defaults, errors, metadata, patching, rules, schema, validation
from training_operator.local.catalog import Catalog
from training_operator.local.resources import ResourceType
from training_operator.local.storage import Storage

Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
# Set per request by the HTTP layer for `?fieldValidation=Strict`; task-local, so requests never mix.
STRICT_FIELDS: contextvars.ContextVar[bool] = contextvars.ContextVar("strict_fields", default=False)
#: API groups whose objects are checked strictly even when a client does not ask: the training job kinds
STRICT_BY_DEFAULT = frozenset({"kubeflow.org"})
# Who writes (`?fieldManager=`, the User-Agent), set per request the same way; None for in-process controllers
WRITER: contextvars.ContextVar[applying.Writer | None] = contextvars.ContextVar("writer", default=None)
# Types whose creator legitimately writes status (the node registers itself; CRD status is ours).
_STATUS_KEPT_ON_CREATE = frozenset({"apiextensions.k8s.io/customresourcedefinitions", "/nodes"})


class Admission(Protocol):
    """Admission webhooks, called between defaulting and persisting."""

    async def admit(
        self, rtype: ResourceType, operation: str, obj: Obj, old: Obj | None, *, sub: str, dry_run: bool
    ) -> Obj:
        """Return the (possibly mutated) object or raise ApiError to reject."""


class Registry:
    """create/get/list/update/patch/delete with metadata, validation, status and finalizer rules."""

    def __init__(
        self, storage: Storage, catalog: Catalog, *, clock: Callable[[], datetime.datetime] | None = None
    ) -> None:
        self.storage = storage
        self.catalog = catalog
        self.clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        self.admission: Admission | None = None
        self.cluster_ips = defaults.ClusterIPs()
        self.after_write: list[Callable[[ResourceType, Obj], Awaitable[None] | None]] = []
        for crd in storage.items("apiextensions.k8s.io/customresourcedefinitions"):
            catalog.set_crd(crd)

    # -- reads ----------------------------------------------------------------------------------
    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        """The stored object or 404."""
        obj = self.storage.get(rtype.key, namespace if rtype.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rtype.group, rtype.plural, name)
        return obj

    def find(self, rtype: ResourceType, namespace: str, name: str) -> Obj | None:
        """The stored object or None."""
        return self.storage.get(rtype.key, namespace if rtype.namespaced else "", name)

    # -- create ---------------------------------------------------------------------------------
    async def create(
        self,
        rtype: ResourceType,
        namespace: str,
        body: Obj,
        *,
        version: str = "",
        dry_run: bool = False,
        owned: bool = False,
        managed: list[Obj] | None = None,
    ) -> Obj:
        """POST: name or generateName, defaults, validation, admission, then store (409 if taken).

        `owned`: the caller hands `body` over (a request body just decoded), so it is stored without a copy.
        `managed`: the managedFields a server-side apply computed (else the writer's Update is recorded)."""
        obj = self._prepare_create(rtype, namespace, body, version or rtype.preferred_version, owned=owned)
        if self.admission is not None:
            obj = await self.admission.admit(rtype, "CREATE", obj, None, sub="", dry_run=dry_run)
            self._validate(rtype, obj, version or rtype.preferred_version)
        obj = self._owned(rtype, None, obj, version, applied=managed)
        meta = obj["metadata"]
        if self.storage.get(rtype.key, meta.get("namespace", ""), meta["name"]) is not None:
            raise errors.already_exists(rtype.group, rtype.plural, meta["name"])
        if dry_run:
            return obj
        meta["resourceVersion"] = str(self.storage.next_rv())
        self.storage.put(rtype.key, obj, event="ADDED")
        self._after(rtype, obj)
        return obj

    def _prepare_create(
        self, rtype: ResourceType, namespace: str, body: Obj, version: str, *, owned: bool = False
    ) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not a JSON object")
        obj = body if owned else copy.deepcopy(body)
        meta = obj.setdefault("metadata", {}) or {}
        obj["metadata"] = meta
        if rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
            self._check_namespace(namespace, rtype)
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise errors.invalid(
                    rtype.group,
                    rtype.kind,
                    "",
                    [
                        errors.cause(
                            "metadata.name",
                            "FieldValueRequired",
                            "Required value: name or generateName is required",
                        )
                    ],
                )
            meta["name"] = metadata.generated_name(meta["generateName"])
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "managedFields"):
            meta.pop(key, None)
        meta["uid"] = defaults.new_uid()
        meta["creationTimestamp"] = metadata.timestamp(self.clock())
        meta["generation"] = 1
        obj["apiVersion"] = rtype.api_version(rtype.storage_version or version)
        obj["kind"] = rtype.kind
        if rtype.has_status and rtype.key not in _STATUS_KEPT_ON_CREATE:
            obj.pop("status", None)
        if not rtype.is_custom:
            defaults.apply_builtin_defaults(rtype.key, obj, self.cluster_ips)
        self._validate(rtype, obj, version)
        self._check_rules(rtype, obj, None, version)
        return obj

    def _check_rules(self, rtype: ResourceType, obj: Obj, old: Obj | None, version: str) -> None:
        """A custom resource's CEL validation rules (transition rules on update only)."""
        if rtype.schemas is None:
            return
        found = rtype.schemas.get(version) or rtype.schemas[rtype.preferred_version]
        if not rules.has_rules(found):
            return
        if causes := rules.violations(obj, old, found):
            raise errors.invalid(rtype.group, rtype.kind, obj["metadata"]["name"], causes)

    def _check_namespace(self, namespace: str, rtype: ResourceType) -> None:
        ns = self.storage.get("/namespaces", "", namespace)
        if ns is None:
            raise errors.not_found("", "namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden(
                f"unable to create new content in namespace {namespace} because it is being terminated",
                group=rtype.group,
                plural=rtype.plural,
            )

    def _validate(self, rtype: ResourceType, obj: Obj, version: str) -> None:
        meta = obj["metadata"]
        causes = validation.validate_name(rtype.key, meta["name"]) + validation.validate_labels(meta)
        causes += validation.validate_owner_references(meta)
        if rtype.schemas is not None:
            removed: list[str] = []
            causes += schema.admit_custom(
                obj, rtype.schemas.get(version) or rtype.schemas[rtype.preferred_version], removed=removed
            )
            if removed and STRICT_FIELDS.get():
                # fieldValidation=Strict (kubectl's default): unknown fields are an error, not pruned.
                unknown = ", ".join(f'unknown field "{p}"' for p in removed)
                raise errors.bad_request(
                    f'{rtype.kind} in version "{version}" cannot be handled as a {rtype.kind}: '
                    f"strict decoding error: {unknown}"
                )
        else:
            causes += validation.validate_builtin(rtype.key, obj)
        if causes:
            raise errors.invalid(rtype.group, rtype.kind, meta["name"], causes)

    # -- update and patch -----------------------------------------------------------------------
    async def update(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        body: Obj,
        *,
        sub: str = "",
        version: str = "",
        dry_run: bool = False,
    ) -> Obj:
        """PUT: optimistic concurrency on metadata.resourceVersion, status split, generation bump."""
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not a JSON object")
        body_name = (body.get("metadata") or {}).get("name")
        if body_name and body_name != name:
            raise errors.bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        old = self.get(rtype, namespace, name)
        wanted_uid = (body.get("metadata") or {}).get("uid")
        if wanted_uid and wanted_uid != old["metadata"].get("uid"):
            # a uid in the body is a precondition: the object was replaced since the client read it
            have = old["metadata"].get("uid")
            why = f"Precondition failed: UID in precondition: {wanted_uid}, UID in object meta: {have}"
            raise errors.conflict(rtype.group, rtype.plural, name, why)
        wanted_rv = (body.get("metadata") or {}).get("resourceVersion")
        if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                rtype.group,
                rtype.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        return await self._write(rtype, old, copy.deepcopy(body), sub=sub, version=version, dry_run=dry_run)

    async def patch(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        patch_type: str,
        patch: Any,
        *,
        sub: str = "",
        version: str = "",
        dry_run: bool = False,
    ) -> Obj:
        """PATCH in one of the four media types; strategic merge only for built-in types."""
        old = self.find(rtype, namespace, name)
        if patch_type == APPLY_PATCH and rtype.is_custom and not sub:
            return await self._apply(rtype, namespace, name, old, patch, version=version, dry_run=dry_run)
        if old is None:
            if patch_type == APPLY_PATCH:
                return await self.create(rtype, namespace, patch, version=version, dry_run=dry_run)
            raise errors.not_found(rtype.group, rtype.plural, name)
        if patch_type in (MERGE_PATCH, APPLY_PATCH):
            new = patching.merge_patch(old, patch)
        elif patch_type == JSON_PATCH:
            new = patching.json_patch(old, patch)
        elif patch_type == STRATEGIC_PATCH and not rtype.is_custom:
            new = patching.strategic_merge_patch(old, patch)
        else:
            raise errors.unsupported_media_type(patch_type)
        if not isinstance(new, dict):
            raise errors.bad_request("patch did not produce an object")
        new_uid = (new.get("metadata") or {}).get("uid")
        if new_uid and new_uid != old["metadata"].get("uid"):
            # controllers' claims carry the uid they saw: a replaced object of the same name is refused
            causes = [
                errors.cause(
                    "metadata.uid", "FieldValueInvalid", f'Invalid value: "{new_uid}": field is immutable'
                )
            ]
            raise errors.invalid(rtype.group, rtype.kind, name, causes)
        wanted_rv = (new.get("metadata") or {}).get("resourceVersion")
        if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                rtype.group,
                rtype.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        return await self._write(rtype, old, new, sub=sub, version=version, dry_run=dry_run)

    async def _apply(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        old: Obj | None,
        applied: Any,
        *,
        version: str,
        dry_run: bool,
    ) -> Obj:
        """Server-side apply of a custom resource: create it, or merge and take ownership (`applying`)."""
        writer = WRITER.get() or applying.Writer("")
        applying.check_applied(applied, writer)
        body_name = (applied.get("metadata") or {}).get("name")
        if body_name != name:
            raise errors.bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        new = applying.apply(
            old,
            copy.deepcopy(applied),
            writer,
            has_status=rtype.has_status,
            api_version=rtype.api_version(version or rtype.preferred_version),
            now=metadata.timestamp(self.clock()),
        )
        if old is None:
            managed = new["metadata"].get("managedFields")
            return await self.create(rtype, namespace, new, version=version, dry_run=dry_run, managed=managed)
        return await self._write(rtype, old, new, sub="", version=version, dry_run=dry_run, owned=True)

    def _owned(
        self, rtype: ResourceType, old: Obj | None, new: Obj, version: str, *, applied: Any = None
    ) -> Obj:
        """`new` with its managedFields: as the apply computed them, or the writer's Update recorded."""
        if applied is not None:
            new["metadata"]["managedFields"] = applied
            return new
        writer = WRITER.get()
        if writer is None or not rtype.is_custom:
            return new
        return applying.record_update(
            old,
            new,
            writer,
            has_status=rtype.has_status,
            api_version=rtype.api_version(version or rtype.preferred_version),
            now=metadata.timestamp(self.clock()),
        )

    async def _write(
        self,
        rtype: ResourceType,
        old: Obj,
        new: Obj,
        *,
        sub: str,
        version: str,
        dry_run: bool,
        owned: bool = False,
    ) -> Obj:
        version = version or rtype.preferred_version
        if rtype.has_status:
            new = metadata.split_status_write(new, old, to_status=sub == "status")
        metadata.carry_immutable(new, old)
        new["apiVersion"] = old["apiVersion"]
        new["kind"] = rtype.kind
        if rtype.key == "/secrets":
            defaults.default_secret(new)
        if rtype.key == "/namespaces" and sub != "finalize":
            new.setdefault("spec", {})["finalizers"] = list((old.get("spec") or {}).get("finalizers") or [])
        self._validate(rtype, new, version)
        self._check_rules(rtype, new, old, version)
        if self.admission is not None and sub in ("", "status"):
            new = await self.admission.admit(rtype, "UPDATE", new, old, sub=sub, dry_run=dry_run)
            self._validate(rtype, new, version)
        if not sub and not owned:
            new = self._owned(rtype, old, new, version)
        current = self.get(rtype, old["metadata"].get("namespace", ""), old["metadata"]["name"])
        if current["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                rtype.group,
                rtype.plural,
                old["metadata"]["name"],
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        if metadata.spec_part(new, has_status=rtype.has_status) != metadata.spec_part(
            old, has_status=rtype.has_status
        ):
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if (metadata.same_content(new, old) and not applying.ownership_changed(old, new)) or dry_run:
            return old if not dry_run else new
        if self.ready_to_remove(new):
            return self.remove(rtype, new)
        new["metadata"]["resourceVersion"] = str(self.storage.next_rv())
        self.storage.put(rtype.key, new, event="MODIFIED")
        self._after(rtype, new)
        return new

    @staticmethod
    def ready_to_remove(obj: Obj) -> bool:
        """Deleted objects go once no finalizer is left (and, for pods, the kubelet has let go)."""
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        if obj.get("kind") == "Namespace":
            return not (obj.get("spec") or {}).get("finalizers")
        return bool(meta.get("deletionGracePeriodSeconds", 0) == 0)

    def _after(self, rtype: ResourceType, obj: Obj) -> None:
        if rtype.key == "apiextensions.k8s.io/customresourcedefinitions" and not obj["metadata"].get(
            "deletionTimestamp"
        ):
            self.catalog.set_crd(obj)
            self._establish(obj)

    def _establish(self, crd: Obj) -> None:
        """Mark a CRD Established and NamesAccepted at once: there is no naming controller to wait for."""
        status = crd.get("status") or {}
        if any(c.get("type") == "Established" for c in status.get("conditions") or []):
            return
        now = metadata.timestamp(self.clock())
        crd = copy.deepcopy(crd)
        crd["status"] = {
            "acceptedNames": dict(crd["spec"]["names"]),
            "storedVersions": [v["name"] for v in crd["spec"].get("versions") or [] if v.get("storage")],
            "conditions": [
                {"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": now}
                for t, r, m in (
                    ("NamesAccepted", "NoConflicts", "no conflicts found"),
                    ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
                )
            ],
        }
        crd["metadata"]["resourceVersion"] = str(self.storage.next_rv())
        self.storage.put("apiextensions.k8s.io/customresourcedefinitions", crd, event="MODIFIED")

    def remove(self, rtype: ResourceType, obj: Obj) -> Obj:
        """Remove an object for good; a CRD takes its custom objects with it."""
        if rtype.key == "apiextensions.k8s.io/customresourcedefinitions":
            custom = self.catalog.by_key(f"{obj['spec']['group']}/{obj['spec']['names']['plural']}")
            if custom is not None:
                for item in list(self.storage.items(custom.key)):
                    self.storage.remove(custom.key, item)
            self.catalog.drop_crd(obj["metadata"]["name"])
        return self.storage.remove(rtype.key, obj).object

    async def write(self, rtype: ResourceType, old: Obj, new: Obj, *, sub: str = "") -> Obj:
        """A controller's read-modify-write of an object it just read (409 if it moved meanwhile)."""
        return await self._write(rtype, old, new, sub=sub, version="", dry_run=False)

    # -- helpers used by the HTTP layer and controllers -------------------------------------------
    def decoded_secret(self, namespace: str, name: str) -> dict[str, bytes] | None:
        """A secret's data, decoded, or None when it does not exist."""
        obj = self.storage.get("/secrets", namespace, name)
        if obj is None:
            return None
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
