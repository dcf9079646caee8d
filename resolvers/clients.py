"""The three upstream clients of one gateway process, built from its settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from core.systems import SYSTEMS
from gateway.settings import Settings
from resolvers.call_log import UpstreamCallLog
from resolvers.crm import CrmClient
from resolvers.erp import ErpClient
from resolvers.resilience import BreakerState, ResilienceConfig, per_system
from resolvers.scm import ScmClient


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
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    call_log: UpstreamCallLog | None = None,
    resilience: Mapping[str, ResilienceConfig] | None = None,
) -> UpstreamClients:
    """Clients sharing ``http`` and its connection pool.

    ``resilience`` maps ``"crm"``, ``"erp"`` and ``"scm"`` to their retry, deadline and
    breaker settings; a system left out gets what ``settings`` says. Every URL must be
    set by now: starting the demo systems when none is set is the caller's decision,
    made before it gets here.
    """
    given = dict(resilience or {})
    unknown = sorted(set(given) - set(SYSTEMS))
    if unknown:
        raise ValueError(f"resilience for unknown systems {unknown}; known: {list(SYSTEMS)}")
    configs = {**resilience_from_settings(settings), **given}
    return UpstreamClients(
        crm=CrmClient(
            http,
            _required_url(settings.crm_url, "crm_url"),
            settings.crm_token.get_secret_value(),
            call_log=call_log,
            resilience=configs["crm"],
        ),
        erp=ErpClient(
            http,
            _required_url(settings.erp_url, "erp_url"),
            settings.erp_api_key.get_secret_value(),
            call_log=call_log,
            resilience=configs["erp"],
        ),
        scm=ScmClient(
            http,
            _required_url(settings.scm_url, "scm_url"),
            settings.scm_token.get_secret_value(),
            call_log=call_log,
            resilience=configs["scm"],
        ),
    )


def resilience_from_settings(settings: Settings) -> dict[str, ResilienceConfig]:
    """Each system's resilience as ``settings`` has it, with per-system overrides.

    Each request sets its own timeouts, which win over those of the shared AsyncClient,
    so leaving these out would silently drop the configured ones.
    """
    shared = ResilienceConfig(
        connect_timeout_s=settings.upstream_connect_timeout_s,
        read_timeout_s=settings.upstream_read_timeout_s,
        deadline_s=settings.upstream_deadline_s,
        max_read_retries=settings.upstream_max_read_retries,
        backoff_base_s=settings.upstream_backoff_base_s,
        backoff_max_s=settings.upstream_backoff_max_s,
        breaker_failure_rate=settings.upstream_breaker_failure_rate,
        breaker_minimum_calls=settings.upstream_breaker_minimum_calls,
        breaker_window_s=settings.upstream_breaker_window_s,
        breaker_cooldown_s=settings.upstream_breaker_cooldown_s,
    )
    return per_system(shared, settings.upstream_resilience, SYSTEMS)


def _required_url(url: str | None, setting: str) -> str:
    if not url:
        raise ValueError(f"settings.{setting} is not set; every upstream needs a base URL")
    return url
