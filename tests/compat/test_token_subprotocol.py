"""liveui tokens always fit phoenix.js's `authToken` subprotocol.

phoenix.js offers `base64url.bearer.phx.` + btoa(token) without padding: the STANDARD base64
alphabet, whose `/` no WebSocket subprotocol may contain (the `ws` package and browsers throw
before connecting; see test_connect). A base64 digit is 62 (`+`) or 63 (`/`) only when some
byte's low 6 bits are 0x3E/0x3F (`>`, `?`, `~`, DEL) or a byte is 0x80 or above; the tokens of
`liveui.tokens` use only `A-Z a-z 0-9 - _ .`, so they never produce either.
"""

from __future__ import annotations

import base64
import itertools
import string

from hypothesis import given
from hypothesis import strategies as st

from liveui.tokens import sign

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_."
UNSAFE = set("+/")


def test_every_three_character_group_of_the_token_alphabet_encodes_safely() -> None:
    """Base64 encodes 3 bytes at a time (a shorter tail only has fewer bits set): every group."""
    for group in itertools.product(TOKEN_ALPHABET.encode(), repeat=3):
        assert not UNSAFE & set(base64.b64encode(bytes(group)).decode()), bytes(group)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@given(json_values, st.text(min_size=1, max_size=40))
def test_signed_tokens_use_only_the_safe_alphabet(data: object, secret: str) -> None:
    token = sign(secret, data)
    assert set(token) <= set(TOKEN_ALPHABET)
    assert not UNSAFE & set(base64.b64encode(token.encode()).decode())


def test_characters_that_would_produce_a_slash_or_plus() -> None:
    """The counter-examples, so the module docstring stays honest."""
    assert base64.b64encode(b"???").decode() == "Pz8/"
    assert base64.b64encode(b">>>").decode() == "Pj4+"
    assert base64.b64encode(b"\xff\xff\xff").decode() == "////"
