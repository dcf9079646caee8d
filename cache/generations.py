"""A token per upstream system, replaced whenever anything of that system is invalidated.

Whole answers (``cache.response_cache``) and decoded records held in a process
(``cache.near_cache``) cannot be dropped key by key in every process when a webhook
arrives at one of them. Instead, they remember the token of their system as it was when
they were read, and are served only while it is unchanged: one short key per system in
the shared store, replaced (never counted up, so no read-modify-write) on each webhook,
admin drop or write of the gateway's own. A token that expires reads as a change: safe.
"""

from __future__ import annotations

import uuid

from cache.keys import KeyLayout
from cache.store import CacheStore
from resolvers.clients import SYSTEMS

__all__ = ["SYSTEMS", "SystemGenerations"]
# Longer than anything that depends on a token lives.
TOKEN_TTL_MS = 7 * 86_400 * 1000


class SystemGenerations:
    def __init__(self, store: CacheStore, layout: KeyLayout) -> None:
        self._store = store
        self._layout = layout

    def key(self, system: str) -> str:
        return self._layout.generation_key(system)

    async def bump(self, system: str) -> None:
        """Everything that remembered ``system``'s token stops being served."""
        token = uuid.uuid4().hex.encode()
        await self._store.set_many([(self.key(system), token, TOKEN_TTL_MS)])
