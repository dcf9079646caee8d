"""Whatever the cache holds, a customer's token cannot tell another customer's ids from
unknown ones. A cached copy of another customer's record, fresh or stale, and a cached
"not found", is asked of the system as an id the cache never held: while the system is
down that is the system's error (no ``stale`` entry), while it is up the same NOT_FOUND at
the same cost in upstream calls. Its own records are served from the cache as before (stale
during an outage), at no extra call or Redis round trip; staff tokens get every copy.

A staff token warms the cache; for the stale cases the records' TTLs are short so that
the copies go stale; then a system is put down (its simulator's faults, cleared after
each test).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from tests.gateway.scrape import delta, total
from tests.gateway.test_unknown_or_foreign import (
    FOREIGN_ORDER,
    READ_AND_WRITE,
    UNKNOWN_ORDER,
    UNKNOWN_TRACKING,
    answer_without,
)
from tests.gateway.test_upstream_calls import calls_by_operation
from tests.gateway_fixtures import JWT_SECRET

# Fresh this long, then stale for the cache's grace period.
SHORT_TTL_S = 0.2
CRM_SLOWER_THAN_A_FAILURE_MS = 500
ORDER_FIELDS = {
    "order": "query($id: ID!) { order(id: $id) { id status } }",
    "orders": "query($id: ID!) { orders(ids: [$id]) { id } }",
    "orderTracking": "query($id: ID!) { orderTracking(orderId: $id) { order { id } stage } }",
}
TRACKING = """query($id: ID!) { orderTracking(orderId: $id) {
    stage timeline { at label } order { id invoices { number } shipments { status } } } }"""
SHIPMENT = "query($id: String!) { shipment(trackingNumber: $id) { status } }"


@pytest.fixture(scope="module")
def people(upstream: Any) -> dict[str, str]:
    """A customer other than the foreign order's, one of its own orders, and a foreign
    order's shipment."""
    owner = upstream.orders([FOREIGN_ORDER])[FOREIGN_ORDER]["customer_id"]
    asking = "C-000001" if owner != "C-000001" else "C-000002"
    [own_order, *_] = upstream.orders_of_customer(asking)
    [shipment, *_] = upstream.shipments_of_orders([FOREIGN_ORDER])
    return {
        "asking": asking,
        "own_order": own_order["id"],
        "foreign_shipment": shipment["trackingNumber"],
    }


@pytest.fixture
def fresh_secured(gateway_of_test: Any) -> Any:
    """The usual TTLs (an order is fresh for 30 s, a "not found" for 10 s) and no kept
    answers: each answer is built from the entity cache."""
    return gateway_of_test(jwt_secret=JWT_SECRET, auth_disabled=False, response_cache=False)


@pytest.fixture
def secured(gateway_of_test: Any) -> Any:
    ttls = {
        join: SHORT_TTL_S
        for join in (
            "order",
            "plans_of_order",
            "invoices_of_order",
            "shipments_of_order",
            "shipment_by_tracking_number",
        )
    }
    return gateway_of_test(jwt_secret=JWT_SECRET, auth_disabled=False, cache_ttls=ttls)


def bearer(customer_id: str | None = None) -> dict[str, str]:
    token = issue_token(JWT_SECRET, "probe", READ_AND_WRITE, customer_id=customer_id)
    return {"Authorization": f"Bearer {token}"}


def ask(gateway: Any, query: str, id_: str, customer_id: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": {"id": id_}},
        headers=bearer(customer_id),
        timeout=60,
    )


def read_as_staff(gateway: Any, query: str, *ids: str) -> None:
    """Staff read ``ids``, filling the cache (an unknown id's with a "not found")."""
    for id_ in ids:
        body = ask(gateway, query, id_).json()
        assert "errors" not in body, body


def warm(gateway: Any, query: str, *ids: str) -> None:
    """Staff read ``ids`` (filling the cache), then their copies go stale."""
    read_as_staff(gateway, query, *ids)
    time.sleep(SHORT_TTL_S * 1.5)


def stale_keys(response: httpx.Response) -> list[tuple[str, str, str]]:
    reads = response.json().get("extensions", {}).get("stale", [])
    return [(read["system"], read["entity"], read["key"]) for read in reads]


def asked_with_the_crm_down(
    gateway: Any, query: str, sim_faults: Any, people: dict[str, str]
) -> tuple[httpx.Response, ...]:
    """With the CRM down: the customer's answers for the foreign, the unknown and its own
    order, and staff's for the foreign one."""
    sim_faults.set("crm", down=True)
    try:
        return (
            ask(gateway, query, FOREIGN_ORDER, people["asking"]),
            ask(gateway, query, UNKNOWN_ORDER, people["asking"]),
            ask(gateway, query, people["own_order"], people["asking"]),
            ask(gateway, query, FOREIGN_ORDER),
        )
    finally:
        sim_faults.clear()


def codes_and_systems(response: httpx.Response) -> set[tuple[str, str | None]]:
    return {
        (error["extensions"]["code"], error["extensions"].get("system"))
        for error in response.json()["errors"]
    }


@pytest.mark.parametrize("field", list(ORDER_FIELDS))
def test_with_the_crm_down_another_customers_cached_order_is_answered_as_an_uncached_one(
    secured, sim_faults, people, field
):
    query = ORDER_FIELDS[field]
    warm(secured, query, FOREIGN_ORDER, people["own_order"])
    foreign, unknown, own, staff = asked_with_the_crm_down(secured, query, sim_faults, people)
    assert answer_without(foreign, FOREIGN_ORDER) == answer_without(unknown, UNKNOWN_ORDER)
    assert codes_and_systems(foreign) == {("UPSTREAM_UNAVAILABLE", "crm")}
    assert "stale" not in foreign.json().get("extensions", {})
    assert foreign.headers.get("x-cache") == unknown.headers.get("x-cache")
    # The customer's own order and staff's reads still fall back to the stale copy.
    assert "errors" not in own.json() and FOREIGN_ORDER not in own.text
    assert people["own_order"] in str(own.json()["data"][field])
    assert ("crm", "order", people["own_order"]) in stale_keys(own)
    assert ("crm", "order", FOREIGN_ORDER) in stale_keys(staff)
    assert "errors" not in staff.json()


def test_with_the_erp_and_scm_down_another_customers_tracking_names_no_stale_copy(
    secured, sim_faults, people
):
    # The tracking view reads plans, invoices and shipments by the id the client gave,
    # beside the order: their stale copies must not be named for another's order. The
    # CRM is slowed so that they are served (or refused) before the order is known.
    warm(secured, TRACKING, FOREIGN_ORDER, people["own_order"])
    sim_faults.set("crm", latency_ms=CRM_SLOWER_THAN_A_FAILURE_MS)
    sim_faults.set("erp", down=True)
    sim_faults.set("scm", down=True)
    try:
        foreign = ask(secured, TRACKING, FOREIGN_ORDER, people["asking"])
        unknown = ask(secured, TRACKING, UNKNOWN_ORDER, people["asking"])
        own = ask(secured, TRACKING, people["own_order"], people["asking"])
    finally:
        sim_faults.clear()
    assert answer_without(foreign, FOREIGN_ORDER) == answer_without(unknown, UNKNOWN_ORDER)
    assert codes_and_systems(foreign) == {("NOT_FOUND", None)}
    assert "stale" not in foreign.json().get("extensions", {})
    own_systems = {system for system, _, key in stale_keys(own) if key == people["own_order"]}
    assert own_systems == {"erp", "scm"}
    assert own.json()["data"]["orderTracking"]["order"]["id"] == people["own_order"]


def test_with_the_scm_down_another_customers_cached_shipment_is_answered_as_an_uncached_one(
    secured, sim_faults, people
):
    shipment = people["foreign_shipment"]
    warm(secured, SHIPMENT, shipment)
    sim_faults.set("scm", down=True)
    try:
        foreign = ask(secured, SHIPMENT, shipment, people["asking"])
        unknown = ask(secured, SHIPMENT, UNKNOWN_TRACKING, people["asking"])
        staff = ask(secured, SHIPMENT, shipment)
    finally:
        sim_faults.clear()
    assert answer_without(foreign, shipment) == answer_without(unknown, UNKNOWN_TRACKING)
    assert codes_and_systems(foreign) == {("UPSTREAM_UNAVAILABLE", "scm")}
    assert "stale" not in foreign.json().get("extensions", {})
    assert ("scm", "shipment_by_tracking_number", shipment) in stale_keys(staff)


@pytest.mark.parametrize("field", list(ORDER_FIELDS))
def test_with_the_crm_down_another_customers_fresh_copy_is_answered_as_an_uncached_one(
    fresh_secured, sim_faults, people, field
):
    # Fresh copies of the foreign order and of the unknown one's "not found": a customer
    # served either from the cache would learn which of the two exists.
    query = ORDER_FIELDS[field]
    read_as_staff(fresh_secured, query, FOREIGN_ORDER, UNKNOWN_ORDER, people["own_order"])
    foreign, unknown, own, staff = asked_with_the_crm_down(fresh_secured, query, sim_faults, people)
    assert answer_without(foreign, FOREIGN_ORDER) == answer_without(unknown, UNKNOWN_ORDER)
    assert codes_and_systems(foreign) == {("UPSTREAM_UNAVAILABLE", "crm")}
    assert foreign.headers.get("x-cache") == unknown.headers.get("x-cache")
    # Its own fresh order, and staff's read of any, still come from the cache.
    assert "errors" not in own.json() and people["own_order"] in own.text
    assert "errors" not in staff.json() and FOREIGN_ORDER in staff.text


@pytest.mark.parametrize("field", list(ORDER_FIELDS))
def test_with_the_crm_up_a_cached_foreign_order_costs_the_calls_of_an_unknown_one(
    fresh_secured, sim_counters, people, field
):
    query = ORDER_FIELDS[field]
    read_as_staff(fresh_secured, query, FOREIGN_ORDER, UNKNOWN_ORDER)
    calls = {}
    answers = {}
    for asked in (FOREIGN_ORDER, UNKNOWN_ORDER):
        sim_counters.reset()
        answers[asked] = ask(fresh_secured, query, asked, people["asking"])
        calls[asked] = calls_by_operation(sim_counters.read())
    foreign, unknown = answers[FOREIGN_ORDER], answers[UNKNOWN_ORDER]
    assert answer_without(foreign, FOREIGN_ORDER) == answer_without(unknown, UNKNOWN_ORDER)
    assert codes_and_systems(foreign) == {("NOT_FOUND", None)}
    assert calls[FOREIGN_ORDER] == calls[UNKNOWN_ORDER]
    assert calls[FOREIGN_ORDER]["orders.by_ids"] == 1
    # What the foreign read fetched was written back: staff are served it from the cache.
    sim_counters.reset()
    read_as_staff(fresh_secured, query, FOREIGN_ORDER)
    assert calls_by_operation(sim_counters.read()) == {}


# A customer's own reads: the gate asks the owner of each copy of an order's joins.
OWN_READS = {
    "orderTracking": (TRACKING, "own_order"),
    "orders of its customer": (
        """query($id: ID!) { customer(id: $id) { id orders {
            id productionPlans { state } shipments { status } invoices { number } } } }""",
        "asking",
    ),
}


@pytest.mark.parametrize("read", list(OWN_READS))
def test_a_customers_own_cached_records_cost_no_call_nor_round_trip_more_than_staffs(
    fresh_secured, sim_counters, people, read
):
    query, whose = OWN_READS[read]
    id_ = people[whose]
    read_as_staff(fresh_secured, query, id_)

    def cost(text: str, viewer: str | None) -> tuple[dict[str, int], float]:
        """The upstream calls and Redis round trips of one read."""
        sim_counters.reset()
        grown, response = delta(fresh_secured.url, lambda: ask(fresh_secured, text, id_, viewer))
        assert "errors" not in response.json(), response.text
        assert id_ in response.text
        trips = total(grown, "supplygraph_cache_store_round_trips_total")
        return calls_by_operation(sim_counters.read()), trips

    # Two texts of the same query: each answer is built again.
    staff = cost(query, None)
    customer = cost(query + " ", people["asking"])
    assert staff[0] == {} and staff[1] > 0
    assert customer == staff
