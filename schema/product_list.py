"""``productList``: the ERP's catalogue, searched and paged as a connection.

The ERP's domains know ``=``, ``!=`` and ``in`` only, so no search happens upstream:
the whole catalogue (one call for 300 products, cached 5 minutes and dropped by any
``product.updated``) is searched here, by a case-insensitive part of the code or name,
in code order. An edge cursor is its place in the searched list.
"""

from __future__ import annotations

import strawberry

from core.errors import InputValidationError
from core.records import ProductRecord
from resolvers.fetchers import CATALOG_KEY
from schema import prefetch
from schema.context import Info
from schema.customers import PageInfo
from schema.lookahead import Selection
from schema.paging import PagePosition, encode_cursor, page_start
from schema.products import Product

MAX_SEARCH_LENGTH = 100


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo


def matches(record: ProductRecord, needle: str) -> bool:
    return needle in record.default_code.casefold() or needle in record.name.casefold()


async def product_page(
    info: Info, search: str | None, first: int, after: str | None
) -> ProductConnection:
    start = page_start(first, after)
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise InputValidationError(
            f"`search` is at most {MAX_SEARCH_LENGTH} characters", {"search": "too long"}
        )
    if start.crm_cursor is not None:
        raise InputValidationError(
            "`after` is not a cursor of productList", {"after": "malformed cursor"}
        )
    loaders = info.context.loaders
    catalog = await loaders.product_catalog.load(CATALOG_KEY)
    needle = (search or "").strip().casefold()
    found = [record for record in catalog if matches(record, needle)] if needle else catalog
    shown = found[start.skip : start.skip + first]
    edges = []
    for index, record in enumerate(shown, start.skip + 1):
        loaders.product.prime(record.default_code, record)
        cursor = encode_cursor(PagePosition(crm_cursor=None, skip=index))
        edges.append(ProductEdge(cursor=cursor, node=Product(record=record)))
    await prefetch.walk(info.context, "Product", shown, Selection.of(info)["edges"]["node"])
    return ProductConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start.skip + first < len(found),
            end_cursor=edges[-1].cursor if edges else after,
        ),
    )
