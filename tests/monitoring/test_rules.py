"""The alerting rules pass `promtool check rules` and their own `promtool test rules` unit
tests, and those tests catch a rule that changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.loopback import REPO_ROOT

RULES = REPO_ROOT / "infra" / "monitoring" / "visavis-alerts.yml"
RULE_TESTS = Path(__file__).with_name("visavis-alerts.test.yml")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60)


def test_the_rules_are_valid() -> None:
    run = _promtool("check", "rules", str(RULES))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS: 14 rules found" in run.stdout


def test_the_rules_pass_their_unit_tests() -> None:
    run = _promtool("test", "rules", str(RULE_TESTS))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_the_unit_tests_catch_a_changed_threshold(tmp_path: Path) -> None:
    # The same tests against rules that warn only a week ahead: they must fail.
    (tmp_path / "infra" / "monitoring").mkdir(parents=True)
    changed = RULES.read_text().replace("< 14 * 86400", "< 7 * 86400")
    assert changed != RULES.read_text()
    (tmp_path / "infra" / "monitoring" / RULES.name).write_text(changed)
    tests = tmp_path / "tests" / "monitoring" / RULE_TESTS.name
    tests.parent.mkdir(parents=True)
    shutil.copy(RULE_TESTS, tests)
    run = _promtool("test", "rules", str(tests))
    assert run.returncode != 0
    assert "VisavisCertificateExpiresSoon" in run.stdout + run.stderr
