from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from cache.codec import CodecError, codec_for
from cache.entry import decode_entry, encode_entry, negative_entry, present_entry
from core.records import (
    CustomerPage,
    CustomerRecord,
    InvoiceRecord,
    OrderRecord,
    PartnerRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
    ShipmentRecord,
    StockLevelRecord,
    SupplierRecord,
)
from tests.cache import samples

ROUND_TRIPS = [
    pytest.param(CustomerRecord | None, samples.customer(), id="customer"),
    pytest.param(CustomerRecord | None, samples.customer(address=False), id="customer-no-address"),
    pytest.param(CustomerRecord | None, None, id="absent-customer"),
    pytest.param(OrderRecord | None, samples.order(), id="order"),
    pytest.param(list[OrderRecord], [samples.order("SO-1"), samples.order("SO-2")], id="orders"),
    pytest.param(list[OrderRecord], [], id="no-orders"),
    pytest.param(ProductRecord | None, samples.product(), id="product"),
    pytest.param(PartnerRecord | None, samples.partner(), id="partner"),
    pytest.param(list[ProductionRecord], [samples.production()], id="productions"),
    pytest.param(list[InvoiceRecord], [samples.invoice()], id="invoices"),
    pytest.param(list[StockLevelRecord], [samples.stock_level()], id="stock-levels"),
    pytest.param(ShipmentRecord | None, samples.shipment(), id="shipment"),
    pytest.param(list[ShipmentRecord], [samples.shipment()], id="shipments"),
    pytest.param(SupplierRecord | None, samples.supplier(), id="supplier"),
    pytest.param(list[PurchaseOrderRecord], [samples.purchase_order()], id="purchase-orders"),
    pytest.param(CustomerPage, samples.customer_page(), id="customer-page"),
]


@pytest.mark.parametrize(("hint", "value"), ROUND_TRIPS)
def test_every_record_type_reads_back_equal_to_what_was_written(hint, value):
    codec = codec_for(hint)

    assert codec.loads(codec.dumps(value)) == value


def test_decimals_keep_their_exact_digits_and_datetimes_their_offset():
    level = samples.stock_level()
    codec = codec_for(list[StockLevelRecord])
    raw = codec.dumps([level, samples.stock_level("SKU-2")])
    assert b'"2026-11-25T11:30:00+01:00"' in raw

    product = codec_for(ProductRecord).loads(codec_for(ProductRecord).dumps(samples.product()))
    assert str(product.standard_cost) == "1.2E+2"
    assert str(samples.partner().credit_limit) == "50000.00"
    assert codec.loads(raw)[0].updated_at.utcoffset() == level.updated_at.utcoffset()


def test_the_encoding_is_compact_json():
    raw = codec_for(SupplierRecord).dumps(samples.supplier())

    assert raw == (
        b'{"id":"SUP-001","name":"Acme Bearings","country":"IT",'
        b'"on_time_rate":0.1,"lead_time_days":14}'
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2",
        b'"a string"',
        b'{"id": "SUP-001"}',
        b'{"id":"SUP-001","name":"A","country":null,"on_time_rate":"fast","lead_time_days":1}',
        b'{"id":"SUP-001","name":"A","country":null,"on_time_rate":1,"lead_time_days":true}',
        b'{"id":"S","name":"A","country":null,"on_time_rate":1,"lead_time_days":1,"extra":1}',
    ],
)
def test_garbage_is_a_codec_error(raw):
    with pytest.raises(CodecError):
        codec_for(SupplierRecord | None).loads(raw)


def test_bad_decimals_dates_and_tuples_are_codec_errors():
    codec = codec_for(OrderRecord)
    document = codec.dumps(samples.order()).decode()
    for broken in (
        document.replace('"599.80"', '"lots"'),
        document.replace('"2026-12-01"', '"yesterday"'),
        document.replace('"lines":[', '"lines":{"x":[').replace("}],", "}]},", 1),
    ):
        with pytest.raises(CodecError):
            codec.loads(broken.encode())


def test_an_unsupported_type_hint_is_refused_when_the_codec_is_built():
    with pytest.raises(TypeError):
        codec_for(dict[str, int])
    with pytest.raises(TypeError):
        codec_for(int | str)


def test_a_value_json_cannot_carry_is_a_codec_error_when_encoding():
    with pytest.raises(CodecError):
        codec_for(int).dumps({1, 2})


def test_entries_carry_their_fetch_time_and_whether_anything_was_found():
    codec = codec_for(OrderRecord | None)
    present = decode_entry(encode_entry(present_entry(samples.order(), 1000.5)), codec)
    negative = decode_entry(encode_entry(negative_entry(1000.5)), codec)

    assert (present.fetched_at_ms, present.present, present.value) == (
        1_000_500,
        True,
        samples.order(),
    )
    assert (negative.fetched_at_ms, negative.present, negative.value) == (1_000_500, False, None)
    assert present.age_s(1001.0) == pytest.approx(0.5)


@pytest.mark.parametrize("raw", [b"[]", b'["x", 1]', b"[1, 2, 3]", b"{}", b"[1.5]"])
def test_anything_but_an_entry_is_a_codec_error(raw):
    with pytest.raises(CodecError):
        decode_entry(raw, codec_for(int))


def test_dates_and_datetimes_are_not_confused():
    codec = codec_for(tuple[date, ...])
    assert codec.loads(b'["2026-01-02"]') == (date(2026, 1, 2),)
    assert codec_for(datetime).loads(b'"2026-01-02T03:04:05Z"').tzinfo is not None
    assert codec_for(Decimal).loads(b'"1.10"').as_tuple().exponent == -2
