"""The ``/_sim/`` routes every system has, and the gate in front of its contract API.

The gate counts the request, sleeps the configured latency and injects a fault if the
dice say so; only then does the system's own handler run (and check credentials). The
``/_sim/`` routes need no credentials and are not counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.faults import Fault, FaultInjector, FaultSettings
from simulators.http_helpers import json_body, json_response
from simulators.stats import SystemStats
from simulators.world import SimWorld

Handler = Callable[[Request], Awaitable[Response]]
FaultRenderer = Callable[[Fault, FaultSettings], Response]


@dataclass
class SystemKnobs:
    system: str
    stats: SystemStats
    faults: FaultInjector

    @classmethod
    def create(cls, system: str, defaults: FaultSettings, seed: int) -> SystemKnobs:
        return cls(system, SystemStats(system), FaultInjector(defaults, seed, system))


def gated(knobs: SystemKnobs, render_fault: FaultRenderer, handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        knobs.stats.count_request()
        delay = knobs.faults.delay_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        fault = knobs.faults.draw()
        if fault is not None:
            return render_fault(fault, knobs.faults.settings)
        try:
            return await handler(request)
        except ClientDisconnect:
            # The caller gave up (its deadline) before its body was read: nobody is left
            # to answer, and it is no error of this system's.
            return Response(status_code=499)

    return endpoint


def _bad_request(message: str) -> Response:
    return json_response({"error": {"code": "BAD_REQUEST", "message": message}}, 400)


async def _optional_object(request: Request) -> dict[str, object]:
    if not await request.body():
        return {}
    payload = await json_body(request)
    if not isinstance(payload, dict):
        raise ValueError("body must be a JSON object")
    return payload


def sim_routes(knobs: SystemKnobs, world: SimWorld) -> list[Route]:
    async def stats(request: Request) -> Response:
        return json_response(knobs.stats.snapshot())

    async def reset(request: Request) -> Response:
        try:
            options = await _optional_object(request)
        except (ValueError, orjson.JSONDecodeError) as error:
            return _bad_request(str(error))
        knobs.stats.reset()
        if options.get("data") is True:
            world.reset_data()
        if options.get("faults") is True:
            knobs.faults.reset()
        return json_response({"system": knobs.system, "reset": True})

    async def get_faults(request: Request) -> Response:
        return json_response(knobs.faults.settings.to_json())

    async def set_faults(request: Request) -> Response:
        try:
            settings = knobs.faults.update(await _optional_object(request))
        except (ValueError, orjson.JSONDecodeError) as error:
            return _bad_request(str(error))
        return json_response(settings.to_json())

    async def tick(request: Request) -> Response:
        return json_response(world.live.tick().to_json())

    return [
        Route("/_sim/stats", stats, methods=["GET"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/faults", get_faults, methods=["GET"]),
        Route("/_sim/faults", set_faults, methods=["POST"]),
        Route("/_sim/tick", tick, methods=["POST"]),
    ]
