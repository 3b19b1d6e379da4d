"""Preconditions `local run` checks before starting anything (nodecheck): an MPIJob needs sshd, an ssh client
and the MPI implementation it names on this machine, and each gap names the package that fills it;
programs are found as the local node finds them (this interpreter's bin first, then PATH, relative to the
job's folder); a program a volume provides, or one spelled with `$(VAR)`, is left to the pod."""

import sys
from pathlib import Path

import pytest

from training_operator.mpi.plugin import FRAMEWORK as MPI
from training_operator.mpi.testing import job_body
from training_operator.pytorch.plugin import FRAMEWORK as PYTORCH
from training_operator.unified import nodecheck


def mpi_job(implementation="OpenMPI"):
    return MPI.parse(job_body(mpiImplementation=implementation))


@pytest.mark.parametrize(
    ("implementation", "package"),
    [("OpenMPI", "apt-get install openmpi-bin"), ("MPICH", "apt-get install mpich")],
)
def test_an_mpi_job_names_the_packages_it_needs(monkeypatch, tmp_path, implementation, package):
    monkeypatch.setattr(nodecheck, "SBIN", ())
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # no bin dir of ours to search

    found = nodecheck.problems(
        mpi_job(implementation), "mpiReplicaSpecs", folder=tmp_path, environ={"PATH": ""}
    )

    assert any("sshd is not on this machine: apt-get install openssh-server" in p for p in found), found
    assert any("ssh is not on this machine: apt-get install openssh-client" in p for p in found), found
    assert any(f"no {implementation} launcher" in p and package in p for p in found), found


def pytorch_job(container):
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "j"},
        "spec": {
            "pytorchReplicaSpecs": {
                "Worker": {"replicas": 1, "template": {"spec": {"containers": [container]}}}
            }
        },
    }
    return PYTORCH.parse(body)


def check(container, folder):
    return nodecheck.problems(pytorch_job(container), "pytorchReplicaSpecs", folder=folder)


def test_scripts_resolve_in_the_job_folder_and_programs_on_the_nodes_path(tmp_path):
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    assert check({"name": "p", "command": ["./run.sh"]}, tmp_path) == []
    assert check({"name": "p", "command": ["python3", "train.py"]}, tmp_path) == []
    [missing] = check({"name": "p", "command": ["torchrun-nowhere"]}, tmp_path)
    assert missing.endswith("containers[0].command[0]: 'torchrun-nowhere' is not on this machine")
    [missing] = check({"name": "p", "command": ["./other.sh"]}, Path("/"))
    assert "'./other.sh' is not on this machine" in missing


def test_programs_from_volumes_or_env_are_the_pods_business(tmp_path):
    mounted = {
        "name": "p",
        "command": ["/scripts/go.sh"],
        "volumeMounts": [{"name": "s", "mountPath": "/scripts"}],
    }
    assert check(mounted, tmp_path) == []
    assert check({"name": "p", "command": ["$(LAUNCHER)"]}, tmp_path) == []
