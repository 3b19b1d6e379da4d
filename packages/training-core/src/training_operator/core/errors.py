"""The exceptions training-operator raises, as one tree so callers can catch at the level they need.

TrainingOperatorError
├── InvalidJob            a job body breaks the schema or a validation rule (carries FieldProblems)
├── UnknownScheme         --enable-scheme names a framework that is not installed
├── FrameworkLoadError    an installed entry point does not provide a usable Framework
├── ReconcileError        a job's children cannot be built now (the planner returns Plan.error)
└── AccessError           no usable address or credentials for the API server (kubeconfig, exec plug-in)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from training_operator.core.api.problems import FieldProblem, aggregate


class TrainingOperatorError(Exception):
    """Base of every error raised on purpose by training-operator."""


class InvalidJob(TrainingOperatorError):
    """A job that cannot be accepted; the message names each field and what is allowed."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(aggregate(self.problems))


class UnknownScheme(TrainingOperatorError):
    """An `--enable-scheme` value no installed framework serves."""

    def __init__(self, missing: Sequence[str], *, installed: Sequence[str]) -> None:
        self.missing = tuple(missing)
        self.installed = tuple(installed)
        hint = ", ".join(self.installed) or "none"
        super().__init__(
            f"scheme {', '.join(self.missing)} is not supported: installed frameworks are {hint}; "
            f"install it with: {install_hint(self.missing)}"
        )


class FrameworkLoadError(TrainingOperatorError):
    """An entry point that does not name a usable Framework object."""


#: the extras not named by their scheme less its `job` suffix (tfjob → tf, jaxjob → jax, ...)
_EXTRA_EXCEPTIONS = {"mxjob": "mxnet"}


def _extra(scheme: str) -> str:
    scheme = scheme.lower()
    return _EXTRA_EXCEPTIONS.get(scheme, scheme.removesuffix("job") or scheme)


def install_hint(schemes: Iterable[str]) -> str:
    """The command that adds these frameworks: `pip install 'training-operator[mxnet,tf]'` for mxjob, tfjob.

    Our extras are named after the scheme without `job`, so a new kind needs no entry here.
    """
    extras = ",".join(sorted({_extra(scheme) for scheme in schemes}))
    return f"pip install 'training-operator[{extras}]'"


class ReconcileError(TrainingOperatorError):
    """A reconcile cannot proceed (a hook cannot build a pod): nothing is written, the job is retried."""


class AccessError(TrainingOperatorError):
    """The cluster's address or credentials cannot be found or refreshed; the message says which file,
    context or plug-in and what to fix."""
