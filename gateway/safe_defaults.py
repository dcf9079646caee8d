"""What ``serve`` refuses outside the demo, and what it says loudly inside it.

The upstream credentials and webhook secrets have defaults so that the demo runs with no
configuration: they are the demo systems' own (``simulators/config.py``). Pointed at real
systems, a gateway still on them would sign nothing anyone else could not sign: anybody
who has read this repository could send it webhooks that drop its cache, and it would
present a publicly known token to the CRM. So with any upstream URL set, each of them must
be configured; the defaults come from ``Settings`` itself, so this table cannot drift.
Upstreams all on loopback are the demo systems run apart (``supplygraph simulators``),
which take exactly these credentials: they are left alone.
"""

from __future__ import annotations

from pydantic import SecretStr

from gateway.loopback import is_loopback_url
from gateway.settings import ENV_PREFIX, Settings

# The settings whose defaults are the demo systems' credentials.
DEMO_CREDENTIALS = (
    "crm_token",
    "erp_api_key",
    "scm_token",
    "webhook_secret_crm",
    "webhook_secret_erp",
    "webhook_secret_scm",
)


def demo_credentials_in_use(settings: Settings) -> list[str]:
    """The environment variables still holding a demo value, when a system is elsewhere."""
    urls = [url for url in (settings.crm_url, settings.erp_url, settings.scm_url) if url]
    if all(is_loopback_url(url) for url in urls):
        return []  # no URL (the built-in demo), or the demo systems run on this machine
    found = []
    for name in DEMO_CREDENTIALS:
        default = Settings.model_fields[name].default
        value = getattr(settings, name)
        if (
            isinstance(default, SecretStr)
            and isinstance(value, SecretStr)
            and value.get_secret_value() == default.get_secret_value()
        ):
            found.append(ENV_PREFIX + name.upper())
    return found


def refusal_for_demo_credentials(settings: Settings) -> str | None:
    """Why ``serve`` must not start, or None."""
    names = demo_credentials_in_use(settings)
    if not names:
        return None
    return (
        "refusing to start: upstream URLs off this machine are set but "
        + ", ".join(names)
        + " still hold the demo systems' public defaults; set each to the real system's value"
    )


AUTH_OFF_BANNER = (
    "\n"
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    "!!  AUTH IS OFF (GATEWAY_AUTH_DISABLED=1): a request without a token is     !!\n"
    "!!  staff with every scope. Fine for the demo; never expose this gateway.   !!\n"
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
)


def auth_off_banner(settings: Settings) -> str | None:
    return AUTH_OFF_BANNER if settings.auth_disabled else None
