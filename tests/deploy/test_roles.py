"""How the roles fit together: each reads only its own variables, site.yml's group_vars hand
values from one to another, the firewall follows coturn's ports, handlers are unique, and
Ubuntu 22.04 gets a Python the service runs on. Resolved with Ansible, without a host."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from .roles import REPO, ROLES, WIRING, resolve, run_playbook, site_roles

ROLE_NAMES = sorted(path.name for path in ROLES.iterdir() if path.is_dir())
# The secret role is called by others with its parameters (meta/argument_specs.yml).
CALLABLE_ROLES = {"secret"}


def role_variables(role: str) -> set[str]:
    defaults = ROLES / role / "defaults/main.yml"
    return set(yaml.safe_load(defaults.read_text()) or {}) if defaults.is_file() else set()


# Sentences for people (messages, task names) may name another role's setting as advice.
PROSE_KEYS = {"name", "fail_msg", "success_msg", "msg", "description", "short_description"}


def expressions(node: object) -> list[str]:
    """The strings of a YAML document that Ansible templates or evaluates, prose left out."""
    if isinstance(node, dict):
        return [
            text
            for key, value in node.items()
            if key not in PROSE_KEYS
            for text in expressions(value)
        ]
    if isinstance(node, list):
        return [text for item in node for text in expressions(item)]
    return [str(node)]


def foreign_references(role: str) -> list[str]:
    """Variables of other roles (their prefix, public or private) that `role`'s files use."""
    others = [name for name in ROLE_NAMES if name not in {role, *CALLABLE_ROLES}]
    pattern = re.compile(r"(?<![A-Za-z0-9_])(?:__)?(?:" + "|".join(others) + r")_[a-z0-9_]+")
    found = []
    for path in sorted((ROLES / role).rglob("*")):
        if path.suffix == ".yml":
            texts = expressions(yaml.safe_load(path.read_text()))
        elif path.suffix == ".j2":
            texts = [re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)]
        else:
            continue
        found += [
            f"{path.relative_to(ROLES)}: {name}" for text in texts for name in pattern.findall(text)
        ]
    return found


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_role_reads_no_other_roles_variables(role):
    assert foreign_references(role) == []


def test_wiring_hands_each_role_a_variable_it_declares():
    wiring = yaml.safe_load(WIRING.read_text())
    declared = {name for role in ROLE_NAMES for name in role_variables(role)}
    # Facts a role sets for the site, besides its defaults.
    declared |= {"coturn_static_auth_secret"}
    for name, value in wiring.items():
        assert name in declared, f"{name} is no role's variable"
        words = re.findall(r"\b[a-z]+_[a-z0-9_]+\b", str(value))
        used = {word for word in words if word.split("_")[0] in ROLE_NAMES}
        assert used <= declared, f"{name} reads {sorted(used - declared)}, which no role declares"
        assert any(not word.startswith(name.split("_")[0] + "_") for word in used), (
            f"{name} reads no other role's variable: its value belongs in its role's defaults"
        )


def test_handler_names_are_unique_and_notified_only_within_their_role():
    handlers: dict[str, str] = {}
    for path in sorted(ROLES.glob("*/handlers/main.yml")):
        for handler in yaml.safe_load(path.read_text()):
            assert handler["name"] not in handlers, f"two handlers named {handler['name']!r}"
            handlers[handler["name"]] = path.parts[-3]
    for path in sorted(ROLES.glob("*/tasks/*.yml")):
        role = path.parts[-3]
        for task in yaml.safe_load(path.read_text()) or []:
            notify = task.get("notify", [])
            for name in [notify] if isinstance(notify, str) else notify:
                assert handlers.get(name) == role, f"{path.name} notifies {name!r} of another role"


def opened_ports(rules: str) -> dict[str, set[str]]:
    return {
        protocol: {port.strip() for port in ports.split(",")}
        for protocol, ports in re.findall(r"(tcp|udp) dport \{ ([^}]*) \} accept", rules)
    }


def render_firewall(workdir: Path, **variables: object) -> str:
    output = workdir / "nftables.conf"
    task = {
        "name": "Render the firewall rules",
        "ansible.builtin.template": {
            "src": str(ROLES / "firewall/templates/nftables.conf.j2"),
            "dest": str(output),
            "mode": "0600",
        },
    }
    run_playbook(workdir, [task], **variables)
    return output.read_text()


def test_firewall_opens_coturns_default_ports(tmp_path):
    rules = render_firewall(tmp_path)

    assert opened_ports(rules) == {
        "tcp": {"22", "80", "443", "3478", "5349"},
        "udp": {"3478", "5349", "49152-65535"},
    }


def test_firewall_follows_coturns_ports_when_they_change(tmp_path):
    rules = render_firewall(
        tmp_path,
        coturn_listening_port=3479,
        coturn_tls_listening_port=5350,
        coturn_min_port=50000,
        coturn_max_port=50999,
        firewall_allowed_tcp_ports=["2222", "80", "443"],
    )

    assert opened_ports(rules) == {
        "tcp": {"2222", "80", "443", "3479", "5350"},
        "udp": {"3479", "5350", "50000-50999"},
    }
    if shutil.which("nft"):  # nftables itself accepts the rules (needs CAP_NET_ADMIN)
        check = subprocess.run(
            ["nft", "-c", "-f", str(tmp_path / "nftables.conf")], capture_output=True, text=True
        )
        assert check.returncode == 0 or "Operation not permitted" in check.stderr, check.stderr


def test_signaling_tells_browsers_coturns_ports_and_uses_its_secret(tmp_path):
    values = resolve(
        ["signaling_stun_urls", "signaling_turn_urls", "signaling_turn_secret"],
        tmp_path,
        coturn_listening_port=3479,
        coturn_tls_listening_port=5350,
        coturn_static_auth_secret="s" * 64,
    )

    assert values["signaling_stun_urls"] == ["stun:visavis.test:3479"]
    assert values["signaling_turn_urls"] == [
        "turn:visavis.test:3479?transport=udp",
        "turn:visavis.test:3479?transport=tcp",
        "turns:visavis.test:5350?transport=tcp",
    ]
    assert values["signaling_turn_secret"] == "s" * 64


def test_nginx_and_coturn_serve_the_certs_roles_certificate(tmp_path):
    values = resolve(
        [
            "nginx_tls_certificate",
            "nginx_tls_certificate_key",
            "coturn_tls_source_certificate",
            "coturn_tls_source_private_key",
            "certs_coturn_certificate",
            "nginx_root",
        ],
        tmp_path,
        visavis_tls_mode="letsencrypt",
        signaling_home="/srv/visavis",
    )

    live = "/etc/letsencrypt/live/visavis.test"
    assert values["nginx_tls_certificate"] == values["coturn_tls_source_certificate"]
    assert values["nginx_tls_certificate"] == f"{live}/fullchain.pem"
    assert values["nginx_tls_certificate_key"] == values["coturn_tls_source_private_key"]
    assert values["certs_coturn_certificate"] == "/etc/coturn/tls/cert.pem"
    assert values["nginx_root"] == "/srv/visavis/frontend"


def python_for(distribution: str, major: str, workdir: Path) -> dict[str, object]:
    """The signaling role's Python on a host of that system, as the role chooses it."""
    output = workdir / "python.json"
    run_playbook(
        workdir,
        [
            {
                "name": "Pretend to be the host",
                "ansible.builtin.set_fact": {
                    "ansible_distribution": distribution,
                    "ansible_distribution_major_version": major,
                    "cacheable": True,
                },
            },
            {
                "name": "Load the signaling role's settings for this system",
                "ansible.builtin.include_role": {"name": "signaling", "tasks_from": "variables"},
            },
            {
                "name": "Write them down",
                "ansible.builtin.copy": {
                    "content": "{{ {'python': __signaling_python, "
                    "'packages': __signaling_python_packages} | to_json }}",
                    "dest": str(output),
                    "mode": "0600",
                },
            },
        ],
    )
    return yaml.safe_load(output.read_text())


@pytest.mark.parametrize(
    ("distribution", "major", "python", "packages"),
    [
        ("Ubuntu", "22", "python3.11", ["python3.11", "python3.11-venv"]),
        ("Ubuntu", "24", "python3", ["python3-venv"]),
        ("Debian", "12", "python3", ["python3-venv"]),
        ("Debian", "13", "python3", ["python3-venv"]),
    ],
)
def test_signaling_gets_a_python_the_service_runs_on(
    distribution, major, python, packages, tmp_path
):
    chosen = python_for(distribution, major, tmp_path)

    assert chosen == {"python": python, "packages": packages}


def test_virtualenv_and_wheels_are_made_for_the_chosen_python():
    tasks = {
        task["name"]: task
        for name in ("install.yml", "python.yml")
        for task in yaml.safe_load((ROLES / "signaling/tasks" / name).read_text())
    }
    venv = next(task for name, task in tasks.items() if name.startswith("Create the virtualenv"))
    build = next(task for name, task in tasks.items() if name.startswith("Build or reuse"))
    ask = next(task for name, task in tasks.items() if name.startswith("Ask the service's Python"))
    build_argv = build["ansible.builtin.command"]["argv"]

    assert venv["ansible.builtin.command"]["argv"][0] == "{{ __signaling_python }}"
    assert ask["ansible.builtin.command"]["argv"][0] == "{{ __signaling_python }}"
    version = build_argv[build_argv.index("--python-version") + 1]
    assert version == "{{ __signaling_python_version }}"


def test_the_roles_python_floor_is_pyprojects():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    floor = project["project"]["requires-python"].removeprefix(">=")
    role_vars = yaml.safe_load((ROLES / "signaling/vars/main.yml").read_text())

    assert role_vars["__signaling_python_minimum"] == floor
    assert project["tool"]["ruff"]["target-version"] == "py" + floor.replace(".", "")
    assert project["tool"]["mypy"]["python_version"] == floor


def test_site_runs_every_role_but_the_callable_ones():
    # The secret role also runs on its own, on the host that keeps a secret several hosts share.
    assert set(site_roles()) - CALLABLE_ROLES == set(ROLE_NAMES) - CALLABLE_ROLES
