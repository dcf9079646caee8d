"""A second, tiny federation subgraph ("notes") to compose with supplygraph's.

It extends supplygraph's ``Order`` (by ``id``) with ``notes`` and ``Product`` (by
``code``) with ``reviewCount``, and its root ``notes(orderIds:)`` returns notes that
point at supplygraph's orders by reference only: the router asks supplygraph for them.
"""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL


@strawberry.type
class Note:
    id: strawberry.ID
    text: str
    # Nullable: the order lives in another subgraph, which may refuse or not know it.
    order: Order | None


def note_on(order: Order) -> Note:
    return Note(id=strawberry.ID(f"N-{order.id}"), text=f"call about {order.id}", order=order)


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID

    @strawberry.field
    def notes(self) -> list[Note]:
        return [note_on(self)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Order:
        return cls(id=id)


@strawberry.federation.type(keys=["code"])
class Product:
    code: strawberry.ID

    @strawberry.field
    def review_count(self) -> int:
        # Any number the test can predict from the key alone.
        return len(self.code)

    @classmethod
    def resolve_reference(cls, code: strawberry.ID) -> Product:
        return cls(code=code)


@strawberry.type
class Query:
    @strawberry.field
    def notes(self, order_ids: list[strawberry.ID]) -> list[Note]:
        return [note_on(Order(id=order_id)) for order_id in order_ids]


schema = strawberry.federation.Schema(query=Query, types=[Order, Product])


def create_app() -> Starlette:
    """The subgraph at /graphql (Starlette answers the server's lifespan messages)."""
    return Starlette(routes=[Route("/graphql", GraphQL[None, None](schema))])
