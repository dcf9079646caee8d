"""Profile the gateway's own CPU work on the dashboard query (pyinstrument).

The simulators answer at once (no latency) in a background thread; the query is executed
in this thread against the real schema, clients and cache, cold (no cache reads) and warm,
so the profile shows where the gateway itself spends time per response.

    .venv/bin/pip install pyinstrument && .venv/bin/python bench/profile_dashboard.py
"""

from __future__ import annotations

import asyncio
import sys
import time

from pyinstrument import Profiler

from cache.policy import DEFAULT_POLICY, NO_CACHE_POLICY, RequestCachePolicy
from cache.stale_log import StaleLog
from gateway.auth import ANONYMOUS_STAFF
from gateway.runtime import Runtime
from gateway.settings import Settings
from schema.build import create_schema
from schema.context import GatewayContext
from simulators.runner import SimulatorConfig, start_in_thread

DASHBOARD_QUERY = """{ customers(first: 50) { edges { node { id name orders {
    id status lines { quantity product { code inventory { available } } }
    productionPlans { state } shipments { status } } } } } }"""

TRACKING_QUERY = """{ orderTracking(orderId: "SO-100010") {
    stage progress estimatedDelivery
    order { id status total { amount currency } customer { name } }
    timeline { at system label } } }"""

QUERIES = {"dashboard": DASHBOARD_QUERY, "tracking": TRACKING_QUERY}
DASHBOARD = DASHBOARD_QUERY


async def run(settings: Settings, rounds: int) -> None:
    schema = create_schema()
    runtime = Runtime.open(settings)

    async def once(policy: RequestCachePolicy) -> None:
        def make() -> object:
            return runtime.loaders_for(policy, StaleLog())

        context = GatewayContext(
            config=settings.schema_config(),
            viewer=ANONYMOUS_STAFF,
            clients=runtime.clients,
            loaders=runtime.loaders_for(policy, StaleLog()),
            make_loaders=make,  # type: ignore[arg-type]
        )
        result = await schema.execute(DASHBOARD, context_value=context)
        assert not result.errors, result.errors

    try:
        await once(DEFAULT_POLICY)  # connections and imports
        for label, policy in (("cold", NO_CACHE_POLICY), ("warm", DEFAULT_POLICY)):
            profiler = Profiler(async_mode="enabled")
            started = time.process_time()
            with profiler:
                for _ in range(rounds):
                    await once(policy)
            cpu_ms = (time.process_time() - started) / rounds * 1000
            print(
                f"\n=== {label}: {cpu_ms:.0f} ms CPU per dashboard (this process, incl. "
                "simulator threads)",
                flush=True,
            )
            print(profiler.output_text(unicode=False, color=False, show_all=False))
    finally:
        await runtime.close()


def main() -> None:
    global DASHBOARD
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    DASHBOARD = QUERIES[sys.argv[2] if len(sys.argv) > 2 else "dashboard"]
    with start_in_thread(SimulatorConfig()) as sims:
        settings = Settings(
            crm_url=sims.crm_url,
            erp_url=sims.erp_url,
            scm_url=sims.scm_url,
            auth_disabled=True,
            redis_url="redis://127.0.0.1:6379/13",
            cache_prefix=f"profile-{time.time_ns()}",
            redis_timeout_s=1.0,
        )
        asyncio.run(run(settings, rounds))


if __name__ == "__main__":
    main()
