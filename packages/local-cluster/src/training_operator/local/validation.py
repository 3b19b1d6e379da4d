"""Built-in type validation: the rejections users meet most often on a real server.

Pure: returns `StatusCause` lists. Messages follow k8s.io/apimachinery's validation wording so tests and
users see what a real cluster would print.
"""

import re
from typing import Any

from training_operator.local import errors

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

Causes = list[dict[str, str]]


def _name_causes(value: str, field: str, *, limit: int, pattern: re.Pattern[str], rule: str) -> Causes:
    """apimachinery's two checks on a name, in its order: the length, then the character rule."""
    causes = []
    if len(value) > limit:
        message = f'Invalid value: "{value}": must be no more than {limit} characters'
        causes.append(errors.cause(field, "FieldValueInvalid", message))
    if not pattern.match(value):
        causes.append(errors.cause(field, "FieldValueInvalid", f'Invalid value: "{value}": {rule}'))
    return causes


def dns1123_label(value: str, field: str) -> Causes:
    """RFC 1123 label: lower-case alphanumerics and '-', at most 63 characters."""
    rule = (
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
        "start and end with an alphanumeric character"
    )
    return _name_causes(value, field, limit=63, pattern=_DNS1123_LABEL, rule=rule)


def dns1123_subdomain(value: str, field: str) -> Causes:
    """RFC 1123 subdomain: labels joined by '.', at most 253 characters."""
    rule = (
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
        "must start and end with an alphanumeric character"
    )
    return _name_causes(value, field, limit=253, pattern=_DNS1123_SUBDOMAIN, rule=rule)


def dns1035_label(value: str, field: str) -> Causes:
    """RFC 1035 label (services): must start with a letter."""
    rule = (
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic character, and end with an alphanumeric character"
    )
    return _name_causes(value, field, limit=63, pattern=_DNS1035_LABEL, rule=rule)


# Which name rule each built-in resource applies to metadata.name (upstream's ValidateObjectMeta callers).
NAME_RULES = {
    "/namespaces": dns1123_label,
    "/services": dns1035_label,
}


def validate_name(resource: str, name: str) -> Causes:
    """The metadata.name rule for a resource (subdomain unless listed)."""
    rule = NAME_RULES.get(resource, dns1123_subdomain)
    return rule(name, "metadata.name")


def validate_labels(meta: dict[str, Any]) -> Causes:
    """Label keys and values as `ValidateLabels` checks them."""
    causes = []
    for key, value in (meta.get("labels") or {}).items():
        name = key.rpartition("/")[2]
        if not _QUALIFIED_NAME.match(name) or len(name) > 63:
            causes.append(
                errors.cause(
                    "metadata.labels",
                    "FieldValueInvalid",
                    f'Invalid value: "{key}": name part must consist of alphanumeric characters, '
                    f"'-', '_' or '.'",
                )
            )
        if not isinstance(value, str) or len(value) > 63 or (value and not _QUALIFIED_NAME.match(value)):
            causes.append(
                errors.cause(
                    "metadata.labels",
                    "FieldValueInvalid",
                    f'Invalid value: "{value}": a valid label must be an empty string or consist '
                    f"of alphanumeric characters, '-', '_' or '.'",
                )
            )
    return causes


def _ports(ports: list[dict[str, Any]], field: str, number_key: str) -> Causes:
    causes = []
    seen: set[tuple[Any, Any]] = set()
    for index, port in enumerate(ports):
        number = port.get(number_key)
        path = f"{field}[{index}].{number_key}"
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(
                errors.cause(
                    path,
                    "FieldValueInvalid",
                    f"Invalid value: {number}: must be between 1 and 65535, inclusive",
                )
            )
        key = (number, port.get("protocol", "TCP"))
        if number_key == "port" and key in seen:
            causes.append(errors.cause(path, "FieldValueDuplicate", f"Duplicate value: {number}"))
        seen.add(key)
    return causes


def validate_pod_spec(spec: dict[str, Any], field: str) -> Causes:
    """Containers present, names valid and unique, ports in range, restartPolicy known."""
    causes: Causes = []
    containers = spec.get("containers") or []
    if not containers:
        causes.append(errors.cause(f"{field}.containers", "FieldValueRequired", "Required value"))
    seen: set[str] = set()
    for kind in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(kind) or []):
            path = f"{field}.{kind}[{index}]"
            name = container.get("name") or ""
            if not name:
                causes.append(errors.cause(f"{path}.name", "FieldValueRequired", "Required value"))
            else:
                causes += dns1123_label(name, f"{path}.name")
                if name in seen:
                    causes.append(
                        errors.cause(f"{path}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"')
                    )
                seen.add(name)
            if not container.get("image"):
                causes.append(errors.cause(f"{path}.image", "FieldValueRequired", "Required value"))
            causes += _ports(container.get("ports") or [], f"{path}.ports", "containerPort")
            for env_index, env in enumerate(container.get("env") or []):
                if not env.get("name"):
                    causes.append(
                        errors.cause(f"{path}.env[{env_index}].name", "FieldValueRequired", "Required value")
                    )
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(
            errors.cause(
                f"{field}.restartPolicy",
                "FieldValueNotSupported",
                f'Unsupported value: "{policy}": supported values: "Always", "Never", "OnFailure"',
            )
        )
    volume_names: set[str] = set()
    for index, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name", "")
        causes += dns1123_label(name, f"{field}.volumes[{index}].name")
        if name in volume_names:
            causes.append(
                errors.cause(
                    f"{field}.volumes[{index}].name", "FieldValueDuplicate", f'Duplicate value: "{name}"'
                )
            )
        volume_names.add(name)
    return causes


def validate_builtin(resource: str, obj: dict[str, Any]) -> Causes:
    """Type-specific checks for pods, services, configmaps, secrets and jobs."""
    spec = obj.get("spec") or {}
    if resource == "/pods":
        return validate_pod_spec(spec, "spec")
    if resource == "/services":
        causes = _ports(spec.get("ports") or [], "spec.ports", "port")
        if not spec.get("ports") and spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
            causes.append(errors.cause("spec.ports", "FieldValueRequired", "Required value"))
        return causes
    if resource in ("/configmaps", "/secrets"):
        causes = []
        for section in ("data", "binaryData", "stringData"):
            for key in obj.get(section) or {}:
                if not _CONFIG_KEY.match(key) or len(key) > 253:
                    causes.append(
                        errors.cause(
                            f"{section}[{key}]",
                            "FieldValueInvalid",
                            f'Invalid value: "{key}": a valid config key must consist of '
                            f"alphanumeric characters, '-', '_' or '.'",
                        )
                    )
        return causes
    if resource == "batch/jobs":
        template_spec = (spec.get("template") or {}).get("spec") or {}
        causes = validate_pod_spec(template_spec, "spec.template.spec")
        policy = template_spec.get("restartPolicy")
        if policy not in ("OnFailure", "Never"):
            causes.append(
                errors.cause(
                    "spec.template.spec.restartPolicy",
                    "FieldValueNotSupported",
                    f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"',
                )
            )
        for key in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds"):
            value = spec.get(key)
            if value is not None and (
                not isinstance(value, int) or value < (1 if key == "activeDeadlineSeconds" else 0)
            ):
                causes.append(
                    errors.cause(
                        f"spec.{key}",
                        "FieldValueInvalid",
                        f"Invalid value: {value}: must be greater than or equal to 0",
                    )
                )
        return causes
    return []


def validate_owner_references(meta: dict[str, Any]) -> Causes:
    """`ValidateOwnerReferences`: at most one reference may be the controller (two controllers would both
    think they own the object; the API server is what stops two claims racing for one orphan)."""
    refs = [r for r in meta.get("ownerReferences") or [] if isinstance(r, dict) and r.get("controller")]
    if len(refs) <= 1:
        return []
    names = " and ".join(f"{r.get('kind', '')}/{r.get('name', '')}" for r in refs)
    message = (
        f'Invalid value: "{names}": Only one reference can have Controller set to true. '
        f'Found "true" in references for {names}'
    )
    return [errors.cause("metadata.ownerReferences", "FieldValueInvalid", message)]
