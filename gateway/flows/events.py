"""The durable event log: every verified webhook, as a domain event on a Redis Stream.

The stream ``{prefix}:flows:events`` is also the unified feed other services may read
(with a consumer group of their own). Each entry's fields, all strings:

    event_id     the sender's id (webhooks are deduplicated by it before appending)
    system       crm | erp | scm
    event        e.g. order.created, production.updated, purchase_order.updated
    keys         JSON array of the keys the event names
    data         JSON object, the sender's hint (never the new state)
    occurred_at  when the system says it happened (RFC 3339, may be empty)
    received_at  when the gateway appended it (Unix seconds, float)

The stream is capped near ``flows_stream_max_len`` entries (``XADD … MAXLEN ~``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

# One server, Sentinel's master or a Cluster: every flow command names a single key.
FlowRedis = Redis | RedisCluster


class BadEvent(ValueError):
    """A stream entry that is not a domain event of this schema (a poison entry)."""


@dataclass(frozen=True, slots=True)
class DomainEvent:
    event_id: str
    system: str
    event: str
    keys: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)
    occurred_at: str = ""
    received_at: float = 0.0

    def fields(self) -> dict[str, str]:
        return {
            "event_id": self.event_id,
            "system": self.system,
            "event": self.event,
            "keys": orjson.dumps(list(self.keys)).decode(),
            "data": orjson.dumps(self.data).decode(),
            "occurred_at": self.occurred_at,
            "received_at": repr(self.received_at or time.time()),
        }

    def as_json(self) -> dict[str, object]:
        return {
            "event_id": self.event_id,
            "system": self.system,
            "event": self.event,
            "keys": list(self.keys),
            "data": self.data,
            "occurred_at": self.occurred_at,
        }

    @classmethod
    def from_fields(cls, raw: dict[Any, Any]) -> DomainEvent:
        fields = {text_of(name): text_of(value) for name, value in raw.items()}
        try:
            keys = orjson.loads(fields["keys"])
            data = orjson.loads(fields.get("data") or "{}")
            event = cls(
                event_id=fields["event_id"],
                system=fields["system"],
                event=fields["event"],
                keys=tuple(keys),
                data=data,
                occurred_at=fields.get("occurred_at", ""),
                received_at=float(fields.get("received_at") or 0.0),
            )
        except (KeyError, ValueError, TypeError, orjson.JSONDecodeError) as error:
            raise BadEvent(f"not a domain event: {error}") from error
        if not (isinstance(data, dict) and all(isinstance(key, str) for key in keys)):
            raise BadEvent("not a domain event: keys or data of the wrong type")
        return event

    @classmethod
    def from_webhook(cls, system: str, body: bytes) -> DomainEvent:
        """The event of a webhook body that ``gateway.webhooks.parse_event`` accepted."""
        parsed = orjson.loads(body)
        data = parsed.get("data")
        occurred_at = parsed.get("occurred_at")
        return cls(
            event_id=parsed["event_id"],
            system=system,
            event=parsed["event"],
            keys=tuple(parsed["keys"]),
            data=data if isinstance(data, dict) else {},
            occurred_at=occurred_at if isinstance(occurred_at, str) else "",
            received_at=time.time(),
        )


def text_of(value: object) -> str:
    """A Redis reply's field or id as text: bytes from a client without
    ``decode_responses``, str from one with it."""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class StreamNames:
    events: str
    dead_letters: str
    runs: str
    attempts: str

    @classmethod
    def under(cls, prefix: str) -> StreamNames:
        return cls(
            events=f"{prefix}:flows:events",
            dead_letters=f"{prefix}:flows:dead",
            runs=f"{prefix}:flows:runs",
            attempts=f"{prefix}:flows:attempts",
        )


class EventLog:
    """Appends domain events; a failed append raises (the webhook is then refused, 503)."""

    def __init__(self, redis: FlowRedis, names: StreamNames, max_len: int) -> None:
        self.redis = redis
        self.names = names
        self._max_len = max_len

    async def append(self, event: DomainEvent) -> str:
        fields: dict[Any, Any] = event.fields()
        entry_id = await self.redis.xadd(
            self.names.events, fields, maxlen=self._max_len, approximate=True
        )
        return text_of(entry_id)
