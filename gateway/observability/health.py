"""``GET /readyz``: may this process take traffic now?

Ready (200) when the cache's Redis answers a PING, or no Redis is configured (the
in-process cache is deliberate), and no upstream system's circuit breaker is open.
Otherwise 503, with a body saying which check failed:

    {"status": "unavailable",
     "checks": {"redis": {"ok": false, "state": "unreachable"},
                "upstreams": {"ok": false, "breakers": {"crm": "open", ...}}}}

``/healthz`` stays a liveness probe: it says only that the process serves HTTP.
A gateway without Redis still answers (from the upstreams), so an orchestrator that
takes every replica out of service when Redis fails trades a slower graph for none:
point readiness at ``/healthz`` too if that is the wrong trade for a deployment.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.runtime import Runtime


@runtime_checkable
class Pingable(Protocol):
    async def ping(self) -> bool: ...


async def readiness(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    redis_check: dict[str, Any]
    if not runtime.settings.redis_url:
        redis_check = {"ok": True, "state": "absent"}
    elif isinstance(runtime.store, Pingable) and await runtime.store.ping():
        redis_check = {"ok": True, "state": "reachable"}
    else:
        redis_check = {"ok": False, "state": "unreachable"}
    breakers = dict(runtime.clients.breakers())
    upstream_check = {
        "ok": all(state != "open" for state in breakers.values()),
        "breakers": breakers,
    }
    checks = {"redis": redis_check, "upstreams": upstream_check}
    return all(check["ok"] for check in checks.values()), checks


async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return JSONResponse({"status": "starting", "checks": {}}, status_code=503)
    ready, checks = await readiness(runtime)
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
