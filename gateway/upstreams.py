"""The upstream clients as the settings configure them: URLs, credentials, resilience.

``resolvers.clients`` takes explicit arguments; this is where the gateway reads them
from its ``Settings``, once, when the runtime opens.
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from core.systems import SYSTEMS
from gateway.settings import Settings
from resolvers.call_log import UpstreamCallLog
from resolvers.clients import UpstreamAccess, UpstreamClients, build_clients
from resolvers.resilience import ResilienceConfig, per_system


def clients_from_settings(
    settings: Settings, http: httpx.AsyncClient, *, call_log: UpstreamCallLog | None = None
) -> UpstreamClients:
    """Clients sharing ``http``. Every URL must be set by now: starting the demo systems
    when none is set is the caller's decision, made before it gets here."""
    access = upstream_access(settings)
    return build_clients(
        http, crm=access["crm"], erp=access["erp"], scm=access["scm"], call_log=call_log
    )


def upstream_access(settings: Settings) -> dict[str, UpstreamAccess]:
    """Each system's URL, credential and resilience, as ``settings`` has them."""
    resilience = resilience_from_settings(settings)
    # Each system's URL setting (named in the error when it is missing) and credential.
    given: dict[str, tuple[str, str | None, SecretStr]] = {
        "crm": ("crm_url", settings.crm_url, settings.crm_token),
        "erp": ("erp_url", settings.erp_url, settings.erp_api_key),
        "scm": ("scm_url", settings.scm_url, settings.scm_token),
    }
    return {
        system: UpstreamAccess(
            base_url=_required_url(url, setting),
            credential=credential.get_secret_value(),
            resilience=resilience[system],
        )
        for system, (setting, url, credential) in given.items()
    }


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
