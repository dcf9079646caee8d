"""How long each kind of upstream record may be served from the cache.

Each join's TTL is a fact of its row in ``resolvers.joins`` and travels with its fetcher;
``entity_kind`` turns it into what the cache keeps: how long a "not found" and a stale
copy (for stale-if-error) are kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

# A negative entry ("the upstream does not know this key") lives at most this long:
# a record created upstream a moment ago must show up soon even without a webhook.
MAX_NEGATIVE_TTL_S = 10.0
# How long an entry is kept past its freshness, to be served if the upstream fails.
DEFAULT_GRACE_S = 300.0


@dataclass(frozen=True, slots=True)
class EntityKind:
    system: str  # crm | erp | scm
    entity: str  # the loader's name, e.g. "orders_of_customer"
    ttl_s: float  # fresh this long after the fetch
    negative_ttl_s: float  # a "not found" is fresh this long
    grace_s: float  # kept this long past freshness for stale-if-error

    @property
    def name(self) -> str:
        """``crm.order``: the same spelling as the fetchers' names."""
        return f"{self.system}.{self.entity}"

    def fresh_for_s(self, present: bool) -> float:
        return self.ttl_s if present else self.negative_ttl_s

    def stored_for_ms(self, present: bool) -> int:
        """The Redis TTL of an entry: freshness plus grace, at least one millisecond."""
        return max(1, round((self.fresh_for_s(present) + self.grace_s) * 1000))


def entity_kind(
    system: str, entity: str, ttl_s: float, *, grace_s: float = DEFAULT_GRACE_S
) -> EntityKind:
    """The kind of a join fresh for ``ttl_s``: a "not found" is fresh as long, at most
    ``MAX_NEGATIVE_TTL_S``."""
    return EntityKind(system, entity, ttl_s, min(ttl_s, MAX_NEGATIVE_TTL_S), grace_s)


@dataclass(frozen=True, slots=True)
class RequestCachePolicy:
    """What one request may do with the cache.

    A client's ``Cache-Control: no-cache`` turns reads off: everything is fetched
    upstream, and the fresh answers are still written for the next request.
    """

    read: bool = True
    write: bool = True


DEFAULT_POLICY = RequestCachePolicy()
NO_CACHE_POLICY = RequestCachePolicy(read=False)
