"""A generation per upstream system, counted up whenever anything of it is invalidated.

Whole answers (``cache.response_cache``) and decoded records held in a process
(``cache.near_cache``) cannot be dropped key by key in every process when a webhook
arrives at one of them. Instead, they remember the token of their system as it was when
they were read, and are served only while it is unchanged: one short key per system in
the shared store, counted up (INCR, atomic in the store) on each webhook, admin drop or
write of the gateway's own. A number, not a random token, so that it also orders
invalidations against fetches (``cache.write_guard``). A counter that expires or is
evicted starts again from the current time in microseconds, never from a number
handed out before, so it still reads as a change: safe.
"""

from __future__ import annotations

from cache.keys import KeyLayout
from cache.store import CacheStore

__all__ = ["SystemGenerations"]
# Longer than anything that depends on a token lives.
TOKEN_TTL_MS = 7 * 86_400 * 1000


class SystemGenerations:
    def __init__(self, store: CacheStore, layout: KeyLayout) -> None:
        self._store = store
        self._layout = layout

    def key(self, system: str) -> str:
        return self._layout.generation_key(system)

    async def bump(self, system: str) -> int | None:
        """Everything that remembered ``system``'s token stops being served; the new
        generation, or None if the store could not count it up."""
        return await self._store.increment(self.key(system), TOKEN_TTL_MS)
