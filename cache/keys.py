"""Where things live in Redis: one layout for every key the gateway writes.

    <prefix>:v<schema_version>:<system>:<entity>:<key>   sg:v1:crm:order:SO-100045
    <prefix>:v<schema_version>:<system>:<entity>:<a>|<b> sg:v1:crm:orders_of_customer:C-1|*
    <prefix>:event:<system>:<event_id>                   webhook de-duplication
    <prefix>:apq:<sha256>                                persisted queries
    <prefix>:v<schema_version>:answer:<sha256>           whole answers (cache.response_cache)
    <prefix>:v<schema_version>:generation:<system>       cache.generations
    <prefix>:v<schema_version>:invalidated:<record key>  cache.write_guard (per key)
    <prefix>:v<schema_version>:invalidated-all:<system>[:<entity>]  (per pattern drop)

The schema version is part of every record key: bump it whenever a record in
``core.records`` changes shape, and entries of the old layout are simply never
read again (they expire on their own). Events and persisted queries do not depend on
record layout, so they are not versioned.

Redis Cluster: keys carry no hash tag, on purpose. A tag per entity kind would put
every key of a kind in one slot, so one node would hold (and serve) all the orders; a
tag per key changes nothing. Instead a batch read is split by slot, one MGET per slot,
pipelined per node (``cache.redis_store``): a batch costs one round trip per node it
touches, and entries spread evenly. A pattern delete scans every primary. Every record
key is assembled by ``KeyLayout.entity_key`` alone, should a tag ever be wanted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Stands for "any" in a composite key, e.g. every status of a customer's orders.
WILDCARD_PART = "*"
PART_SEPARATOR = "|"

_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True, slots=True)
class KeyLayout:
    prefix: str = "sg"
    schema_version: int = 1

    @property
    def namespace(self) -> str:
        return f"{self.prefix}:v{self.schema_version}"

    def entity_key(self, system: str, entity: str, key_text: str) -> str:
        return f"{self.namespace}:{system}:{entity}:{key_text}"

    def entity_keys(self, system: str, entity: str, key_texts: Iterable[str]) -> list[str]:
        return [self.entity_key(system, entity, key_text) for key_text in key_texts]

    def entity_pattern(self, system: str, entity: str | None = None) -> str:
        """A SCAN pattern for every key of one entity, or of a whole system."""
        base = f"{glob_escape(self.namespace)}:{glob_escape(system)}:"
        return f"{base}{glob_escape(entity)}:*" if entity is not None else f"{base}*"

    def answer_key(self, sha256_hex: str) -> str:
        return f"{self.namespace}:answer:{sha256_hex}"

    def generation_key(self, system: str) -> str:
        return f"{self.namespace}:generation:{system}"

    def invalidated_key(self, cache_key: str) -> str:
        """The marker an invalidation of the record key ``cache_key`` leaves behind
        (``cache.write_guard``); outside every system's pattern, so drops leave it."""
        return f"{self.namespace}:invalidated:{cache_key.removeprefix(self.namespace + ':')}"

    def invalidated_all_key(self, system: str, entity: str | None = None) -> str:
        """The marker a pattern drop of a whole entity kind, or system, leaves behind."""
        base = f"{self.namespace}:invalidated-all:{system}"
        return base if entity is None else f"{base}:{entity}"

    def event_key(self, system: str, event_id: str) -> str:
        return event_key(self.prefix, system, event_id)

    def apq_key(self, sha256_hex: str) -> str:
        return apq_key(self.prefix, sha256_hex)


def composite_key_text(parts: Iterable[str | None]) -> str:
    """A tuple key as text: ``("C-1", None)`` is ``C-1|*``, ``("C-1", "shipped")`` is
    ``C-1|shipped`` (the same spelling as the fetchers' ``key_text``)."""
    return PART_SEPARATOR.join(WILDCARD_PART if part is None else part for part in parts)


def event_key(prefix: str, system: str, event_id: str) -> str:
    return f"{prefix}:event:{system}:{event_id}"


def apq_key(prefix: str, sha256_hex: str) -> str:
    return f"{prefix}:apq:{sha256_hex}"


def glob_escape(text: str) -> str:
    """``text`` matched literally by a Redis glob pattern (SCAN MATCH)."""
    return _GLOB_SPECIALS.sub(r"\\\1", text)
