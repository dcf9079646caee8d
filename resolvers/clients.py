"""The three upstream clients of one gateway process, built from its settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from gateway.settings import Settings
from resolvers.call_log import UpstreamCallLog
from resolvers.crm import CrmClient
from resolvers.erp import ErpClient
from resolvers.scm import ScmClient


@dataclass(frozen=True)
class UpstreamClients:
    crm: CrmClient
    erp: ErpClient
    scm: ScmClient


def build_clients(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    call_log: UpstreamCallLog | None = None,
) -> UpstreamClients:
    """Clients sharing ``http``, whose pool, keep-alive and timeouts are the caller's.

    Every URL must be set by now: starting the demo systems when none is set is the
    caller's decision, made before it gets here.
    """
    return UpstreamClients(
        crm=CrmClient(
            http,
            _required_url(settings.crm_url, "crm_url"),
            settings.crm_token.get_secret_value(),
            call_log=call_log,
        ),
        erp=ErpClient(
            http,
            _required_url(settings.erp_url, "erp_url"),
            settings.erp_api_key.get_secret_value(),
            call_log=call_log,
        ),
        scm=ScmClient(
            http,
            _required_url(settings.scm_url, "scm_url"),
            settings.scm_token.get_secret_value(),
            call_log=call_log,
        ),
    )


def _required_url(url: str | None, setting: str) -> str:
    if not url:
        raise ValueError(f"settings.{setting} is not set; every upstream needs a base URL")
    return url
