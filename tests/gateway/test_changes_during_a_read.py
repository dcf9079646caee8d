"""A change landing while the gateway reads the order must not be lost for the cache's
lifetime: the next read shows it, whether the change came through the gateway's own
``cancelOrder`` or from the CRM by webhook, over Redis and over the in-process store.

The CRM's answer to the read is held by a proxy (``holding_proxy``) until the change is
made and handled: the read's fetch began before the change, its answer shows the old
state, and it must not be written back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from simulators.runner import RunningSimulators
from tests.gateway.holding_proxy import HoldingProxy
from tests.gateway.live_helpers import (
    Gateway,
    cancel_upstream,
    order_with_status,
    post_graphql,
    restored_after,
    send_webhook,
)
from tests.gateway_fixtures import gateway_settings

ORDER_STATUS = "query($id: ID!) { order(id: $id) { id status } }"
CANCEL = "mutation Cancel($id: ID!) { cancelOrder(id: $id) { id status } }"

Change = Callable[[Gateway, RunningSimulators, str], None]


def cancel_through_the_gateway(gateway: Gateway, simulators: RunningSimulators, order_id: str):
    answer = post_graphql(gateway.url, CANCEL, {"id": order_id})
    assert answer["data"]["cancelOrder"]["status"] == "CANCELLED", answer


def cancel_in_the_crm_with_its_webhook(
    gateway: Gateway, simulators: RunningSimulators, order_id: str
):
    cancel_upstream(simulators, order_id)
    send_webhook(gateway.url, "crm", "order.updated", [order_id])


def is_orders_by_ids(request: Request) -> bool:
    return request.url.path == "/crm/v1/orders" and "ids" in request.query_params


@pytest.fixture
def restored(simulators: RunningSimulators) -> Iterator[RunningSimulators]:
    with restored_after(simulators):
        yield simulators


@pytest.mark.parametrize("store", ["redis", "in-process"])
@pytest.mark.parametrize(
    "change", [cancel_through_the_gateway, cancel_in_the_crm_with_its_webhook], ids=["own", "hook"]
)
def test_a_cancel_landing_while_the_order_is_read_shows_in_the_next_read(
    restored: RunningSimulators, store: str, change: Change
):
    order_id = order_with_status(restored, "confirmed", skip=3).id
    redis = {} if store == "redis" else {"redis_url": None}
    with HoldingProxy(restored.crm_url) as proxy:
        settings = gateway_settings(restored, crm_url=proxy.url, **redis)
        with Gateway(settings) as gateway, ThreadPoolExecutor(1) as pool:
            proxy.hold_next(is_orders_by_ids)
            reading = pool.submit(post_graphql, gateway.url, ORDER_STATUS, {"id": order_id})
            assert proxy.answered.wait(10)  # the CRM has answered: "confirmed"

            change(gateway, restored, order_id)
            proxy.release.set()

            assert reading.result(10)["data"]["order"]["status"] == "CONFIRMED"
            after = post_graphql(gateway.url, ORDER_STATUS, {"id": order_id})

    assert after["data"]["order"]["status"] == "CANCELLED"
