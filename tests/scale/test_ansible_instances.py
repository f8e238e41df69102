"""The deploy's side of several instances, rendered as the roles do: a template unit per
port, an environment without the port and with the broker, and nginx's upstream over them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.templates import ANSIBLE_PLAYBOOK, REPO, render_templates

ROLES = REPO / "infra/ansible/roles"
BROKER = "redis://127.0.0.1:6379/0"


def render_signaling(output: Path, **variables: object) -> tuple[str, str]:
    """signaling.service.j2 and signaling.env.j2 with the roles' defaults: (unit, env)."""
    playbook = output / "render-signaling.yml"
    playbook.write_text(
        f"""- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  vars_files:
    - {ROLES}/coturn/defaults/main.yml
    - {ROLES}/redis/defaults/main.yml
    - {ROLES}/signaling/defaults/main.yml
    - {ROLES}/signaling/vars/main.yml
    - {ROLES}/nginx/defaults/main.yml
    - {ROLES}/../group_vars/all.yml
  tasks:
    - ansible.builtin.template:
        src: {ROLES}/signaling/templates/signaling.service.j2
        dest: {output}/unit
        mode: "0644"
    - ansible.builtin.template:
        src: {ROLES}/signaling/templates/signaling.env.j2
        dest: {output}/env
        mode: "0600"
"""
    )
    settings = {
        "visavis_domain": "visavis.test",
        "coturn_static_auth_secret": "s",
        "signaling_resume_secret": "r",
        **variables,
    }
    (output / "vars.json").write_text(json.dumps(settings))
    done = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "--inventory",
            "localhost,",
            "--extra-vars",
            f"@{output / 'vars.json'}",
            str(playbook),
        ],
        capture_output=True,
        text=True,
        cwd=REPO / "infra/ansible",
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "infra/ansible/ansible.cfg")},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return (output / "unit").read_text(), (output / "env").read_text()


def test_one_instance_renders_as_before(tmp_path):
    unit, env = render_signaling(tmp_path)

    assert "VISAVIS_PORT=8000" in env.splitlines()
    assert "VISAVIS_BROKER_URL" not in env
    assert "%i" not in unit and "redis-server" not in unit


def test_several_instances_get_their_port_from_the_unit_and_share_the_broker(tmp_path):
    unit, env = render_signaling(
        tmp_path, signaling_instances=3, signaling_broker_url=BROKER, redis_enabled=True
    )

    assert "Environment=VISAVIS_PORT=%i" in unit.splitlines()
    assert "After=network.target redis-server.service" in unit.splitlines()
    assert not [line for line in env.splitlines() if line.startswith("VISAVIS_PORT=")]
    assert f"VISAVIS_BROKER_URL={BROKER}" in env.splitlines()


def test_nginx_spreads_sockets_over_every_instance(tmp_path):
    render_templates(
        tmp_path,
        visavis_domain="visavis.test",
        coturn_static_auth_secret="s",
        certs_certificate_path="/c",
        certs_private_key_path="/k",
        coturn_tls_certificate="/c",
        coturn_tls_private_key="/k",
        nginx_dhparam_file="/d",
        certs_acme_webroot="/a",
        signaling_frontend_dir="/f",
        signaling_instances=3,
    )
    site = (tmp_path / "visavis.conf").read_text()

    upstream = site.split("upstream visavis_signaling {")[1].split("}")[0]
    assert upstream.split() == [
        "least_conn;",
        "server",
        "127.0.0.1:8000;",
        "server",
        "127.0.0.1:8001;",
        "server",
        "127.0.0.1:8002;",
    ]
    # /ws, /auth/, /healthz, and every other path (@signaling: link spellings, not found)
    assert site.count("proxy_pass http://visavis_signaling;") == 4
