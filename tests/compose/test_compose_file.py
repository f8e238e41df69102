"""docker-compose.yml, the Dockerfile and .env.example, checked without a Docker engine:
the Compose Specification's JSON schema (compose-spec.json, vendored), then what a schema
cannot say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from .conftest import COMPOSE_FILE, DOCKERFILE, ENV_EXAMPLE, REPO, load_compose

SCHEMA = Path(__file__).with_name("compose-spec.json")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal $.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
LONG_LIVED = {"signaling", "nginx", "coturn", "certbot", "redis"}


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """What docker compose does to the file with these values (errors for `?` forms)."""

    def substitute(match: re.Match) -> str:
        name, operator, argument = match.groups()
        value = env.get(name)
        if operator in (":-", ":?") and not value or operator in ("-", "?") and value is None:
            if operator and operator.endswith("?"):
                raise AssertionError(f"{name} is required: {argument}")
            return argument or ""
        return value or ""

    return VARIABLE.sub(substitute, text).replace("$$", "$")


def final_stage(dockerfile: str) -> str:
    """The last stage, continuation lines joined."""
    last = [match.start() for match in re.finditer(r"^FROM ", dockerfile, re.M)][-1]
    return dockerfile[last:].replace("\\\n", " ")


@pytest.mark.parametrize("interpolated", [False, True], ids=["as-written", "with-env-example"])
def test_compose_file_follows_the_compose_specification(interpolated):
    schema = json.loads(SCHEMA.read_text())
    text = COMPOSE_FILE.read_text()
    if interpolated:
        text = interpolate(text, env_example())
    jsonschema.Draft7Validator.check_schema(schema)  # the schema's own $schema is draft-07
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(text)),
        key=lambda error: list(error.path),
    )
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_vendored_schema_says_where_it_comes_from():
    notice = SCHEMA.with_name("compose-spec.NOTICE.md").read_text()
    assert "compose-spec/compose-spec" in notice and "Apache-2.0" in notice


def test_every_variable_is_documented_in_env_example_and_every_setting_is_used():
    documented = set(env_example())
    used_by_compose = {match[0] for match in VARIABLE.findall(COMPOSE_FILE.read_text())}
    assert used_by_compose <= documented, (
        f"missing from .env.example: {used_by_compose - documented}"
    )
    render = (REPO / "compose/render.py").read_text()
    for name in documented - used_by_compose - {"COMPOSE_PROFILES"}:
        assert f'"{name}"' in render, f"{name} in .env.example is used by nothing"


def test_env_example_carries_no_secret():
    assert env_example()["TURN_SECRET"] == "" and env_example()["RESUME_SECRET"] == ""


def test_no_secret_is_written_in_the_compose_file():
    text = COMPOSE_FILE.read_text()
    assert "SECRET" not in text  # secrets reach signaling through the rendered env file
    assert "static-auth-secret" not in text
    assert not re.search(r"[0-9a-fA-F]{32,}", text), "something like a key or secret"
    for name, service in load_compose()["services"].items():
        environment = service.get("environment", {})
        assert not any("SECRET" in key or "PASSWORD" in key for key in environment), name


def test_every_long_lived_service_has_a_healthcheck_or_says_why_not():
    dockerfile = DOCKERFILE.read_text()
    for name, service in load_compose()["services"].items():
        if "healthcheck" in service:
            assert not service["healthcheck"].get("disable"), name
        elif "build" in service:
            assert re.search(r"^HEALTHCHECK .*/healthz", final_stage(dockerfile), re.M), name
        else:
            assert service.get("x-no-healthcheck"), f"{name}: no healthcheck and no reason"
        if name in LONG_LIVED:
            assert service["restart"] == "unless-stopped", name


def test_coturn_uses_the_host_network_and_publishes_no_ports():
    coturn = load_compose()["services"]["coturn"]
    assert coturn["network_mode"] == "host"
    assert "ports" not in coturn and "networks" not in coturn


def test_only_nginx_publishes_ports_and_signaling_stays_on_the_compose_network():
    services = load_compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}
    assert services["nginx"]["ports"] == ["80:80", "443:443"]


def test_signaling_image_is_slim_non_root_without_compilers_and_checks_healthz():
    dockerfile = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(stages) == 2 and all(
        re.match(r"python:\$\{PYTHON_VERSION\}-slim", s) for s in stages
    )
    final = final_stage(dockerfile)
    assert not re.search(r"apt-get|gcc|g\+\+|build-essential|\bcc\b|clang|pip wheel", final)
    user = re.findall(r"^USER (\S+)", final, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^EXPOSE 8000$", final, re.M)
    assert 'CMD ["python", "-m", "signaling"]' in final
    # Installs from the wheelhouse only, with the script tests/compose runs.
    assert "install_signaling.py /wheelhouse/wheels.json" in final
    assert "build_wheelhouse.py" in dockerfile and "pip install" not in dockerfile


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies():
    allowed = [
        line[1:].rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"
    assert "*" in (REPO / ".dockerignore").read_text().splitlines()  # everything else out


def test_bind_mounted_files_exist_or_are_rendered():
    rendered = {"visavis.conf", "visavis-stream.conf", "turnserver.conf", "signaling.env"}
    for name, service in load_compose()["services"].items():
        sources = [spec.split(":")[0] for spec in service.get("volumes", [])]
        sources += [service["env_file"]] if "env_file" in service else []
        for source in sources:
            if source.startswith("./compose/rendered/"):
                assert source.rsplit("/", 1)[1] in rendered, (name, source)
            elif source.startswith("./"):
                assert (REPO / source).exists(), (name, source)


def test_secrets_and_rendered_files_are_git_ignored():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored and "compose/rendered/" in ignored


def test_readme_says_what_the_compose_path_is_tested_against():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Run with Docker Compose") :]
    section = section[: section.find("\n## ", 1)] if "\n## " in section[1:] else section
    for fact in (
        "make compose-config",
        "docker compose up",
        "nginx -t",
        "coturn",
        "schema",
        "wheelhouse",
        "down -v",
        "debootstrap",
    ):
        assert fact in section, f"the README's compose section does not mention {fact!r}"
    assert "not been run with Docker" not in section  # it is, by tests/compose/test_stack.py
