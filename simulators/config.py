"""The one configuration object of the simulators; nothing is read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulators.data import DEFAULT_SEED


def _default_webhook_secrets() -> dict[str, str]:
    return {"crm": "crm-webhook-secret", "erp": "erp-webhook-secret", "scm": "scm-webhook-secret"}


@dataclass
class SimulatorConfig:
    seed: int = DEFAULT_SEED
    host: str = "127.0.0.1"
    crm_port: int = 0  # 0: any free port; the real one is in RunningSimulators.crm_url
    erp_port: int = 0
    scm_port: int = 0
    crm_token: str = "crm-demo-token"
    erp_api_key: str = "erp-demo-key"
    scm_token: str = "scm-demo-token"
    webhook_url: str | None = None  # the gateway's base URL; None: no webhooks are sent
    webhook_secrets: dict[str, str] = field(default_factory=_default_webhook_secrets)
    webhook_ca_file: str | None = None  # a certificate to trust for an https webhook_url
    latency_ms: float = 0
    jitter_ms: float = 0
    live_activity: bool = False
    live_interval_s: float = 5.0
