"""Running a mutation field under the request's ``Idempotency-Key`` (if it has one).

See ``gateway.idempotency`` for the protocol (reached through ``schema.live``). The slot
is named by the viewer's subject, the key and the field's response name (its alias, if
any); the fingerprint is the field's name and arguments, so reusing a key for another
request is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from cache.codec import ValueCodec, dumps
from core.errors import InputValidationError
from schema.context import Info

ResultT = TypeVar("ResultT")

IDEMPOTENCY_HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()


def fingerprint_of(field: str, arguments: object) -> str:
    """Which request a key was first used for: the field and its arguments."""
    return hashlib.sha256(dumps({"field": field, "arguments": arguments})).hexdigest()


def idempotency_key_of(info: Info) -> str | None:
    key = info.context.request_headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not valid_key(key):
        raise InputValidationError(
            "the Idempotency-Key header is not valid",
            {"Idempotency-Key": f"must be 1 to {MAX_KEY_LENGTH} printable characters"},
        )
    return key


async def write_once(
    info: Info,
    arguments: object,
    codec: ValueCodec[ResultT],
    write: Callable[[], Awaitable[ResultT]],
) -> ResultT:
    """``write()``'s answer; with an Idempotency-Key, the first answer for that key."""
    key = idempotency_key_of(info)
    live = info.context.live
    if key is None or live is None:
        return await write()
    slot = live.idempotency.slot(info.context.viewer.subject, key, str(info.path.key))
    fingerprint = fingerprint_of(info.field_name, arguments)
    return await live.idempotency.once(slot, fingerprint, codec, write)
