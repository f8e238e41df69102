"""The signaling image's install step without Docker: compose/install_signaling.py on the
wheelhouse build_wheelhouse.py makes for `make deploy` (its cache, this machine's Python),
into a fresh virtualenv; then the service from it answers the image's own HEALTHCHECK. A
dependency list the wheelhouse cannot satisfy fails here as it fails the deploy."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import DOCKERFILE, REPO, dockerfile_arg, in_namespace, stop, wait_for_listener

# The first test to use them builds the wheelhouse, the virtualenv and the rendering.
pytestmark = pytest.mark.timeout(600)


def image_environment() -> dict[str, str]:
    final = DOCKERFILE.read_text().rsplit("\nFROM ", 1)[1].replace("\\\n", " ")
    block = re.search(r"^ENV (.*)$", final, re.M).group(1)
    return dict(re.findall(r"(\w+)=(\S+)", block))


def test_install_step_gives_pip_the_flags_the_signaling_role_gives_it():
    tasks = yaml.safe_load((REPO / "infra/ansible/roles/signaling/tasks/install.yml").read_text())
    install = next(task for task in tasks if task["name"].startswith("Install visavis"))
    role_flags = [arg for arg in install["ansible.builtin.command"]["argv"] if arg.startswith("-")]
    spec = importlib.util.spec_from_file_location("install", REPO / "compose/install_signaling.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    wheels = {"deps_dir": "/w/deps", "app_dir": "/w/app", "requirements": "requirements.txt"}
    argv = script.pip_install_argv(Path("/venv"), wheels)
    script_flags = [arg for arg in argv if arg.startswith("-")]
    assert script_flags == role_flags
    assert dockerfile_arg("EXTRAS") == "speed"  # signaling_extras' default, so one wheelhouse
    defaults = yaml.safe_load(
        (REPO / "infra/ansible/roles/signaling/defaults/main.yml").read_text()
    )
    assert defaults["signaling_extras"] == ["speed"]


def test_installed_virtualenv_holds_visavis_and_the_speed_extra(signaling_venv):
    python = str(signaling_venv / "bin/python")
    done = subprocess.run(
        [
            python,
            "-c",
            "import json, signaling, uvloop, importlib.metadata as m;"
            "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))",
        ],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    installed = set(json.loads(done.stdout))
    assert {"visavis", "uvloop", "starlette", "uvicorn"} <= installed
    assert not installed & {"pytest", "ansible-core", "playwright"}  # no test extra


def test_service_from_the_install_step_answers_the_images_healthcheck(
    signaling_venv, namespace, tmp_path
):
    environment = {
        **image_environment(),
        "PATH": f"{signaling_venv}/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "VISAVIS_FRONTEND_DIR": str(REPO / "frontend"),  # the image copies frontend/ there
    }
    assert environment["VISAVIS_HOST"] == "0.0.0.0" and environment["VISAVIS_PORT"] == "8000"
    command = json.loads(
        re.search(r"^CMD (\[.*\])$", DOCKERFILE.read_text(), re.M).group(1)
    )  # the image's CMD
    log = (tmp_path / "signaling.log").open("w")
    server = subprocess.Popen(
        ["ip", "netns", "exec", namespace, *command],
        env=environment,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for_listener(namespace, 8000, server), Path(log.name).read_text()
        healthcheck = json.loads(
            re.search(r"^HEALTHCHECK .*?CMD (\[.*?\])$", DOCKERFILE.read_text(), re.M | re.S).group(
                1
            )
        )
        done = in_namespace(namespace, "env", f"PATH={environment['PATH']}", *healthcheck)
        assert done.returncode == 0, done.stderr
    finally:
        stop(server)
        log.close()
