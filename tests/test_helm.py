"""The Helm chart (deploy/helm/tidings), rendered by Helm's own template engine (helm-python-sdk binds
Helm's Go SDK; no cluster is contacted) for each supported Temporal setup, every manifest validated
against the Kubernetes schemas by kubernetes-validate (offline, strict), and the ServiceMonitor, a
CRD the schemas do not cover, checked against the Service it scrapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from domain.settings import Settings

helm_python = pytest.importorskip("helm_python", reason="helm-python-sdk (dev extra) renders the chart")

CHART = Path(__file__).resolve().parent.parent / "deploy" / "helm" / "tidings"
K8S_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
SETUPS = ["values.yaml", "values-cloud-apikey.yaml", "values-cloud-mtls.yaml", "values-self-hosted.yaml"]
REQUIRED = {"existingSecret": "tidings-secrets"}


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = deep_merge(merged[key], value) if isinstance(merged.get(key), dict) else value
    return merged


def render(values_file: str = "values.yaml", **overrides: Any) -> list[dict[str, Any]]:
    values = yaml.safe_load((CHART / values_file).read_text()) if values_file != "values.yaml" else {}
    values = deep_merge(deep_merge(values, REQUIRED), overrides)
    with helm_python.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name="shop", namespace="commerce", is_install=True)
    return [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def containers(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in {"Deployment", "Job"}:
            for container in doc["spec"]["template"]["spec"]["containers"]:
                yield doc["metadata"]["name"], container


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize("setup", SETUPS)
def test_every_manifest_is_valid_kubernetes(setup: str) -> None:
    docs = render(setup)
    assert docs
    for doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: checked in the ServiceMonitor test
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_an_invalid_manifest_is_caught() -> None:
    """The validation above can fail: a misspelt probe field is rejected."""
    deployment = next(iter(of_kind(render(), "Deployment").values()))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[0], strict=True)


def test_ingress_and_each_worker_pool_are_deployments_with_probes() -> None:
    deployments = of_kind(render(), "Deployment")
    assert set(deployments) == {
        "shop-tidings-ingress",
        "shop-tidings-worker-main",
        "shop-tidings-worker-bulk",
    }
    args = {name: d["spec"]["template"]["spec"]["containers"][0]["args"] for name, d in deployments.items()}
    assert args["shop-tidings-worker-main"] == ["worker", "--queues", "main"]
    assert args["shop-tidings-worker-bulk"] == ["worker", "--queues", "bulk"]
    assert args["shop-tidings-ingress"] == ["ingress"]
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"] for p in container["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["port"] in ports, f"{name}: {probe} on an unknown port"


def test_workers_drain_before_kubernetes_kills_them() -> None:
    for name, deployment in of_kind(render(), "Deployment").items():
        if "worker" not in name:
            continue
        spec = deployment["spec"]["template"]["spec"]
        grace = int(env_of(spec["containers"][0])["TIDINGS_WORKER_SHUTDOWN_GRACE_SECONDS"])
        assert spec["terminationGracePeriodSeconds"] > grace


def test_workers_scale_on_cpu_and_keep_a_pod_through_disruptions() -> None:
    docs = render()
    deployments = of_kind(docs, "Deployment")
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {
        "shop-tidings-worker-main",
        "shop-tidings-worker-bulk",
    }
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
        assert "replicas" not in deployments[hpa["spec"]["scaleTargetRef"]["name"]]["spec"]  # the HPA owns it
    pdbs = of_kind(docs, "PodDisruptionBudget")
    assert len(pdbs) == 3
    for pdb in pdbs.values():
        wanted = pdb["spec"]["selector"]["matchLabels"]
        matched = [
            d
            for d in deployments.values()
            if wanted.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, f"{pdb['metadata']['name']} selects {len(matched)} deployments"


def test_migrate_and_setup_namespace_are_hook_jobs_in_order() -> None:
    jobs = of_kind(render(), "Job")
    assert {name: job["spec"]["template"]["spec"]["containers"][0]["args"] for name, job in jobs.items()} == {
        "shop-tidings-migrate": ["migrate"],
        "shop-tidings-setup-namespace": ["setup-namespace"],
    }
    weights = {}
    for name, job in jobs.items():
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        weights[name] = int(annotations["helm.sh/hook-weight"])
    assert weights["shop-tidings-migrate"] < weights["shop-tidings-setup-namespace"]
    # The pods' service account exists before the hooks run.
    [account] = of_kind(render(), "ServiceAccount").values()
    assert int(account["metadata"]["annotations"]["helm.sh/hook-weight"]) < min(weights.values())


def test_secrets_are_referenced_never_rendered() -> None:
    docs = render("values-cloud-apikey.yaml")
    assert not of_kind(docs, "Secret")
    for name, container in containers(docs):
        assert container["envFrom"] == [{"secretRef": {"name": "tidings-secrets"}}], name
        assert env_of(container)["TIDINGS_TEMPORAL_API_KEY"] == {
            "secretKeyRef": {"name": "tidings-temporal-api-key", "key": "api-key"}
        }
    with pytest.raises(helm_python.errors.HelmError, match="existingSecret"):
        with helm_python.Chart.load(str(CHART)) as chart:
            chart.render({}, name="shop", namespace="commerce")


@pytest.mark.parametrize("setup", ["values-cloud-mtls.yaml", "values-self-hosted.yaml"])
def test_mtls_certificates_are_mounted_where_the_settings_point(setup: str) -> None:
    docs = render(setup)
    values = yaml.safe_load((CHART / setup).read_text())["temporal"]["mtlsSecret"]
    for doc in docs:
        if doc["kind"] not in {"Deployment", "Job"}:
            continue
        pod = doc["spec"]["template"]["spec"]
        [volume] = [v for v in pod["volumes"] if v["name"] == "temporal-tls"]
        assert volume["secret"]["secretName"] == values["name"]
        container = pod["containers"][0]
        [mount] = [m for m in container["volumeMounts"] if m["name"] == "temporal-tls"]
        env = env_of(container)
        assert env["TIDINGS_TEMPORAL_TLS_CERT"] == f"{mount['mountPath']}/tls.crt"
        assert env["TIDINGS_TEMPORAL_TLS_KEY"] == f"{mount['mountPath']}/tls.key"
        assert ("TIDINGS_TEMPORAL_TLS_CA" in env) == values.get("withCA", False)


def test_cloud_setups_leave_the_namespace_to_temporal_cloud() -> None:
    assert "shop-tidings-setup-namespace" not in of_kind(render("values-cloud-mtls.yaml"), "Job")
    assert "shop-tidings-migrate" in of_kind(render("values-cloud-mtls.yaml"), "Job")


def test_every_environment_variable_is_a_real_setting_and_production() -> None:
    known = {f"TIDINGS_{field.upper()}" for field in Settings.model_fields}
    for setup in SETUPS:
        for name, container in containers(render(setup, config={"TIDINGS_STORE_URL": "https://shop.test"})):
            env = env_of(container)
            assert set(env) <= known, f"{name}: {set(env) - known}"
            assert env["TIDINGS_ENV"] == "production" and env["TIDINGS_INGRESS_DOCS"] == "false"


def test_the_service_monitor_scrapes_the_workers_metrics_port() -> None:
    docs = render()
    [monitor] = [d for d in docs if d["kind"] == "ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    services = of_kind(docs, "Service")
    targets = [
        s
        for s in services.values()
        if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert len(targets) == 1
    [service] = targets
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == ["commerce"]
    ports = {p["name"]: p for p in service["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in ports and endpoint["path"] == "/metrics"
    # The Service selects exactly the worker pods, on the port their containers name.
    workers = [d for d in of_kind(docs, "Deployment").values() if "worker" in d["metadata"]["name"]]
    for deployment in workers:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
        names = {p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
        assert ports["metrics"]["targetPort"] in names
    ingress = of_kind(docs, "Deployment")["shop-tidings-ingress"]["spec"]["template"]["metadata"]["labels"]
    assert not service["spec"]["selector"].items() <= ingress.items()
    assert not any(d["kind"] == "ServiceMonitor" for d in render(serviceMonitor={"enabled": False}))
