"""Operators deploy without the test tools: `make deploy` and `make verify` install the
`deploy` extra only, and it holds everything the playbook's controller side and the checks
of `make verify` import."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
# Runs in sslyze's own virtualenv (.venv/sslyze, infra/verify/sslyze-constraints.txt).
SSLYZE_CODE = REPO / "infra/verify/sslyze_check.py"
SSLYZE_CONSTRAINTS = REPO / "infra/verify/sslyze-constraints.txt"
# Python code that runs on the controller with the deploy extra's virtualenv.
CONTROLLER_CODE = [
    *sorted(set((REPO / "infra/verify").glob("*.py")) - {SSLYZE_CODE}),
    REPO / "infra/ansible/roles/signaling/files/build_wheelhouse.py",
]
TEST_ONLY = {"ruff", "playwright", "hypothesis", "ansible-lint", "pytest-timeout", "httpx"}


def imported_top_level(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def closure(requirements: list[str]) -> set[str]:
    """Every distribution the requirements pull in, as installed here."""
    seen: set[str] = set()
    pending = [(Requirement(text), "") for text in requirements]
    while pending:
        requirement, extra = pending.pop()
        environment = {**default_environment(), "extra": extra}
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        wanted = {(name, extra) for extra in requirement.extras} | {(name, "")}
        for dist_name, dist_extra in wanted:
            key = f"{dist_name}[{dist_extra}]"
            if key in seen:
                continue
            seen.add(key)
            if dist_name == "visavis":
                texts = PROJECT["dependencies"] + (
                    PROJECT["optional-dependencies"].get(dist_extra, []) if dist_extra else []
                )
                pending += [(Requirement(text), "") for text in texts]
            else:
                requires = importlib.metadata.requires(dist_name) or []
                pending += [(Requirement(text), dist_extra) for text in requires]
    return {key.split("[")[0] for key in seen}


def test_test_extra_includes_deploy_and_deploy_has_no_test_tools():
    extras = PROJECT["optional-dependencies"]
    deploy = {canonicalize_name(Requirement(text).name) for text in extras["deploy"]}

    assert "visavis[deploy]" in extras["test"]
    assert {"ansible-core", "pytest-testinfra"} <= deploy
    assert not deploy & TEST_ONLY


@pytest.mark.parametrize("path", CONTROLLER_CODE, ids=lambda path: path.name)
def test_deploy_extra_provides_what_the_controller_code_imports(path):
    available = closure(["visavis[deploy]"])
    local = {module.stem for module in path.parent.glob("*.py")}
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module in sorted(imported_top_level(path) - local - set(sys.stdlib_module_names)):
        providers = {canonicalize_name(name) for name in distributions.get(module, [module])}
        if not providers & available:
            missing.append(f"{module} (from {sorted(providers)})")
    assert missing == [], f"{path.name} imports what the deploy extra does not install"


def test_the_sslyze_check_imports_only_what_its_own_virtualenv_pins():
    pinned = {
        canonicalize_name(line.split("==")[0])
        for line in SSLYZE_CONSTRAINTS.read_text().splitlines()
        if line and not line.startswith("#")
    }
    imported = imported_top_level(SSLYZE_CODE) - set(sys.stdlib_module_names)

    assert imported == {"sslyze"}
    assert {canonicalize_name(name) for name in imported} <= pinned


@pytest.mark.parametrize("verb", ["deploy", "verify", "compose-config"])
def test_operator_verbs_install_the_deploy_extra_only(verb, tmp_path):
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-C",
            str(REPO),
            verb,
            "HOST=h.example",
            f"VENV={tmp_path / 'venv'}",
            f"COMPOSE_ENV={tmp_path / '.env'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    installs = re.findall(r"pip install .*", done.stdout)

    # verify's sslyze goes into a virtualenv of its own, pinned by its own constraints
    # (it needs another cryptography than webauthn).
    scanner = [line for line in installs if " sslyze" in line]
    assert all("-c infra/verify/sslyze-constraints.txt" in line for line in scanner), scanner
    project = [line for line in installs if line not in scanner]
    assert project and all("'.[deploy]'" in line for line in project), installs
