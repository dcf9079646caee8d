"""``Idempotency-Key``: a retried write returns the first answer and writes only once.

A client that did not hear back from ``placeOrder`` cannot tell whether the order was
created; sending the request again with the same ``Idempotency-Key`` header is safe.
Each mutation field of the request gets a slot in the cache store, named by the
viewer's subject, the key and the field's response name, so two users' keys never
collide and a document with two aliased mutations keeps two answers:

1. ``SET NX`` claims the slot as *in flight* (with the request's fingerprint).
2. The claimant runs the write and stores its answer for ``keep_s`` (24 h).
3. A duplicate that finds the slot *in flight* waits for the answer (it never writes);
   one that finds an answer returns it; one whose fingerprint differs (same key, other
   arguments) is refused with ``CONFLICT``.

A write that fails for certain (bad input, forbidden, not found, conflict, rejected or
rate-limited upstream) releases the slot so the corrected request can use the key again.
A write whose outcome is unknown (timeout, connection lost, bad answer) is recorded as
such: repeating it could create the order twice, so the key answers ``CONFLICT`` until
it expires and the client checks before trying again with a new key. A process that
dies mid-write leaves an *in flight* slot that expires after ``in_flight_s``.

Without Redis the store is per process; with Redis down the store fails open and the
key protects nothing (logged by the store), as for the rest of the cache.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cache.codec import CodecError, ValueCodec, dumps, loads_json
from cache.store import CacheStore
from core.errors import (
    ConflictError,
    ForbiddenError,
    InputValidationError,
    NotFoundError,
    SupplyGraphError,
    UpstreamRateLimited,
    UpstreamRejected,
)

ResultT = TypeVar("ResultT")

# Errors that prove nothing was written: the slot is released for a corrected retry.
NOTHING_WRITTEN = (
    InputValidationError,
    ForbiddenError,
    NotFoundError,
    ConflictError,
    UpstreamRejected,
    UpstreamRateLimited,
)


class Idempotency:
    def __init__(
        self,
        store: CacheStore,
        *,
        prefix: str,
        keep_s: float = 86_400,
        in_flight_s: float = 30.0,
        wait_s: float = 10.0,
        poll_s: float = 0.05,
    ) -> None:
        self._store = store
        self._prefix = prefix
        self._keep_ms = round(keep_s * 1000)
        self._in_flight_ms = round(in_flight_s * 1000)
        self._wait_s = wait_s
        self._poll_s = poll_s

    def slot(self, subject: str, key: str, field: str) -> str:
        """The store key of one mutation field under one client key."""
        digest = hashlib.sha256("\0".join((subject, key, field)).encode()).hexdigest()
        return f"{self._prefix}:idempotency:{digest}"

    async def once(
        self,
        slot: str,
        fingerprint: str,
        codec: ValueCodec[ResultT],
        write: Callable[[], Awaitable[ResultT]],
    ) -> ResultT:
        """``write()``'s answer, running it only if no request with this slot ran it."""
        in_flight = dumps({"state": "in_flight", "fingerprint": fingerprint})
        deadline = asyncio.get_running_loop().time() + self._wait_s
        while not await self._store.set_if_absent(slot, in_flight, self._in_flight_ms):
            recorded = await self._store.get(slot)
            # None: released or expired meanwhile, and claimed again on the next turn.
            answer = None if recorded is None else self._answer_of(recorded, fingerprint, codec)
            if answer is not None:
                return answer[0]
            if asyncio.get_running_loop().time() > deadline:
                raise ConflictError(
                    "a request with this Idempotency-Key is still in progress; retry later"
                )
            await asyncio.sleep(self._poll_s)
        return await self._run(slot, fingerprint, codec, write)

    async def _run(
        self,
        slot: str,
        fingerprint: str,
        codec: ValueCodec[ResultT],
        write: Callable[[], Awaitable[ResultT]],
    ) -> ResultT:
        try:
            result = await write()
        except NOTHING_WRITTEN:
            await self._store.delete([slot])
            raise
        except BaseException as error:
            code = error.code if isinstance(error, SupplyGraphError) else "INTERNAL_ERROR"
            unknown = {"state": "unknown", "fingerprint": fingerprint, "code": code}
            await self._store.set(slot, dumps(unknown), self._keep_ms)
            raise
        done = {"state": "done", "fingerprint": fingerprint, "result": loads_json(dumps(result))}
        await self._store.set(slot, dumps(done), self._keep_ms)
        return result

    @staticmethod
    def _answer_of(
        raw: bytes, fingerprint: str, codec: ValueCodec[ResultT]
    ) -> tuple[ResultT] | None:
        """The recorded answer (in a 1-tuple), None while in flight; raises for refusals."""
        try:
            recorded: Any = loads_json(raw)
            state, recorded_fingerprint = recorded["state"], recorded["fingerprint"]
        except (CodecError, KeyError, TypeError) as error:
            raise ConflictError("the answer recorded for this Idempotency-Key is unreadable") from (
                error
            )
        if recorded_fingerprint != fingerprint:
            raise ConflictError(
                "this Idempotency-Key was already used for a different request; "
                "use a new key for a new request"
            )
        if state == "done":
            try:
                return (codec.from_json(recorded["result"]),)
            except (CodecError, KeyError) as error:
                raise ConflictError(
                    "the answer recorded for this Idempotency-Key is unreadable"
                ) from error
        if state == "unknown":
            raise ConflictError(
                f"a request with this Idempotency-Key failed ({recorded.get('code')}) and may "
                "or may not have taken effect; check, then retry with a new key"
            )
        return None
