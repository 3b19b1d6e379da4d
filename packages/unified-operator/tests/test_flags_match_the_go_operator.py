"""Flags: the Go operator's names and defaults, KUBEFLOW_NAMESPACE, repeatable case-insensitive
--enable-scheme, v1.4.0's gang-scheduling alias, zap logging flags, and compatibility flags that are ignored.
"""

import argparse

import pytest

from training_operator.unified import settings


def test_defaults_are_upstreams():
    s = settings.parse([], environ={})
    assert (s.metrics_bind_address, s.health_probe_bind_address) == (":8080", ":8081")
    assert (s.leader_elect, s.leader_election_id) == (False, "1ca428e5.training-operator.kubeflow.org")
    assert (s.enable_schemes, s.gang_scheduler_name, s.namespace, s.controller_threads) == ((), "", "", 1)
    assert (s.webhook_server_port, s.webhook_service_name) == (9443, "training-operator")
    assert s.webhook_secret_name == "training-operator-webhook-cert"
    assert s.plugin_flags["pytorch_init_container_image"] == "alpine:3.10"
    assert s.plugin_flags["pytorch_init_container_template_file"] == "/etc/config/initContainer.yaml"
    assert s.plugin_flags["pytorch_init_container_max_tries"] == 100
    assert s.pod_namespace == "kubeflow"


def test_every_flag_is_read():
    s = settings.parse(
        [
            "--metrics-bind-address=:9090",
            "--health-probe-bind-address=127.0.0.1:9091",
            "--leader-elect",
            "--leader-election-id=x",
            "--enable-scheme=TFJob",
            "--enable-scheme",
            "pytorchjob",
            "--gang-scheduler-name=volcano",
            "--namespace=team",
            "--controller-threads=4",
            "--webhook-server-port=1443",
            "--webhook-service-name=svc",
            "--webhook-secret-name=sec",
            "--pytorch-init-container-image=busybox",
            "--pytorch-init-container-template-file=/t.yaml",
            "--pytorch-init-container-max-tries=3",
            "--kube-api-qps=5",
            "--kube-api-burst=10",
            "--kubeconfig=/k",
            "--json-logs",
            "--disable-webhooks",
        ],
        environ={"MY_POD_NAMESPACE": "ops"},
    )
    assert s.enable_schemes == ("tfjob", "pytorchjob")
    assert (s.metrics_bind_address, s.health_probe_bind_address) == (":9090", "127.0.0.1:9091")
    assert (s.leader_elect, s.leader_election_id, s.gang_scheduler_name) == (True, "x", "volcano")
    assert (s.namespace, s.controller_threads, s.webhook_server_port) == ("team", 4, 1443)
    assert (s.webhook_service_name, s.webhook_secret_name) == ("svc", "sec")
    assert (
        s.plugin_flags["pytorch_init_container_image"],
        s.plugin_flags["pytorch_init_container_max_tries"],
    ) == ("busybox", 3)
    assert s.plugin_flags["pytorch_init_container_template_file"] == "/t.yaml"
    assert (s.kube_api_qps, s.kube_api_burst, s.kubeconfig) == (5.0, 10, "/k")
    assert (s.json_logs, s.disable_webhooks, s.pod_namespace) == (True, True, "ops")


def test_namespace_defaults_to_kubeflow_namespace_env_and_the_flag_wins():
    assert settings.parse([], environ={"KUBEFLOW_NAMESPACE": "kf"}).namespace == "kf"
    assert settings.parse(["--namespace=x"], environ={"KUBEFLOW_NAMESPACE": "kf"}).namespace == "x"


def test_compatibility_flags_are_accepted():
    s = settings.parse(
        ["--enable-gang-scheduling", "--mpi-kubectl-delivery-image=img", "--zap-devel", "--zap-encoder=json"],
        environ={},
    )
    assert s.gang_scheduler_name == "volcano"
    assert s.json_logs
    assert "mpi_kubectl_delivery_image" in s.ignored


def test_settings_are_frozen():
    s = settings.parse([], environ={})
    with pytest.raises(AttributeError):
        s.namespace = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("address", "bound"), [(":8080", ("0.0.0.0", 8080)), ("127.0.0.1:0", ("127.0.0.1", 0))]
)
def test_bind_addresses(address, bound):
    assert settings.bind_address(address) == bound


def test_the_init_container_template_file_is_rendered_per_job_before_it_is_parsed(tmp_path):
    """Upstream's ConfigMap holds a Go template of a YAML list; `{{.MasterAddr}}` unquoted is not YAML."""
    from training_operator.pytorch.init_container import init_containers
    from training_operator.pytorch.plugin import FRAMEWORK
    from training_operator.unified.composition import configured

    template = tmp_path / "initContainer.yaml"
    template.write_text(
        "- name: wait-for-master\n"
        "  image: {{.InitContainerImage}}\n"
        "  command: [sh, -c, until nslookup {{.MasterAddr}}; do sleep 1; done]\n"
    )
    options = configured(
        FRAMEWORK,
        settings.parse(
            [f"--pytorch-init-container-template-file={template}", "--pytorch-init-container-image=busybox"],
            environ={},
        ),
    ).init_container
    assert init_containers("job-master-0", options) == [
        {
            "name": "wait-for-master",
            "image": "busybox",
            "command": ["sh", "-c", "until nslookup job-master-0; do sleep 1; done"],
        }
    ]


def test_without_a_template_file_the_built_in_init_container_is_used(tmp_path):
    from training_operator.pytorch.init_container import init_containers
    from training_operator.pytorch.plugin import FRAMEWORK
    from training_operator.unified.composition import configured

    missing = tmp_path / "absent.yaml"
    options = configured(
        FRAMEWORK, settings.parse([f"--pytorch-init-container-template-file={missing}"], environ={})
    ).init_container
    assert [c["name"] for c in init_containers("job-master-0", options)] == ["init-pytorch"]


def test_a_plugins_flags_exist_only_when_it_is_installed(capsys):
    from training_operator.pytorch.init_container import FLAGS

    with_pytorch = argparse.ArgumentParser()
    settings.add_flags(with_pytorch, plugins=FLAGS)
    parsed = settings.from_args(with_pytorch.parse_args(["--pytorch-init-container-max-tries=7"]), environ={})
    assert parsed.plugin_flags["pytorch_init_container_max_tries"] == 7

    without = argparse.ArgumentParser()
    settings.add_flags(without, plugins=())
    with pytest.raises(SystemExit):
        without.parse_args(["--pytorch-init-container-max-tries=7"])
    assert "unrecognized arguments: --pytorch-init-container-max-tries=7" in capsys.readouterr().err
    assert settings.from_args(without.parse_args([]), environ={}).plugin_flags == {}
