"""`make compose-config`: render nginx, coturn and signaling settings for docker-compose.

The files come from the templates the Ansible roles use, rendered by the same playbook the
template tests use (infra/render.yml) plus the signaling role's environment template
(compose/signaling-env.yml), with the site's values read from `.env`. Nothing here is a copy
of a template. When `.env` leaves TURN_SECRET empty, a new secret is generated and written
back into `.env`, because coturn reads it from its configuration file and cannot be handed
it later; so are RESUME_SECRET (signaling signs resume tokens with it) and SESSION_SECRET
(it signs hosts' sign-in cookies).

Usage: python compose/render.py [--env-file .env] [--output compose/rendered]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ANSIBLE_PLAYBOOK = REPO / ".venv/bin/ansible-playbook"
# coturn and nginx in the images are 4.6 and newer than 1.22; Debian 12's vars say exactly
# that, and Debian 12's nginx and coturn are what tests/compose checks the files with.
DISTRIBUTION = "Debian-12"

# Role variables fixed by the layout of docker-compose.yml (its service names, mounts and
# the signaling image's paths), whatever the site.
COMPOSE_LAYOUT = {
    # Signaling listens on the compose network; only nginx reaches it, by service name.
    "signaling_host": "0.0.0.0",
    "signaling_port": 8000,
    "nginx_signaling_upstream": "signaling:8000",
    "signaling_frontend_dir": "/opt/visavis/frontend",
    # The `state` volume: the hosts and their passkeys (owned by the image's user).
    "signaling_state_dir": "/var/lib/visavis",
    # Docker publishes 80/443 on the host's IPv6 addresses itself; the container may have none.
    "nginx_listen_ipv6": False,
    # The `tls` volume: filled by the init service (self-signed) or certbot (Let's Encrypt).
    "certs_certificate_path": "/etc/visavis/tls/cert.pem",
    "certs_private_key_path": "/etc/visavis/tls/key.pem",
    "nginx_dhparam_file": "/etc/visavis/tls/dhparam.pem",
    # coturn sees the same volume at its default /etc/coturn/tls/.
    "coturn_tls_certificate": "/etc/coturn/tls/cert.pem",
    "coturn_tls_private_key": "/etc/coturn/tls/key.pem",
    "certs_acme_webroot": "/var/www/visavis-acme",
}

DOMAIN_PATTERN = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)


class SettingsError(ValueError):
    """A value in .env is missing or malformed; the message names it."""


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as docker compose reads them (comments, blank lines, plain quotes)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


GENERATED_SECRETS = ("TURN_SECRET", "RESUME_SECRET", "SESSION_SECRET")


def ensure_secrets(env_file: Path) -> None:
    """Write a new value into env_file for each of GENERATED_SECRETS left empty there."""
    current = read_env_file(env_file)
    missing = [name for name in GENERATED_SECRETS if not current.get(name)]
    if not missing:
        return
    lines = env_file.read_text().splitlines()
    for name in missing:
        line = f"{name}={secrets.token_hex(32)}"
        found = [n for n, text in enumerate(lines) if re.match(rf"^\s*{name}\s*=", text)]
        if found:
            lines[found[-1]] = line
        else:
            lines.append(line)
    env_file.write_text("\n".join(lines) + "\n")
    env_file.chmod(0o600)


def site_settings(env: dict[str, str]) -> dict[str, object]:
    """The Ansible variables for one site: the compose layout plus the values from .env."""
    domain = env.get("DOMAIN", "")
    if not DOMAIN_PATTERN.match(domain):
        raise SettingsError(f"DOMAIN in .env must be the name people open, not {domain!r}")
    for name in GENERATED_SECRETS:
        if not env.get(name):
            raise SettingsError(f"{name} in .env is empty")
    try:
        subnet = ipaddress.ip_network(env.get("INTERNAL_SUBNET", ""))
    except ValueError:
        raise SettingsError(
            f"INTERNAL_SUBNET in .env must be a network like 10.86.53.0/24, "
            f"not {env.get('INTERNAL_SUBNET', '')!r}"
        ) from None
    access = env.get("ACCESS", "hosts")
    if access not in ("hosts", "open"):
        raise SettingsError(f'ACCESS in .env must be "hosts" or "open", not {access!r}')
    settings: dict[str, object] = {
        **COMPOSE_LAYOUT,
        "render_distribution": DISTRIBUTION,
        "visavis_domain": domain,
        "coturn_static_auth_secret": env["TURN_SECRET"],
        "coturn_external_ip": env.get("TURN_EXTERNAL_IP", ""),
        "coturn_allowed_peer_ips": env.get("TURN_ALLOWED_PEER_IPS", "").split(),
        "signaling_resume_secret": env["RESUME_SECRET"],
        "signaling_access": access,
        "signaling_session_secret": env["SESSION_SECRET"],
        # nginx reaches signaling from the compose network: its X-Forwarded-For names the
        # client. Nothing else is on that network but the project's own containers.
        "signaling_trusted_proxies": [str(subnet)],
        **turn_on_443(env.get("TURN_EXTERNAL_IP", "")),
    }
    broker_url = env.get("BROKER_URL", "")
    if broker_url:
        settings["signaling_extra_environment"] = {"VISAVIS_BROKER_URL": broker_url}
    return settings


def turn_on_443(external_ip: str) -> dict[str, object]:
    """The nginx role's settings for TURN over TLS on 443. coturn (on the host's network)
    relays from the address a client reached it on, so nginx must reach it on the host's own
    address, not the compose network's: TURN_EXTERNAL_IP's ("public" or "public/private",
    the private one being on the host's interface). Without it, the site has 443 alone."""
    if not external_ip:
        return {"nginx_turns_on_443": False}
    address = external_ip.rsplit("/", 1)[-1]
    upstream = f"[{address}]:5349" if ":" in address else f"{address}:5349"
    return {"nginx_turns_on_443": True, "nginx_turns_upstream": upstream}


def render(settings: dict[str, object], output: Path, ansible_playbook: Path) -> None:
    """Write visavis.conf, visavis-stream.conf, turnserver.conf and signaling.env into output."""
    output = output.resolve()  # the playbooks run from infra/ansible, so no relative paths
    output.mkdir(parents=True, exist_ok=True)
    output.chmod(0o700)  # the files hold the TURN secret; only their mounts need to read them
    extra_vars = output / "render-settings.json"
    extra_vars.write_text("")
    extra_vars.chmod(0o600)
    extra_vars.write_text(json.dumps({**settings, "render_output": str(output.resolve())}))
    environment = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "infra/ansible/ansible.cfg")}
    try:
        for playbook in (REPO / "infra/render.yml", REPO / "compose/signaling-env.yml"):
            done = subprocess.run(
                [
                    str(ansible_playbook),
                    "--inventory",
                    "localhost,",
                    "--extra-vars",
                    f"@{extra_vars}",
                    str(playbook),
                ],
                capture_output=True,
                text=True,
                cwd=REPO / "infra/ansible",
                env=environment,
            )
            if done.returncode != 0:
                raise RuntimeError(f"{playbook.name} failed:\n{done.stdout[-4000:]}{done.stderr}")
    finally:
        extra_vars.unlink()
    # coturn runs as nobody in its container and reads the file through a bind mount.
    (output / "turnserver.conf").chmod(0o644)
    (output / "visavis.conf").chmod(0o644)
    (output / "visavis-stream.conf").chmod(0o644)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", type=Path, default=REPO / ".env")
    parser.add_argument("--output", type=Path, default=REPO / "compose/rendered")
    parser.add_argument("--ansible-playbook", type=Path, default=DEFAULT_ANSIBLE_PLAYBOOK)
    options = parser.parse_args()
    if not options.env_file.is_file():
        sys.exit(f"no {options.env_file}: copy .env.example to .env and set DOMAIN first")
    try:
        ensure_secrets(options.env_file)
        settings = site_settings(read_env_file(options.env_file))
        render(settings, options.output, options.ansible_playbook)
    except (SettingsError, RuntimeError) as error:
        sys.exit(f"compose-config: {error}")
    print(
        f"Rendered {', '.join(sorted(p.name for p in options.output.iterdir()))} "
        f"into {options.output}"
    )


if __name__ == "__main__":
    main()
