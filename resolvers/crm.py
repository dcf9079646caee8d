"""The CRM client: customers and sales orders over REST + JSON (``crm.openapi.yaml``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from itertools import chain
from typing import Any
from urllib.parse import quote

import httpx

from core.errors import ConflictError, InputValidationError, NotFoundError
from core.records import CustomerPage, CustomerRecord, OrderPage, OrderRecord
from resolvers._batching import distinct_keys, gather_per_chunk, group_by_key
from resolvers._crm_records import read_customer, read_order
from resolvers._decode import JsonObject
from resolvers._http import UpstreamEndpoint
from resolvers._limits import (
    CRM_CUSTOMER_IDS_PER_CALL,
    CRM_IDS_PER_CALL,
    CRM_PAGE_SIZE_MAX,
    CRM_PRODUCT_CODES_PER_CALL,
)
from resolvers.call_log import UpstreamCallLog
from resolvers.resilience import BreakerState, ResilienceConfig

_CUSTOMERS = "/crm/v1/customers"
_ORDERS = "/crm/v1/orders"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CrmClient:
    """Typed access to the CRM; every batch method chunks, de-duplicates and runs concurrently."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: str,
        *,
        call_log: UpstreamCallLog | None = None,
        resilience: ResilienceConfig | None = None,
    ) -> None:
        self._endpoint = UpstreamEndpoint(
            http=http,
            system="crm",
            base_url=base_url,
            auth_headers={"Authorization": f"Bearer {token}"},
            credential=token,
            call_log=call_log,
            resilience=resilience or ResilienceConfig(),
        )

    @property
    def breaker_state(self) -> BreakerState:
        """``closed``, ``open`` or ``half_open``: the CRM's circuit breaker right now."""
        return self._endpoint.breaker.state

    async def customers_by_ids(self, ids: Sequence[str]) -> dict[str, CustomerRecord]:
        """The customers found among ``ids``; unknown ids are simply absent."""
        pages = await gather_per_chunk(
            distinct_keys(ids), CRM_IDS_PER_CALL, self._customers_with_ids
        )
        return {customer.id: customer for page in pages for customer in page}

    async def customers_page(
        self, limit: int, cursor: str | None, segment: str | None
    ) -> CustomerPage:
        """One page of all customers ordered by id; ``limit`` must be 1..200."""
        if not 1 <= limit <= CRM_PAGE_SIZE_MAX:
            raise ValueError(f"limit must be between 1 and {CRM_PAGE_SIZE_MAX}, got {limit}")
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        if segment is not None:
            params["segment"] = segment
        operation = "customers_page"
        body = await self._get_json(operation, _CUSTOMERS, params)
        with self._endpoint.decoding(operation):
            return CustomerPage(
                records=tuple(read_customer(item) for item in body.objects("records")),
                next_cursor=body.optional_text("next_cursor"),
            )

    async def orders_by_ids(self, ids: Sequence[str]) -> dict[str, OrderRecord]:
        """The orders found among ``ids``; unknown ids are simply absent."""
        pages = await gather_per_chunk(distinct_keys(ids), CRM_IDS_PER_CALL, self._orders_with_ids)
        return {order.id: order for page in pages for order in page}

    async def orders_by_customer_ids(
        self, customer_ids: Sequence[str], status: str | None = None
    ) -> dict[str, list[OrderRecord]]:
        """Every order of each customer, newest first; each requested id maps to a list."""
        wanted = distinct_keys(customer_ids)

        async def orders_of(chunk: Sequence[str]) -> list[OrderRecord]:
            return await self._orders_of_customers(chunk, status)

        pages = await gather_per_chunk(wanted, CRM_CUSTOMER_IDS_PER_CALL, orders_of)
        orders = chain.from_iterable(pages)
        return group_by_key(wanted, orders, lambda order: order.customer_id)

    async def orders_by_product_codes(
        self, product_codes: Sequence[str], status: str | None = None
    ) -> dict[str, list[OrderRecord]]:
        """Every order with a line of each product, newest first; each code maps to a list
        (an order with lines of two requested products is in both lists)."""
        wanted = distinct_keys(product_codes)

        async def orders_of(chunk: Sequence[str]) -> list[OrderRecord]:
            return await self._orders_of_products(chunk, status)

        pages = await gather_per_chunk(wanted, CRM_PRODUCT_CODES_PER_CALL, orders_of)
        found: dict[str, list[OrderRecord]] = {code: [] for code in wanted}
        seen: dict[str, set[str]] = {code: set() for code in wanted}
        for order in chain.from_iterable(pages):
            for line in order.lines:
                code = line.product_code
                if code in found and order.id not in seen[code]:
                    seen[code].add(order.id)
                    found[code].append(order)
        return found

    async def orders_page(
        self,
        created_from: datetime | None,
        created_to: datetime | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> OrderPage:
        """One page of the orders created in ``[created_from, created_to)``, by creation
        time then id; ``limit`` must be 1..200, either bound may be left open."""
        if not 1 <= limit <= CRM_PAGE_SIZE_MAX:
            raise ValueError(f"limit must be between 1 and {CRM_PAGE_SIZE_MAX}, got {limit}")
        params: dict[str, str | int] = {"limit": limit}
        if created_from is None and created_to is None:
            # A feed request must name a bound (else it is no feed request at all).
            created_from = _EPOCH
        if created_from is not None:
            params["created_from"] = _rfc3339(created_from)
        if created_to is not None:
            params["created_to"] = _rfc3339(created_to)
        if status is not None:
            params["status"] = status
        if cursor is not None:
            params["cursor"] = cursor
        operation = "orders_by_created_at"
        body = await self._get_json(operation, _ORDERS, params)
        with self._endpoint.decoding(operation):
            return OrderPage(
                records=tuple(read_order(item) for item in body.objects("records")),
                next_cursor=body.optional_text("next_cursor"),
            )

    async def create_order(
        self,
        customer_id: str,
        lines: Sequence[tuple[str, int]],
        requested_date: date | None,
    ) -> OrderRecord:
        """Place an order; the CRM's 422 becomes ``InputValidationError`` with its fields."""
        operation = "create_order"
        payload = {
            "customer_id": customer_id,
            "lines": [
                {"product_code": product_code, "quantity": quantity}
                for product_code, quantity in lines
            ],
            "requested_date": requested_date.isoformat() if requested_date is not None else None,
        }
        response = await self._endpoint.request(
            operation,
            "POST",
            _ORDERS,
            # Placing an order twice places two orders: never retried.
            idempotent=False,
            json=payload,
            handled_statuses=(httpx.codes.UNPROCESSABLE_ENTITY,),
        )
        if response.status_code == httpx.codes.UNPROCESSABLE_ENTITY:
            message, fields = self._error_of(response)
            raise InputValidationError(message or "the CRM rejected the order", fields)
        return self._order_of(operation, response)

    async def cancel_order(self, order_id: str) -> OrderRecord:
        """Cancel an order: 404 becomes ``NotFoundError``, 409 (shipped) ``ConflictError``."""
        operation = "cancel_order"
        response = await self._endpoint.request(
            operation,
            "POST",
            f"{_ORDERS}/{quote(order_id, safe='')}/cancel",
            # A cancel is a state change the CRM may answer 409 to the second time.
            idempotent=False,
            handled_statuses=(httpx.codes.NOT_FOUND, httpx.codes.CONFLICT),
        )
        if response.status_code == httpx.codes.NOT_FOUND:
            message, _ = self._error_of(response)
            raise NotFoundError(message or f"order {order_id} does not exist")
        if response.status_code == httpx.codes.CONFLICT:
            message, _ = self._error_of(response)
            raise ConflictError(message or f"order {order_id} can no longer be cancelled")
        return self._order_of(operation, response)

    async def _customers_with_ids(self, ids: Sequence[str]) -> list[CustomerRecord]:
        operation = "customers_by_ids"
        body = await self._get_json(operation, _CUSTOMERS, {"ids": ",".join(ids)})
        with self._endpoint.decoding(operation):
            return [read_customer(item) for item in body.objects("records")]

    async def _orders_with_ids(self, ids: Sequence[str]) -> list[OrderRecord]:
        operation = "orders_by_ids"
        body = await self._get_json(operation, _ORDERS, {"ids": ",".join(ids)})
        with self._endpoint.decoding(operation):
            return [read_order(item) for item in body.objects("records")]

    async def _orders_of_customers(
        self, customer_ids: Sequence[str], status: str | None
    ) -> list[OrderRecord]:
        operation = "orders_by_customer_ids"
        params: dict[str, str | int] = {"customer_ids": ",".join(customer_ids)}
        if status is not None:
            params["status"] = status
        body = await self._get_json(operation, _ORDERS, params)
        with self._endpoint.decoding(operation):
            return [read_order(item) for item in body.objects("records")]

    async def _orders_of_products(
        self, product_codes: Sequence[str], status: str | None
    ) -> list[OrderRecord]:
        operation = "orders_by_product_codes"
        params: dict[str, str | int] = {"product_codes": ",".join(product_codes)}
        if status is not None:
            params["status"] = status
        body = await self._get_json(operation, _ORDERS, params)
        with self._endpoint.decoding(operation):
            return [read_order(item) for item in body.objects("records")]

    async def _get_json(
        self, operation: str, path: str, params: dict[str, str | int]
    ) -> JsonObject:
        response = await self._endpoint.request(
            operation, "GET", path, idempotent=True, params=params
        )
        body = self._endpoint.json_body(operation, response)
        with self._endpoint.decoding(operation):
            return JsonObject(body, "response")

    def _order_of(self, operation: str, response: httpx.Response) -> OrderRecord:
        body = self._endpoint.json_body(operation, response)
        with self._endpoint.decoding(operation):
            return read_order(JsonObject(body, "order"))

    def _error_of(self, response: httpx.Response) -> tuple[str | None, dict[str, str]]:
        """The ``message`` and ``fields`` of a CRM error body; lenient, since the status
        already says what happened and a malformed body should not hide it."""
        try:
            body: Any = response.json()
        except ValueError:
            return None, {}
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None, {}
        message = error.get("message")
        raw_fields = error.get("fields")
        fields = (
            {
                str(name): self._endpoint.scrub(text)
                for name, text in raw_fields.items()
                if isinstance(text, str)
            }
            if isinstance(raw_fields, dict)
            else {}
        )
        return (self._endpoint.scrub(message) if isinstance(message, str) else None), fields


def _rfc3339(moment: datetime) -> str:
    """UTC with a ``Z``: the contract's spelling (a naive time is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
