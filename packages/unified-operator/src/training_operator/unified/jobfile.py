"""The one job `training-operator local run` is given, read and checked before anything starts.

Every way the file can be wrong (missing, unreadable, not YAML, a list, several documents, an unknown or
uninstalled kind, a typo'd field, a field the webhook would refuse) is one `JobFileError` whose message is a
single line naming the file and the reason: the CLI prints it and exits 2, never a traceback. The checks are
the ones the cluster makes anyway (strict field validation, the kind's model and admission rules), run first
so that nothing is started for a job that cannot be admitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training_operator.core import discovery, strict
from training_operator.core.errors import InvalidJob, UnknownScheme
from training_operator.core.framework import Framework
from training_operator.unified.sdk import errors, kinds, manifests


class JobFileError(ValueError):
    """The job file cannot be run; the message is one line starting with the file's name."""


@dataclass(frozen=True, slots=True)
class JobFile:
    """A job body ready to create, its kind's framework, and the folder its scripts live in."""

    body: dict[str, Any]
    framework: Framework
    folder: Path

    @property
    def name(self) -> str:
        """`metadata.name`."""
        return str((self.body.get("metadata") or {}).get("name") or "")


def load(path: Path) -> JobFile:
    """Read, parse and check `path`; raise `JobFileError` with the reason."""
    try:
        documents = manifests.load_file(path)
    except manifests.ManifestError as error:
        raise JobFileError(str(error)) from None
    if len(documents) != 1:
        found = "no job" if not documents else f"{len(documents)} documents"
        raise JobFileError(f"{path}: holds {found}; local run runs exactly one job per file")
    body = documents[0].body
    framework = _framework(path, body)
    try:
        strict.check(body, framework)
        job = framework.parse(body)
        if problems := list(framework.problems(job)):
            raise InvalidJob(problems)
    except InvalidJob as error:
        raise JobFileError(f"{path}: {framework.kind.kind} {job_name(body)} is invalid: {error}") from None
    return JobFile(body=body, framework=framework, folder=path.resolve().parent)


def _framework(path: Path, body: dict[str, Any]) -> Framework:
    try:
        ref = kinds.for_body(body)
    except errors.UnknownKind as error:
        raise JobFileError(f"{path}: {error}") from None
    except ValueError as error:
        raise JobFileError(f"{path}: {error}") from None
    if ref.framework is None:
        missing = UnknownScheme([ref.kind.lower()], installed=sorted(discovery.installed()))
        raise JobFileError(f"{path}: {missing}")
    framework: Framework = ref.framework
    return framework


def job_name(body: dict[str, Any]) -> str:
    """The name as written (for messages about a job that may not have one)."""
    return str((body.get("metadata") or {}).get("name") or "<no name>")
