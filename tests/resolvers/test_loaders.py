from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from core.errors import UpstreamUnavailable
from core.records import CustomerPage, OrderPage
from resolvers.call_log import UpstreamCallLog
from resolvers.clients import UpstreamAccess, UpstreamClients, build_clients
from resolvers.fetchers import Fetcher
from resolvers.joins import JOINS, build_fetchers, create_loaders
from resolvers.loaders import Loaders, loader_for
from resolvers.resilience import ResilienceConfig
from tests.resolvers.fakes import BASE_URL, FakeUpstream, in_turn, json_response
from tests.resolvers.samples import crm_customer, crm_order


def empty_answers(request: httpx.Request) -> httpx.Response:
    """Every system knows nothing: each answers its own empty envelope."""
    if request.url.path.endswith("/jsonrpc"):
        return json_response(
            {"jsonrpc": "2.0", "id": json.loads(request.content)["id"], "result": []}
        )
    if request.url.path.endswith("/graphql"):
        query = json.loads(request.content)["query"]
        root_field = query.split("{", 1)[1].split("(", 1)[0].strip()
        return json_response({"data": {root_field: []}})
    return json_response({"records": [], "missing": []})


@pytest.fixture
def clients_over(http_over, call_log: UpstreamCallLog, resilience: ResilienceConfig):
    on_fake_time = UpstreamAccess(BASE_URL, "secret", resilience)

    def make(upstream: FakeUpstream) -> UpstreamClients:
        return build_clients(
            http_over(upstream),
            crm=on_fake_time,
            erp=on_fake_time,
            scm=on_fake_time,
            call_log=call_log,
        )

    return make


async def test_many_customer_loads_in_one_tick_cost_one_crm_call(clients_over, call_log):
    def answer(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        return json_response({"records": [crm_customer(i) for i in ids]})

    loaders = create_loaders(clients_over(FakeUpstream(answer)))
    customers = await asyncio.gather(
        loaders.customer.load("C-1"), loaders.customer.load("C-2"), loaders.customer.load("C-1")
    )

    assert [c.id for c in customers if c] == ["C-1", "C-2", "C-1"]
    assert call_log.counts == {("crm", "customers_by_ids"): 1}


async def test_a_loaded_key_is_not_fetched_again_in_the_same_request(clients_over, call_log):
    upstream = FakeUpstream(empty_answers)
    loaders = create_loaders(clients_over(upstream))
    await loaders.order.load("SO-1")
    await loaders.order.load("SO-1")

    assert len(upstream.requests) == 1


LOADER_DEFAULTS: list[tuple[str, Any, tuple[str, str], Any]] = [
    ("customer", "C-1", ("crm", "customers_by_ids"), None),
    ("customer_page", (20, None, None), ("crm", "customers_page"), CustomerPage((), None)),
    ("order", "SO-1", ("crm", "orders_by_ids"), None),
    ("orders_of_customer", ("C-1", None), ("crm", "orders_by_customer_ids"), []),
    (
        "order_page",
        (20, None, None, None, None),
        ("crm", "orders_by_created_at"),
        OrderPage((), None),
    ),
    ("product", "P-1", ("erp", "search_read product.product"), None),
    ("product_catalog", "all", ("erp", "search_read product.product"), []),
    ("account", "K1", ("erp", "search_read res.partner"), None),
    ("plans_of_order", "SO-1", ("erp", "search_read mrp.production"), []),
    ("invoices_of_order", "SO-1", ("erp", "search_read account.move"), []),
    ("stock_of_sku", "SKU-1", ("scm", "stockLevels"), []),
    ("open_purchase_orders_of_sku", "SKU-1", ("scm", "purchaseOrders"), []),
    ("purchase_orders_of_sku", "SKU-1", ("scm", "purchaseOrders"), []),
    ("shipments_of_order", "SO-1", ("scm", "shipmentsByOrder"), []),
    ("shipment_by_tracking_number", "T-1", ("scm", "shipments"), None),
    ("supplier", "SUP-1", ("scm", "suppliers"), None),
    ("open_plans_of_product", "P-1", ("erp", "search_read mrp.production"), []),
    ("product_of_sku", "SKU-1", ("erp", "search_read product.product"), None),
]
# Asks once per open order status (see its own test below).
ASKED_PER_STATUS = {"open_orders_of_product"}


@pytest.mark.parametrize(
    ("loader_name", "key", "operation", "default"),
    LOADER_DEFAULTS,
    ids=[row[0] for row in LOADER_DEFAULTS],
)
async def test_each_loader_asks_its_upstream_and_gives_its_default_for_an_unknown_key(
    clients_over, call_log, loader_name, key, operation, default
):
    loaders = create_loaders(clients_over(FakeUpstream(empty_answers)))

    assert await getattr(loaders, loader_name).load(key) == default
    assert call_log.counts == {operation: 1}


async def test_the_loaders_cover_every_field_of_loaders():
    covered = {row[0] for row in LOADER_DEFAULTS} | ASKED_PER_STATUS
    assert covered == set(Loaders.__dataclass_fields__)


async def test_open_orders_of_a_product_ask_the_crm_once_per_open_status(clients_over, call_log):
    upstream = FakeUpstream(empty_answers)
    loaders = create_loaders(clients_over(upstream))

    assert await loaders.open_orders_of_product.load_many(["P-1", "P-2"]) == [[], []]
    assert call_log.counts == {("crm", "orders_by_product_codes"): 3}
    asked = sorted(
        (request.url.params["product_codes"], request.url.params["status"])
        for request in upstream.requests
    )
    assert asked == [("P-1,P-2", status) for status in ("confirmed", "in_production", "ready")]


async def test_open_purchase_orders_ask_the_scm_for_open_ones_only(clients_over):
    upstream = FakeUpstream(empty_answers)
    loaders = create_loaders(clients_over(upstream))
    await loaders.open_purchase_orders_of_sku.load("SKU-1")

    assert upstream.json_bodies()[0]["variables"]["openOnly"] is True


async def test_orders_of_customers_cost_one_crm_call_per_distinct_status(clients_over, call_log):
    def answer(request: httpx.Request) -> httpx.Response:
        status = request.url.params.get("status")
        records = [
            crm_order(f"SO-{customer_id}-{status}", customer_id, status=status or "shipped")
            for customer_id in request.url.params["customer_ids"].split(",")
        ]
        return json_response({"records": records})

    upstream = FakeUpstream(answer)
    loaders = create_loaders(clients_over(upstream))
    results = await asyncio.gather(
        loaders.orders_of_customer.load(("C-1", "confirmed")),
        loaders.orders_of_customer.load(("C-2", "confirmed")),
        loaders.orders_of_customer.load(("C-1", None)),
        loaders.orders_of_customer.load(("C-3", "shipped")),
    )

    assert [[o.id for o in orders] for orders in results] == [
        ["SO-C-1-confirmed"],
        ["SO-C-2-confirmed"],
        ["SO-C-1-None"],
        ["SO-C-3-shipped"],
    ]
    assert call_log.count("crm", "orders_by_customer_ids") == 3
    asked = sorted(
        (r.url.params.get("status") or "", r.url.params["customer_ids"]) for r in upstream.requests
    )
    assert asked == [("", "C-1"), ("confirmed", "C-1,C-2"), ("shipped", "C-3")]


async def test_when_a_fetch_fails_every_key_of_its_batch_gets_the_error(clients_over):
    loaders = create_loaders(clients_over(FakeUpstream(lambda request: httpx.Response(503))))
    outcomes = await asyncio.gather(
        loaders.product.load("P-1"), loaders.product.load("P-2"), return_exceptions=True
    )

    assert [type(outcome) for outcome in outcomes] == [UpstreamUnavailable, UpstreamUnavailable]


async def test_a_key_whose_fetch_failed_keeps_its_error_for_the_rest_of_the_request(
    clients_over, resilience
):
    # The first load fails for good: its first attempt and every retry get a 503.
    failed_attempts = [httpx.Response(503)] * (1 + resilience.max_read_retries)
    upstream = FakeUpstream(
        in_turn(*failed_attempts, json_response({"records": [crm_customer("C-1")]}))
    )
    loaders = create_loaders(clients_over(upstream))

    with pytest.raises(UpstreamUnavailable) as first:
        await loaders.customer.load("C-1")
    with pytest.raises(UpstreamUnavailable) as again:
        await loaders.customer.load("C-1")
    with pytest.raises(UpstreamUnavailable):
        loaders.customer.build_now("C-1", lambda customer: customer)

    assert again.value is first.value
    assert len(upstream.requests) == 1 + resilience.max_read_retries


async def test_a_failed_key_is_fetched_again_once_cleared(clients_over, resilience):
    failed_attempts = [httpx.Response(503)] * (1 + resilience.max_read_retries)
    upstream = FakeUpstream(
        in_turn(*failed_attempts, json_response({"records": [crm_customer("C-1")]}))
    )
    loaders = create_loaders(clients_over(upstream))

    with pytest.raises(UpstreamUnavailable):
        await loaders.customer.load("C-1")
    customer = await loaders.customer.clear("C-1").load("C-1")

    assert customer is not None
    assert customer.id == "C-1"


async def test_expiring_fails_only_the_keys_still_unanswered_with_the_given_error():
    async def fetch(keys: list[str]) -> Mapping[str, str]:
        if keys == ["slow"]:
            await asyncio.Event().wait()  # never answers
        return {key: key.upper() for key in keys}

    loader = loader_for(Fetcher("scm.thing", fetch, str))
    assert await loader.load("quick") == "QUICK"
    slow = loader.load("slow")
    await asyncio.sleep(0)

    expired = loader.expire(lambda it: TimeoutError(f"{it.system} {it.fetcher_name}"))

    assert expired == 1
    with pytest.raises(TimeoutError, match=r"scm scm\.thing"):
        await slow
    assert await loader.load("quick") == "QUICK"


async def test_a_wrapper_gets_every_fetcher_and_the_loaders_use_what_it_returns(clients_over):
    upstream = FakeUpstream(empty_answers)
    wrapped_names: list[str] = []

    def answer_from_memory(fetcher: Fetcher[Any, Any]) -> Fetcher[Any, Any]:
        wrapped_names.append(fetcher.name)

        async def fetch(keys: list[Any]) -> Mapping[Any, Any]:
            return {key: f"remembered {fetcher.key_text(key)}" for key in keys}

        return fetcher.with_fetch(fetch)

    loaders = create_loaders(clients_over(upstream), wrap=answer_from_memory)

    supplier: object = await loaders.supplier.load("SUP-1")
    orders_of_any_status: object = await loaders.orders_of_customer.load(("C-1", None))
    shipped_orders: object = await loaders.orders_of_customer.load(("C-1", "shipped"))

    assert supplier == "remembered SUP-1"
    assert orders_of_any_status == "remembered C-1|*"
    assert shipped_orders == "remembered C-1|shipped"
    assert upstream.requests == []
    assert len(wrapped_names) == len(set(wrapped_names)) == len(JOINS)
    assert "crm.customer" in wrapped_names


async def test_a_fetcher_leaving_keys_out_gets_a_fresh_default_for_each():
    async def fetch_nothing(keys: list[str]) -> dict[str, list[int]]:
        return {}

    loader = loader_for(Fetcher("test.lists", fetch_nothing, list))
    first, second = await asyncio.gather(loader.load("a"), loader.load("b"))

    assert first == second == []
    assert first is not second


async def test_one_tick_of_loads_makes_one_fetch_with_each_key_once():
    batches: list[list[str]] = []

    async def fetch(keys: list[str]) -> dict[str, str]:
        batches.append(keys)
        return {key: key.upper() for key in keys}

    loader = loader_for(Fetcher("test.upper", fetch, lambda: None))
    values = await asyncio.gather(*(loader.load(key) for key in ["a", "b", "a", "c"]))

    assert values == ["A", "B", "A", "C"]
    assert batches == [["a", "b", "c"]]


def test_loaders_are_created_only_inside_a_running_event_loop():
    access = UpstreamAccess(BASE_URL, "secret", ResilienceConfig())
    clients = build_clients(httpx.AsyncClient(), crm=access, erp=access, scm=access)
    with pytest.raises(RuntimeError):
        create_loaders(clients)


async def test_fetchers_can_be_built_once_and_named_for_a_cache(clients_over):
    fetchers = build_fetchers(clients_over(FakeUpstream(empty_answers)))

    assert fetchers["customer"].name == "crm.customer"
    assert fetchers["plans_of_order"].name == "erp.plans_of_order"
    assert fetchers["orders_of_customer"].key_text(("C-1", "confirmed")) == "C-1|confirmed"


async def test_a_batch_starts_after_two_trips_through_the_ready_queue_not_three():
    # On the critical path of a query, each trip waits behind every other ready
    # callback (other answers, cache writes): RequestLoader dispatches in one.
    asked: list[list[str]] = []

    async def fetch(keys: list[str]) -> dict[str, str]:
        asked.append(list(keys))
        return {key: key.upper() for key in keys}

    loader = loader_for(Fetcher("test.thing", fetch, lambda: ""))
    first = loader.load("a")
    second = loader.load("b")
    await asyncio.sleep(0)
    await asyncio.sleep(0)

    assert asked == [["a", "b"]]
    assert list(await asyncio.gather(first, second)) == ["A", "B"]


async def test_a_failed_key_nobody_reads_is_not_reported_as_a_lost_error():
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda loop, context: reported.append(context))

    async def fetch(keys: list[str]) -> Mapping[str, list[str]]:
        raise UpstreamUnavailable("scm", "scm down")

    try:
        loader = loader_for(Fetcher("scm.thing", fetch, list))
        loader.load("started, never read")  # as a prefetch whose parent then failed
        await asyncio.sleep(0.01)
        del loader
        gc.collect()
    finally:
        loop.set_exception_handler(previous)

    assert reported == []
