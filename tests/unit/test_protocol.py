"""Error codes: the server's list is tests/shared/protocol-facts.json's, which the client's
tests read too, so a code added or dropped on one side fails until the other has it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signaling.protocol import ERROR_MESSAGES, ProtocolError, encode

FACTS = json.loads((Path(__file__).parents[1] / "shared" / "protocol-facts.json").read_text())
SHARED_CODES = {code for code in FACTS["error_codes"] if code != "about"}


def test_the_server_has_exactly_the_shared_error_codes():
    assert set(ERROR_MESSAGES) == SHARED_CODES


def test_every_shared_code_says_what_the_client_does():
    for code in SHARED_CODES:
        assert FACTS["error_codes"][code]["client"] in ("final", "retry", "bug"), code


@pytest.mark.parametrize("code", sorted(SHARED_CODES))
def test_each_code_has_a_sentence_for_people(code: str):
    frame = json.loads(encode(ProtocolError(code).frame()))

    assert frame["type"] == "error" and frame["code"] == code
    assert frame["message"].endswith(".") and frame["message"][0].isupper()
