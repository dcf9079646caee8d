"""A plain client of the three upstream contracts, for tests to compute expectations.

Written from the contract files alone and independent of ``resolvers/``: a test that
compares the gateway's answer with what these calls return checks the gateway's joins
and arithmetic, not its own code against itself.
"""

from __future__ import annotations

from typing import Any

import httpx


class ContractClient:
    def __init__(self, crm_url: str, erp_url: str, scm_url: str) -> None:
        self.crm = httpx.Client(
            base_url=f"{crm_url}/crm/v1", headers={"Authorization": "Bearer crm-demo-token"}
        )
        self.erp = httpx.Client(base_url=erp_url, headers={"X-Api-Key": "erp-demo-key"})
        self.scm = httpx.Client(
            base_url=scm_url, headers={"Authorization": "Bearer scm-demo-token"}
        )

    def close(self) -> None:
        for client in (self.crm, self.erp, self.scm):
            client.close()

    def customers(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        records = self.crm.get("/customers", params={"ids": ",".join(ids)}).json()["records"]
        return {record["id"]: record for record in records}

    def all_customers(self, segment: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            if segment:
                params["segment"] = segment
            page = self.crm.get("/customers", params=params).json()
            found.extend(page["records"])
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    def orders(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        records = self.crm.get("/orders", params={"ids": ",".join(ids)}).json()["records"]
        return {record["id"]: record for record in records}

    def orders_of_customer(self, customer_id: str) -> list[dict[str, Any]]:
        return list(self.crm.get("/orders", params={"customer_ids": customer_id}).json()["records"])

    def search_read(
        self, model: str, domain: list[Any], fields: list[str] | None = None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"model": model, "method": "search_read", "domain": domain}
        if fields is not None:
            params["fields"] = fields
        body = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": params}
        answer = self.erp.post("/jsonrpc", json=body).json()
        assert "error" not in answer, answer
        return list(answer["result"])

    def scm_query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = self.scm.post("/graphql", json={"query": query, "variables": variables}).json()
        assert not answer.get("errors"), answer
        return dict(answer["data"])

    def stock_levels(self, skus: list[str]) -> list[dict[str, Any]]:
        query = """query($s: [String!]!) { stockLevels(skus: $s) {
            sku warehouse onHand reserved inTransit reorderPoint updatedAt } }"""
        return list(self.scm_query(query, {"s": skus})["stockLevels"])

    def shipments_of_orders(self, refs: list[str]) -> list[dict[str, Any]]:
        query = """query($r: [String!]!) { shipmentsByOrder(orderRefs: $r) {
            id trackingNumber orderRef carrier status shippedAt eta deliveredAt
            destinationCity destinationCountry
            events { at status location description } } }"""
        return list(self.scm_query(query, {"r": refs})["shipmentsByOrder"])

    def purchase_orders(self, skus: list[str]) -> list[dict[str, Any]]:
        query = """query($s: [String!]!) { purchaseOrders(skus: $s) {
            id supplierId sku quantity unitCost expectedAt status } }"""
        return list(self.scm_query(query, {"s": skus})["purchaseOrders"])

    def suppliers(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        query = """query($i: [ID!]!) { suppliers(ids: $i) {
            id name country onTimeRate leadTimeDays } }"""
        return {s["id"]: s for s in self.scm_query(query, {"i": ids})["suppliers"]}
