"""deploy/ cannot run here (no Docker engine), so its files are checked against the code they deploy:
commands that exist, settings that exist, packages that are copied, extras that are declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from typer.main import get_command

from domain.settings import Settings
from starter.cli import app

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_services_run_real_tidings_commands() -> None:
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    ours = {name: svc for name, svc in compose()["services"].items() if "build" in svc}
    assert {"worker", "ingress", "setup-namespace"} <= set(ours)
    for name, service in ours.items():
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (ROOT / service["build"]["dockerfile"]).exists()
        assert service["command"][0] in commands, f"{name} runs an unknown command"


def test_compose_environment_names_are_real_settings() -> None:
    known = {f"TIDINGS_{field.upper()}" for field in Settings.model_fields}
    text = (DEPLOY / "compose.yaml").read_text()
    used = set(re.findall(r"\b(TIDINGS_[A-Z_]+)\s*:", text))
    assert used, "compose passes no configuration"
    assert used - {"TIDINGS_DB_PASSWORD"} <= known, f"unknown settings: {used - known}"


def test_dockerfile_copies_every_package_and_installs_declared_extras() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert re.search(rf"^COPY {package} \./{package}$", dockerfile, re.M), f"{package} is not copied"
    for extra in re.findall(r"'\.\[([a-z,]+)\]'", dockerfile)[0].split(","):
        assert extra in project["project"]["optional-dependencies"]
    assert 'ENTRYPOINT ["tidings"]' in dockerfile
