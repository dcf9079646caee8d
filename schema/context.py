"""What every resolver of one request can reach: its own loaders and the clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from strawberry.types import Info as StrawberryInfo

if TYPE_CHECKING:
    from gateway.auth import Viewer
    from gateway.settings import Settings
    from resolvers.clients import UpstreamClients
    from resolvers.loaders import Loaders


@dataclass
class GatewayContext:
    """Built anew for each request; loaders are never shared across requests or users."""

    settings: Settings
    viewer: Viewer
    clients: UpstreamClients
    loaders: Loaders
    make_loaders: Callable[[], Loaders]

    def renew_loaders(self) -> None:
        """Forget what this context has read: a long-lived subscription re-reads live data."""
        self.loaders = self.make_loaders()


Info: TypeAlias = StrawberryInfo[GatewayContext, None]
