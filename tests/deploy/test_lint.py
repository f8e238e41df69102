"""The playbook and roles pass ansible-lint's production profile."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_ansible_lint_is_clean():
    done = subprocess.run(
        [str(REPO / ".venv/bin/ansible-lint"), "--nocolor"],
        cwd=REPO / "infra/ansible",
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{REPO / '.venv/bin'}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


EXAMPLE = REPO / "infra/ansible/inventory/example/group_vars/visavis.yml"
# Roles other roles include with parameters (the secret role): their variables are no settings.
CALLABLE_ROLES = {"secret"}


def test_example_group_vars_list_every_setting():
    example = EXAMPLE.read_text()
    for defaults in sorted((REPO / "infra/ansible/roles").glob("*/defaults/main.yml")):
        if defaults.parts[-3] in CALLABLE_ROLES:
            continue
        for line in defaults.read_text().splitlines():
            name = line.split(":", 1)[0]
            if line[:1].isalpha() and ":" in line:
                assert f"# {name}:" in example, f"{name} is missing from the example group_vars"


def test_example_group_vars_show_wired_settings_with_the_sites_value():
    example = EXAMPLE.read_text()
    wiring = yaml.safe_load((REPO / "infra/ansible/group_vars/all.yml").read_text())
    for name, value in wiring.items():
        if isinstance(value, str) and "\n" not in value.strip():
            assert f'# {name}: "{value}"' in example, f"the example shows another {name}"
