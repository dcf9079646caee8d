"""Operator calls: ``POST /admin/cache/{system}/drop`` forgets every cached entry of a system
(the flows' dead-letter calls are in ``gateway.flows.admin``).

Needs a bearer token with the ``admin`` scope, even when auth is otherwise disabled.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.auth import AuthenticationError, Authenticator
from gateway.runtime import Runtime
from gateway.webhooks import problem
from resolvers.clients import SYSTEMS


def admin_refusal(request: Request, what: str) -> JSONResponse | None:
    """The 401/403 for a request without an admin-scope token; None when it has one."""
    runtime: Runtime = request.app.state.runtime
    authorization = request.headers.get("authorization")
    if not authorization:
        return problem(401, "UNAUTHENTICATED", "an admin bearer token is required")
    try:
        viewer = Authenticator(runtime.settings).viewer_for(authorization)
    except AuthenticationError as error:
        return problem(401, "UNAUTHENTICATED", str(error))
    if not viewer.may("admin") or viewer.is_customer:
        return problem(403, "FORBIDDEN", f"{what} needs the admin scope")
    return None


async def drop_system_cache(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    refusal = admin_refusal(request, "dropping the cache")
    if refusal is not None:
        return refusal
    system = request.path_params["system"]
    if system not in SYSTEMS:
        return problem(404, "NOT_FOUND", f"no system {system!r}")
    dropped = await runtime.invalidator.drop_system(system)
    return JSONResponse({"system": system, "dropped": dropped})
