"""The metric names a PromQL expression reads, so rules and dashboards can be checked against
what is exported. A small lexer, not a parser: enough for the expressions we write."""

from __future__ import annotations

import re

# Words of PromQL that look like names but are not series.
KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"}
    | {"bool", "offset", "inf", "nan"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_GRAFANA_VARIABLE = re.compile(r"\$\{?\w+\}?")
_NAME = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """Every series name `expr` selects (`rate(foo_total{a="b"}[5m]) > bar` → {foo_total,
    bar}); function names, keywords, label names and Grafana `$variables` are left out."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _LABEL_LIST.sub("", text)
    text = _GRAFANA_VARIABLE.sub("", text)
    names = set()
    for match in _NAME.finditer(text):
        name, call = match.group(1), match.group(2)
        if not call and name.lower() not in KEYWORDS:
            names.add(name)
    return names


def exported_names(exposition: str) -> set[str]:
    """The metric names of a Prometheus text exposition: those its `# TYPE` lines declare
    (labelled series with no sample yet too) and those its samples carry."""
    names = set(re.findall(r"^# TYPE (\S+) ", exposition, re.MULTILINE))
    names |= set(re.findall(r"^([A-Za-z_:][\w:]*)[{ ]", exposition, re.MULTILINE))
    return names
