"""Install visavis into a new virtualenv from a wheelhouse made by build_wheelhouse.py.

The signaling image's install step (Dockerfile) and tests/compose run this same script; the
wheelhouse is the one `make deploy` builds (infra/ansible/roles/signaling/files/
build_wheelhouse.py), and pip is given the flags the signaling role's install task gives it:
no package index, and only the wheels the requirements.txt files pin by sha256.

Usage: python install_signaling.py WHEELS_JSON VENV [--extras speed]
WHEELS_JSON is what build_wheelhouse.py printed (deps_dir, app_dir, requirements, extras).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def pip_install_argv(venv: Path, wheels: dict) -> list[str]:
    deps, app = Path(wheels["deps_dir"]), Path(wheels["app_dir"])
    return [
        str(venv / "bin/python"),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-index",
        "--require-hashes",
        "--find-links",
        str(deps),
        "--find-links",
        str(app),
        "--force-reinstall",
        "--requirement",
        str(deps / wheels["requirements"]),
        "--requirement",
        str(app / wheels["requirements"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels_json", type=Path)
    parser.add_argument("venv", type=Path)
    parser.add_argument(
        "--extras", default="", help="the extras the wheelhouse must have been built for"
    )
    options = parser.parse_args()
    wheels = json.loads(options.wheels_json.read_text())
    # pip installs every pinned wheel: the extras were chosen when the wheelhouse was built.
    extras = sorted(extra for extra in options.extras.split(",") if extra)
    if extras != sorted(wheels["extras"]):
        sys.exit(f"the wheelhouse holds the extras {wheels['extras']}, not {extras}")
    subprocess.run([sys.executable, "-m", "venv", str(options.venv)], check=True)
    subprocess.run(pip_install_argv(options.venv, wheels), check=True)


if __name__ == "__main__":
    main()
