"""Upstream fetches under way in this process, so that a key is fetched once at a time.

When a request's batch misses a key that another request's batch is already fetching,
it waits for that fetch instead of asking the upstream again. A ``Flight`` is one
batch fetch; it is registered under every cache key it covers and resolves to the
entries it fetched (or to its error, which then reaches every waiter). If the owner of
a flight is cancelled (its client went away) the flight is cancelled, and waiters
fetch those keys themselves rather than fail with someone else's cancellation.

Scope: one event loop of one process. Separate processes each fetch a hot key once;
that duplication is accepted rather than paid for with a distributed lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeAlias

Flight: TypeAlias = "asyncio.Future[Mapping[str, Any]]"


class FlightRegistry:
    def __init__(self) -> None:
        self._flights: dict[str, Flight] = {}
        self._held: set[Flight] = set()

    def __len__(self) -> int:
        return len(self._flights)

    def split(self, cache_keys: Iterable[str]) -> tuple[list[str], dict[Flight, list[str]]]:
        """The keys nobody is fetching, and the others grouped by the flight fetching them."""
        free: list[str] = []
        joined: dict[Flight, list[str]] = {}
        for cache_key in cache_keys:
            flight = self._flights.get(cache_key)
            if flight is None:
                free.append(cache_key)
            else:
                joined.setdefault(flight, []).append(cache_key)
        return free, joined

    @contextmanager
    def flying(self, cache_keys: list[str]) -> Iterator[Flight]:
        """A new flight registered under ``cache_keys`` until the block ends.

        The owner resolves the flight with ``land``; leaving the block without doing so
        (an error, a cancellation) hands that outcome to the waiters.
        """
        flight: Flight = asyncio.get_running_loop().create_future()
        for cache_key in cache_keys:
            self._flights[cache_key] = flight
        try:
            yield flight
        except Exception as error:
            if not flight.done():
                flight.set_exception(error)
                # Waiters may be none: mark the error as seen so asyncio does not log
                # "exception was never retrieved"; the owner raises it anyway.
                flight.exception()
            raise
        finally:
            if not flight.done():
                flight.cancel()  # cancelled (or BaseException): waiters retry on their own
            if flight not in self._held:
                self._release(flight, cache_keys)

    def hold(self, flight: Flight, cache_keys: list[str], until: asyncio.Future[Any]) -> None:
        """Keep a landed ``flight`` registered under ``cache_keys`` until ``until`` is done.

        Its entries are being written to the store meanwhile: a batch arriving now takes
        them from the flight instead of missing in the store and fetching them again.
        """
        self._held.add(flight)
        until.add_done_callback(lambda _: self._release(flight, cache_keys))

    def _release(self, flight: Flight, cache_keys: list[str]) -> None:
        self._held.discard(flight)
        for cache_key in cache_keys:
            if self._flights.get(cache_key) is flight:
                del self._flights[cache_key]


def land(flight: Flight, entries: Mapping[str, Any]) -> None:
    if not flight.done():
        flight.set_result(entries)
