"""The hosts' refusal codes: the server's list is tests/shared/protocol-facts.json's (the
client's node tests read it too), each with a 4xx status and a sentence for people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signaling.host_errors import HOST_ERRORS, HostRefused

FACTS = json.loads((Path(__file__).parents[1] / "shared" / "protocol-facts.json").read_text())


def test_the_server_has_exactly_the_shared_host_codes():
    assert set(HOST_ERRORS) == set(FACTS["host_errors"]["codes"])


@pytest.mark.parametrize("code", sorted(HOST_ERRORS))
def test_each_host_code_has_a_client_error_status_and_a_sentence(code: str):
    refused = HostRefused(code)
    assert 400 <= refused.status < 500
    assert refused.message.endswith(".") and refused.message[0].isupper()


def test_an_unknown_code_is_a_bug_at_once():
    with pytest.raises(AssertionError):
        HostRefused("no-such-code")
