"""The settings as `signaling/config.py` declares them are the settings the docs and the
deploy name: the README's table lists each one with its default, the env files and images
write only real ones, and the docs mention no variable that does not exist."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from msgspec import Meta

from signaling.config import Settings, declarations

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
ROW = re.compile(r"^\| `(VISAVIS_[A-Z0-9_]+)` \| ([^|]*) \|", re.MULTILINE)
ASSIGNED = re.compile(r"\b(VISAVIS_[A-Z0-9_]+)=")
NAMED = re.compile(r"\bVISAVIS_[A-Z0-9_]*[A-Z0-9]\b")
# Read by the tests and tools, never by the service.
NOT_SETTINGS = {
    "VISAVIS_SCREENSHOTS",
    "VISAVIS_FUZZ_EXAMPLES",
    "VISAVIS_TEST_CACHE",
    "VISAVIS_VERIFY_ADDRESS",
    "VISAVIS_VERIFY_CA_FILE",  # make verify: a CA to trust besides the public ones
}


def written(value: Any) -> str:
    """A default as the table writes it: its environment spelling, paths from the repo."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, Path):
        return f"{value.relative_to(REPO)}/"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def documented(text: str) -> dict[str, str]:
    """variable -> default of each row of the README's Configuration section: the first
    `literal` of the default cell, or "" when the cell starts with "none"."""
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    table = {}
    for variable, cell in ROW.findall(section):
        cell = cell.strip()
        table[variable] = "" if cell.startswith("none") else cell.split("`")[1]
    return table


def disagreements(table: dict[str, str], settings_class: type[Settings]) -> list[str]:
    """Sentences naming each setting the table lacks, lists wrongly, or has in excess."""
    declared = {d.variable: written(d.default) for d in declarations(settings_class)}
    found = [f"{name} has no row" for name in declared.keys() - table.keys()]
    found += [f"{name} is no setting" for name in table.keys() - declared.keys()]
    found += [
        f"{name}: the table says {table[name]!r}, Settings {default!r}"
        for name, default in declared.items()
        if name in table and table[name] != default
    ]
    return sorted(found)


def test_the_readme_table_lists_every_setting_with_its_default():
    assert disagreements(documented(README.read_text()), Settings) == []


def faithful_table() -> dict[str, str]:
    """The table exactly as Settings would have it, for the controls below."""
    return {d.variable: written(d.default) for d in declarations()}


def test_a_setting_without_a_row_or_with_another_default_is_caught():
    @dataclass(frozen=True)
    class Grown(Settings):
        port: Annotated[int, Meta(ge=1, description="port to listen on")] = 9000
        new_limit: Annotated[int, Meta(ge=1, description="a limit nobody documented")] = 7

    found = disagreements(faithful_table(), Grown)

    assert found == [
        "VISAVIS_NEW_LIMIT has no row",
        "VISAVIS_PORT: the table says '8443', Settings '9000'",
    ]


def test_a_row_for_a_setting_that_does_not_exist_is_caught():
    table = {**faithful_table(), "VISAVIS_SEAT_GRAC": "30"}

    assert disagreements(table, Settings) == ["VISAVIS_SEAT_GRAC is no setting"]


def environment_files() -> list[Path]:
    """What writes the service's environment: the role's env file and unit, the image."""
    env_templates = sorted(REPO.glob("infra/**/signaling.env.j2"))
    assert len(env_templates) == 1, f"expected one signaling.env.j2 in infra/: {env_templates}"
    return [*env_templates, *REPO.glob("infra/**/signaling.service.j2"), REPO / "Dockerfile"]


def test_the_env_template_writes_only_real_settings():
    template = environment_files()[0].read_text()
    assigned = set(ASSIGNED.findall(template))
    real = {d.variable for d in declarations()}

    assert {"VISAVIS_HOST", "VISAVIS_TURN_SECRET"} <= assigned  # the pattern does find them
    assert assigned - real == set()


def test_the_unit_and_the_image_set_only_real_settings():
    real = {d.variable for d in declarations()}
    for path in environment_files()[1:]:
        assert set(ASSIGNED.findall(path.read_text())) - real == set(), path


def test_a_misspelt_variable_in_an_environment_file_is_caught():
    assigned = set(ASSIGNED.findall("VISAVIS_HOST=::1\nVISAVIS_SEAT_GRAC=60\n"))

    assert assigned - {d.variable for d in declarations()} == {"VISAVIS_SEAT_GRAC"}


def test_the_docs_name_only_real_settings():
    real = {d.variable for d in declarations()} | NOT_SETTINGS
    for path in [README, *sorted((REPO / "docs").glob("*.md"))]:
        assert set(NAMED.findall(path.read_text())) - real == set(), path
