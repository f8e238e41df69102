"""Meeting codes: issued by the server, readable, forgiving to type or paste."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from signaling.rooms import CODE_ALPHABET, CODE_LENGTH, new_room_code, parse_room_code


def test_codes_carry_at_least_50_bits_and_avoid_look_alike_letters():
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 50
    assert not set("ilo01") & set(CODE_ALPHABET)


def test_new_codes_are_grouped_and_do_not_repeat():
    codes = {new_room_code() for _ in range(2000)}

    assert len(codes) == 2000
    assert all(re.fullmatch(r"[a-z]{4}-[a-z]{4}-[a-z]{4}", code) for code in codes)


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


def test_things_that_are_not_codes_are_rejected():
    for text in [
        "",
        "abcd-efgh-jkm",
        "abcd-efgh-jkmnp",
        "abcd-efgh-jkmo",
        "abcd-efgh-jkm1",
        "https://meet.example.org/",
        "https://meet.example.org/about",
        "💥" * 12,
    ]:
        assert parse_room_code(text) is None, text
