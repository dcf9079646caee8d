"""``lowStock``: every sku below its reorder point in some warehouse, paged.

The SCM cannot list its skus (``stockLevels`` wants them named), so the gateway takes
them from the ERP: every ``product.product`` with an ``scm_sku`` (one ``search_read``
per 500 products, cached as one catalogue entry for 5 minutes and dropped by any
``product.updated``), then reads their stock through the stock loader, 250 skus per
SCM call (cached 5 s). Demo data: 300 products, so 1 ERP and 2 SCM calls, whichever
page is asked for. Rows are ordered by sku, then warehouse; a cursor is a position in
that order, so a sku that crosses its reorder point between two pages shifts the rows
after it by one.
"""

from __future__ import annotations

import strawberry

from core.records import ProductRecord, StockLevelRecord
from resolvers.fetchers import CATALOG_KEY
from schema import prefetch
from schema.context import Info
from schema.coverage import available_quantity
from schema.customers import PageInfo
from schema.lookahead import Selection
from schema.paging import PagePosition, encode_cursor, page_start
from schema.products import InventoryLevel, Product

MAX_LOW_STOCK_PAGE = 200


@strawberry.type(description="A sku below its reorder point in one warehouse")
class StockShortfall:
    product_record: strawberry.Private[ProductRecord]
    level_record: strawberry.Private[StockLevelRecord]

    @strawberry.field
    def product(self) -> Product:
        return Product(record=self.product_record)

    @strawberry.field
    def level(self) -> InventoryLevel:
        return InventoryLevel(record=self.level_record)

    @strawberry.field(description="reorderPoint - available: how far below it is")
    def short_by(self) -> int:
        return self.level_record.reorder_point - available_quantity(self.level_record)


@strawberry.type
class StockShortfallEdge:
    cursor: str
    node: StockShortfall


@strawberry.type
class StockShortfallConnection:
    edges: list[StockShortfallEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Rows below reorder point in all pages")


def is_below_reorder_point(level: StockLevelRecord) -> bool:
    return available_quantity(level) < level.reorder_point


async def low_stock_page(
    info: Info, first: int, after: str | None, warehouse: str | None
) -> StockShortfallConnection:
    skip = page_start(first, after, MAX_LOW_STOCK_PAGE).skip
    loaders = info.context.loaders
    # The SCM cannot list its skus: they are those of the ERP's catalogue (one cached entry,
    # shared with productList).
    catalogue = await loaders.product_catalog.load(CATALOG_KEY)
    by_sku = {product.scm_sku: product for product in catalogue if product.scm_sku}
    skus = sorted(by_sku)
    stock = await loaders.stock_of_sku.load_many(skus)
    rows = [
        StockShortfall(product_record=by_sku[sku], level_record=level)
        for sku, levels in zip(skus, stock, strict=True)
        for level in sorted(levels, key=lambda held: held.warehouse)
        if is_below_reorder_point(level) and (warehouse is None or level.warehouse == warehouse)
    ]
    page = rows[skip : skip + first]
    edges = [
        StockShortfallEdge(
            cursor=encode_cursor(PagePosition(crm_cursor=None, skip=index + 1)), node=row
        )
        for index, row in enumerate(page, skip)
    ]
    for row in page:
        loaders.product.prime(row.product_record.default_code, row.product_record)
    await prefetch.walk(
        info.context,
        "Product",
        list({row.product_record.default_code: row.product_record for row in page}.values()),
        Selection.of(info)["edges"]["node"]["product"],
    )
    return StockShortfallConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=skip + len(page) < len(rows),
            end_cursor=edges[-1].cursor if edges else after,
        ),
        total_count=len(rows),
    )
