"""The three upstream clients of one gateway process, built from explicit arguments.

Each system is given where it answers, the credential it wants and its resilience
(timeouts, retries, deadline, breaker); all three share one ``httpx.AsyncClient`` (the
transport and its connection pool). Where those values come from (``Settings``, a test,
a benchmark) is the caller's business: ``gateway.upstreams`` reads them from settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from resolvers.call_log import UpstreamCallLog
from resolvers.crm import CrmClient
from resolvers.erp import ErpClient
from resolvers.resilience import BreakerState, ResilienceConfig
from resolvers.scm import ScmClient


@dataclass(frozen=True, slots=True)
class UpstreamAccess:
    """Where one system answers, the credential it wants and how patiently to ask it."""

    base_url: str
    # A bearer token (CRM, SCM) or an API key (ERP); kept out of repr so it is never logged.
    credential: str = field(repr=False)
    resilience: ResilienceConfig


@dataclass(frozen=True)
class UpstreamClients:
    crm: CrmClient
    erp: ErpClient
    scm: ScmClient

    def breakers(self) -> dict[str, BreakerState]:
        """Each system's circuit breaker state, e.g. for a readiness probe."""
        return {
            "crm": self.crm.breaker_state,
            "erp": self.erp.breaker_state,
            "scm": self.scm.breaker_state,
        }


def build_clients(
    http: httpx.AsyncClient,
    *,
    crm: UpstreamAccess,
    erp: UpstreamAccess,
    scm: UpstreamAccess,
    call_log: UpstreamCallLog | None = None,
) -> UpstreamClients:
    """Clients sharing ``http`` and its connection pool; ``call_log`` hears every attempt."""
    return UpstreamClients(
        crm=CrmClient(
            http, crm.base_url, crm.credential, call_log=call_log, resilience=crm.resilience
        ),
        erp=ErpClient(
            http, erp.base_url, erp.credential, call_log=call_log, resilience=erp.resilience
        ),
        scm=ScmClient(
            http, scm.base_url, scm.credential, call_log=call_log, resilience=scm.resilience
        ),
    )
