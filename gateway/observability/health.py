"""``GET /readyz``: may this process take traffic now?

Ready (200) when the cache's Redis answers a PING, or no Redis is configured (the
in-process cache is deliberate). An upstream system whose circuit breaker is open does
not make the process unready: every replica sees the same ERP outage, so taking them out
of service would turn one system's missing fields into no graph at all. That is
"degraded": still 200, ``status: degraded``, the open breakers listed, and the
``supplygraph_degraded_upstreams`` gauge above 0. Otherwise 503, with a body saying
which check failed:

    {"status": "unavailable",
     "checks": {"redis": {"ok": false, "state": "unreachable"},
                "upstreams": {"ok": true, "degraded": [], "breakers": {"crm": "closed", ...}}}}

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
    # Open breakers degrade answers, not readiness (see above).
    upstream_check = {
        "ok": True,
        "degraded": sorted(system for system, state in breakers.items() if state == "open"),
        "breakers": breakers,
    }
    checks = {"redis": redis_check, "upstreams": upstream_check}
    return all(check["ok"] for check in checks.values()), checks


async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return JSONResponse({"status": "starting", "checks": {}}, status_code=503)
    ready, checks = await readiness(runtime)
    status = "unavailable" if not ready else "degraded" if checks["upstreams"]["degraded"] else "ok"
    return JSONResponse(
        {"status": status, "checks": checks},
        status_code=200 if ready else 503,
    )
