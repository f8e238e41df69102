"""What goes on servers is pinned by hash: build_wheelhouse.py writes a requirements.txt with
each wheel's sha256, and the host's install (the signaling role's pip flags, which
compose/install_signaling.py shares) refuses a wheel that differs from the one pinned."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BUILDER = REPO / "infra/ansible/roles/signaling/files/build_wheelhouse.py"
INSTALLER = REPO / "compose/install_signaling.py"

pytestmark = pytest.mark.timeout(300)


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_wheel(directory: Path, name: str, version: str, code: str, requires: str = "") -> Path:
    """A pure-Python wheel holding the module `name` with `code`."""
    files = {
        f"{name}.py": code,
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            + (f"Requires-Dist: {requires}\n" if requires else "")
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: visavis-test\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record = f"{name}-{version}.dist-info/RECORD"
    lines = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        lines.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[record] = "\n".join([*lines, f"{record},,"]) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> dict:
    """A dependency and an app wheel, pinned by build_wheelhouse.py as for a deploy."""
    root = tmp_path_factory.mktemp("wheelhouse")
    builder = load(BUILDER)
    make_wheel(root / "deps", "vvdep", "1.0", "ANSWER = 42\n")
    make_wheel(root / "app", "vvapp", "1.0", "from vvdep import ANSWER\n", requires="vvdep")
    builder.pin_by_hash(root / "deps")
    builder.pin_by_hash(root / "app")
    return {
        "deps_dir": str(root / "deps"),
        "app_dir": str(root / "app"),
        "requirements": builder.REQUIREMENTS,
    }


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("host") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path


def install(venv: Path, wheels: dict) -> subprocess.CompletedProcess:
    argv = load(INSTALLER).pip_install_argv(venv, wheels)
    return subprocess.run(argv, capture_output=True, text=True)


def test_requirements_pin_every_wheel_by_version_and_sha256(wheelhouse):
    pinned = (Path(wheelhouse["deps_dir"]) / wheelhouse["requirements"]).read_text()
    wheel = Path(wheelhouse["deps_dir"]) / "vvdep-1.0-py3-none-any.whl"

    assert pinned == f"vvdep==1.0 --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n"


def test_host_installs_the_pinned_wheels(wheelhouse, venv):
    done = install(venv, wheelhouse)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    imported = subprocess.run(
        [str(venv / "bin/python"), "-c", "import vvapp; print(vvapp.ANSWER)"],
        capture_output=True,
        text=True,
    )
    assert imported.stdout.strip() == "42"


def test_host_refuses_a_wheel_whose_hash_differs(wheelhouse, venv, tmp_path):
    tampered = dict(wheelhouse, deps_dir=str(tmp_path / "deps"))
    # Same name and version as the pinned wheel, other contents: what an attacker would swap in.
    make_wheel(tmp_path / "deps", "vvdep", "1.0", "ANSWER = 666\n")
    (tmp_path / "deps" / wheelhouse["requirements"]).write_text(
        (Path(wheelhouse["deps_dir"]) / wheelhouse["requirements"]).read_text()
    )

    done = install(venv, tampered)

    assert done.returncode != 0
    assert "DO NOT MATCH THE HASHES" in done.stderr


def test_the_signaling_role_installs_with_the_same_pinned_flags():
    tasks = yaml.safe_load((REPO / "infra/ansible/roles/signaling/tasks/install.yml").read_text())
    task = next(task for task in tasks if task["name"].startswith("Install visavis"))
    argv = task["ansible.builtin.command"]["argv"]

    assert "--require-hashes" in argv and "--no-index" in argv
    assert argv.count("--requirement") == 2
    script = load(INSTALLER).pip_install_argv(
        Path("/venv"), {"deps_dir": "/d", "app_dir": "/a", "requirements": "r.txt"}
    )
    assert [arg for arg in argv if arg.startswith("-")] == [a for a in script if a.startswith("-")]


def test_requirements_for_the_hosts_own_python_version_are_found(tmp_path):
    # pip download judges python_full_version markers by the controller's Python: redis wants
    # async-timeout below 3.11.3, which Debian 12's 3.11.2 is and a 3.11.7 controller is not.
    builder = load(BUILDER)
    marker = 'python_full_version < "3.11.3"'
    make_wheel(tmp_path, "client", "1.0", "", requires=f"backport>=4.0.3; {marker}")
    make_wheel(tmp_path, "other", "1.0", "", requires='present; python_version >= "3"')
    make_wheel(tmp_path, "present", "1.0", "")

    assert builder.missing_for_host(tmp_path, "3.11.2") == ["backport>=4.0.3"]
    assert builder.missing_for_host(tmp_path, "3.11.7") == []  # the control: not needed there
