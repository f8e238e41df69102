"""Resolve the roles' variables as site.yml does, on the controller, without a host: every
role's defaults, then its vars/main.yml, then the site's wiring (group_vars/all.yml beside
site.yml), then the test's extra vars on top."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.templates import ansible_playbook

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = REPO / "infra/ansible"
ROLES = ANSIBLE / "roles"
WIRING = ANSIBLE / "group_vars/all.yml"


def site_roles() -> list[str]:
    """The roles site.yml runs, in order."""
    (play,) = yaml.safe_load((ANSIBLE / "site.yml").read_text())
    return [entry["role"] for entry in play["roles"]]


def run_playbook(workdir: Path, tasks: list[dict], **variables: Any) -> None:
    """Run `tasks` on localhost with the site's variables; fails with ansible's output."""
    vars_files = [
        str(path)
        for role in site_roles()
        for path in (ROLES / role / "defaults/main.yml", ROLES / role / "vars/main.yml")
        if path.is_file()
    ] + [str(WIRING)]
    playbook = workdir / "playbook.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Resolve the site's variables",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                    "vars_files": vars_files,
                    "tasks": tasks,
                }
            ]
        )
    )
    ansible_playbook(playbook, {"visavis_domain": "visavis.test", **variables}, workdir)


def render_role_template(role: str, template: str, workdir: Path, **variables: Any) -> str:
    """roles/<role>/templates/<template> rendered with the site's variables."""
    output = workdir / template.removesuffix(".j2")
    task = {
        "name": "Render the template",
        "ansible.builtin.template": {
            "src": str(ROLES / role / "templates" / template),
            "dest": str(output),
            "mode": "0600",
        },
    }
    run_playbook(workdir, [task], **variables)
    return output.read_text()


def resolve(names: list[str], workdir: Path, **variables: Any) -> dict[str, Any]:
    """The values the variables `names` take with the site's variables."""
    output = workdir / "resolved.json"
    task = {
        "name": "Write the variables' values",
        "ansible.builtin.copy": {
            "content": "{{ {" + ", ".join(f"'{name}': {name}" for name in names) + "} | to_json }}",
            "dest": str(output),
            "mode": "0600",
        },
    }
    run_playbook(workdir, [task], **variables)
    return json.loads(output.read_text())
