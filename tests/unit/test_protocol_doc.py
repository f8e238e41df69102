"""docs/protocol.md's examples have the shapes the server really sends."""

from __future__ import annotations

import json
import re
from pathlib import Path

from signaling.rooms import ResumeTokens

PROTOCOL_DOC = Path(__file__).parents[2] / "docs" / "protocol.md"


def _json_examples() -> list[dict]:
    """Every JSON value in the document's json blocks (a block may hold several)."""
    decoder, examples = json.JSONDecoder(), []
    for block in re.findall(r"```json\n(.*?)```", PROTOCOL_DOC.read_text(), flags=re.DOTALL):
        position = 0
        while block[position:].strip():
            position += len(block[position:]) - len(block[position:].lstrip())
            value, position = decoder.raw_decode(block, position)
            examples.append(value)
    return examples


def test_resume_tokens_in_the_examples_look_like_issued_ones():
    issued = ResumeTokens("docs").issue("abcd-efgh-jkmn", polite=True)
    lengths = [len(part) for part in issued.split(".")]
    shown = [example["resume"] for example in _json_examples() if "resume" in example]

    assert shown, "protocol.md shows no resume token"
    for token in shown:
        role, *rest = token.split(".")
        assert role in ("0", "1"), token
        assert [len(part) for part in [role, *rest]] == lengths, token
        assert re.fullmatch(r"[\w-]+", "".join(rest)), token
