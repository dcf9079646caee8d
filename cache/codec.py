"""Compact JSON for the upstream records, driven by their type hints.

Encoding leans on orjson, which already writes dataclasses, tuples, dates and
timezone-aware datetimes (RFC 3339 with offset); only ``Decimal`` needs help and is
written as a string so that no digit is lost. Decoding is strict and compiled once per
type hint: a value of the wrong shape is a ``CodecError``, never a half-built record,
so a cache entry written by an older record layout reads as a miss.

Supported hints: ``str``, ``int``, ``float``, ``bool``, ``Decimal``, ``datetime``,
``date``, ``X | None``, ``tuple[X, ...]``, ``list[X]``, frozen dataclasses built from
those, and ``None``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar, cast

import orjson

ValueT = TypeVar("ValueT")

Decoder = Callable[[object], Any]


class CodecError(ValueError):
    """Bytes or JSON that cannot be read back as the expected value."""


def dumps(value: object) -> bytes:
    """``value`` as compact JSON; raises ``CodecError`` for what JSON cannot carry."""
    try:
        return orjson.dumps(value, default=_encode_extra)
    except (TypeError, orjson.JSONEncodeError) as error:
        raise CodecError(f"cannot encode {type(value).__name__}: {error}") from error


def loads_json(raw: bytes) -> object:
    """The JSON document in ``raw``; raises ``CodecError`` for anything else."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CodecError(f"not JSON: {error}") from error


class ValueCodec(Generic[ValueT]):
    """Turns values of one type hint into JSON and back; build it with ``codec_for``."""

    def __init__(self, hint: object) -> None:
        self.hint = hint
        self._decode = _decoder_for(hint)

    def dumps(self, value: ValueT) -> bytes:
        return dumps(value)

    def loads(self, raw: bytes) -> ValueT:
        return self.from_json(loads_json(raw))

    def from_json(self, document: object) -> ValueT:
        """The value of a JSON document already parsed (for envelopes around values)."""
        try:
            return cast(ValueT, self._decode(document))
        except CodecError:
            raise
        except (TypeError, ValueError, InvalidOperation) as error:
            # A record's own __init__ or a parser refused the data.
            raise CodecError(f"cannot decode {self.hint!r}: {error}") from error


_codecs: dict[object, ValueCodec[Any]] = {}


def codec_for(hint: object) -> ValueCodec[Any]:
    """The codec of ``hint`` (e.g. ``OrderRecord | None``, ``list[ShipmentRecord]``).

    Codecs are compiled once and shared; an unsupported hint raises ``TypeError`` here,
    at wiring time, rather than on the first cache read.
    """
    codec = _codecs.get(hint)
    if codec is None:
        codec = _codecs[hint] = ValueCodec(hint)
    return codec


def _encode_extra(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"type {type(value).__name__} is not JSON serializable")


def _decoder_for(hint: object) -> Decoder:
    if hint is None or hint is type(None):
        return _decode_none
    simple = _SIMPLE_DECODERS.get(hint)
    if simple is not None:
        return simple
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return _optional_decoder(hint, args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence_decoder(_decoder_for(args[0]), tuple)
    if origin is list and len(args) == 1:
        return _sequence_decoder(_decoder_for(args[0]), list)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    raise TypeError(f"the cache codec does not support {hint!r}")


def _optional_decoder(hint: object, args: tuple[object, ...]) -> Decoder:
    others = [arg for arg in args if arg is not type(None)]
    if len(others) != 1 or len(args) != 2:
        raise TypeError(f"the cache codec supports only `X | None` unions, not {hint!r}")
    decode_present = _decoder_for(others[0])

    def decode(document: object) -> object:
        return None if document is None else decode_present(document)

    return decode


def _sequence_decoder(decode_item: Decoder, build: Callable[[list[Any]], object]) -> Decoder:
    def decode(document: object) -> object:
        if not isinstance(document, list):
            raise CodecError(f"expected a JSON array, got {type(document).__name__}")
        return build([decode_item(item) for item in document])

    return decode


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    field_decoders = {
        field.name: _decoder_for(hints[field.name])
        for field in dataclasses.fields(cls)
        if field.init
    }
    names = frozenset(field_decoders)

    def decode(document: object) -> object:
        if not isinstance(document, dict):
            raise CodecError(f"expected a JSON object for {cls.__name__}")
        if document.keys() != names:
            # Another layout of the record (added or removed fields): not this one.
            raise CodecError(f"fields of {cls.__name__} do not match")
        return cls(**{name: field_decoders[name](document[name]) for name in names})

    return decode


def _decode_none(document: object) -> None:
    if document is not None:
        raise CodecError("expected null")
    return None


def _decode_str(document: object) -> str:
    if not isinstance(document, str):
        raise CodecError(f"expected a string, got {type(document).__name__}")
    return document


def _decode_int(document: object) -> int:
    # bool is an int to Python, not to JSON: refuse it.
    if type(document) is not int:
        raise CodecError(f"expected an integer, got {type(document).__name__}")
    return document


def _decode_float(document: object) -> float:
    if type(document) is float:
        return document
    if type(document) is int:
        return float(document)
    raise CodecError(f"expected a number, got {type(document).__name__}")


def _decode_bool(document: object) -> bool:
    if not isinstance(document, bool):
        raise CodecError(f"expected a boolean, got {type(document).__name__}")
    return document


def _decode_decimal(document: object) -> Decimal:
    return Decimal(_decode_str(document))


def _decode_datetime(document: object) -> datetime:
    return datetime.fromisoformat(_decode_str(document))


def _decode_date(document: object) -> date:
    return date.fromisoformat(_decode_str(document))


_SIMPLE_DECODERS: dict[object, Decoder] = {
    str: _decode_str,
    int: _decode_int,
    float: _decode_float,
    bool: _decode_bool,
    Decimal: _decode_decimal,
    datetime: _decode_datetime,
    date: _decode_date,
}
