"""Names, labels and owner references of a job's children (common.md §1.10, §6.4, §7.3).

These strings are how Kubeflow's tools, kubectl selectors and gang schedulers find a job's pods, so they are
computed in exactly one place.
"""

from __future__ import annotations

from datetime import UTC, datetime

from training_operator.core import labels


def job_label_value(job_name: str) -> str:
    """The `job-name` label value: the job name with any `/` replaced by `-`."""
    return job_name.replace("/", "-")


def child_name(job_name: str, replica_type: str, index: int) -> str:
    """`<name>-<rt>-<index>`, with `/` replaced by `-` (common.md §6.4; acceptance 51)."""
    return f"{job_name}-{replica_type.lower()}-{index}".replace("/", "-")


def job_labels(job_name: str, controller_name: str) -> dict[str, str]:
    """The two labels every child carries; the adapter's watches select on them."""
    return {labels.OPERATOR_NAME: controller_name, labels.JOB_NAME: job_label_value(job_name)}


def replica_labels(job_name: str, controller_name: str, replica_type: str, index: int) -> dict[str, str]:
    """The labels of one slot's pod and service (without job-role): also the service selector."""
    return {
        **job_labels(job_name, controller_name),
        labels.REPLICA_TYPE: replica_type.lower(),
        labels.REPLICA_INDEX: str(index),
    }


def selector(job_name: str, controller_name: str, replica_type: str) -> str:
    """The scale-subresource selector string, keys sorted (common.md §1.6)."""
    parts = {**job_labels(job_name, controller_name), labels.REPLICA_TYPE: replica_type.lower()}
    return ",".join(f"{key}={parts[key]}" for key in sorted(parts))


def timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with second precision, as Kubernetes' metav1.Time serialises."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> datetime:
    """The instant of an RFC 3339 timestamp (the API server's own, or ours)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def seconds_between(start: datetime, end: datetime) -> float:
    """`end - start` in seconds; naive datetimes are taken as UTC."""
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return (end - start).total_seconds()
