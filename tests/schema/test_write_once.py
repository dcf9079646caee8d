"""What makes an Idempotency-Key usable, and which request it was first used for."""

from __future__ import annotations

import pytest

from schema.write_once import fingerprint_of, valid_key


def test_fingerprints_follow_the_arguments():
    assert fingerprint_of("placeOrder", {"a": 1}) == fingerprint_of("placeOrder", {"a": 1})
    assert fingerprint_of("placeOrder", {"a": 1}) != fingerprint_of("placeOrder", {"a": 2})
    assert fingerprint_of("placeOrder", {"a": 1}) != fingerprint_of("cancelOrder", {"a": 1})


@pytest.mark.parametrize(
    ("key", "valid"),
    [("a", True), ("3f0c-11ef", True), ("", False), ("x" * 256, False), ("a\nb", False)],
)
def test_a_key_is_one_to_255_printable_characters(key, valid):
    assert valid_key(key) is valid
