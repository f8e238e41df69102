"""Meeting codes: issued by the server, readable, forgiving to type or paste.

The alphabet, the grouping and the parsing vectors are tests/shared/protocol-facts.json's,
which the client's tests (tests/frontend/codes.test.mjs) read too."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signaling.rooms import (
    CODE_ALPHABET,
    CODE_GROUPS,
    CODE_LENGTH,
    new_room_code,
    parse_room_code,
)

FACTS = json.loads((Path(__file__).parents[1] / "shared" / "protocol-facts.json").read_text())
ROOM_CODE = FACTS["room_code"]


def test_the_alphabet_and_groups_are_the_shared_ones():
    assert ROOM_CODE["alphabet"] == CODE_ALPHABET
    assert list(CODE_GROUPS) == ROOM_CODE["groups"]
    assert sum(ROOM_CODE["groups"]) == CODE_LENGTH


def test_codes_carry_at_least_50_bits_and_avoid_look_alike_letters():
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 50
    assert not set("ilo01") & set(CODE_ALPHABET)


def test_new_codes_are_grouped_and_do_not_repeat():
    codes = {new_room_code() for _ in range(2000)}
    letters = f"[{CODE_ALPHABET}]"
    shape = re.compile("-".join(f"{letters}{{{size}}}" for size in CODE_GROUPS))

    assert len(codes) == 2000
    assert all(shape.fullmatch(code) for code in codes)


@pytest.mark.parametrize(("text", "code"), ROOM_CODE["parses"])
def test_the_shared_spellings_parse_to_their_code(text: str, code: str):
    assert parse_room_code(text) == code


@pytest.mark.parametrize("text", ROOM_CODE["rejects"])
def test_the_shared_non_codes_are_rejected(text: str):
    assert parse_room_code(text) is None


@given(st.builds(lambda _: new_room_code(), st.integers()))
def test_every_spelling_of_a_code_parses_back_to_it(code):
    bare = code.replace("-", "")
    spellings = [
        code,
        code.upper(),
        bare,
        f"  {bare.upper()}  ",
        " ".join(code.split("-")),
        f"https://meet.example.org/{code}",
        f"https://meet.example.org/{code}/",
        f"https://meet.example.org/{code.upper()}#x",
        f"https://meet.example.org/?room={code}",
        f"meet.example.org/{code}",
    ]
    for spelling in spellings:
        assert parse_room_code(spelling) == code, spelling


@given(st.text(max_size=40))
def test_whatever_parses_is_a_canonical_code(text: str):
    code = parse_room_code(text)
    assert code is None or parse_room_code(code) == code
    assert code is None or re.fullmatch(f"[{CODE_ALPHABET}-]+", code)
