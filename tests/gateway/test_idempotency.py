"""The Idempotency-Key protocol on its own, over the in-process store: one write per slot,
the first answer for repeats, waits for a duplicate in flight, refusals for reuse."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from cache.codec import codec_for
from cache.local_store import LocalStore
from core.errors import ConflictError, InputValidationError, UpstreamTimeout
from gateway.idempotency import Idempotency


@dataclass(frozen=True, slots=True)
class Answer:
    order_id: str


CODEC = codec_for(Answer)


class Writer:
    """Counts its writes; each answers a new order id unless told to fail or wait."""

    def __init__(self) -> None:
        self.writes = 0
        self.gate: asyncio.Event | None = None
        self.error: BaseException | None = None

    async def __call__(self) -> Answer:
        self.writes += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return Answer(f"SO-{self.writes}")


def slots(**options: float) -> Idempotency:
    return Idempotency(LocalStore(), prefix="test", poll_s=0.001, **options)


async def test_a_repeat_gets_the_first_answer_and_writes_nothing():
    idempotency, write = slots(), Writer()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    first = await idempotency.once(slot, "same", CODEC, write)
    again = await idempotency.once(slot, "same", CODEC, write)
    assert first == again == Answer("SO-1")
    assert write.writes == 1


async def test_duplicates_arriving_while_the_first_is_in_flight_wait_for_its_answer():
    idempotency, write = slots(), Writer()
    write.gate = asyncio.Event()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    calls = [asyncio.create_task(idempotency.once(slot, "same", CODEC, write)) for _ in range(5)]
    await asyncio.sleep(0.05)
    assert write.writes == 1
    write.gate.set()
    assert await asyncio.gather(*calls) == [Answer("SO-1")] * 5
    assert write.writes == 1


async def test_a_duplicate_gives_up_waiting_with_a_conflict():
    idempotency, write = slots(wait_s=0.05), Writer()
    write.gate = asyncio.Event()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    first = asyncio.create_task(idempotency.once(slot, "same", CODEC, write))
    await asyncio.sleep(0)
    with pytest.raises(ConflictError, match="still in progress"):
        await idempotency.once(slot, "same", CODEC, write)
    write.gate.set()
    assert await first == Answer("SO-1")


async def test_a_key_reused_for_another_request_is_a_conflict():
    idempotency, write = slots(), Writer()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    await idempotency.once(slot, "one request", CODEC, write)
    with pytest.raises(ConflictError, match="different request"):
        await idempotency.once(slot, "another request", CODEC, write)
    assert write.writes == 1


async def test_a_write_refused_for_certain_frees_the_slot():
    idempotency, write = slots(), Writer()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    write.error = InputValidationError("bad", {"lines": "empty"})
    with pytest.raises(InputValidationError):
        await idempotency.once(slot, "same", CODEC, write)
    write.error = None
    assert await idempotency.once(slot, "same", CODEC, write) == Answer("SO-2")


async def test_a_write_of_unknown_outcome_is_never_repeated_under_its_key():
    idempotency, write = slots(), Writer()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    write.error = UpstreamTimeout("crm", "no answer in time")
    with pytest.raises(UpstreamTimeout):
        await idempotency.once(slot, "same", CODEC, write)
    write.error = None
    with pytest.raises(ConflictError, match="UPSTREAM_TIMEOUT"):
        await idempotency.once(slot, "same", CODEC, write)
    assert write.writes == 1


async def test_a_write_cancelled_midway_is_recorded_as_of_unknown_outcome():
    idempotency, write = slots(), Writer()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    write.gate = asyncio.Event()
    interrupted = asyncio.create_task(idempotency.once(slot, "same", CODEC, write))
    await asyncio.sleep(0.01)
    interrupted.cancel()  # e.g. the client went away while the CRM was being asked
    with pytest.raises(asyncio.CancelledError):
        await interrupted
    with pytest.raises(ConflictError, match="may or may not"):
        await idempotency.once(slot, "same", CODEC, Writer())


async def test_the_claim_of_a_process_that_died_mid_write_expires():
    store = LocalStore()
    idempotency, write = Idempotency(store, prefix="test", in_flight_s=0.05, poll_s=0.001), Writer()
    slot = idempotency.slot("alice", "key-1", "placeOrder")
    # What a process leaves behind when it dies between claiming and recording.
    await store.set_if_absent(slot, b'{"state": "in_flight", "fingerprint": "same"}', 50)
    assert await idempotency.once(slot, "same", CODEC, write) == Answer("SO-1")
    assert write.writes == 1


def test_slots_differ_by_subject_key_and_field():
    idempotency = slots()
    names = {
        idempotency.slot("alice", "k", "placeOrder"),
        idempotency.slot("bob", "k", "placeOrder"),
        idempotency.slot("alice", "k2", "placeOrder"),
        idempotency.slot("alice", "k", "second: placeOrder"),
        idempotency.slot("alice\0k", "", "placeOrder"),
    }
    assert len(names) == 5
    assert all(name.startswith("test:idempotency:") for name in names)
