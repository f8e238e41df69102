"""Install visavis into a new virtualenv from a wheelhouse made by build_wheelhouse.py.

The signaling image's install step (Dockerfile) and tests/compose run this same script; the
wheelhouse is the one `make deploy` builds (infra/ansible/roles/signaling/files/
build_wheelhouse.py), and pip is given the flags the signaling role's install task gives it:
no package index, the dependencies' wheels only.

Usage: python install_signaling.py WHEELS_JSON VENV [--extras speed]
WHEELS_JSON is what build_wheelhouse.py printed (deps_dir, app_dir, app_wheel).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def pip_install_argv(venv: Path, wheels: dict[str, str], extras: list[str]) -> list[str]:
    app = str(Path(wheels["app_dir"]) / wheels["app_wheel"])
    if extras:
        app += f"[{','.join(extras)}]"
    return [
        str(venv / "bin/python"), "-m", "pip", "install", "--disable-pip-version-check",
        "--no-index", "--find-links", wheels["deps_dir"], "--force-reinstall", app,
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels_json", type=Path)
    parser.add_argument("venv", type=Path)
    parser.add_argument("--extras", default="")
    options = parser.parse_args()
    wheels = json.loads(options.wheels_json.read_text())
    extras = [extra for extra in options.extras.split(",") if extra]
    subprocess.run([sys.executable, "-m", "venv", str(options.venv)], check=True)
    subprocess.run(pip_install_argv(options.venv, wheels, extras), check=True)


if __name__ == "__main__":
    main()
