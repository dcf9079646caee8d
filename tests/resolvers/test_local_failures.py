"""Requests the gateway cannot send are the client's errors: not retried, not the breaker's."""

from __future__ import annotations

import httpx
import pytest

from core.errors import InputTooLargeError, InputValidationError
from resolvers._limits import MAX_URL_BYTES
from tests.resolvers.fakes import FakeUpstream, json_response


def answers_nothing(request: httpx.Request) -> httpx.Response:
    return json_response({"records": [], "missing": []})


@pytest.mark.parametrize("key_length", [MAX_URL_BYTES, 66_000])
async def test_keys_making_a_url_past_the_limit_are_refused_before_sending(crm_for, key_length):
    upstream = FakeUpstream(answers_nothing)
    crm = crm_for(upstream)

    for _ in range(20):
        with pytest.raises(InputTooLargeError) as refused:
            await crm.orders_by_ids(["SO-" + "9" * key_length])

    assert upstream.requests == []
    assert refused.value.extensions() == {
        "code": "INPUT_TOO_LARGE",
        "system": "crm",
        "limit": "upstream_url_bytes",
        "value": MAX_URL_BYTES,
    }
    assert crm.breaker_state == "closed"


async def test_a_url_made_long_by_encoding_is_refused_too(crm_for):
    upstream = FakeUpstream(answers_nothing)
    crm = crm_for(upstream)
    # 3,000 characters of 3 bytes each, 9 percent-encoded characters per one.
    with pytest.raises(InputTooLargeError):
        await crm.orders_by_ids(["€" * 3_000])
    assert upstream.requests == []


async def test_keys_within_the_limit_are_sent(crm_for):
    upstream = FakeUpstream(answers_nothing)
    crm = crm_for(upstream)
    assert await crm.orders_by_ids(["SO-" + "9" * 2_000]) == {}
    assert len(upstream.requests) == 1


async def test_a_request_our_side_cannot_write_is_bad_input_and_not_an_outage(crm_for):
    def cannot_write(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError("Illegal header value")

    upstream = FakeUpstream(cannot_write)
    crm = crm_for(upstream)
    for _ in range(20):
        with pytest.raises(InputValidationError, match="cannot be sent"):
            await crm.orders_by_ids(["SO-1"])

    # Tried once each, never retried, and the breaker heard nothing.
    assert len(upstream.requests) == 20
    assert crm.breaker_state == "closed"


async def test_a_short_key_made_long_by_encoding_is_refused(crm_for):
    upstream = FakeUpstream(answers_nothing)
    crm = crm_for(upstream)
    # 1,000 characters, 9,000 bytes once percent-encoded as UTF-8.
    with pytest.raises(InputTooLargeError):
        await crm.orders_by_ids(["€" * 1_000])
    assert upstream.requests == []
