"""Render infra/nginx and infra/coturn templates exactly as the Ansible roles would
(infra/render.yml), for tests that run the real nginx or coturn on them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ANSIBLE_PLAYBOOK = REPO / ".venv/bin/ansible-playbook"


def ansible_playbook(playbook: Path, variables: dict[str, Any], workdir: Path) -> None:
    """Run `playbook` on localhost (no host, no SSH) with `variables` as extra vars, written
    to a 0600 file in `workdir` since they may hold secrets. Raises RuntimeError with
    ansible's output when the playbook fails."""
    extra_vars = workdir / "extra-vars.json"
    extra_vars.write_text(json.dumps(variables))
    extra_vars.chmod(0o600)
    done = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "--inventory", "localhost,", "--extra-vars", f"@{extra_vars}"]
        + [str(playbook)],
        capture_output=True,
        text=True,
        cwd=REPO / "infra/ansible",
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "infra/ansible/ansible.cfg")},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-4000:] + done.stderr[-2000:])


def render_templates(output: Path, distribution: str = "Debian-12", **variables: Any) -> None:
    """Write `turnserver.conf` and `visavis.conf` into `output`; `variables` are the site's
    Ansible variables (domain, secret, certificate paths, overrides of role defaults)."""
    settings = {"render_distribution": distribution, "render_output": str(output), **variables}
    ansible_playbook(REPO / "infra/render.yml", settings, output)
