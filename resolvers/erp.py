"""The ERP client: Odoo-style JSON-RPC 2.0 ``search_read``, ``create`` and ``write``.

Writes are sent once (never retried by the HTTP layer); what makes sending one again
harmless is the record's ``origin``, which the ERP treats as an idempotency key.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx

from core.errors import UpstreamBadResponse, UpstreamRejected
from core.records import InvoiceRecord, PartnerRecord, ProductionRecord, ProductRecord
from resolvers._batching import distinct_keys, gather_per_chunk, group_by_key
from resolvers._decode import ContractViolation, JsonObject
from resolvers._erp_records import (
    INVOICE_FIELDS,
    INVOICE_MODEL,
    OPEN_PRODUCTION_STATES,
    PARTNER_FIELDS,
    PARTNER_MODEL,
    PRODUCT_FIELDS,
    PRODUCT_MODEL,
    PRODUCTION_FIELDS,
    PRODUCTION_MODEL,
    read_invoice,
    read_partner,
    read_product,
    read_production,
)
from resolvers._http import UpstreamEndpoint
from resolvers._limits import ERP_RECORDS_PER_CALL, ERP_VALUES_PER_IN
from resolvers.call_log import UpstreamCallLog
from resolvers.resilience import BreakerState, ResilienceConfig

_JSONRPC = "/jsonrpc"
STOCK_MOVE_MODEL = "stock.move"
# Paging needs a stable order, or a record could move between pages while we read.
_PAGING_ORDER = "id asc"

RecordT = TypeVar("RecordT")


class ErpClient:
    """Typed access to the ERP, plus the raw ``search_read`` it is built on."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        *,
        call_log: UpstreamCallLog | None = None,
        resilience: ResilienceConfig | None = None,
    ) -> None:
        self._endpoint = UpstreamEndpoint(
            http=http,
            system="erp",
            base_url=base_url,
            auth_headers={"X-Api-Key": api_key},
            credential=api_key,
            call_log=call_log,
            resilience=resilience or ResilienceConfig(),
        )
        self._request_ids = itertools.count(1)

    @property
    def breaker_state(self) -> BreakerState:
        """``closed``, ``open`` or ``half_open``: the ERP's circuit breaker right now."""
        return self._endpoint.breaker.state

    async def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: Sequence[str] | None,
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        """One ``search_read`` call, records as the ERP sent them (``false`` and all).

        ``fields=None`` asks for every field; ``limit=None`` leaves the ERP's default.
        """
        operation = f"search_read {model}"
        params: dict[str, Any] = {
            "model": model,
            "method": "search_read",
            "domain": domain,
            "offset": offset,
        }
        if fields is not None:
            params["fields"] = list(fields)
        if limit is not None:
            params["limit"] = limit
        if order is not None:
            params["order"] = order
        request_id = next(self._request_ids)
        response = await self._endpoint.request(
            operation,
            "POST",
            _JSONRPC,
            # A POST, but search_read only reads: safe to send again.
            idempotent=True,
            json={"jsonrpc": "2.0", "id": request_id, "method": "call", "params": params},
        )
        body = self._endpoint.json_body(operation, response)
        return self._result_of(operation, request_id, body)

    async def create(self, model: str, values: Sequence[dict[str, Any]]) -> list[int]:
        """``create`` of records; a value whose ``origin`` exists answers the existing id."""
        result = await self._call(
            f"create {model}", {"model": model, "method": "create", "values": list(values)}
        )
        if not (isinstance(result, list) and all(isinstance(item, int) for item in result)):
            raise UpstreamBadResponse(
                "erp", self._endpoint.describe(f"create {model}", "result is not a list of ids")
            )
        return [int(item) for item in result]

    async def write(self, model: str, ids: Sequence[int], values: dict[str, Any]) -> None:
        await self._call(
            f"write {model}",
            {"model": model, "method": "write", "ids": list(ids), "values": values},
        )

    async def create_production(
        self, *, origin: str, sale_ref: str | None, product_code: str, quantity: int
    ) -> ProductionRecord:
        """One production order, created once per ``origin``; answered as the ERP holds it."""
        values = {
            "origin": origin,
            "sale_ref": sale_ref or False,
            "product_code": product_code,
            "product_qty": quantity,
        }
        [production_id] = await self.create(PRODUCTION_MODEL, [values])
        return await self.production_by_id(production_id)

    async def production_by_id(self, production_id: int) -> ProductionRecord:
        raws = await self.search_read(
            PRODUCTION_MODEL, [["id", "=", production_id]], PRODUCTION_FIELDS, limit=1
        )
        with self._endpoint.decoding(f"search_read {PRODUCTION_MODEL}"):
            records = [read_production(raw) for raw in raws]
        if not records:
            raise UpstreamBadResponse(
                "erp", self._endpoint.describe("create", f"production {production_id} not found")
            )
        return records[0]

    async def record_stock_move(
        self, *, product_code: str, quantity: int, origin: str, reference: str | None
    ) -> int:
        """One move in the ERP's stock book, booked once per ``origin`` (e.g. the SCM PO)."""
        values: dict[str, Any] = {
            "product_code": product_code,
            "quantity": quantity,
            "origin": origin,
        }
        if reference:
            values["reference"] = reference
        [move_id] = await self.create(STOCK_MOVE_MODEL, [values])
        return move_id

    async def _call(self, operation: str, params: dict[str, Any]) -> object:
        """One write call; its raw ``result``. Sent once: no retry at this layer."""
        request_id = next(self._request_ids)
        response = await self._endpoint.request(
            operation,
            "POST",
            _JSONRPC,
            idempotent=False,
            json={"jsonrpc": "2.0", "id": request_id, "method": "call", "params": params},
        )
        body = self._endpoint.json_body(operation, response)
        with self._endpoint.decoding(operation):
            envelope = JsonObject(body, "response")
            if envelope.has("error"):
                raise self._rejection(operation, envelope.object("error"))
            return envelope.required("result")

    async def products_by_codes(self, codes: Sequence[str]) -> dict[str, ProductRecord]:
        products = await self._read_where_in(
            PRODUCT_MODEL, "default_code", codes, PRODUCT_FIELDS, read_product
        )
        return {product.default_code: product for product in products}

    async def products_by_skus(self, skus: Sequence[str]) -> dict[str, ProductRecord]:
        products = await self._read_where_in(
            PRODUCT_MODEL, "scm_sku", skus, PRODUCT_FIELDS, read_product
        )
        return {product.scm_sku: product for product in products if product.scm_sku}

    async def all_products(self) -> list[ProductRecord]:
        """Every product of the catalogue (active or not), paged by 500, by id."""
        raw = await self._read_every_page(PRODUCT_MODEL, [], PRODUCT_FIELDS)
        with self._endpoint.decoding(f"search_read {PRODUCT_MODEL}"):
            return [read_product(record) for record in raw]

    async def partners_by_refs(self, refs: Sequence[str]) -> dict[str, PartnerRecord]:
        partners = await self._read_where_in(
            PARTNER_MODEL, "ref", refs, PARTNER_FIELDS, read_partner
        )
        return {partner.ref: partner for partner in partners}

    async def productions_by_sale_refs(
        self, refs: Sequence[str]
    ) -> dict[str, list[ProductionRecord]]:
        """Production orders per sales order; each requested ref maps to a list."""
        productions = await self._read_where_in(
            PRODUCTION_MODEL, "sale_ref", refs, PRODUCTION_FIELDS, read_production
        )
        return group_by_key(
            distinct_keys(refs), productions, lambda production: production.sale_ref
        )

    async def open_productions_by_product_codes(
        self, codes: Sequence[str]
    ) -> dict[str, list[ProductionRecord]]:
        """Production orders still to finish (not done or cancelled) per product code;
        each requested code maps to a list."""
        productions = await self._read_where_in(
            PRODUCTION_MODEL,
            "product_code",
            codes,
            PRODUCTION_FIELDS,
            read_production,
            also=[["state", "in", list(OPEN_PRODUCTION_STATES)]],
        )
        return group_by_key(
            distinct_keys(codes), productions, lambda production: production.product_code
        )

    async def invoices_by_sale_refs(self, refs: Sequence[str]) -> dict[str, list[InvoiceRecord]]:
        """Invoices per sales order; each requested ref maps to a list."""
        invoices = await self._read_where_in(
            INVOICE_MODEL, "sale_ref", refs, INVOICE_FIELDS, read_invoice
        )
        return group_by_key(distinct_keys(refs), invoices, lambda invoice: invoice.sale_ref)

    async def _read_where_in(
        self,
        model: str,
        field: str,
        values: Sequence[str],
        fields: Sequence[str],
        read: Callable[[object], RecordT],
        *,
        also: list[Any] | None = None,
    ) -> list[RecordT]:
        """Every record whose ``field`` is one of ``values`` (and that matches the domain
        terms ``also``): 200 values per ``in``, chunks side by side, each chunk paged
        until a page comes back short."""

        async def read_chunk(chunk: Sequence[str]) -> list[dict[str, Any]]:
            domain = [[field, "in", list(chunk)], *(also or [])]
            return await self._read_every_page(model, domain, fields)

        pages = await gather_per_chunk(distinct_keys(values), ERP_VALUES_PER_IN, read_chunk)
        operation = f"search_read {model}"
        with self._endpoint.decoding(operation):
            return [read(raw) for page in pages for raw in page]

    async def _read_every_page(
        self, model: str, domain: list[Any], fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        seen_ids: set[int] = set()
        while True:
            page = await self.search_read(
                model,
                domain,
                fields,
                limit=ERP_RECORDS_PER_CALL,
                offset=len(records),
                order=_PAGING_ORDER,
            )
            page_ids = {raw["id"] for raw in page if isinstance(raw.get("id"), int)}
            if page_ids & seen_ids:
                # An ERP that ignores offset would otherwise keep us paging forever.
                raise UpstreamBadResponse(
                    "erp",
                    self._endpoint.describe(f"search_read {model}", "paging repeats records"),
                )
            seen_ids |= page_ids
            records.extend(page)
            if len(page) < ERP_RECORDS_PER_CALL:
                return records

    def _result_of(self, operation: str, request_id: int, body: object) -> list[dict[str, Any]]:
        with self._endpoint.decoding(operation):
            envelope = JsonObject(body, "response")
            if envelope.has("id") and envelope.raw("id") != request_id:
                raise ContractViolation("response.id: does not match the request")
            if envelope.has("error"):
                raise self._rejection(operation, envelope.object("error"))
            result = envelope.array("result")
            for index, record in enumerate(result):
                if not isinstance(record, dict):
                    raise ContractViolation(f"response.result[{index}]: expected an object")
            return [record for record in result if isinstance(record, dict)]

    def _rejection(self, operation: str, error: JsonObject) -> UpstreamRejected:
        """An Odoo error envelope: AccessDenied (a wrong key), ValidationError, MissingError…

        All of them mean the ERP refused this request; the exception name says why.
        """
        data = error.optional_object("data")
        name = data.optional_text("name") if data else None
        message = (data.optional_text("message") if data else None) or error.optional_text(
            "message"
        )
        kind = name.rsplit(".", 1)[-1] if name else "error"
        detail = f"{kind}: {message}" if message else kind
        return UpstreamRejected("erp", self._endpoint.describe(operation, detail))
