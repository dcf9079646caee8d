"""The SCM client: stock, shipments, suppliers and purchase orders over GraphQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from typing import TypeVar

import httpx

from core.errors import (
    ConflictError,
    InputValidationError,
    NotFoundError,
    SupplyGraphError,
    UpstreamRejected,
)
from core.records import (
    PurchaseOrderRecord,
    ShipmentRecord,
    StockLevelRecord,
    SupplierRecord,
)
from resolvers import _scm_queries as queries
from resolvers._batching import distinct_keys, gather_per_chunk, group_by_key
from resolvers._decode import JsonObject
from resolvers._http import UpstreamEndpoint
from resolvers._limits import (
    SCM_ORDER_REFS_PER_CALL,
    SCM_SKUS_PER_CALL,
    SCM_SUPPLIER_IDS_PER_CALL,
    SCM_TRACKING_NUMBERS_PER_CALL,
)
from resolvers._scm_records import (
    read_purchase_order,
    read_shipment,
    read_stock_level,
    read_supplier,
)
from resolvers.call_log import UpstreamCallLog
from resolvers.resilience import BreakerState, ResilienceConfig

_GRAPHQL = "/graphql"

RecordT = TypeVar("RecordT")
ResultT = TypeVar("ResultT")


class ScmClient:
    """Typed access to the SCM; list methods map every requested key to a list."""

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
            system="scm",
            base_url=base_url,
            auth_headers={"Authorization": f"Bearer {token}"},
            credential=token,
            call_log=call_log,
            resilience=resilience or ResilienceConfig(),
        )

    @property
    def breaker_state(self) -> BreakerState:
        """``closed``, ``open`` or ``half_open``: the SCM's circuit breaker right now."""
        return self._endpoint.breaker.state

    async def stock_levels(self, skus: Sequence[str]) -> dict[str, list[StockLevelRecord]]:
        """One entry per warehouse holding each sku."""
        wanted = distinct_keys(skus)

        async def levels_of(chunk: Sequence[str]) -> list[StockLevelRecord]:
            return await self._query(
                "stockLevels", queries.STOCK_LEVELS, {"skus": list(chunk)}, read_stock_level
            )

        pages = await gather_per_chunk(wanted, SCM_SKUS_PER_CALL, levels_of)
        return group_by_key(wanted, chain.from_iterable(pages), lambda level: level.sku)

    async def shipments_by_order_refs(self, refs: Sequence[str]) -> dict[str, list[ShipmentRecord]]:
        wanted = distinct_keys(refs)

        async def shipments_of(chunk: Sequence[str]) -> list[ShipmentRecord]:
            return await self._query(
                "shipmentsByOrder",
                queries.SHIPMENTS_BY_ORDER,
                {"orderRefs": list(chunk)},
                read_shipment,
            )

        pages = await gather_per_chunk(wanted, SCM_ORDER_REFS_PER_CALL, shipments_of)
        return group_by_key(wanted, chain.from_iterable(pages), lambda shipment: shipment.order_ref)

    async def shipments_by_tracking_numbers(
        self, numbers: Sequence[str]
    ) -> dict[str, ShipmentRecord]:
        async def shipments_with(chunk: Sequence[str]) -> list[ShipmentRecord]:
            return await self._query(
                "shipments",
                queries.SHIPMENTS_BY_TRACKING_NUMBER,
                {"trackingNumbers": list(chunk)},
                read_shipment,
            )

        pages = await gather_per_chunk(
            distinct_keys(numbers), SCM_TRACKING_NUMBERS_PER_CALL, shipments_with
        )
        return {shipment.tracking_number: shipment for page in pages for shipment in page}

    async def suppliers_by_ids(self, ids: Sequence[str]) -> dict[str, SupplierRecord]:
        async def suppliers_with(chunk: Sequence[str]) -> list[SupplierRecord]:
            return await self._query(
                "suppliers", queries.SUPPLIERS, {"ids": list(chunk)}, read_supplier
            )

        pages = await gather_per_chunk(
            distinct_keys(ids), SCM_SUPPLIER_IDS_PER_CALL, suppliers_with
        )
        return {supplier.id: supplier for page in pages for supplier in page}

    async def purchase_orders(
        self, skus: Sequence[str], open_only: bool = True
    ) -> dict[str, list[PurchaseOrderRecord]]:
        """Purchase orders per sku, only open ones unless ``open_only`` is false."""
        wanted = distinct_keys(skus)

        async def orders_of(chunk: Sequence[str]) -> list[PurchaseOrderRecord]:
            return await self._query(
                "purchaseOrders",
                queries.PURCHASE_ORDERS,
                {"skus": list(chunk), "openOnly": open_only},
                read_purchase_order,
            )

        pages = await gather_per_chunk(wanted, SCM_SKUS_PER_CALL, orders_of)
        return group_by_key(wanted, chain.from_iterable(pages), lambda order: order.sku)

    async def create_purchase_order(
        self, *, sku: str, quantity: int, reference: str, expected_at: str | None = None
    ) -> PurchaseOrderRecord:
        """Idempotent by ``reference``: the SCM answers the first PO made under it."""
        payload: dict[str, object] = {"sku": sku, "quantity": quantity, "reference": reference}
        if expected_at is not None:
            payload["expectedAt"] = expected_at
        return await self._mutate(
            "createPurchaseOrder", queries.CREATE_PURCHASE_ORDER, {"input": payload}
        )

    async def update_purchase_order(
        self, purchase_order_id: str, *, quantity: int | None, expected_at: str | None = None
    ) -> PurchaseOrderRecord:
        """Quantity or date of an open PO; quantity 0 cancels it."""
        return await self._mutate(
            "updatePurchaseOrder",
            queries.UPDATE_PURCHASE_ORDER,
            {"id": purchase_order_id, "quantity": quantity, "expectedAt": expected_at},
        )

    async def receive_purchase_order(
        self, purchase_order_id: str, warehouse: str
    ) -> PurchaseOrderRecord:
        return await self._mutate(
            "receivePurchaseOrder",
            queries.RECEIVE_PURCHASE_ORDER,
            {"id": purchase_order_id, "warehouse": warehouse},
        )

    async def _mutate(
        self, root_field: str, document: str, variables: Mapping[str, object]
    ) -> PurchaseOrderRecord:
        """One mutation, sent once (never retried here); the SCM's error codes typed."""
        return await self._exchange(
            root_field,
            document,
            variables,
            write=True,
            read=lambda data: read_purchase_order(data.object(root_field)),
        )

    async def _query(
        self,
        root_field: str,
        document: str,
        variables: Mapping[str, object],
        read: Callable[[JsonObject], RecordT],
    ) -> list[RecordT]:
        """Send one query and read the list under its single root field."""
        return await self._exchange(
            root_field,
            document,
            variables,
            write=False,
            read=lambda data: [read(item) for item in data.objects(root_field)],
        )

    async def _exchange(
        self,
        root_field: str,
        document: str,
        variables: Mapping[str, object],
        *,
        write: bool,
        read: Callable[[JsonObject], ResultT],
    ) -> ResultT:
        """Send one document; ``read`` its ``data`` inside the decoding context, so that
        an answer off the contract is the SCM's fault. Only a write's refusals are typed
        (NOT_FOUND, CONFLICT, INVALID): a query's errors are all the SCM's refusal."""
        response = await self._endpoint.request(
            root_field,
            "POST",
            _GRAPHQL,
            # A query is safe to send again; a mutation is sent once.
            idempotent=not write,
            json={"query": document, "variables": dict(variables)},
        )
        body = self._endpoint.json_body(root_field, response)
        with self._endpoint.decoding(root_field):
            envelope = JsonObject(body, "response")
            errors = envelope.optional_array("errors")
            if errors:
                typed = _typed_refusal(errors) if write else None
                raise typed or UpstreamRejected(
                    "scm", self._endpoint.describe(root_field, _summary(errors))
                )
            return read(envelope.object("data"))


def _summary(errors: list[object]) -> str:
    """The first GraphQL error's message and ``extensions.code``, and how many more."""
    first = errors[0] if isinstance(errors[0], dict) else {}
    message = first.get("message")
    extensions = first.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    text = message if isinstance(message, str) else "GraphQL error"
    if isinstance(code, str):
        text = f"{code}: {text}"
    if len(errors) > 1:
        text = f"{text} (and {len(errors) - 1} more)"
    return text


def _typed_refusal(errors: list[object]) -> SupplyGraphError | None:
    """The SCM's NOT_FOUND / CONFLICT / INVALID as the gateway's own errors."""
    first = errors[0] if isinstance(errors[0], dict) else {}
    extensions = first.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    message = str(first.get("message") or "refused by the SCM")
    if code == "NOT_FOUND":
        return NotFoundError(message)
    if code == "CONFLICT":
        return ConflictError(message)
    if code == "INVALID":
        return InputValidationError(message, {"scm": message})
    return None
