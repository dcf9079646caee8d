"""A request our side cannot even send is that request's error, never the system's.

Two requests with 66 kB order ids used to make CRM URLs httpx refuses to build; each
refusal counted as a CRM outage (three attempts each), so the breaker opened and every
other user's CRM reads failed for its cool-down.
"""

from __future__ import annotations

from tests.gateway.faulty_gateways import Faults

HUGE_ID = "SO-" + "9" * 66_000
LONG_ID = "SO-" + "9" * 9_000  # a URL httpx would build, but past what servers accept

ORDER = "query ($id: ID!) { order(id: $id) { id status } }"


def test_oversized_keys_are_the_requests_input_error_and_leave_the_breaker_closed(
    gateway_of_test, sim_faults: Faults
):
    gateway = gateway_of_test()
    sim_faults.reset_counters()

    for order_id in (HUGE_ID, HUGE_ID, LONG_ID):
        body = gateway.answer(ORDER, {"id": order_id})
        assert body["data"] == {"order": None}
        [error] = body["errors"]
        assert error["path"] == ["order"]
        assert error["extensions"] == {
            "code": "INPUT_TOO_LARGE",
            "system": "crm",
            "limit": "upstream_url_bytes",
            "value": 8192,
        }
        assert len(error["message"]) < 400  # says what is wrong without echoing the id

    # Nothing was sent, and other users' reads still go through.
    assert sim_faults.requests_to("crm") == 0
    body = gateway.answer(ORDER, {"id": "SO-100001"})
    assert "errors" not in body
    assert body["data"]["order"]["id"] == "SO-100001"
    assert sim_faults.requests_to("crm") == 1
