"""What every resolver of one request can reach: its own loaders and the clients."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from strawberry.types import Info as StrawberryInfo

from cache.write_backs import WriteBacks

if TYPE_CHECKING:
    from resolvers.clients import UpstreamClients
    from resolvers.loaders import Loaders
    from schema.answer_size import AnswerFields
    from schema.config import SchemaConfig
    from schema.limits import LimitChecks
    from schema.live import LiveServices
    from schema.viewer import Viewer


@dataclass
class GatewayContext:
    """Built anew for each request; loaders are never shared across requests or users."""

    config: SchemaConfig
    viewer: Viewer
    clients: UpstreamClients
    loaders: Loaders
    make_loaders: Callable[[], Loaders]
    # Idempotency, invalidation after writes, order change notices: set by the gateway's
    # endpoints. None where a schema runs without them: mutations then write without
    # those extras, subscriptions refuse to start.
    live: LiveServices | None = None
    # The HTTP request's headers (for a WebSocket, those of its opening handshake).
    request_headers: Mapping[str, str] = field(default_factory=dict)
    # A WebSocket's connection_init payload (strawberry fills it in).
    connection_params: dict[str, object] | None = None
    # The cache writes this request's loaders started (``cache.write_backs``).
    write_backs: WriteBacks = field(default_factory=WriteBacks)
    # Fields a batch's answers hold so far, shared by its operations (schema.answer_size);
    # None: each execution counts its own (one operation, a subscription's events).
    answer_fields: AnswerFields | None = None
    # Set by a subscription once it listens (gateway.sse starts its stream then, for
    # subscriptions such as stockAlerts that send nothing until something happens).
    listening: asyncio.Event | None = None
    # The limit checks the HTTP endpoint already made (their cost estimates were charged
    # to the client's rate limit): the execution reuses them.
    limit_checks: LimitChecks | None = None

    def renew_loaders(self) -> None:
        """Forget what this context has read: a long-lived subscription re-reads live data."""
        self.loaders = self.make_loaders()

    async def finish(self, *alongside: Awaitable[object]) -> None:
        """What must be done once this request's execution has ended, before it answers.

        The one place for it: each path that executes calls it once, when its execution
        ends (an HTTP request, one operation or a batch, kept answer or not; a WebSocket
        operation; a subscription streamed over HTTP). Today that is the cache writes its
        loaders started (``cache.write_backs``): whatever a client is told is in the cache
        by the time it hears it. ``alongside``: the endpoint's own work that may overlap
        it (an answer is kept while the record writes finish, not one round trip after).
        """
        if alongside:
            await asyncio.gather(*alongside, self.write_backs.settle())
        else:
            await self.write_backs.settle()


Info: TypeAlias = StrawberryInfo[GatewayContext, None]
