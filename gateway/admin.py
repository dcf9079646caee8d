"""Operator calls: ``POST /admin/cache/{system}/drop`` forgets every cached entry of a system
(the flows' dead-letter calls are in ``gateway.flows.admin``).

When the cache cannot be reached the answer is 503 with ``Retry-After``, never a count.

Needs a bearer token with the ``admin`` scope, even when auth is otherwise disabled.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.systems import SYSTEMS
from gateway.auth import AuthenticationError, Authenticator
from gateway.runtime import Runtime
from gateway.webhooks import RETRY_AFTER_S, problem


async def admin_refusal(request: Request, what: str) -> JSONResponse | None:
    """The 401/403 for a request without an admin-scope token; None when it has one."""
    runtime: Runtime = request.app.state.runtime
    authorization = request.headers.get("authorization")
    if not authorization:
        return problem(401, "UNAUTHENTICATED", "an admin bearer token is required")
    try:
        authenticator = getattr(request.app.state, "authenticator", None)
        if not isinstance(authenticator, Authenticator):
            authenticator = Authenticator(runtime.settings)
        viewer = await authenticator.authenticate(authorization)
    except AuthenticationError as error:
        return problem(401, "UNAUTHENTICATED", str(error))
    if not viewer.may("admin") or viewer.is_customer:
        return problem(403, "FORBIDDEN", f"{what} needs the admin scope")
    return None


async def drop_system_cache(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    refusal = await admin_refusal(request, "dropping the cache")
    if refusal is not None:
        return refusal
    system = request.path_params["system"]
    if system not in SYSTEMS:
        return problem(404, "NOT_FOUND", f"no system {system!r}")
    dropped = await runtime.invalidator.drop_system(system)
    if dropped is None:
        # An operator told "0 dropped" would trust a cache that still holds everything.
        return problem(
            503,
            "NOT_APPLIED",
            "the cache could not be reached; nothing is known to be dropped, try again",
            {"Retry-After": str(RETRY_AFTER_S)},
        )
    return JSONResponse({"system": system, "dropped": dropped})
